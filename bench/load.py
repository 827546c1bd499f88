"""`make bench-load`: a bounded load generator for a Timz server that is already running.

    .venv/bin/python bench/load.py [--url http://127.0.0.1:8000] [--connections 16] [--duration 5]

For each target it keeps `--connections` HTTP/1.1 keep-alive connections busy for `--duration`
seconds (or until `--max-requests`), then prints requests per second, p50/p99 latency and the
throughput as a share of the ceiling: a bare "hello" view served by the same server
(/bench/hello, mounted when DEBUG is on or BENCH_HELLO=1).

Targets: the home page with a search, a pro page, the slots endpoint and booking creation
(POST /api/v1/bookings as the demo clients client1..5@example.com, each request a different free
slot of the listed pros' next `--booking-days` days). Booking creation WRITES bookings: point it
at a scratch database, never at real data (`--skip-bookings` leaves it out). Once measured, the
bookings it made are cancelled (untimed), so the next run finds the same free time
(`--keep-bookings` leaves them). A target the server does not have yet (404) prints "n/a".

`--server-pid PID` (the `python -m timz.serve` parent, or one daphne) adds the CPU time that
process and its descendants (the workers; on SQLite the database's work too) spent per request
of each target, read from /proc before and after it: steadier than req/s on a shared machine.

Safety: only loopback URLs (127.0.0.0/8, ::1, localhost) are accepted, every target is bounded
in time and in requests, and the client is plain asyncio streams (no dependency).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import json
import math
import os
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import quote, urlencode, urlsplit

DEMO_PASSWORD = "timz-demo-pass"
DEMO_CLIENTS = [f"client{n}@example.com" for n in range(1, 6)]
USER_AGENT = "timz-bench-load/1"
# Hard ceilings whatever the flags say: the tool must stay a short, polite run.
MAX_DURATION = 60.0
MAX_CONNECTIONS = 256


# --- Pure parts (tested in timz/tests/test_load_tool.py)


def check_loopback_url(url: str) -> tuple[str, int, str]:
    """(host, port, path prefix) of an http:// URL on this machine; ValueError otherwise."""
    parts = urlsplit(url.strip())
    if parts.scheme != "http":
        raise ValueError(f"{url!r}: only http:// URLs are supported (a local server, no TLS).")
    host = parts.hostname
    if not host:
        raise ValueError(f"{url!r}: no host.")
    if host != "localhost":
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            raise ValueError(
                f"{url!r}: {host} is not a loopback address; bench-load only drives a server "
                "on this machine (127.0.0.1, ::1 or localhost)."
            ) from None
        if not address.is_loopback:
            raise ValueError(
                f"{url!r}: {host} is not a loopback address; bench-load only drives a server "
                "on this machine (127.0.0.1, ::1 or localhost)."
            )
    try:
        port = parts.port or 80
    except ValueError:
        raise ValueError(f"{url!r}: the port is not a number between 0 and 65535.") from None
    return host, port, parts.path.rstrip("/")


def percentile(values: list[float], p: float) -> float | None:
    """The p-th percentile (0-100) by the nearest-rank method; None for no values.

    Nearest rank: the smallest value such that at least p% of the values are <= it. It is
    always one of the measured values (no interpolation between two requests).
    """
    if not 0 <= p <= 100:
        raise ValueError("p must be between 0 and 100.")
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Result:
    name: str
    requests: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds, one per completed request
    statuses: Counter = field(default_factory=Counter)  # HTTP status (or "error") -> count
    note: str = ""  # why a target is n/a, or a remark (e.g. slots ran out)
    available: bool = True
    cpu_seconds: float | None = None  # the server's CPU time over the run (--server-pid)

    @property
    def cpu_ms_per_request(self) -> float | None:
        if self.cpu_seconds is None or not self.requests:
            return None
        return self.cpu_seconds * 1000 / self.requests

    @property
    def rps(self) -> float | None:
        if not self.available or self.seconds <= 0 or not self.requests:
            return None
        return self.requests / self.seconds


def _ms(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds * 1000:.1f}"


