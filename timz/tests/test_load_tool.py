"""bench/load.py (`make bench-load`): its pure parts and its little HTTP client. No timings."""

import argparse
import asyncio
import os
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from bench.load import (
    TARGETS,
    Connection,
    Request,
    Result,
    Session,
    _targets,
    bench,
    cancel_bookings,
    check_loopback_url,
    discover,
    format_table,
    main,
    percentile,
    pick_booking_slots,
    process_tree_cpu,
    run_target,
)

# --- percentile (nearest rank)


def test_percentile_of_nothing_is_none():
    assert percentile([], 50) is None


def test_percentile_of_one_value_is_that_value():
    assert percentile([0.25], 0) == 0.25
    assert percentile([0.25], 50) == 0.25
    assert percentile([0.25], 100) == 0.25


def test_percentile_uses_the_nearest_rank_of_unsorted_values():
    values = [5, 1, 4, 2, 3]

    assert percentile(values, 50) == 3
    assert percentile(values, 20) == 1
    assert percentile(values, 21) == 2
    assert percentile(values, 100) == 5


def test_p99_of_a_hundred_values_is_the_ninety_ninth():
    values = list(range(1, 101))

    assert percentile(values, 99) == 99
    assert percentile(values, 50) == 50


def test_p99_of_a_few_values_is_the_slowest():
    assert percentile([1, 2, 3, 10], 99) == 10


def test_percentile_outside_0_100_is_refused():
    with pytest.raises(ValueError, match="between 0 and 100"):
        percentile([1], 101)


# --- Loopback guard


@pytest.mark.parametrize(
    "url,expected",
    [
        ("http://127.0.0.1:8000", ("127.0.0.1", 8000, "")),
        ("http://127.0.0.1:8000/", ("127.0.0.1", 8000, "")),
        ("http://localhost", ("localhost", 80, "")),
        ("http://127.1.2.3:9000/timz/", ("127.1.2.3", 9000, "/timz")),
        ("http://[::1]:8001", ("::1", 8001, "")),
    ],
)
def test_loopback_urls_are_accepted(url, expected):
    assert check_loopback_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.5:8000",
        "http://192.168.1.10",
        "http://timz.example",
        "http://localhost.timz.example",
        "http://127.0.0.1.nip.io",
        "http://0.0.0.0:8000",
        "http://[::ffff:8.8.8.8]",
        "http://8.8.8.8",
    ],
)
def test_urls_off_this_machine_are_refused(url):
    with pytest.raises(ValueError, match="not a loopback address"):
        check_loopback_url(url)


@pytest.mark.parametrize("url", ["https://127.0.0.1", "ftp://127.0.0.1", "127.0.0.1:8000"])
def test_only_plain_http_is_accepted(url):
    with pytest.raises(ValueError, match="only http://"):
        check_loopback_url(url)


def test_a_bad_port_is_refused_with_a_message():
    with pytest.raises(ValueError, match="port"):
        check_loopback_url("http://127.0.0.1:99999")


