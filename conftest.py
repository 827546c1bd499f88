"""Fixtures and small factories shared by every app's tests.

App-specific fixtures live in `<app>/tests/conftest.py`.

The clock: a test that depends on what time it is asks for `now` (the clock stopped at the
test's start) or `travel` (the clock stopped at a chosen instant), both built on time-machine.
With TIMZ_TEST_NOW set to an ISO 8601 instant with an offset, every test starts at that instant
instead of the real time. Given several instants (separated by spaces, as `make test-instants`
does), every test runs once at each: the session is parametrized over them, so pytest runs all
the tests at the first instant, then all at the next, and any data built for a module or the
session (the test database included) is built again at each instant.
"""

import hashlib
import itertools
import os
import shutil
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import datetime, time, timedelta
from pathlib import Path
from unittest import mock
from zoneinfo import ZoneInfo

import django
import pytest
import time_machine
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from channels.layers import channel_layers
from django.apps import apps
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.management.commands import flush as flush_command
from django.db import DEFAULT_DB_ALIAS, connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.test import Client, override_settings
from django.utils import timezone, translation

from accounts.models import Category, ClientProfile, ProProfile, User
from bookings import services as booking_services
from bookings.models import Booking, BookingEvent, Service
from timz import pagecache
from timz.db.sqlite3.base import close_idle

PASSWORD = "correct-horse-battery"
# The authenticator-app secret of every test user given one (base32, as apps scan it).
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
PARIS = ZoneInfo("Europe/Paris")
_seq = itertools.count(1)
TEST_NOW_VARIABLE = "TIMZ_TEST_NOW"


def _pinned_instants() -> list[datetime]:
    """The instants named by TIMZ_TEST_NOW (separated by spaces or commas), in order; empty when
    it is unset or blank."""
    instants = []
    for value in os.environ.get(TEST_NOW_VARIABLE, "").replace(",", " ").split():
        try:
            instant = datetime.fromisoformat(value)
        except ValueError:
            instant = None
        if instant is None or instant.tzinfo is None:
            raise pytest.UsageError(
                f"{TEST_NOW_VARIABLE}={value!r}: give ISO 8601 instants with an offset, "
                "e.g. 2027-03-28T01:30:00Z (several separated by spaces)"
            )
        instants.append(instant)
    return instants


def pytest_configure(config):
    _pinned_instants()  # a malformed TIMZ_TEST_NOW stops the run before any test


def pytest_collection_modifyitems(config, items):
    """Each test gets an id of its own (`_give_each_item_its_own_id`), then the order in which
    `--dist loadfile` hands files to the workers is set: files marked `waits`
    first, then the others by their number of tests, most first (xdist's own order, which
    `pytest_xdist_make_scheduler` turns off for this one).

    A `waits` file spends seconds on a server or subprocess of its own, or on a window that
    must pass in real time. Handed out last, as xdist's order would (such files hold few tests),
    it left one worker waiting alone at the end of the run; handed out first, its wait overlaps
    the other worker's work."""
    _give_each_item_its_own_id(items)
    counts = Counter(item.path for item in items)
    first = {item.path for item in items if item.get_closest_marker("waits")}
    # sorted() is stable: the tests of a file keep their order.
    items.sort(key=lambda item: (item.path not in first, -counts[item.path], str(item.path)))


def _give_each_item_its_own_id(items) -> None:
    """pytest (9.2) builds a test's id from its function's name and its parametrization, and
    schemathesis (4.32) names the operation only in the item's name ("test_api_as_client[GET
    /api/v1/pros]"): every operation of a schemathesis test had the same id. xdist hands out
    tests by id, so under `make test` each such test ran ONE of its operations. An item whose
    id is shared, and whose name carries its parameters, gets them in its id."""
    shared = {nodeid for nodeid, n in Counter(item.nodeid for item in items).items() if n > 1}
    for item in items:
        if item.nodeid not in shared:
            continue
        prefix = f"{item.originalname}["
        if item.name.startswith(prefix) and item.name.endswith("]"):
            item._id = item.parent.id.child(item.originalname).with_params(
                item.name[len(prefix) : -1]
            )


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadFileScheduling

    if config.getvalue("dist") == "loadfile":
        config.option.loadscopereorder = False  # the order of pytest_collection_modifyitems
        return LoadFileScheduling(config, log)
    return None


