"""Real server processes for the multi-process tests (PostgreSQL/Redis stage of CI).

`Daphne` starts `daphne timz.asgi:application` on a free port with the test's own database and
a Redis URL, waits for /healthz, and talks to it like a browser would: websockets with a session
cookie (the `websockets` client library) and HTTP with the session and CSRF cookies (urllib).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import connections
from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url() -> str:
    """DATABASE_URL of the database the tests run on (the test database once it is set up)."""
    db = settings.DATABASES["default"]
    if connections["default"].vendor == "sqlite":  # Django's backend or timz.db.sqlite3
        return f"sqlite:///{db['NAME']}"
    auth = db.get("USER") or ""
    if db.get("PASSWORD"):
        auth += f":{db['PASSWORD']}"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{auth}@{host}:{port}/{db['NAME']}"


def redis_url_with_db(url: str, db: int) -> str:
    """`url` pointing at Redis database number `db` instead of its own."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{db}"))


def private_redis_url() -> str:
    """A Redis database out of reach of the suite's cache.clear().

    The root conftest empties the cache around every test, and with REDIS_URL that is FLUSHDB
    of the suite's Redis database, issued by every pytest-xdist worker: it would wipe the
    channel layer's groups and the rate-limit counters under another worker's running test.
    SCALE_TEST_REDIS_URL if set, else the same server with the next database number (the
    users of this pick their keys with a unique prefix and never flush it).
    """
    if os.environ.get("SCALE_TEST_REDIS_URL"):
        return os.environ["SCALE_TEST_REDIS_URL"]
    suite = os.environ["REDIS_URL"]
    number = urlsplit(suite).path.strip("/") or "0"
    return redis_url_with_db(suite, (int(number) + 1) % 16)


@dataclass
class HttpAnswer:
    status: int
    body: bytes
    headers: Message

    def json(self):
        return json.loads(self.body)


class Daphne:
    """One daphne process serving timz.asgi:application on 127.0.0.1:<free port>."""

    def __init__(self, log_dir: Path, *, redis_url: str | None = None, env: dict | None = None):
        self.port = free_port()
        self.log = open(log_dir / f"daphne-{self.port}.log", "w")  # noqa: SIM115
        process_env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "timz.settings",
            "DATABASE_URL": database_url(),
            "REDIS_URL": redis_url or os.environ["REDIS_URL"],
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "PYTHONUNBUFFERED": "1",
            # The test process writes the rows under its own cache prefix: its invalidations
            # (timz.pagecache) would not reach these servers' cached pages.
            "PAGE_CACHE_SECONDS": "0",
            **(env or {}),
        }
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
            env=process_env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"{self.origin}/healthz", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"daphne on {self.port} did not start: see {self.log.name}")

    def terminate(self):
        """Ask the server to stop, without waiting (see `stop`)."""
        if self.proc.poll() is None:
            self.proc.terminate()

    def stop(self):
        self.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.log.close()

    def ws(self, path: str, session_key: str):
        return connect(
            f"ws://127.0.0.1:{self.port}{path}",
            origin=self.origin,
            additional_headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={session_key}"},
            open_timeout=10,
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        cookies: dict | None = None,
        headers: dict | None = None,
        json_body=None,
        timeout: float = 30,
    ) -> HttpAnswer:
        """One HTTP request; 4xx/5xx answers are returned, not raised."""
        data = None
        all_headers = dict(headers or {})
        if cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        if json_body is not None:
            data = json.dumps(json_body).encode()
            all_headers["Content-Type"] = "application/json"
        req = urllib.request.Request(
            f"{self.origin}{path}", data=data, method=method, headers=all_headers
        )
        try:
            with urllib.request.urlopen(req, timeout=timeout) as answer:
                return HttpAnswer(answer.status, answer.read(), answer.headers)
        except urllib.error.HTTPError as answer:
            return HttpAnswer(answer.code, answer.read(), answer.headers)

    def browser_cookies(self, session_key: str) -> dict:
        """Session plus the CSRF cookie the server hands a logged-in user on the home page."""
        cookies = {settings.SESSION_COOKIE_NAME: session_key}
        answer = self.request("GET", "/", cookies=cookies)
        assert answer.status == 200, answer.status
        set_cookie = " ".join(answer.headers.get_all("Set-Cookie") or [])
        match = re.search(rf"{settings.CSRF_COOKIE_NAME}=([A-Za-z0-9]+)", set_cookie)
        assert match, f"no CSRF cookie in {set_cookie!r}"
        cookies[settings.CSRF_COOKIE_NAME] = match.group(1)
        return cookies

    def post_json(self, path: str, payload, *, cookies: dict) -> HttpAnswer:
        """An API POST as the browser's JavaScript sends it: cookies plus the X-CSRFToken."""
        return self.request(
            "POST",
            path,
            cookies=cookies,
            headers={"X-CSRFToken": cookies[settings.CSRF_COOKIE_NAME]},
            json_body=payload,
        )


@contextmanager
def running_servers(count: int, log_dir: Path, **options):
    """`count` Daphne processes, ready, stopped on exit whatever happens."""
    servers = []
    try:
        for _ in range(count):
            servers.append(Daphne(log_dir, **options))
        for server in servers:
            server.wait_ready()
        yield servers
    finally:
        # Told together, then waited for: each takes a moment to close its sockets.
        for server in servers:
            server.terminate()
        for server in servers:
            server.stop()


async def next_frame(ws, kind: str, timeout: float = 5) -> dict:
    """The next JSON frame of type `kind` on `ws` (frames of other types are skipped)."""
    deadline = time.monotonic() + timeout
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), deadline - time.monotonic()))
        if frame["type"] == kind:
            return frame
