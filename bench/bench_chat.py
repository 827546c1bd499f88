"""Chat benchmark (run by `make bench`): message round-trip through daphne, and idle sockets.

1. One daphne process, in-memory channel layer: N messages, one at a time; each is timed from
   the sender's `send` until the recipient's socket receives it (the message is saved before it
   is sent to the group, so every measured message is in the database).
2. Two daphne processes sharing Redis (when a Redis answers on 127.0.0.1:6379): senders on one
   process, recipients on the other.
3. 500 idle, authenticated conversation sockets held by one process, with its resident memory
   (VmRSS from /proc/<pid>/status) before and after.

The database is a scratch SQLite file under var/bench/, migrated and filled by this script. The
senders rotate over several clients so that the per-sender rate limit (20 messages / 10 s) is
never what is measured.
"""

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parent.parent
WORKDIR = ROOT / "var" / "bench"
DB_PATH = WORKDIR / "chat.sqlite3"
N_MESSAGES = int(os.environ.get("BENCH_CHAT_MESSAGES", 300))
IDLE_SOCKETS = int(os.environ.get("BENCH_CHAT_SOCKETS", 500))
SENDERS = 20  # 300 / 20 = 15 messages per sender: under the 20-in-10-s limit
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"

SETUP = """
import json
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from accounts.models import ClientProfile, ProProfile, User
from chat.models import Conversation

def session(user):
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "accounts.auth_backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key

pro_user = User.objects.create_user(email="bench-pro@example.com", password="x", role="pro")
ClientProfile.objects.create(user=pro_user, display_name="Bench Pro")
pro = ProProfile.objects.create(user=pro_user, display_name="Bench Pro", slug="bench-pro")
pairs = []
for n in range(%(clients)d):
    client = User.objects.create_user(email=f"bench-client{n}@example.com", password="x")
    ClientProfile.objects.create(user=client, display_name=f"Client {n}")
    conversation = Conversation.objects.create(client=client, pro=pro, pro_user=pro_user)
    pairs.append({"conversation": conversation.pk, "client": session(client)})
print(json.dumps({"pro": session(pro_user), "pairs": pairs}))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def base_env(redis: bool, persistent: bool = True) -> dict:
    # Persistent connections: closing the last connection to a WAL database checkpoints it,
    # which costs 10-500 ms per message when every consumer call reconnects (CONN_MAX_AGE=0).
    query = "?conn_max_age=600" if persistent else ""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "timz.settings",
        "DATABASE_URL": f"sqlite:///{DB_PATH}{query}",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        "CHANNEL_LAYER_PREFIX": "timz-bench",
        "CACHE_KEY_PREFIX": "timz-bench",
    }
    env.pop("REDIS_URL", None)
    if redis:
        env["REDIS_URL"] = REDIS_URL
    return env


def manage(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=base_env(redis=False),
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode:
        raise SystemExit(f"manage.py {args[0]} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


class Daphne:
    def __init__(self, *, redis: bool, persistent: bool = True):
        self.port = free_port()
        self.log = open(WORKDIR / f"daphne-{self.port}.log", "w")  # noqa: SIM115
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
            env=base_env(redis=redis, persistent=persistent),
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2):
                    return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.2)
        self.stop()
        raise SystemExit(f"daphne did not start, see {self.log.name}")

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def ws(self, path: str, session_key: str):
        return connect(
            f"ws://127.0.0.1:{self.port}{path}",
            origin=f"http://127.0.0.1:{self.port}",
            additional_headers={"Cookie": f"sessionid={session_key}"},
            open_timeout=30,
            max_queue=None,
        )

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


async def next_message(ws) -> dict:
    while True:
        frame = json.loads(await ws.recv())
        if frame["type"] == "message":
            return frame


async def round_trips(sender_server, recipient_server, pairs, pro_key, n) -> list[float]:
    """Milliseconds from send to the recipient's receive, for n messages one at a time."""
    senders = [await sender_server.ws(f"/ws/chat/{p['conversation']}/", p["client"]) for p in pairs]
    recipients = [
        await recipient_server.ws(f"/ws/chat/{p['conversation']}/", pro_key) for p in pairs
    ]
    timings = []
    try:
        for i in range(n + 10):  # the first 10 warm up connections and caches
            k = i % len(pairs)
            body = f"bench message {i}"
            start = time.perf_counter()
            await senders[k].send(json.dumps({"type": "message", "body": body}))
            frame = await asyncio.wait_for(next_message(recipients[k]), 10)
            elapsed = (time.perf_counter() - start) * 1000
            assert frame["body"] == body, frame
            await asyncio.wait_for(next_message(senders[k]), 10)  # the sender's own echo
            if i >= 10:
                timings.append(elapsed)
    finally:
        for ws in senders + recipients:
            await ws.close()
    return timings


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


