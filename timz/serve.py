"""`make serve`: N daphne workers sharing one listening socket, as production runs them.

    .venv/bin/python -m timz.serve [--host 127.0.0.1] [--port 8000] [--workers 2]

The parent opens and binds the TCP socket once, then starts N `daphne --fd` processes that
all accept on it: the kernel hands each new connection to one idle worker, so the workers
share the load without a proxy in front (the pre-fork model of gunicorn; no extra package).
Each worker is a full daphne: HTTP, the API and websockets. Several workers need Redis
(`REDIS_URL`) for the cache and the channel layer, as docs/deploy.md explains.

SIGINT/SIGTERM stop every worker; if one worker dies, the others are stopped too and the exit
status is the dead worker's, so a supervisor (systemd, `make`) sees the failure and restarts
the whole set.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

DAPHNE = Path(sys.executable).with_name("daphne")


def listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


def worker_command(fd: int, extra: list[str]) -> list[str]:
    return [str(DAPHNE), "--fd", str(fd), *extra, "timz.asgi:application"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WORKERS", "2")))
    args, extra = parser.parse_known_args(argv)
    if not 1 <= args.workers <= 64:
        parser.error("--workers must be between 1 and 64.")
    if args.workers > 1 and not os.environ.get("REDIS_URL"):
        print(
            "warning: several workers without REDIS_URL each keep their own cache and chat "
            "layer (cached pages go stale between them, chat does not cross); set REDIS_URL.",
            file=sys.stderr,
        )

    sock = listening_socket(args.host, args.port)
    fd = sock.fileno()
    workers = [
        subprocess.Popen(worker_command(fd, extra), pass_fds=(fd,)) for _ in range(args.workers)
    ]
    print(
        f"timz.serve: {args.workers} daphne worker(s) on http://{args.host}:{args.port} "
        f"(pids {', '.join(str(w.pid) for w in workers)})",
        flush=True,
    )

    stopping = False

    def stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    status = 0
    try:
        while not stopping:
            dead = [w for w in workers if w.poll() is not None]
            if dead:
                status = dead[0].returncode or 1
                print(f"timz.serve: worker {dead[0].pid} exited ({status}); stopping", flush=True)
                break
            time.sleep(0.5)
    finally:
        for w in workers:
            if w.poll() is None:
                w.terminate()
        for w in workers:
            try:
                w.wait(timeout=10)
            except subprocess.TimeoutExpired:
                w.kill()
        sock.close()
    return status


if __name__ == "__main__":
    sys.exit(main())