def test_the_command_line_refuses_a_remote_url_before_sending_anything(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--url", "http://93.184.216.34:80"])

    assert exc.value.code == 2
    assert "not a loopback address" in capsys.readouterr().err


@pytest.mark.parametrize(
    "flags",
    [
        ["--duration", "0"],
        ["--duration", "600"],
        ["--connections", "0"],
        ["--booking-days", "0"],
        ["--booking-days", "63"],  # the slots endpoint answers at most 62 days
    ],
)
def test_the_command_line_keeps_runs_bounded(flags, capsys):
    with pytest.raises(SystemExit) as exc:
        main(flags)

    assert exc.value.code == 2


def test_only_names_the_targets_to_run_besides_the_ceiling(capsys):
    assert _targets("booking, slots") == ("booking", "slots")
    assert set(TARGETS) == {"home", "pro", "slots", "booking"}
    for value in ("bogus", "booking,hello", ","):
        with pytest.raises(SystemExit) as exc:
            main(["--only", value])
        assert exc.value.code == 2
    assert "name targets among home, pro, slots, booking" in capsys.readouterr().err


def test_a_run_of_only_some_targets_measures_only_them_and_the_ceiling(capsys):
    routes = {
        "GET /healthz": (200, {}),
        "GET /bench/hello": (200, {}),
        "GET /?q=hair&city=Paris": (200, {}),
    }

    async def scenario():
        server, port, seen = await _json_server(routes)
        async with server:
            args = argparse.Namespace(
                url=f"http://127.0.0.1:{port}",
                connections=1,
                duration=0.2,
                max_requests=5,
                server_pid=None,
                skip_bookings=False,
                only=("home",),
            )
            return await bench(args), seen

    status, seen = asyncio.run(scenario())

    assert status == 0
    asked = {head.split(" ")[1] for head in seen}
    assert asked == {"/healthz", "/bench/hello", "/?q=hair&city=Paris"}  # no directory read
    table = capsys.readouterr().out
    assert "hello (ceiling)" in table and "home search" in table
    assert "pro page" not in table and "create booking" not in table


# --- Table


def _result(name, requests, seconds, statuses, latencies=None, note=""):
    return Result(
        name,
        requests=requests,
        seconds=seconds,
        latencies=latencies or [0.010] * requests,
        statuses=Counter(statuses),
        note=note,
    )


def test_table_shows_throughput_latency_and_share_of_the_ceiling():
    ceiling = _result("hello (ceiling)", 1000, 1.0, {200: 1000})
    page = _result("home search", 250, 1.0, {200: 250}, latencies=[0.020] * 200 + [0.090] * 50)

    table = format_table([ceiling, page], ceiling)

    lines = table.splitlines()
    assert lines[0].split()[:3] == ["target", "requests", "req/s"]
    assert set(lines[1]) == {"-"}
    assert lines[2].split() == ["hello", "(ceiling)", "1000", "1000.0", "10.0", "10.0", "100%"] + [
        "200×1000"
    ]
    assert lines[3].split() == ["home", "search", "250", "250.0", "20.0", "90.0", "25%", "200×250"]


def test_table_columns_line_up():
    ceiling = _result("hello (ceiling)", 1000, 1.0, {200: 1000})
    rows = [ceiling, _result("pro page", 5, 1.0, {200: 5}), _result("x", 50, 1.0, {200: 50})]

    header, _, *lines = format_table(rows, ceiling).splitlines()

    # Numbers are right-aligned under their header: every share ends where "of ceiling" ends.
    end = header.index("of ceiling") + len("of ceiling")
    assert [line[:end].split()[-1] for line in lines] == ["100%", "0%", "5%"]
    assert all(line[end : end + 2] == "  " for line in lines)


def test_with_the_servers_cpu_the_table_gives_it_per_request():
    ceiling = _result("hello (ceiling)", 1000, 1.0, {200: 1000})
    ceiling.cpu_seconds = 2.0
    booking = _result("create booking", 100, 1.0, {201: 100})
    booking.cpu_seconds = 0.75

    header, _, *lines = format_table([ceiling, booking], ceiling).splitlines()

    assert "CPU ms/req" in header
    assert lines[0].split()[-2:] == ["2.00", "200×1000"]
    assert lines[1].split()[-2:] == ["7.50", "201×100"]


def test_the_cpu_of_a_process_tree_counts_its_children(tmp_path):
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time\nend = time.process_time() + 0.3\n"
            "while time.process_time() < end: pass\nopen(r'%s', 'w').close()\ntime.sleep(30)"
            % (tmp_path / "busy"),
        ]
    )
    try:
        while not (tmp_path / "busy").exists():
            assert child.poll() is None
        with_child = process_tree_cpu(os.getpid())
        alone = process_tree_cpu(child.pid)
    finally:
        child.kill()
        child.wait()
    assert alone >= 0.25
    assert with_child >= alone


def test_the_cpu_of_no_process_is_an_error():
    with pytest.raises(OSError):
        process_tree_cpu(2**22 + 1)  # above Linux's largest pid


def test_missing_targets_print_n_a_with_the_reason():
    ceiling = _result("hello (ceiling)", 100, 1.0, {200: 100})
    missing = Result("slots (7 days)", available=False, note="404: not on this server (yet)")

    line = format_table([ceiling, missing], ceiling).splitlines()[3]

    assert line.startswith("slots (7 days) ")
    assert line.split()[3:8] == ["n/a"] * 5
    assert line.endswith("404: not on this server (yet)")


def test_without_a_ceiling_the_share_is_n_a():
    no_hello = Result("hello (ceiling)", available=False, note="404: not on this server (yet)")
    page = _result("home search", 10, 1.0, {200: 10})

    line = format_table([no_hello, page], None).splitlines()[3]

    assert line.split()[2:7] == ["10", "10.0", "10.0", "10.0", "n/a"]


def test_booking_row_reports_created_and_conflicting_requests():
    ceiling = _result("hello (ceiling)", 100, 1.0, {200: 100})
    bookings = _result("create booking", 12, 2.0, {201: 10, 409: 2})

    line = format_table([ceiling, bookings], ceiling).splitlines()[3]

    assert "201×10 409×2" in line
    assert " 6% " in line  # 6 req/s against 100


# --- Choosing booking slots that cannot collide


def _at(hour, minute=0, day=1):
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


