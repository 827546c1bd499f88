"""Timz settings: one file, every deploy-specific value read from the environment.

Defaults are the embedded development set-up (`make run`): SQLite under var/, the in-memory
channel layer, local-memory cache, console email, immediate tasks and offline payments.
`.env.example` lists every variable with its default.
"""

import os
import tempfile
from pathlib import Path

import environ
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# A development key is fine only while DEBUG is on; production must set its own.
SECRET_KEY = (
    env.str("DJANGO_SECRET_KEY", default="django-insecure-timz-development-only")
    if DEBUG
    else env.str("DJANGO_SECRET_KEY")
)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",  # SearchVectorField of the directory (a plain column on SQLite)
    "channels",
    "ninja",
    "allauth",
    "accounts.apps.SignInEmailConfig",  # allauth.account, named apart from our accounts
    "accounts.apps.SignInFactorsConfig",  # allauth.mfa
    "django_tasks_db",
    "accounts",
    "bookings",
    "chat",
    "payments",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language: the cookie the switcher sets, else Accept-Language, else LANGUAGE_CODE;
    # a signed-in user's own choice then wins (accounts.languages.UserLanguageMiddleware).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # ETag on every GET answer (pages and API reads); If-None-Match gets 304 without a body.
    "django.middleware.http.ConditionalGetMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.languages.UserLanguageMiddleware",
    # Before any view (and CSRF's form check, which runs with the view): see timz.input.
    "timz.input.InputGuardMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # After authentication and messages: staff without a second factor go to set one up.
    "accounts.mfa.StaffMFARequiredMiddleware",
]

ROOT_URLCONF = "timz.urls"
ASGI_APPLICATION = "timz.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "timz.context_processors.site",
                "chat.context_processors.unread_messages",
            ],
            # `datefmt`: dates in the reader's language (timz.formats).
            "builtins": ["timz.template_formats"],
        },
    },
]

# Database: SQLite file under var/ by default (WAL, IMMEDIATE transactions so that two writers
# serialise at BEGIN instead of failing half-way); PostgreSQL in production via DATABASE_URL.
(BASE_DIR / "var").mkdir(exist_ok=True)
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'timz.sqlite3'}")
}
# Under ASGI every request runs on a thread of its own and Django keeps one connection per
# thread, so without a pool each request that read the database connected anew. A pool per
# process lends connections out instead; Django returns one when its request ends.
# DATABASE_POOL_SIZE=0 goes back to a connection per thread (or DATABASE_CONN_MAX_AGE).
_pool_size = env.int("DATABASE_POOL_SIZE", default=8)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # Reusing a connection spares SQLite the WAL checkpoint a last close forces on every
    # request and chat message (p50 5-7 ms -> 2 ms in bench/bench_chat.py), and opening the
    # file, reading the schema and preparing every statement again (~3 ms of a booking).
    DATABASES["default"].setdefault(
        "CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=0 if _pool_size > 0 else 60)
    )
    if _pool_size > 0 and DATABASES["default"]["CONN_MAX_AGE"] == 0:
        DATABASES["default"]["ENGINE"] = "timz.db.sqlite3"  # Django's, pooled
        DATABASES["default"]["OPTIONS"]["pool"] = {"max_size": _pool_size}
    # Tests use a file, not :memory:, so that threads and processes see one real database.
    # One file per test process (pytest-xdist workers, or two developers' runs in one tree).
    DATABASES["default"].setdefault("TEST", {})["NAME"] = str(
        Path(tempfile.gettempdir()) / f"timz-test-{os.getpid()}.sqlite3"
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=0))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
    # A new PostgreSQL connection forks a server process: ~4 ms on the bench machine.
    if _pool_size > 0 and DATABASES["default"]["CONN_MAX_AGE"] == 0:
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": min(2, _pool_size),
            "max_size": _pool_size,
            "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10.0),
        }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: unset means one process with in-memory layer and local-memory cache.
REDIS_URL = env.str("REDIS_URL", default="")
# Seconds a read on the channel layer's Redis connections may wait (see CHANNEL_LAYERS).
REDIS_CHANNEL_SOCKET_TIMEOUT = 30
# pytest-xdist workers share one Redis: each gets its own key space, so one worker's cache
# reset or chat group never reaches another's (conversation ids repeat across test DBs).
_REDIS_SCOPE = (
    f"-{os.environ['PYTEST_XDIST_WORKER']}" if "PYTEST_XDIST_WORKER" in os.environ else ""
)
if REDIS_URL:
    CACHES = {
        "default": {
            # One pool and one client per process instead of a new connection per request and
            # a new client per command (timz.redis_pool).
            "BACKEND": "timz.redis_pool.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"pool_class": "timz.redis_pool.SharedConnectionPool"},
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="timz") + _REDIS_SCOPE,
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # channels-redis waits on an idle channel with a blocking read of
                # `brpop_timeout` (5 s); redis-py 8 gives every read a 5 s socket timeout by
                # default, which fires first and closes each idle websocket with 1011. The
                # socket timeout must outlast the blocking read.
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_timeout": REDIS_CHANNEL_SOCKET_TIMEOUT,
                        "socket_connect_timeout": 5,
                        "socket_keepalive": True,
                    }
                ],
                "prefix": env.str("CHANNEL_LAYER_PREFIX", default="timz") + _REDIS_SCOPE,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Seconds the directory and pro pages are kept for visitors (timz.pagecache; 0 turns it off).
