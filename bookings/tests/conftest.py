"""Local calendar servers for the calendar sync tests (bookings/tests/test_calendar_*.py).

- ``ics_server``: a threaded http.server on 127.0.0.1 serving ICS feeds set by the test, with
  ETag / Last-Modified, answering 304 to a matching If-None-Match or If-Modified-Since; it keeps
  the headers of every request it got.
- ``radicale``: a real CalDAV server. ``TIMZ_RADICALE_URL`` names one already running (``.ci/run``
  starts one for stage 2, with the user and password below); else one is started for the
  session as a subprocess on a free port, with a temporary storage folder and plain htpasswd
  authentication, so ``make test`` needs nothing but requirements-dev.
- ``private_hosts``: calendar URLs may point at loopback (these servers); never in production.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from base64 import b64encode
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import urllib3

RADICALE_USER = "timz"
RADICALE_PASSWORD = "timz-radicale-pass"


@pytest.fixture
def private_hosts(settings):
    settings.CALENDAR_ALLOW_PRIVATE_HOSTS = True


@dataclass
class Feed:
    body: bytes
    etag: str
    last_modified: str
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


class ICSServer:
    def __init__(self):
        self.feeds: dict[str, Feed] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server.requests.append((self.path, dict(self.headers)))
                feed = server.feeds.get(self.path)
                if feed is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if feed.status != 200:
                    self.send_response(feed.status)
                    for name, value in feed.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if self.headers.get("If-None-Match") == feed.etag or (
                    self.headers.get("If-Modified-Since") == feed.last_modified
                    and "If-None-Match" not in self.headers
                ):
                    self.send_response(304)
                    self.send_header("ETag", feed.etag)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/calendar; charset=utf-8")
                self.send_header("ETag", feed.etag)
                self.send_header("Last-Modified", feed.last_modified)
                self.send_header("Content-Length", str(len(feed.body)))
                self.end_headers()
                self.wfile.write(feed.body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        # A short poll interval: shutdown() waits for serve_forever's next poll (0.5 s by
        # default), and a test module stops dozens of these servers.
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def serve(self, path: str, body: str | bytes) -> str:
        """Serve `body` at `path` (a new ETag each time it changes); returns the URL."""
        data = body.encode() if isinstance(body, str) else body
        self.feeds[path] = Feed(data, f'"{uuid.uuid4().hex}"', formatdate(time.time(), usegmt=True))
        return self.base + path

    def redirect(self, path: str, location: str) -> str:
        self.feeds[path] = Feed(b"", "", "", status=302, headers={"Location": location})
        return self.base + path

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def ics_server():
    server = ICSServer()
    yield server
    server.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Radicale:
    """A CalDAV server and a few writes to fill it (the test's side, not Timz's)."""

    def __init__(self, url: str):
        self.url = url.rstrip("/") + "/"
        token = b64encode(f"{RADICALE_USER}:{RADICALE_PASSWORD}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}"}
        self.http = urllib3.PoolManager(retries=False, timeout=10)

    def new_calendar(self) -> str:
        """A new, empty calendar collection; returns its URL."""
        url = f"{self.url}{RADICALE_USER}/{uuid.uuid4().hex}/"
        body = (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
            "<D:set><D:prop><D:displayname>Test</D:displayname></D:prop></D:set>"
            "</C:mkcalendar>"
        )
        answer = self.http.request("MKCALENDAR", url, body=body, headers=self.headers)
        assert answer.status == 201, answer.data
        return url

    def put(self, calendar_url: str, ics: str) -> None:
        url = f"{calendar_url}{uuid.uuid4().hex}.ics"
        headers = {**self.headers, "Content-Type": "text/calendar; charset=utf-8"}
        answer = self.http.request("PUT", url, body=ics.encode(), headers=headers)
        assert answer.status in (201, 204), answer.data


def _wait_for(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("Radicale stopped at start-up")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("Radicale did not start in 30 s")


@pytest.fixture(scope="session")
def radicale(tmp_path_factory):
    if os.environ.get("TIMZ_RADICALE_URL"):
        yield Radicale(os.environ["TIMZ_RADICALE_URL"])
        return
    folder = tmp_path_factory.mktemp("radicale")
    users = folder / "users"
    users.write_text(f"{RADICALE_USER}:{RADICALE_PASSWORD}\n")
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "radicale",
            "--config",
            "",
            "--server-hosts",
            f"127.0.0.1:{port}",
            "--storage-filesystem-folder",
            str(folder / "collections"),
            "--auth-type",
            "htpasswd",
            "--auth-htpasswd-filename",
            str(users),
            "--auth-htpasswd-encryption",
            "plain",
            # Radicale waits a second before answering a wrong password (against guessing);
            # the tests that send one need no such wait.
            "--auth-delay",
            "0",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(port, process)
        yield Radicale(f"http://127.0.0.1:{port}/")
    finally:
        process.terminate()
        process.wait(timeout=10)
