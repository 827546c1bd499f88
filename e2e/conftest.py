"""Browser tests: a real daphne server on a free port, driven by headless Chromium.

The server runs in its own process against its own SQLite file, as a user would meet it; tests
set up data through `server.manage(...)` (a management command, as `manage.py` would run it) or
through the pages themselves. Emails go to files so a test can follow a verification link.

`make e2e` runs the files on two xdist workers (`--dist loadfile`): each worker is a session with
its own server, database and browser, and a file's tests stay together on one of them, in order.
Session and module fixtures therefore hold per worker; a test must not rely on another file's.
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from email import message_from_bytes
from pathlib import Path

import pytest

from conftest import TOTP_SECRET, totp_code

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "e2e" / "artifacts"
# Debian's chromium-headless-shell when installed (CI installs it): the same engine without the
# desktop browser's start-up, about a fifth less CPU over the browser tests; else chromium.
HEADLESS_SHELL = "/usr/bin/chromium-headless-shell"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or (
    HEADLESS_SHELL if Path(HEADLESS_SHELL).exists() else "/usr/bin/chromium"
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}

# Playwright's sync API runs an event loop in this thread; the tests never touch the ORM.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Server.manage's helper: Django set up once with the server's environment, then one command
# per line of input (a JSON list of arguments, as after `manage.py`), each answered with one
# line of JSON: whether it succeeded and what it printed. Database connections are closed after
# each command, so the helper holds no lock on the SQLite file while the server writes.
MANAGE_HELPER = """
import contextlib, io, json, sys, traceback
import django
django.setup()
from django.core.management import call_command
from django.db import connections
for line in sys.stdin:
    out, err, ok = io.StringIO(), io.StringIO(), True
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            call_command(*json.loads(line), stdout=out, stderr=err)
    except BaseException:
        ok = False
        err.write(traceback.format_exc())
    finally:
        connections.close_all()
    print(json.dumps({"ok": ok, "stdout": out.getvalue(), "stderr": err.getvalue()}), flush=True)
# Nothing is left to write: skip the interpreter's teardown of Django's modules (about 2 s of CPU
# on a loaded machine, waited for by every server's stop).
import os
os._exit(0)
"""


class Server:
    def __init__(self, workdir: Path, extra_env: dict | None = None):
        self.workdir = workdir
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.mail_dir = workdir / "mail"
        self.mail_dir.mkdir(parents=True, exist_ok=True)
        self.env = {
            **os.environ,
            # timz.settings with a fast password hasher (e2e/settings.py says why).
            "DJANGO_SETTINGS_MODULE": "e2e.settings",
            "DJANGO_DEBUG": "true",
            "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
            "MEDIA_ROOT": str(workdir / "media"),
            "EMAIL_URL": f"filemail://{self.mail_dir}",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "PYTHONUNBUFFERED": "1",
            # Scenes are written by `manage` in other processes, whose cache invalidations
            # (timz.pagecache) cannot reach this server's local-memory cache.
            "PAGE_CACHE_SECONDS": "0",
            **(extra_env or {}),
        }
        for var in ("REDIS_URL", "STRIPE_SECRET_KEY"):
            self.env.pop(var, None)
        self.proc = None
        self.helper = None

    def manage(self, *args: str) -> str:
        """Run a management command against this server's database and return what it printed
        (stdout); RuntimeError with its output if it fails. The commands run in one helper
        process kept for the server's lifetime (MANAGE_HELPER): a `manage.py` process per
        command paid Django's start-up, about 2 s of CPU, each time."""
        if self.helper is None or self.helper.poll() is not None:
            self.helper = subprocess.Popen(
                [sys.executable, "-c", MANAGE_HELPER],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        self.helper.stdin.write(json.dumps(list(args)) + "\n")
        self.helper.stdin.flush()
        line = self.helper.stdout.readline()
        if not line:
            raise RuntimeError(
                f"manage.py {' '.join(args)}: the helper died:\n{self.helper.stderr.read()}"
            )
        done = json.loads(line)
        if not done["ok"]:
            raise RuntimeError(
                f"manage.py {' '.join(args)} failed:\n{done['stdout']}\n{done['stderr']}"
            )
        return done["stdout"]

    def start(self):
        self.manage("migrate", "--no-input")
        log = open(self.workdir / "server.log", "w")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "daphne",
                "-b",
                "127.0.0.1",
                "-p",
                str(self.port),
                "timz.asgi:application",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as resp:
                    if resp.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("daphne did not start:\n" + (self.workdir / "server.log").read_text())

    def stop(self):
        # Both told at once, then waited for.
        running = []
        if self.helper and self.helper.poll() is None:
            self.helper.stdin.close()  # the helper ends at the end of its input
            running.append(self.helper)
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            running.append(self.proc)
        for process in running:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()

    def emails(self) -> list:
        """Every email sent so far, oldest first, as email.message.Message objects."""
        messages = []
        for path in sorted(self.mail_dir.glob("*.log"), key=lambda p: p.stat().st_mtime):
            for chunk in path.read_bytes().split(b"-" * 79):
                if chunk.strip():
                    messages.append(message_from_bytes(chunk.strip()))
        return messages


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("server")).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)"
        )
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, server):
    """Factory: a fresh browser context (own cookies) with a given viewport.

    Every page collects the console's Content-Security-Policy reports in `page.csp_violations`;
    a test whose pages logged any fails at teardown (the CSP is enforced with no violations)."""
    contexts = []
    pages = []

    def make(viewport=LAPTOP):
        context = browser.new_context(viewport=viewport, base_url=server.url)
        contexts.append(context)
        page = context.new_page()
        pages.append(page)
        page.csp_violations = []
        page.on(
            "console",
            lambda msg: (
                page.csp_violations.append(msg.text)
                if "Content Security Policy" in msg.text or "Content-Security-Policy" in msg.text
                else None
            ),
        )
        return page

    yield make
    for context in contexts:
        context.close()
    violations = [text for page in pages for text in page.csp_violations]
    if violations:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(violations))