def test_slots_of_one_pro_are_kept_only_when_they_do_not_overlap():
    starts = [_at(9), _at(9, 15), _at(9, 30), _at(9, 45), _at(10)]

    chosen = pick_booking_slots([(7, 30, starts)], clients=5, limit=100)

    assert [start for _, _, start in chosen] == [_at(9), _at(9, 30), _at(10)]
    assert {service for _, service, _ in chosen} == {7}


def test_a_gap_after_each_kept_slot_leaves_room_for_a_pros_buffer():
    starts = [_at(9), _at(9, 30), _at(9, 45), _at(10), _at(10, 30)]

    chosen = pick_booking_slots([(7, 30, starts)], clients=5, limit=100, gap_minutes=15)

    assert [start for _, _, start in chosen] == [_at(9), _at(9, 45), _at(10, 30)]


def test_one_client_never_gets_two_overlapping_bookings():
    same_time = [_at(9)]
    offers = [(1, 60, same_time), (2, 60, same_time), (3, 60, same_time)]

    chosen = pick_booking_slots(offers, clients=2, limit=100)

    # Three pros free at 9:00 but only two clients: the third booking is left out.
    assert sorted(who for who, _, _ in chosen) == [0, 1]
    for who in (0, 1):
        mine = sorted(start for w, _, start in chosen if w == who)
        assert all(b - a >= timedelta(minutes=60) for a, b in zip(mine, mine[1:], strict=False))


def test_pros_are_interleaved_and_the_limit_holds():
    offers = [(1, 30, [_at(9), _at(10), _at(11)]), (2, 30, [_at(9, day=2), _at(10, day=2)])]

    chosen = pick_booking_slots(offers, clients=5, limit=3)

    assert [service for _, service, _ in chosen] == [1, 2, 1]


def test_a_client_is_not_given_a_slot_overlapping_a_booking_they_already_have():
    taken = [[(_at(9), _at(10))], []]

    chosen = pick_booking_slots([(1, 30, [_at(9, 30)])], clients=2, limit=10, taken=taken)

    assert chosen == [(1, 1, _at(9, 30))]


def test_no_free_slots_give_no_bookings():
    assert pick_booking_slots([(1, 30, [])], clients=5, limit=10) == []
    assert pick_booking_slots([], clients=5, limit=10) == []


# --- The HTTP/1.1 client against a tiny local server


async def _serve_once(responses: list[bytes]):
    """A loopback server answering each request on one connection with the next response."""
    seen = []

    async def handle(reader, writer):
        for raw in responses:
            head = await reader.readuntil(b"\r\n\r\n")
            seen.append(head.decode())
            writer.write(raw)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1], seen


def test_client_reads_sized_and_chunked_bodies_on_one_keep_alive_connection():
    async def scenario():
        server, port, seen = await _serve_once(
            [
                b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nSet-Cookie: csrftoken=abc; Path=/\r\n"
                b"\r\nhello",
                b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
                b'3\r\n{"a\r\n4\r\n": 1\r\n1\r\n}\r\n0\r\n\r\n',
            ]
        )
        async with server:
            conn = Connection("127.0.0.1", port)
            first = await conn.request("GET", "/bench/hello")
            second = await conn.request("POST", "/api", body=b"{}")
            await conn.close()
        return first, second, seen

    first, second, seen = asyncio.run(scenario())

    assert (first.status, first.body, first.cookies()) == (200, b"hello", {"csrftoken": "abc"})
    assert (second.status, second.json()) == (201, {"a": 1})
    assert seen[0].startswith("GET /bench/hello HTTP/1.1\r\n")
    assert "Content-Length: 2" in seen[1]


def test_a_server_that_hangs_up_is_counted_as_errors_not_a_crash():
    async def scenario():
        async def hang_up(reader, writer):
            writer.close()

        server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            return await run_target(
                "rude",
                "127.0.0.1",
                port,
                lambda: Request("GET", "/"),
                connections=2,
                duration=30,
                max_requests=6,
            )

    result = asyncio.run(scenario())

    assert result.statuses == Counter({"error": 6})
    assert result.requests == 0
    assert result.rps is None


async def _json_server(routes: dict[str, tuple[int, object]]):
    """A loopback server answering "METHOD path" with (status, JSON body) on keep-alive
    connections; records each request's first line and headers."""
    import json

    seen = []

    async def handle(reader, writer):
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode()
                first, *lines = head.split("\r\n")
                length = next(
                    (int(h.split(":")[1]) for h in lines if h.lower().startswith("content-length")),
                    0,
                )
                await reader.readexactly(length)
                seen.append(head)
                method, path, _ = first.split(" ")
                status, body = routes.get(f"{method} {path}", (404, {}))
                raw = json.dumps(body).encode()
                writer.write(
                    f"HTTP/1.1 {status} X\r\nContent-Length: {len(raw)}\r\n\r\n".encode() + raw
                )
                await writer.drain()
        except asyncio.IncompleteReadError:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1], seen