# Writes invalidate them at once; this bounds only how stale the clock-dependent parts get.
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=60)
# Megabytes of those pages each process also keeps in its own memory, so that a visitor's hit
# costs one small round trip to the cache (the counters), not the page itself.
PAGE_CACHE_LOCAL_MB = env.int("PAGE_CACHE_LOCAL_MB", default=32)

AUTH_USER_MODEL = "accounts.User"
# Django's and allauth's, the signed-in user read with SQL compiled once (accounts.auth_backends).
AUTHENTICATION_BACKENDS = [
    "accounts.auth_backends.ModelBackend",
    "accounts.auth_backends.AuthenticationBackend",
]
# Django's database sessions, read with one hand-written SELECT per request (timz.sessions).
SESSION_ENGINE = "timz.sessions"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
CSRF_FAILURE_VIEW = "timz.views.csrf_failure"
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# django-allauth: email is the login, no username.
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_FORMS = {"signup": "accounts.forms.SignupForm"}
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
    "change_password": "5/m/user",
}
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Timz] "
# Multi-factor sign-in (allauth.mfa): an authenticator app, recovery codes, passkeys. Optional
# for pros and clients, required for staff (accounts.mfa). Passkeys also sign in on their own.
MFA_ADAPTER = "accounts.mfa.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = "Timz"
# WebAuthn refuses plain http except on localhost; development and the browser tests serve
# http://127.0.0.1, so only a DEBUG server may accept it.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = env.bool("MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN", default=DEBUG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Timz <hello@timz.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL


def _mailer_from_url(url: str) -> dict:
    """Translate an EMAIL_URL (django-environ's schemes) into a Django 6.1 MAILERS entry."""
    parsed = environ.Env.email_url_config(url)
    backend = parsed["EMAIL_BACKEND"]
    options = {}
    if backend.endswith("smtp.EmailBackend"):
        options = {
            "host": parsed["EMAIL_HOST"],
            "port": parsed["EMAIL_PORT"],
            "username": parsed["EMAIL_HOST_USER"] or None,
            "password": parsed["EMAIL_HOST_PASSWORD"] or None,
            "use_tls": parsed.get("EMAIL_USE_TLS", False),
            "use_ssl": parsed.get("EMAIL_USE_SSL", False),
            "timeout": 10,
        }
    elif backend.endswith("filebased.EmailBackend"):
        options = {"file_path": "/" + parsed["EMAIL_FILE_PATH"]}
    return {"BACKEND": backend, "OPTIONS": options}


MAILERS = {"default": _mailer_from_url(env.str("EMAIL_URL", default="consolemail://"))}

# Background work: Django's tasks framework. Immediate in development and tests; the
# database-backed worker (django-tasks-db, `manage.py db_worker`) in production.
TASKS_BACKEND = env.str("TASKS_BACKEND", default="immediate")
TASKS = {
    "default": {
        "BACKEND": {
            "immediate": "django.tasks.backends.immediate.ImmediateBackend",
            "database": "django_tasks_db.DatabaseBackend",
        }[TASKS_BACKEND]
    }
}

# Turns a typed place into coordinates: a callable (text) -> accounts.geo.Place | None. The
# default knows the built-in city table; point it at a geocoder's adapter to know every address.
PLACE_RESOLVER = env.str("PLACE_RESOLVER", default="accounts.geo.city_table_resolver")

# A pro's own calendars (bookings/calendar_fetch.py, bookings/services/calendars.py): how often
# they are fetched, when a calendar that has not synced counts as stale (its pro's bookings
# become requests until it syncs), the largest feed read, the key that encrypts calendar
# addresses and CalDAV passwords (timz/crypto.py; default: derived from SECRET_KEY), and whether
# calendar URLs may point at private or loopback addresses (never in production; the tests'
# local servers).
CALENDAR_SYNC_MINUTES = env.int("CALENDAR_SYNC_MINUTES", default=15)
CALENDAR_STALE_MINUTES = env.int("CALENDAR_STALE_MINUTES", default=2 * CALENDAR_SYNC_MINUTES)
CALENDAR_MAX_BYTES = env.int("CALENDAR_MAX_BYTES", default=5 * 1024 * 1024)
CALENDAR_SECRET_KEY = env.str("CALENDAR_SECRET_KEY", default=SECRET_KEY)
CALENDAR_ALLOW_PRIVATE_HOSTS = env.bool("CALENDAR_ALLOW_PRIVATE_HOSTS", default=False)

