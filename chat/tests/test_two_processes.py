"""Two daphne processes sharing Redis deliver to each other's users (channels-redis).

Runs in the PostgreSQL/Redis stage only (REDIS_URL set): the SQLite stage has no Redis. The
servers use this test's database (a transactional test, so they see its committed rows) and
real session cookies; the sockets are opened with the `websockets` client library.
"""

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from websockets.asyncio.client import connect

from chat.models import Message
from chat.tests.conftest import session_cookie

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL"), reason="needs Redis (REDIS_URL): PostgreSQL/Redis stage"
    ),
    pytest.mark.django_db(transaction=True),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url() -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    auth = db.get("USER") or ""
    if db.get("PASSWORD"):
        auth += f":{db['PASSWORD']}"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{auth}@{host}:{port}/{db['NAME']}"


class Daphne:
    def __init__(self, log_dir: Path):
        self.port = _free_port()
        self.log = open(log_dir / f"daphne-{self.port}.log", "w")  # noqa: SIM115
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "timz.settings",
            "DATABASE_URL": _database_url(),
            "REDIS_URL": os.environ["REDIS_URL"],
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "PYTHONUNBUFFERED": "1",
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
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"daphne on {self.port} did not start: see {self.log.name}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()

    def ws(self, path: str, session_key: str):
        return connect(
            f"ws://127.0.0.1:{self.port}{path}",
            origin=f"http://127.0.0.1:{self.port}",
            additional_headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={session_key}"},
            open_timeout=10,
        )


@pytest.fixture(scope="module")
def two_servers(django_db_setup, django_db_blocker, tmp_path_factory):
    # The servers only need the test database's name, which is fixed for the whole module.
    log_dir = tmp_path_factory.mktemp("daphne")
    servers = [Daphne(log_dir), Daphne(log_dir)]
    try:
        for server in servers:
            server.wait_ready()
        yield servers
    finally:
        for server in servers:
            server.stop()


async def _next(ws, kind: str, timeout: float = 5) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), deadline - time.monotonic()))
        if frame["type"] == kind:
            return frame


def test_messages_cross_between_two_daphne_processes(two_servers, conversation, client_user, pro):
    server_a, server_b = two_servers
    client_key, pro_key = session_cookie(client_user), session_cookie(pro.user)
    path = f"/ws/chat/{conversation.pk}/"

    async def scenario():
        async with (
            server_a.ws(path, client_key) as client_ws,
            server_b.ws(path, pro_key) as pro_ws,
            server_a.ws("/ws/notifications/", pro_key) as pro_page,
        ):
            assert await _next(pro_page, "unread") == {"type": "unread", "count": 0}
            await client_ws.send(json.dumps({"type": "message", "body": "Across processes"}))
            to_pro = await _next(pro_ws, "message")
            unread = await _next(pro_page, "unread")
            await pro_ws.send(json.dumps({"type": "read", "up_to": to_pro["id"]}))
            receipt = await _next(client_ws, "read")
            await pro_ws.send(json.dumps({"type": "message", "body": "And back"}))
            to_client = await _next(client_ws, "message")
            return to_pro, unread, receipt, to_client

    to_pro, unread, receipt, to_client = asyncio.run(scenario())

    assert to_pro["body"] == "Across processes"
    assert to_pro["sender"] == client_user.pk
    assert unread == {"type": "unread", "count": 1}
    assert receipt == {"type": "read", "up_to": to_pro["id"], "by": pro.user.pk}
    assert to_client["body"] == "And back"
    assert to_client["sender"] == pro.user.pk
    saved = Message.objects.get(pk=to_pro["id"])
    assert saved.read_at is not None
    assert Message.objects.count() == 2


def test_refusals_reach_a_real_client_as_close_codes(two_servers, conversation, other_client):
    server_a, _ = two_servers
    outsider_key = session_cookie(other_client)

    async def scenario():
        async with server_a.ws(f"/ws/chat/{conversation.pk}/", outsider_key) as ws:
            await asyncio.wait_for(ws.wait_closed(), 5)
            return ws.close_code

    assert asyncio.run(scenario()) == 4403