def pytest_report_header(config):
    instants = _pinned_instants()
    if not instants:
        return None
    return "clock: every test starts at " + ", then at ".join(i.isoformat() for i in instants)


def pytest_generate_tests(metafunc):
    instants = _pinned_instants()
    if len(instants) > 1 and "_pinned_clock" in metafunc.fixturenames:
        metafunc.parametrize(
            "_pinned_clock",
            instants,
            indirect=True,
            scope="session",
            ids=[instant.isoformat() for instant in instants],
        )


@pytest.fixture(scope="session", autouse=True)
def _pinned_clock(request):
    """With TIMZ_TEST_NOW, the whole session (module-wide data included) runs at that instant
    (with several, at the one of this test's parameter), and the clock ticks on from there.
    None without it: the real clock."""
    instants = _pinned_instants()
    instant = getattr(request, "param", instants[0] if instants else None)
    if instant is None:
        yield None
        return
    with time_machine.travel(instant, tick=True) as traveller:
        traveller.instant = instant
        yield traveller


if len(_pinned_instants()) > 1:

    @pytest.fixture(scope="session")
    def django_db_blocker(django_db_blocker, _pinned_clock):
        """pytest-django's blocker, made to depend on the instant: every fixture that touches
        the database (the test database itself, module-wide data) is torn down when the
        instant changes, and built again at the next one."""
        return django_db_blocker


@pytest.fixture(autouse=True)
def _site_language():
    """Each test starts in the site's language: a request leaves its language active in the
    thread (LocaleMiddleware activates one per request and never deactivates it), so code
    run outside a request after a German page would otherwise speak German."""
    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _test_starts_at_the_pinned_instant(_pinned_clock):
    # Each test starts at the instant itself, not at the instant plus the time the tests before
    # it took: at "23:59" every test meets 23:59, whatever its place in the run.
    if _pinned_clock is not None:
        _pinned_clock.move_to(_pinned_clock.instant)


@pytest.fixture
def travel(time_machine) -> Callable[[datetime], datetime]:
    """`travel(instant)` stops the clock at `instant` (aware) for the rest of the test and
    returns it; call it again to move on. `timezone.now()`, `time.time()` and `date.today()`
    all read it."""

    def to(instant: datetime) -> datetime:
        if instant.tzinfo is None:
            raise ValueError("travel() needs an aware datetime")
        time_machine.move_to(instant, tick=False)
        return instant

    return to


@pytest.fixture
def now(travel) -> datetime:
    """The test's start instant (real, or TIMZ_TEST_NOW's), with the clock stopped there: a
    test that builds times from `now` cannot see the date change under it."""
    return travel(timezone.now())


SCHEMA_CACHE_DIR = Path(django_settings.BASE_DIR) / "var" / "test-schema"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings):
    """pytest-django's, with the migrated SQLite test database taken from a copy when the
    migrations have not changed since it was made (`_migrated_schema_cache`)."""
    creation_class = type(connection.creation)
    with mock.patch.object(
        creation_class,
        "create_test_db",
        _migrated_schema_cache(creation_class.create_test_db),
    ):
        yield


def _migrated_schema_cache(create_test_db):
    """`create_test_db`, made to keep a copy of a freshly migrated SQLite test database under
    var/test-schema/, and to start from that copy when one exists for the same migrations.

    Migrating from nothing costs a test process 3-4 s of CPU (87 migrations, each model state
    rendered again), in every test process of every run (two in `make test`). The copy is a
    file copy; `migrate` then runs as usual and finds nothing to apply (0.2 s). The copy is
    keyed on the text of every installed app's migration files and Django's version, so any
    change to a migration (or a new one, or an upgrade of a third-party app) makes a new one.
    PostgreSQL, and a database made without migrations (`--nomigrations`, as
    `make test-instants` runs), are left alone."""

    def create(self, verbosity=1, autoclobber=False, serialize=None, keepdb=False):
        if (
            self.connection.vendor != "sqlite"
            or keepdb
            or self.is_in_memory_db(self._get_test_db_name())
            or not _migrations_on(self.connection)
        ):
            return create_test_db(self, verbosity, autoclobber, serialize, keepdb)
        copy = SCHEMA_CACHE_DIR / f"{_migrations_key()}.sqlite3"
        if _holds_migrations(copy):
            test_name = self._get_test_db_name()
            close_idle(test_name)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{test_name}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(copy, test_name)
            return create_test_db(self, verbosity, autoclobber, serialize, keepdb=True)
        name = create_test_db(self, verbosity, autoclobber, serialize, keepdb)
        _keep_schema_copy(self.connection, copy)
        return name

    return create


