"""`make serve` (timz.serve): N daphne workers answer on one port and stop together."""

import http.client
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from timz.tests.processes import free_port

pytestmark = pytest.mark.waits  # daphne workers starting

ROOT = Path(__file__).resolve().parents[2]


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _get(port: int, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    finally:
        conn.close()


def test_two_workers_share_one_port_and_stop_together(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)  # the warning path; the workers need nothing shared here
    server = subprocess.Popen(
        [sys.executable, "-m", "timz.serve", "--port", str(port), "--workers", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                status = _get(port, "/favicon.ico")
                break
            except OSError:
                assert server.poll() is None, server.stdout.read()
                assert time.monotonic() < deadline, "the workers did not start in 90 s"
                time.sleep(0.5)
        assert status in (200, 301, 302)
        workers = _children(server.pid)
        assert len(workers) == 2
        statuses = {_get(port, "/favicon.ico") for _ in range(10)}
        assert statuses == {status}
    finally:
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=30)
    assert code == 0
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)