def _statuses(counter: Counter) -> str:
    return " ".join(f"{code}×{n}" for code, n in sorted(counter.items(), key=lambda kv: str(kv[0])))


def format_table(results: list[Result], ceiling: Result | None) -> str:
    """A fixed-width table: one row per target; the share column is rps / ceiling rps."""
    ceiling_rps = ceiling.rps if ceiling else None
    with_cpu = any(r.cpu_seconds is not None for r in results)
    header = ("target", "requests", "req/s", "p50 ms", "p99 ms", "of ceiling")
    header += ("CPU ms/req",) * with_cpu + ("statuses / note",)
    rows = []
    for r in results:
        if not r.available:
            rows.append((r.name, *["n/a"] * (len(header) - 2), r.note))
            continue
        rps = r.rps
        share = f"{rps / ceiling_rps:.0%}" if rps is not None and ceiling_rps else "n/a"
        cpu = r.cpu_ms_per_request
        details = _statuses(r.statuses) + (f" ({r.note})" if r.note else "")
        rows.append(
            (
                r.name,
                str(r.requests),
                "n/a" if rps is None else f"{rps:.1f}",
                _ms(percentile(r.latencies, 50)),
                _ms(percentile(r.latencies, 99)),
                share,
                *(("n/a" if cpu is None else f"{cpu:.2f}",) * with_cpu),
                details,
            )
        )
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header) - 1)]
    lines = []
    for row in [header, *rows]:
        cells = [str(row[0]).ljust(widths[0])]
        cells += [str(row[i]).rjust(widths[i]) for i in range(1, len(widths))]
        lines.append("  ".join(cells) + "  " + str(row[-1]))
    lines.insert(1, "-" * max(len(line) for line in lines))
    return "\n".join(lines)


def pick_booking_slots(
    offers: list[tuple[int, int, list[datetime]]],
    clients: int,
    limit: int,
    taken: list[list[tuple[datetime, datetime]]] | None = None,
    gap_minutes: int = 0,
) -> list[tuple[int, int, datetime]]:
    """Choose up to `limit` bookings (client index, service id, start) that cannot collide.

    `offers` are (service id, duration minutes, free starts) per pro; `taken` the (start, end)
    of each client's active bookings already on the server. Starts of one pro are kept only if
    they begin `gap_minutes` or more after the end of the previous one kept (a pro's buffer
    between bookings is not in the API: the gap covers it); each start goes to a client that
    has nothing overlapping it. Pros are interleaved so that concurrent requests hit different
    pros. Any 409 the server then answers is a real conflict, not the tool's doing.
    """
    per_pro = []
    for service_id, minutes, starts in offers:
        kept, free_from = [], None
        for start in sorted(starts):
            if free_from is None or start >= free_from:
                kept.append((service_id, start, start + timedelta(minutes=minutes)))
                free_from = start + timedelta(minutes=minutes + gap_minutes)
        per_pro.append(kept)
    busy = [list(taken[who]) if taken else [] for who in range(clients)]
    chosen = []
    for round_ in range(max((len(k) for k in per_pro), default=0)):
        for kept in per_pro:
            if round_ >= len(kept) or len(chosen) >= limit:
                continue
            service_id, start, end = kept[round_]
            for who in range(clients):
                if all(end <= b_start or start >= b_end for b_start, b_end in busy[who]):
                    busy[who].append((start, end))
                    chosen.append((who, service_id, start))
                    break
    return chosen


def process_tree_cpu(pid: int, proc: str = "/proc") -> float:
    """CPU seconds (user + system) spent so far by process `pid` and its live descendants, from
    /proc/<pid>/stat (fields 14 and 15, in clock ticks; the name in parentheses may hold
    spaces). OSError when `pid` is not running."""
    ticks = os.sysconf("SC_CLK_TCK")
    stats = {}
    for entry in os.listdir(proc):
        if entry.isdigit():
            try:
                with open(f"{proc}/{entry}/stat") as f:
                    stats[int(entry)] = f.read()
            except OSError:
                continue  # gone meanwhile
    if pid not in stats:
        raise OSError(f"no process {pid}")
    children: dict[int, list[int]] = {}
    fields = {}
    for each, line in stats.items():
        rest = line[line.rindex(")") + 2 :].split()
        fields[each] = rest
        children.setdefault(int(rest[1]), []).append(each)  # rest[1] is the parent's pid
    total, todo = 0, [pid]
    while todo:
        each = todo.pop()
        total += int(fields[each][11]) + int(fields[each][12])  # utime, stime
        todo += children.get(each, [])
    return total / ticks