async def idle_sockets(server, pairs, n) -> tuple[float, float, int]:
    before = server.rss_mb()
    sockets = []
    try:
        for i in range(n):
            p = pairs[i % len(pairs)]
            sockets.append(await server.ws(f"/ws/chat/{p['conversation']}/", p["client"]))
        await asyncio.sleep(1)
        open_count = sum(1 for ws in sockets if ws.state.name == "OPEN")
        after = server.rss_mb()
    finally:
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    return before, after, open_count


def redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def main() -> None:
    WORKDIR.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DB_PATH}{suffix}").unlink(missing_ok=True)
    manage("migrate", "--no-input")
    data = json.loads(manage("shell", "-c", SETUP % {"clients": SENDERS * 3}).splitlines()[-1])
    pairs, pro_key = data["pairs"], data["pro"]
    rows = []

    one = Daphne(redis=False)
    try:
        timings = asyncio.run(round_trips(one, one, pairs[:SENDERS], pro_key, N_MESSAGES))
        rows.append(("1 process, in-memory layer", len(timings), timings, 10))
        before, after, opened = asyncio.run(idle_sockets(one, pairs, IDLE_SOCKETS))
    finally:
        one.stop()

    if redis_answers():
        a, b = Daphne(redis=True), Daphne(redis=True)
        try:
            timings = asyncio.run(
                round_trips(a, b, pairs[SENDERS : 2 * SENDERS], pro_key, N_MESSAGES)
            )
            rows.append(("2 processes, Redis layer", len(timings), timings, 15))
        finally:
            a.stop()
            b.stop()
    else:
        rows.append(("2 processes, Redis layer", 0, None, 15))

    # For comparison: the same single process with a new database connection per call.
    plain = Daphne(redis=False, persistent=False)
    try:
        timings = asyncio.run(
            round_trips(plain, plain, pairs[2 * SENDERS :], pro_key, min(N_MESSAGES, 100))
        )
        rows.append(("1 process, CONN_MAX_AGE=0", len(timings), timings, 10))
    finally:
        plain.stop()

    print(
        f"{'message round-trip (saved)':<30} {'n':>5} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}"
        f"  target"
    )
    for name, n, timings, target in rows:
        if timings is None:
            print(f"{name:<30} {'skipped: no Redis':>33}")
            continue
        p50, p99 = statistics.median(timings), percentile(timings, 99)
        verdict = "ok" if p99 < target else "MISSED"
        print(
            f"{name:<30} {n:>5} {p50:>8.2f} {p99:>8.2f} {max(timings):>8.2f}"
            f"  p99 < {target} ms: {verdict}"
        )
    print()
    per_socket = (after - before) * 1024 / max(opened, 1)
    print(
        f"{'idle sockets, one process':<30} {'open':>5} {'RSS before':>11} {'RSS after':>10}"
        f" {'per socket':>11}"
    )
    print(
        f"{'':<30} {opened:>5} {before:>8.1f} MB {after:>7.1f} MB {per_socket:>8.1f} KB"
        f"  target 500: {'ok' if opened >= 500 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
