"""Two daphne processes sharing Redis deliver to each other's users (channels-redis).

Runs in the PostgreSQL/Redis stage only (REDIS_URL set): the SQLite stage has no Redis. The
servers use this test's database (a transactional test, so they see its committed rows) and
real session cookies; the sockets are opened with the `websockets` client library.
"""

import asyncio
import json
import os

import pytest

from chat.models import Message
from chat.tests.conftest import session_cookie
from timz.tests.processes import next_frame as _next
from timz.tests.processes import running_servers

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL"), reason="needs Redis (REDIS_URL): PostgreSQL/Redis stage"
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(scope="module")
def two_servers(django_db_setup, django_db_blocker, tmp_path_factory):
    # The servers only need the test database's name, which is fixed for the whole module.
    with running_servers(2, tmp_path_factory.mktemp("daphne")) as servers:
        yield servers


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