# --- A minimal HTTP/1.1 keep-alive client on asyncio streams


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k == name), None)

    def cookies(self) -> dict[str, str]:
        jar = {}
        for key, value in self.headers:
            if key == "set-cookie":
                pair = value.split(";", 1)[0]
                if "=" in pair:
                    name, _, val = pair.partition("=")
                    jar[name.strip()] = val.strip().strip('"')
        return jar

    def json(self):
        return json.loads(self.body)


class Connection:
    def __init__(self, host: str, port: int):
        # "localhost" is connected as 127.0.0.1: the name is never looked up.
        self.host, self.port = ("127.0.0.1" if host == "localhost" else host), port
        self.host_header = f"{host}:{port}" if ":" not in host else f"[{host}]:{port}"
        self.reader = self.writer = None

    async def close(self):
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def request(
        self, method: str, path: str, *, headers: dict | None = None, body: bytes = b""
    ) -> Response:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(
                self.host, self.port, limit=1 << 20
            )
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: {self.host_header}",
            f"User-Agent: {USER_AGENT}",
            "Accept: */*",
            "Connection: keep-alive",
        ]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        if body or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        try:
            return await self._read_response(method)
        except (asyncio.IncompleteReadError, ConnectionError):
            await self.close()
            raise

    async def _read_response(self, method: str) -> Response:
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        headers = []
        for line in header_lines:
            if ":" in line:
                key, _, value = line.partition(":")
                headers.append((key.strip().lower(), value.strip()))
        response = Response(status, headers, b"")
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            body = b""
        elif (response.header("transfer-encoding") or "").lower() == "chunked":
            body = await self._read_chunked()
        elif response.header("content-length") is not None:
            body = await self.reader.readexactly(int(response.header("content-length")))
        else:  # delimited by the end of the connection
            body = await self.reader.read()
            await self.close()
        response.body = body
        if (response.header("connection") or "").lower() == "close":
            await self.close()
        return response

    async def _read_chunked(self) -> bytes:
        parts = []
        while True:
            size = int((await self.reader.readline()).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while (await self.reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)


# --- Setting up the targets (not timed)


@dataclass
class Request:
    method: str
    path: str
    headers: dict = field(default_factory=dict)
    body: bytes = b""
    session: Session | None = None  # who sends it (booking creation)


@dataclass
class Session:
    email: str
    cookies: dict

    def headers(self) -> dict:
        return {
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            "X-CSRFToken": self.cookies.get("csrftoken", ""),
        }


async def log_in(conn: Connection, prefix: str, email: str, password: str) -> Session | None:
    """Log in through the allauth form like a browser: GET for the CSRF cookie, POST the form."""
    page = await conn.request("GET", f"{prefix}/accounts/login/")
    if page.status != 200:
        return None
    cookies = page.cookies()
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
    if not token or "csrftoken" not in cookies:
        return None
    form = urlencode(
        {"login": email, "password": password, "csrfmiddlewaretoken": token.group(1).decode()}
    ).encode()
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    answer = await conn.request(
        "POST",
        f"{prefix}/accounts/login/",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
        body=form,
    )
    cookies.update(answer.cookies())
    if answer.status != 302 or "sessionid" not in cookies:
        return None
    return Session(email, cookies)


@dataclass
class Plan:
    pros: list[dict]  # from /api/v1/pros, with services
    slug: str | None = None
    service_id: int | None = None
    note: str = ""


MAX_DIRECTORY_PAGES = 50


async def discover(conn: Connection, prefix: str) -> Plan:
    """Listed pros (with at least one service) from the directory API, every page of it."""
    listed: list[dict] = []
    for page in range(1, MAX_DIRECTORY_PAGES + 1):
        answer = await conn.request("GET", f"{prefix}/api/v1/pros?page={page}")
        if answer.status != 200:
            if page == 1:
                return Plan([], note=f"/api/v1/pros answered {answer.status}")
            break  # past the last page
        body = answer.json()
        listed += body.get("results", [])
        if not body.get("results") or len(listed) >= body.get("count", 0):
            break
    pros = [p for p in listed if p.get("services")]
    if not pros:
        return Plan([], note="no listed pro with a service (run seed_demo)")
    first = pros[0]
    service = min(first["services"], key=lambda s: s["duration_minutes"])
    return Plan(pros, slug=first["slug"], service_id=service["id"])


def slots_path(prefix: str, slug: str, service_id: int, start: date, days: int = 7) -> str:
    query = urlencode({"service": service_id, "start": start.isoformat(), "days": days})
    return f"{prefix}/api/v1/pros/{quote(slug)}/slots?{query}"


async def gather_offers(conn: Connection, prefix: str, plan: Plan, start: date, days: int = 7):
    """(service id, minutes, free starts) for each pro's shortest service, next `days` days."""
    offers = []
    for pro in plan.pros:
        service = min(pro["services"], key=lambda s: s["duration_minutes"])
        answer = await conn.request(
            "GET", slots_path(prefix, pro["slug"], service["id"], start, days)
        )
        if answer.status == 404:
            return None  # the endpoint is not there (yet)
        if answer.status != 200:
            continue
        starts = [datetime.fromisoformat(s) for s in answer.json().get("slots", [])]
        offers.append((service["id"], service["duration_minutes"], starts))
    return offers


async def active_bookings(conn: Connection, prefix: str, session: Session):
    """(start, end) of the client's bookings that hold their time (the API caps each list)."""
    spans = []
    for status in ("confirmed", "requested", "pending_payment"):
        query = urlencode({"role": "client", "status": status})
        answer = await conn.request(
            "GET", f"{prefix}/api/v1/bookings?{query}", headers=session.headers()
        )
        if answer.status == 200:
            spans += [
                (datetime.fromisoformat(b["starts_at"]), datetime.fromisoformat(b["ends_at"]))
                for b in answer.json()
            ]
    return spans


# --- Running one target


async def run_target(
    name: str,
    host: str,
    port: int,
    next_request,
    *,
    connections: int,
    duration: float,
    max_requests: int,
    on_answer=None,
    server_pid: int | None = None,
) -> Result:
    """Keep `connections` connections busy with `next_request()` (None = nothing left) until
    `duration` seconds or `max_requests` requests have passed. `on_answer(request, response)`,
    when given, sees every answer (after its latency is taken). With `server_pid`, the CPU time
    of that process and its descendants over the run is kept too."""
    result = Result(name)
    cpu_before = process_tree_cpu(server_pid) if server_pid else None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + duration
    issued = 0

    async def worker():
        nonlocal issued
        conn = Connection(host, port)
        try:
            while loop.time() < deadline and issued < max_requests:
                request = next_request()
                if request is None:
                    return
                issued += 1
                began = time.perf_counter()
                try:
                    answer = await conn.request(
                        request.method, request.path, headers=request.headers, body=request.body
                    )
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    result.statuses["error"] += 1
                    await conn.close()
                    await asyncio.sleep(0.05)  # a dead server must not turn this into a spin
                    continue
                result.latencies.append(time.perf_counter() - began)
                result.statuses[answer.status] += 1
                if on_answer is not None:
                    on_answer(request, answer)
        finally:
            await conn.close()

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    result.seconds = time.perf_counter() - began
    result.requests = len(result.latencies)
    if cpu_before is not None:
        result.cpu_seconds = process_tree_cpu(server_pid) - cpu_before
    if result.requests and set(result.statuses) == {404}:
        result.available, result.note = False, "404: not on this server (yet)"
    return result


def repeat(request: Request):
    return lambda: request


async def bench(args) -> int:
    host, port, prefix = check_loopback_url(args.url)
    conn = Connection(host, port)
    try:
        probe = await conn.request("GET", f"{prefix}/healthz")
    except OSError as exc:
        print(f"bench-load: cannot reach {args.url} ({exc}). Start the server first (make run).")
        return 1
    print(
        f"bench-load: {args.url}  healthz {probe.status}  {args.connections} connections, "
        f"{args.duration:g} s per target, at most {args.max_requests} requests per target; "
        "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    )

    wanted = set(args.only) if args.only else set(TARGETS)
    # The directory is read only for targets that need a pro.
    plan = await discover(conn, prefix) if wanted - {"home"} else Plan([], note="not asked")
    tomorrow = date.today() + timedelta(days=1)
    common = {
        "connections": args.connections,
        "duration": args.duration,
        "server_pid": args.server_pid,
    }
    limit = {"max_requests": args.max_requests}
    results: list[Result] = []

    async def run(name, request_or_factory, **extra):
        # One untimed request first: it warms the path and tells a missing page (404) apart.
        first = request_or_factory() if callable(request_or_factory) else request_or_factory
        warm = await conn.request(first.method, first.path, headers=first.headers)
        if warm.status == 404:
            results.append(Result(name, available=False, note="404: not on this server (yet)"))
            return
        factory = request_or_factory if callable(request_or_factory) else repeat(first)
        results.append(await run_target(name, host, port, factory, **common, **limit, **extra))

    await run("hello (ceiling)", Request("GET", f"{prefix}/bench/hello"))
    if "home" in wanted:
        await run("home search", Request("GET", f"{prefix}/?q=hair&city=Paris"))
    pages = {
        "pro": ("pro page", lambda: f"{prefix}/p/{quote(plan.slug)}/"),
        "slots": (
            "slots (7 days)",
            lambda: slots_path(prefix, plan.slug, plan.service_id, tomorrow),
        ),
    }
    for target, (name, path) in pages.items():
        if target not in wanted:
            continue
        if plan.slug:
            await run(name, Request("GET", path()))
        else:
            results.append(Result(name, available=False, note=plan.note))

    if "booking" in wanted and args.skip_bookings:
        results.append(Result("create booking", available=False, note="--skip-bookings"))
    elif "booking" in wanted:
        results.append(await bench_bookings(conn, host, port, prefix, plan, tomorrow, args))
    await conn.close()

    ceiling = results[0] if results and results[0].available else None
    print()
    print(format_table(results, ceiling))
    print()
    print("p50/p99: latency of one request under this concurrency; of ceiling: req/s divided by")
    print("the hello view's req/s on the same server.")
    return 0


async def bench_bookings(conn, host, port, prefix, plan, tomorrow, args) -> Result:
    name = "create booking"
    if not plan.pros:
        return Result(name, available=False, note=plan.note)
    offers = await gather_offers(conn, prefix, plan, tomorrow, args.booking_days)
    if offers is None:
        return Result(name, available=False, note="slots endpoint 404: not on this server (yet)")
    sessions = []
    for email in DEMO_CLIENTS:
        session = await log_in(conn, prefix, email, DEMO_PASSWORD)
        if session is not None:
            sessions.append(session)
    if not sessions:
        return Result(name, available=False, note="could not log in any demo client")
    taken = [await active_bookings(conn, prefix, session) for session in sessions]
    chosen = pick_booking_slots(
        offers, len(sessions), args.max_bookings, taken, gap_minutes=args.booking_gap
    )
    if not chosen:
        return Result(name, available=False, note="no free slots in the next 7 days")
    queue = iter(chosen)
    made: list[tuple[Session, int]] = []

    def next_booking():
        picked = next(queue, None)
        if picked is None:
            return None
        who, service_id, start = picked
        body = json.dumps({"service": service_id, "starts_at": start.isoformat()}).encode()
        headers = {"Content-Type": "application/json", **sessions[who].headers()}
        return Request("POST", f"{prefix}/api/v1/bookings", headers, body, sessions[who])

    def keep_id(request, answer):
        if answer.status == 201:
            made.append((request.session, answer.json()["id"]))

    result = await run_target(
        name,
        host,
        port,
        next_booking,
        connections=args.connections,
        duration=args.duration,
        max_requests=min(args.max_requests, len(chosen)),
        on_answer=keep_id,
        server_pid=args.server_pid,
    )
    notes = [f"{len(chosen)} slots prepared"]
    if result.requests >= len(chosen):
        notes = [f"all {len(chosen)} prepared slots used: raise --booking-days"]
    if made and not args.keep_bookings:
        cancelled = await cancel_bookings(host, port, prefix, made, args.connections)
        notes.append(f"{cancelled} of {len(made)} made cancelled after")
    result.note = "; ".join(notes)
    return result


async def cancel_bookings(host, port, prefix, made, connections: int) -> int:
    """Cancel the bookings a run made, as their clients (untimed): their time is free again for
    the next run. Returns how many were cancelled."""
    queue = iter(made)
    done = 0

    async def worker():
        nonlocal done
        conn = Connection(host, port)
        try:
            for session, booking_id in queue:
                answer = await conn.request(
                    "POST",
                    f"{prefix}/api/v1/bookings/{booking_id}/cancel",
                    headers={"Content-Type": "application/json", **session.headers()},
                    body=b"{}",
                )
                done += answer.status == 200
        finally:
            await conn.close()

    await asyncio.gather(*(worker() for _ in range(max(1, min(connections, 4)))))
    return done


# The targets bench() can run besides the hello ceiling, by their --only names.
TARGETS = ("home", "pro", "slots", "booking")


def _targets(value: str) -> tuple[str, ...]:
    """`--only`'s value: known target names, comma-separated."""
    names = tuple(name.strip() for name in value.split(",") if name.strip())
    unknown = [name for name in names if name not in TARGETS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"{', '.join(unknown) or 'nothing'}: name targets among {', '.join(TARGETS)}"
        )
    return names


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench-load",
        description="Drive a running Timz server on this machine and print req/s and p50/p99.",
    )
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="loopback only")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per target")
    parser.add_argument(
        "--max-requests", type=int, default=50_000, help="upper bound of requests per target"
    )
    parser.add_argument(
        "--max-bookings", type=int, default=1000, help="upper bound of bookings created"
    )
    parser.add_argument(
        "--booking-days",
        type=int,
        default=14,
        help="days ahead (from tomorrow) whose free slots the bookings take, at most 62",
    )
    parser.add_argument(
        "--keep-bookings",
        action="store_true",
        help="leave the bookings made (by default they are cancelled once measured)",
    )
    parser.add_argument(
        "--booking-gap",
        type=int,
        default=30,
        help="minutes left free after each booked slot of a pro (covers pros' buffers)",
    )
    parser.add_argument(
        "--skip-bookings", action="store_true", help="do not create bookings (read-only run)"
    )
    parser.add_argument(
        "--only",
        type=_targets,
        help="the targets to run besides the hello ceiling, comma-separated: " + ", ".join(TARGETS),
    )
    parser.add_argument(
        "--server-pid",
        type=int,
        help="the server's process id (timz.serve's parent or a daphne): print the CPU time it "
        "and its children spent per request",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.connections <= MAX_CONNECTIONS:
        parser.error(f"--connections must be between 1 and {MAX_CONNECTIONS}.")
    if not 0 < args.duration <= MAX_DURATION:
        parser.error(f"--duration must be more than 0 and at most {MAX_DURATION:g} seconds.")
    if args.max_requests < 1 or args.max_bookings < 1 or args.booking_gap < 0:
        parser.error("--max-requests and --max-bookings must be at least 1, --booking-gap >= 0.")
    if not 1 <= args.booking_days <= 62:
        parser.error("--booking-days must be between 1 and 62.")
    try:
        check_loopback_url(args.url)
    except ValueError as exc:
        parser.error(str(exc))
    if args.server_pid is not None:
        try:
            process_tree_cpu(args.server_pid)
        except OSError:
            parser.error(f"--server-pid {args.server_pid}: no such process on this machine.")
    try:
        return asyncio.run(bench(args))
    except (OSError, asyncio.IncompleteReadError) as exc:
        print(f"bench-load: the server went away during the run ({exc!r}).", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