def _migrations_on(conn) -> bool:
    """False when the test database is made without migrations (`--nomigrations`, as
    `make test-instants` runs, or TEST["MIGRATE"] False): tables straight from the models,
    with no record of migrations, which must never be kept as the migrated copy."""
    if not conn.settings_dict.get("TEST", {}).get("MIGRATE", True):
        return False
    return all(
        MigrationLoader.migrations_module(app.label)[0] is not None
        for app in apps.get_app_configs()
        if (Path(app.path) / "migrations").is_dir()
    )


def _holds_migrations(copy: Path) -> bool:
    """Whether `copy` is a SQLite file with migrations recorded in it."""
    if not copy.exists():
        return False
    try:
        with closing(sqlite3.connect(f"file:{copy}?mode=ro", uri=True)) as kept:
            return kept.execute("SELECT COUNT(*) FROM django_migrations").fetchone()[0] > 0
    except sqlite3.Error:
        return False


def _migrations_key() -> str:
    digest = hashlib.sha256(django.get_version().encode())
    for app in apps.get_app_configs():
        for path in sorted((Path(app.path) / "migrations").glob("*.py")):
            digest.update(str(path.relative_to(app.path)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:24]


def _keep_schema_copy(conn, copy: Path) -> None:
    """A consistent copy of the database (VACUUM INTO: the WAL's pages included), written under
    a temporary name and renamed, so two processes making it at once never leave half a file;
    older copies are removed."""
    SCHEMA_CACHE_DIR.mkdir(parents=True, exist_ok=True)
    partial = copy.with_name(f"{copy.stem}.{os.getpid()}.partial")
    partial.unlink(missing_ok=True)
    with conn.cursor() as cursor:
        cursor.execute("VACUUM INTO %s", [str(partial)])
    os.replace(partial, copy)
    for old in SCHEMA_CACHE_DIR.glob("*.sqlite3"):
        if old != copy:
            old.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database, and a faster way back to it after a flush.

    A transactional test (`django_db(transaction=True)`) ends with `manage.py flush`, which
    empties every table and then emits post_migrate again to recreate the content types and
    permissions: about 0.2 s per test, nearly all of a websocket test's teardown. The rows
    migrate left (those, and any a data migration wrote) are read here once, and each flush
    puts exactly them back, one bulk insert per table, instead of emitting the signal."""
    with django_db_blocker.unblock():
        migrated = _migrated_rows()
    restore = _restore_migrated_rows(migrated)
    with mock.patch.object(flush_command, "emit_post_migrate_signal", restore):
        yield


def _migrated_rows() -> list[tuple[type, list]]:
    """Every row of the default database, table by table, in dependency order (apps and
    models as INSTALLED_APPS lists them: content types before the permissions naming them)."""
    tables = set(connection.introspection.table_names())
    found = []
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy and model._meta.db_table in tables:
            rows = list(model._base_manager.using(DEFAULT_DB_ALIAS).order_by("pk"))
            if rows:
                found.append((model, rows))
    return found


def _restore_migrated_rows(migrated):
    real_emit = flush_command.emit_post_migrate_signal

    def restore(verbosity, interactive, db, **kwargs):
        if db != DEFAULT_DB_ALIAS:
            real_emit(verbosity, interactive, db, **kwargs)
            return
        with transaction.atomic(using=db):
            for model, rows in migrated:
                model._base_manager.using(db).bulk_create(rows)

    return restore


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hasher():
    """One hasher for the whole suite: a real hash costs about half a second and no test is
    about its strength. Session-wide, so module-wide data is covered too."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(scope="session", autouse=True)
def _empty_static_root(tmp_path_factory):
    """The suite's own, empty STATIC_ROOT. WhiteNoise reads every file under STATIC_ROOT when
    its middleware is built, which the test client does for each Client: after a
    `collectstatic` into var/static (650 files, for a DEBUG-off run), the whole suite ran 60%
    slower (the authorization matrix 14 s -> 51 s). No test reads collected files from there
    (the page-weight browser test collects into its own folder)."""
    with override_settings(STATIC_ROOT=tmp_path_factory.mktemp("static-root")):
        yield


@pytest.fixture(scope="session", autouse=True)
def _stripe_retries_without_backoff():
    """The Stripe SDK still retries a request that could not reach Stripe (the gateway's
    `max_network_retries`), but at once: its backoff of 0.5 s and then about 1 s only waited,
    in every test where Stripe cannot be reached."""
    from stripe._http_client import HTTPClient

    with (
        mock.patch.object(HTTPClient, "INITIAL_DELAY", 0),
        mock.patch.object(HTTPClient, "MAX_DELAY", 0),
    ):
        yield


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    """Each test gets its own media folder, an empty cache (rate limits live there) and its
    own channel layer."""
    settings.MEDIA_ROOT = tmp_path / "media"
    _clear_cache()
    # A fresh channel layer per test: channels-redis keeps asyncio locks that bind to the event
    # loop that first used them, and a consumer cancelled mid-receive in one test's loop would
    # leave one locked for the next test's loop.
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()
    _clear_cache()


@contextmanager
def module_data(django_db_blocker) -> Iterator[None]:
    """For a module-scoped fixture: a transaction, rolled back when the block ends, in which to
    build data once for a whole module (what Django's TestCase.setUpTestData does). Each test's
    own `db` transaction is a savepoint inside it, so every test meets the data as it was built
    and none sees another's writes. Tests of such a module must all be able to run on that data.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        try:
            yield
        finally:
            transaction.set_rollback(True)


def _clear_cache():
    """Empty this test process's cache. On Redis, delete only our own key prefix: FLUSHDB
    would also wipe the counters and channel groups of the other xdist workers."""
    pagecache.forget_local()
    if not django_settings.REDIS_URL:
        cache.clear()
        return
    client = cache._cache.get_client(write=True)
    prefix = django_settings.CACHES["default"]["KEY_PREFIX"]
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


def make_user(*, email=None, role=User.Role.CLIENT, name=None, timezone="Europe/Paris", **extra):
    n = next(_seq)
    user = User.objects.create_user(
        email=email or f"user{n}@example.com", password=PASSWORD, role=role, **extra
    )
    ClientProfile.objects.create(user=user, display_name=name or f"Client {n}", timezone=timezone)
    return user


def make_category(*, name=None, slug=None):
    n = next(_seq)
    return Category.objects.create(name=name or f"Category {n}", slug=slug or f"category-{n}")


def make_pro(
    *,
    email=None,
    name=None,
    slug=None,
    category=None,
    city="Paris",
    timezone="Europe/Paris",
    **extra,
):
    n = next(_seq)
    user = make_user(
        email=email or f"pro{n}@example.com", role=User.Role.PRO, name=name, timezone=timezone
    )
    return ProProfile.objects.create(
        user=user,
        display_name=name or f"Pro {n}",
        slug=slug or f"pro-{n}",
        category=category,
        city=city,
        timezone=timezone,
        **extra,
    )


def make_service(*, pro, name=None, duration_minutes=60, price_amount=5000, currency=None, **extra):
    """A service of `pro`, priced in the pro's currency unless `currency` says otherwise."""
    n = next(_seq)
    return Service.objects.create(
        pro=pro,
        name=name or f"Service {n}",
        duration_minutes=duration_minutes,
        price_amount=price_amount,
        currency=currency or pro.currency,
        **extra,
    )


def make_booking(*, client, service, starts_at, status=Booking.Status.CONFIRMED, **extra):
    """Insert a booking row in any state with its creation event, bypassing booking_create
    (which refuses the past and checks availability): for setting up a scene, not for
    testing how bookings are made."""
    booking = Booking.from_service(
        service=service, client=client, starts_at=starts_at, status=status, **extra
    )
    booking.save(force_insert=True)
    BookingEvent.objects.create(
        booking=booking, actor=client, actor_role="client", action="create", to_status=status
    )
    return booking


def local_at(days: int, hour: int, minute: int = 0, tz: ZoneInfo = PARIS) -> datetime:
    """An aware datetime `days` calendar days after today's date in `tz`, at hour:minute there."""
    day = timezone.now().astimezone(tz).date() + timedelta(days=days)
    return datetime.combine(day, time(hour, minute)).replace(tzinfo=tz)


def set_every_day(pro, start: time = time(8), end: time = time(20)) -> None:
    """Open `pro` from `start` to `end` (their own wall clock) on every day of the week."""
    for weekday in range(7):
        booking_services.weekly_hours_set(pro=pro, weekday=weekday, intervals=[(start, end)])


def make_calendar(*, pro, url: str, name="Mine", kind="ics", **extra):
    """One of `pro`'s own calendars as stored (the address encrypted), without syncing it."""
    from urllib.parse import urlsplit

    from bookings.models import ExternalCalendar
    from timz import crypto

    return ExternalCalendar.objects.create(
        pro=pro,
        name=name,
        kind=kind,
        url_encrypted=crypto.encrypt(url),
        host=urlsplit(url).hostname or "",
        **extra,
    )


def make_open_pro(*, hours: tuple[time, time] = (time(9), time(17)), **extra) -> ProProfile:
    """A public pro (make_pro's arguments) open every day during `hours` of their own wall
    clock, booking a year ahead with no notice (the other rules: their defaults)."""
    pro = make_pro(**extra)
    set_every_day(pro, *hours)
    booking_services.booking_rules_update(pro=pro, horizon_days=365, min_notice_minutes=0)
    return pro


def book(*, client, service, days: int = 3, hour: int = 10) -> Booking:
    """Book `service` for `client` as a client would, through booking_create (availability, the
    pro's rules, a payment hold for an online service), `days` Paris dates from today at `hour`.
    """
    return booking_services.booking_create(
        client=client, service=service, starts_at=local_at(days, hour)
    )


def login(user) -> Client:
    """A test client signed in with `user`'s password, through the authentication backends."""
    http = Client()
    assert http.login(email=user.email, password=PASSWORD)
    return http


def give_totp(user, secret: str = TOTP_SECRET):
    """Give `user` an authenticator app (staff need one before the site lets them in)."""
    TOTP.activate(user, secret)
    return user


def totp_code(secret: str = TOTP_SECRET) -> str:
    """The code an authenticator app holding `secret` shows now (the test clock's now)."""
    return format_hotp_value(hotp_value(secret, int(timezone.now().timestamp()) // 30))


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """`with commit(): ...` runs the on_commit work (emails, gateway calls, file deletions) at
    the block's end, as the test's own transaction never commits."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def offline_payments(settings):
    """The offline payment backend (no Stripe keys) with the default 10 % platform fee."""
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_API_BASE = ""
    settings.STRIPE_WEBHOOK_SECRET = ""
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = ""
    settings.PLATFORM_FEE_PERCENT = "10"
    settings.PLATFORM_FEE_FIXED = 0
    settings.PLATFORM_FEE_MIN = 0
    settings.SITE_URL = "http://testserver"
    return settings


@pytest.fixture
def client_user(db):
    return make_user(email="client@example.com", name="Chloé Client")


@pytest.fixture
def other_client(db):
    return make_user(email="other-client@example.com", name="Oscar Other")


@pytest.fixture
def category(db):
    return make_category(name="Barbers", slug="barbers")


@pytest.fixture
def pro(db, category):
    return make_pro(email="pro@example.com", name="Paula Pro", slug="paula-pro", category=category)


@pytest.fixture
def other_pro(db, category):
    return make_pro(
        email="other-pro@example.com", name="Otto Other", slug="otto-other", category=category
    )


@pytest.fixture
def service(db, pro):
    return make_service(pro=pro, name="Haircut", duration_minutes=45, price_amount=3500)


@pytest.fixture
def working_pro(pro):
    """The `pro` fixture (Europe/Paris) working 08:00-20:00 every day, instant confirmation."""
    set_every_day(pro)
    return pro


@pytest.fixture
def request_mode(working_pro):
    """`working_pro`, confirming each booking request by hand."""
    booking_services.booking_rules_update(pro=working_pro, confirmation_mode="request")
    return working_pro


@pytest.fixture
def staff_user(db):
    """A superuser with an authenticator app, as staff must have (accounts.mfa)."""
    return give_totp(User.objects.create_superuser(email="admin@example.com", password=PASSWORD))
