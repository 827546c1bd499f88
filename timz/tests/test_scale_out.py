"""Scale-out: two daphne processes on one PostgreSQL database and one Redis behave as one site.

- a chat message sent through process A reaches the other participant connected to process B
  (the channel layer is Redis);
- 20 clients trying to book one slot at the same moment, 10 through each process, get exactly
  one booking (row locks and the exclusion constraint in PostgreSQL, not process memory);
- the booking rate limit is counted once for both processes (the cache is Redis), and 50
  chat messages of one sender racing through both with a limit of 20 save exactly 20.

Runs in the PostgreSQL/Redis stage of CI only: the servers are real processes that must share
a database server and Redis. The servers use this test's database (transactional tests, so
they see its committed rows) and real session and CSRF cookies.

The servers get their own Redis database number and key prefixes (processes.private_redis_url):
the suite's autouse fixture empties the cache (FLUSHDB) around every test, in every pytest-xdist
worker, which would otherwise wipe the channel layer's groups under a running scenario.
"""

import asyncio
import http.client
import json
import os
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus

import pytest
from django.conf import settings

from bookings.models import Booking
from chat.models import Message
from chat.services import conversation_get_or_create
from chat.tests.conftest import session_cookie
from conftest import local_at, make_pro, make_service, make_user, set_every_day
from timz.tests.processes import next_frame, private_redis_url, running_servers

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(
        not (os.environ.get("REDIS_URL") and ON_POSTGRES),
        reason=(
            "two server processes need a shared database server and Redis: runs in the "
            "PostgreSQL/Redis stage (DATABASE_URL=postgres://..., REDIS_URL); the SQLite stage "
            "has no server both processes could share"
        ),
    ),
    pytest.mark.django_db(transaction=True),
]

CLIENTS = 20
RATE_LIMIT = "10/10m,30/h"
# Ten minutes, not the default ten seconds: the window must not end while the racing posts of a
# slow machine are still arriving, or more than 20 would rightly pass.
CHAT_RATE_LIMIT = "20/10m"
TAKEN = "That time is no longer available."
TOO_FAST = "You are booking too fast. Try again in a few minutes."
TOO_FAST_MESSAGES = "You are sending messages too fast."


@pytest.fixture(scope="module")
def two_servers(django_db_setup, django_db_blocker, tmp_path_factory):
    run = uuid.uuid4().hex[:8]
    options = {
        "redis_url": private_redis_url(),
        "env": {
            "BOOKING_RATE_LIMIT": RATE_LIMIT,
            "CHAT_RATE_LIMIT": CHAT_RATE_LIMIT,
            # Fresh keys for each run: no counter or group survives from an earlier run.
            "CACHE_KEY_PREFIX": f"timz-scale-{run}",
            "CHANNEL_LAYER_PREFIX": f"timz-scale-{run}",
        },
    }
    with running_servers(2, tmp_path_factory.mktemp("daphne"), **options) as servers:
        yield servers


def test_a_chat_message_sent_through_one_process_reaches_a_user_on_the_other(two_servers):
    server_a, server_b = two_servers
    client, pro = make_user(), make_pro()
    conversation, _ = conversation_get_or_create(client=client, pro=pro)
    path = f"/ws/chat/{conversation.pk}/"
    client_key, pro_key = session_cookie(client), session_cookie(pro.user)

    async def scenario():
        async with (
            server_a.ws(path, client_key) as client_ws,
            server_b.ws(path, pro_key) as pro_ws,
        ):
            started = time.perf_counter()
            await client_ws.send(json.dumps({"type": "message", "body": "Sent through A"}))
            on_b = await next_frame(pro_ws, "message")
            latency = time.perf_counter() - started
            echo_on_a = await next_frame(client_ws, "message")
            return on_b, echo_on_a, latency

    on_b, echo_on_a, latency = asyncio.run(scenario())

    saved = Message.objects.get()
    assert on_b["id"] == echo_on_a["id"] == saved.pk
    assert on_b["body"] == saved.body == "Sent through A"
    assert on_b["sender"] == client.pk
    assert on_b["conversation"] == conversation.pk
    print(f"chat A -> B delivered in {latency * 1000:.1f} ms")