LANGUAGE_CODE = "en"
# The languages of the interface (accounts/languages.py); each has a catalogue under locale/.
LANGUAGES = [("en", "English"), ("fr", "Français"), ("es", "Español"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The platform's zone: the admin, the staff dashboard and fee reports read times in it.
TIME_ZONE = "UTC"
# A 24-hour clock and the zone written out wherever a date is shown with Django's defaults.
FORMAT_MODULE_PATH = ["timz.formats"]
USE_I18N = True
USE_TZ = True
# Numbers in templates take the language's decimal mark ("4,8" in French) but no grouping:
# grouping would also reach ids, years and numbers in URLs and data- attributes ("1,234").
# A count people read in thousands groups explicitly with `intcomma` (django.contrib.humanize).
USE_THOUSAND_SEPARATOR = False

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "var" / "static")
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing root
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "media")
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Uploaded pictures: checked and re-encoded by accounts.images before they are stored.
FILE_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024
# Whole request bodies (files included) above this are refused with 413 before Django reads
# them (timz.input.BodySizeLimit), whatever proxy stands in front.
MAX_REQUEST_BYTES = env.int("MAX_REQUEST_BYTES", default=8 * 1024 * 1024)
IMAGE_MAX_BYTES = 5 * 1024 * 1024
IMAGE_MAX_PIXELS = 40_000_000

# Content-Security-Policy: only the site's own scripts and styles; inline script needs the nonce.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF, *env.list("CSP_FORM_ACTION_EXTRA", default=[])],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

# Production hardening: on whenever DEBUG is off, each overridable from the environment.
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# Payments. Without a Stripe secret key the offline backend runs the same flow locally.
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
# Connect events (account.updated) come from a second Stripe endpoint with its own secret.
STRIPE_CONNECT_WEBHOOK_SECRET = env.str("STRIPE_CONNECT_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")
PLATFORM_FEE_PERCENT = env.str("PLATFORM_FEE_PERCENT", default="10")
PLATFORM_FEE_FIXED = env.int("PLATFORM_FEE_FIXED", default=0)
PLATFORM_FEE_MIN = env.int("PLATFORM_FEE_MIN", default=0)
# Who runs the platform, on every receipt (payments.receipts); the VAT line only when set.
PLATFORM_LEGAL_NAME = env.str("PLATFORM_LEGAL_NAME", default="Timz")
PLATFORM_VAT_ID = env.str("PLATFORM_VAT_ID", default="")
DEFAULT_CURRENCY = env.str("DEFAULT_CURRENCY", default="EUR").upper()
if STRIPE_SECRET_KEY:
    # The Pay and Get-paid buttons POST, then redirect to Stripe: browsers apply form-action
    # to that redirect, so Stripe Checkout and Connect onboarding must be allowed.
    SECURE_CSP["form-action"] += ["https://checkout.stripe.com", "https://connect.stripe.com"]

# Chat: unread messages older than this send one email per conversation per quiet period.
CHAT_EMAIL_DELAY_MINUTES = env.int("CHAT_EMAIL_DELAY_MINUTES", default=10)

# Rate limits (timz.ratelimit), each comma-separated "count/period" windows (period in s, m, h,
# d): "10/10m,30/h" is 10 per 10 minutes and 30 per hour; "off" disables one (load tests on
# scratch data). Counted in the cache, so Redis shares the counts between processes.
# Booking attempts per client, on every channel (bookings.services.booking_create).
BOOKING_RATE_LIMIT = env.str("BOOKING_RATE_LIMIT", default="10/10m,30/h")
# Chat messages per sender, all conversations together (chat.services.message_send).
CHAT_RATE_LIMIT = env.str("CHAT_RATE_LIMIT", default="20/10s")
# Password attempts per account when deleting it (accounts.services.account_delete): a stolen
# session must not become a way to guess the password.
ACCOUNT_DELETE_RATE_LIMIT = env.str("ACCOUNT_DELETE_RATE_LIMIT", default="5/15m")
# "Book again" emails per pro and client (bookings.services.client_rebook_nudge): a reminder,
# not a stream of mail.
REBOOK_NUDGE_RATE_LIMIT = env.str("REBOOK_NUDGE_RATE_LIMIT", default="1/d")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django installs its own console handler in DEBUG; route it through ours only once.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.channels.server": {"level": "WARNING"},
        # fpdf2 subsets the receipt font through fontTools, which logs every table at INFO.
        "fontTools": {"level": "WARNING"},
    },
}