def _pro(n, services=True):
    return {"slug": f"pro-{n}", "services": [{"id": n, "duration_minutes": 30}] if services else []}


def test_every_page_of_the_directory_is_read_for_pros_with_services():
    routes = {
        "GET /api/v1/pros?page=1": (200, {"count": 3, "results": [_pro(1), _pro(2, False)]}),
        "GET /api/v1/pros?page=2": (200, {"count": 3, "results": [_pro(3)]}),
    }

    async def scenario():
        server, port, _ = await _json_server(routes)
        async with server:
            conn = Connection("127.0.0.1", port)
            plan = await discover(conn, "")
            await conn.close()
        return plan

    plan = asyncio.run(scenario())

    assert [p["slug"] for p in plan.pros] == ["pro-1", "pro-3"]
    assert (plan.slug, plan.service_id) == ("pro-1", 1)


def test_the_bookings_a_run_made_are_cancelled_by_their_own_clients():
    anna = Session("anna@example.com", {"sessionid": "a", "csrftoken": "ta"})
    bob = Session("bob@example.com", {"sessionid": "b", "csrftoken": "tb"})
    routes = {
        "POST /api/v1/bookings/7/cancel": (200, {}),
        "POST /api/v1/bookings/8/cancel": (200, {}),
        "POST /api/v1/bookings/9/cancel": (409, {"detail": "too late"}),
    }

    async def scenario():
        server, port, seen = await _json_server(routes)
        async with server:
            made = [(anna, 7), (bob, 8), (bob, 9)]
            return await cancel_bookings("127.0.0.1", port, "", made, connections=16), seen

    cancelled, seen = asyncio.run(scenario())

    assert cancelled == 2
    by_path = {head.split(" ")[1]: head for head in seen}
    assert "sessionid=a" in by_path["/api/v1/bookings/7/cancel"]
    assert "X-CSRFToken: ta" in by_path["/api/v1/bookings/7/cancel"]
    assert "sessionid=b" in by_path["/api/v1/bookings/8/cancel"]


def test_each_answer_is_shown_to_the_target_that_asked():
    routes = {"POST /api/v1/bookings": (201, {"id": 5})}
    answers = []

    async def scenario():
        server, port, _ = await _json_server(routes)
        async with server:
            return await run_target(
                "create",
                "127.0.0.1",
                port,
                lambda: Request("POST", "/api/v1/bookings", body=b"{}"),
                connections=2,
                duration=30,
                max_requests=4,
                on_answer=lambda request, answer: answers.append((request.path, answer.json())),
            )

    result = asyncio.run(scenario())

    assert result.statuses == Counter({201: 4})
    assert answers == [("/api/v1/bookings", {"id": 5})] * 4


# --- The ceiling view, /bench/hello


@pytest.fixture
def reload_urls(settings):
    """Re-import timz.urls under the current settings/environment. Afterwards the environment
    variable is put back first, so the URLconf left for later tests is the normal one."""
    import importlib
    import os

    from django.urls import clear_url_caches

    import timz.urls

    original = os.environ.get("BENCH_HELLO")

    def reload():
        clear_url_caches()
        importlib.reload(timz.urls)

    yield reload
    if original is None:
        os.environ.pop("BENCH_HELLO", None)
    else:
        os.environ["BENCH_HELLO"] = original
    reload()


def test_hello_is_mounted_with_bench_hello_set(client, monkeypatch, reload_urls, settings):
    settings.DEBUG = False
    monkeypatch.setenv("BENCH_HELLO", "1")
    reload_urls()

    response = client.get("/bench/hello")

    assert response.status_code == 200
    assert response.content == b"hello"
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.django_db
def test_hello_touches_no_database(client, monkeypatch, reload_urls, django_assert_num_queries):
    monkeypatch.setenv("BENCH_HELLO", "1")
    reload_urls()

    with django_assert_num_queries(0):
        assert client.get("/bench/hello").status_code == 200


@pytest.mark.django_db
def test_hello_is_absent_in_production_without_bench_hello(
    client, monkeypatch, reload_urls, settings
):
    settings.DEBUG = False
    monkeypatch.delenv("BENCH_HELLO", raising=False)
    reload_urls()

    assert client.get("/bench/hello").status_code == 404


def test_hello_only_answers_get(client, monkeypatch, reload_urls):
    monkeypatch.setenv("BENCH_HELLO", "1")
    reload_urls()

    assert client.post("/bench/hello").status_code == 405