DEMO_PASSWORD = "timz-demo-pass"


@pytest.fixture(scope="session")
def demo(server):
    """The `seed_demo` data set on the server (idempotent): client1..5@example.com,
    pro1..N@example.com (pro1 is Karim Benali, /p/karim-benali/), admin@example.com (staff);
    every password is DEMO_PASSWORD, every email verified."""
    server.manage("seed_demo")
    return server


def log_in(page, email: str, password: str = DEMO_PASSWORD, *, code: str | None = None):
    """Log in through the real login form; the page is left on the page it lands on. With
    `code`, answer the two-factor step with it (an authenticator app's or a recovery code)."""
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.locator("form.auth-form button[type=submit]").last.click()
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url, f"could not log in as {email}"
    if code is not None:
        assert "/accounts/2fa/authenticate/" in page.url, page.url
        page.fill("input[name=code]", code)
        page.locator("form.auth-form button[type=submit]").click()
        page.wait_for_load_state()
        assert "/accounts/2fa/authenticate/" not in page.url, f"{email}: code refused"


def setup_people(password: str) -> str:
    """Python that opens a `server.manage("shell", "-c", ...)` set-up script: it defines
    `user(email, name, role="client", tz="Europe/Paris")`, which gets or creates a verified
    account with `password` and a profile in that zone."""
    return f"""
from allauth.account.models import EmailAddress
from accounts.models import ClientProfile, User

def user(email, name, role="client", tz="Europe/Paris"):
    u = User.objects.filter(email=email).first()
    if u is None:
        u = User.objects.create_user(email=email, password={password!r}, role=role)
        ClientProfile.objects.create(user=u, display_name=name, timezone=tz)
        EmailAddress.objects.create(user=u, email=email, verified=True, primary=True)
    return u
"""


_ACCOUNT = """
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from accounts.models import ClientProfile, User
user = User.objects.filter(email={email!r}).first()
if user is None:
    user = User.objects.create_user(
        email={email!r}, password={password!r}, is_staff={staff!r}, is_superuser={staff!r}
    )
    ClientProfile.objects.create(user=user, display_name={name!r})
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
if {totp!r} and not Authenticator.objects.filter(user=user, type="totp").exists():
    TOTP.activate(user, {secret!r})
"""


def authenticator_code(secret: str = TOTP_SECRET) -> str:
    """What the authenticator app shows now, not in a window's last seconds (the server allows
    no drift, so a code typed as the window turns would be refused)."""
    left = 30 - time.time() % 30
    if left < 4:
        time.sleep(left + 0.1)
    return totp_code(secret)


def make_account(
    server, email: str, *, name: str = "Sam Smith", staff: bool = False, totp: bool = False
) -> str:
    """An account of its own for a test that changes how it signs in (the demo people are
    shared): a verified email, DEMO_PASSWORD, superuser with `staff`, and with `totp` an
    authenticator app holding TOTP_SECRET. Idempotent; returns the email."""
    script = _ACCOUNT.format(
        email=email,
        password=DEMO_PASSWORD,
        name=name,
        staff=staff,
        totp=totp,
        secret=TOTP_SECRET,
    )
    server.manage("shell", "--no-imports", "-c", script)
    return email


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