def _race(attempts):
    """Run the callables at the same moment, one thread each; return their results in order."""
    barrier = threading.Barrier(len(attempts))

    def fire(attempt):
        barrier.wait()
        return attempt()

    with ThreadPoolExecutor(max_workers=len(attempts)) as pool:
        return list(pool.map(fire, attempts))


def test_twenty_simultaneous_bookings_of_one_slot_across_two_processes_make_one(two_servers):
    pro = make_pro()
    set_every_day(pro)
    service = make_service(pro=pro, duration_minutes=60)
    starts_at = local_at(3, 10)
    payload = {"service": service.pk, "starts_at": starts_at.isoformat(), "note": ""}
    # Client i books through process i % 2: ten each, every one with its own session and token.
    plan = []
    for i in range(CLIENTS):
        client = make_user()
        server = two_servers[i % 2]
        plan.append((client, server, server.browser_cookies(session_cookie(client))))

    started = time.perf_counter()
    answers = _race(
        [
            lambda server=server, cookies=cookies: server.post_json(
                "/api/v1/bookings", payload, cookies=cookies
            )
            for _, server, cookies in plan
        ]
    )
    elapsed = time.perf_counter() - started

    statuses = Counter(answer.status for answer in answers)
    assert statuses == {HTTPStatus.CREATED: 1, HTTPStatus.CONFLICT: CLIENTS - 1}, statuses
    refusals = {answer.json()["detail"] for answer in answers if answer.status == 409}
    assert refusals == {TAKEN}
    per_server = Counter(server.port for _, server, _ in plan)
    assert sorted(per_server.values()) == [CLIENTS // 2, CLIENTS // 2]
    (winner_index,) = [i for i, answer in enumerate(answers) if answer.status == 201]
    booking = Booking.objects.get()
    assert booking.client == plan[winner_index][0]
    assert booking.pro == pro
    assert booking.starts_at == starts_at
    assert booking.status in Booking.ACTIVE_STATUSES
    assert answers[winner_index].json()["id"] == booking.pk
    assert Booking.objects.filter(pro=pro, status__in=Booking.ACTIVE_STATUSES).count() == 1
    print(f"{CLIENTS} racing bookings on 2 processes answered in {elapsed * 1000:.0f} ms")


def test_the_booking_rate_limit_is_counted_once_for_both_processes(two_servers):
    pro = make_pro()
    set_every_day(pro)
    service = make_service(pro=pro, duration_minutes=60)
    client = make_user()
    key = session_cookie(client)
    cookies = [server.browser_cookies(key) for server in two_servers]
    # A time already past: each attempt is refused (409) but still counts.
    payload = {"service": service.pk, "starts_at": local_at(-1, 10).isoformat(), "note": ""}

    def attempt(n):
        server = two_servers[n % 2]
        return server.post_json("/api/v1/bookings", payload, cookies=cookies[n % 2])

    allowed = [attempt(n) for n in range(10)]
    refused = [attempt(n) for n in range(10, 12)]

    assert [a.status for a in allowed] == [HTTPStatus.CONFLICT] * 10
    assert {a.json()["detail"] for a in allowed} == {TAKEN}
    assert [a.status for a in refused] == [HTTPStatus.TOO_MANY_REQUESTS] * 2
    assert {a.json()["detail"] for a in refused} == {TOO_FAST}
    assert not Booking.objects.exists()


def test_racing_chat_posts_through_two_processes_save_exactly_the_limit(two_servers):
    client, pro = make_user(), make_pro()
    conversation, _ = conversation_get_or_create(client=client, pro=pro)
    key = session_cookie(client)
    cookies = [server.browser_cookies(key) for server in two_servers]
    path = f"/api/v1/conversations/{conversation.pk}/messages"
    posts, limit = 50, 20

    # Post n goes through process n % 2: 25 through each, all released at once.
    answers = _race(
        [
            lambda n=n: two_servers[n % 2].post_json(
                path, {"body": f"Message {n}"}, cookies=cookies[n % 2]
            )
            for n in range(posts)
        ]
    )

    statuses = Counter(answer.status for answer in answers)
    assert statuses == {HTTPStatus.CREATED: limit, HTTPStatus.TOO_MANY_REQUESTS: posts - limit}
    refusals = {answer.json()["detail"] for answer in answers if answer.status == 429}
    assert refusals == {TOO_FAST_MESSAGES}
    assert Message.objects.filter(conversation=conversation).count() == limit


# channels-redis blocks for 5 s on each read of an idle channel; the socket must outlive that
# wait several times over.
IDLE_SECONDS = 3 * 5 + 1


def test_idle_sockets_over_redis_stay_open_and_then_receive_from_the_other_process(two_servers):
    server_a, server_b = two_servers
    client, pro = make_user(), make_pro()
    conversation, _ = conversation_get_or_create(client=client, pro=pro)
    path = f"/ws/chat/{conversation.pk}/"
    client_key, pro_key = session_cookie(client), session_cookie(pro.user)

    async def scenario():
        async with (
            server_a.ws(path, client_key) as chat_ws,
            server_a.ws("/ws/notifications/", client_key) as notify_ws,
        ):
            assert (await next_frame(notify_ws, "unread"))["count"] == 0
            # Idle: nothing may arrive, least of all a close frame.
            for ws in (chat_ws, notify_ws):
                with pytest.raises(TimeoutError):
                    await asyncio.wait_for(ws.recv(), IDLE_SECONDS / 2)
            async with server_b.ws(path, pro_key) as pro_ws:
                await pro_ws.send(json.dumps({"type": "message", "body": "After the quiet"}))
                message = await next_frame(chat_ws, "message")
                unread = await next_frame(notify_ws, "unread")
            return message, unread

    started = time.monotonic()
    message, unread = asyncio.run(scenario())

    assert time.monotonic() - started >= IDLE_SECONDS
    assert message["body"] == "After the quiet"
    assert message["sender"] == pro.user.pk
    assert unread["count"] == 1


def _peak_memory_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


@pytest.mark.parametrize(
    "path, content_type, json_answer",
    [
        ("/api/v1/bookings", "application/json", True),
        ("/profile/", "text/plain", False),
    ],
)
def test_a_100_mb_body_is_refused_with_413_without_the_server_growing(
    two_servers, path, content_type, json_answer
):
    server = two_servers[0]
    before = _peak_memory_mb(server.proc.pid)
    size = 100 * 1024 * 1024
    chunk = b"x" * (1024 * 1024)
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    connection.putrequest("POST", path)
    connection.putheader("Content-Type", content_type)
    connection.putheader("Content-Length", str(size))
    connection.endheaders()
    try:
        for _ in range(size // len(chunk)):
            connection.send(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server may answer and close before the whole body is sent
    answer = connection.getresponse()
    body = answer.read().decode()
    connection.close()

    assert answer.status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    if json_answer:
        assert json.loads(body)["detail"].startswith("The request is too large")
    else:
        assert "The request is too large" in body
    grown = _peak_memory_mb(server.proc.pid) - before
    print(f"{path}: peak memory grew {grown:.0f} MB for a 100 MB body")
    # daphne queues a request's whole body for the application before it runs (about 100 MB
    # here, out of the app's reach; nginx's client_max_body_size stops it earlier). The app
    # never copies or parses it: before the limit, Django's buffering and parsing took 1.35 GB.
    assert grown < 160
