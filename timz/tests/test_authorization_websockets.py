"""The authorization matrix of the websocket routes (chat.routing, not in the URLconf).

Same six people and same world as test_authorization_matrix.py. These tests commit for real
(`transaction=True`): channels closes the database connection around each consumer call, which
a test transaction would not survive. A participant's socket stays open; anyone else's is
closed with the consumer's code (4401 anonymous, 4403 not a participant).
"""

import re
from collections.abc import Callable

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client, override_settings

from chat.routing import websocket_urlpatterns
from timz.asgi import application
from timz.tests.test_authorization_matrix import (
    ROLES,
    WORLD_SETTINGS,
    World,
    _missing_and_stale,
    _takes_ids,
    _walk,
    build_world,
    m,
)

pytestmark = pytest.mark.django_db(transaction=True)

OPEN = "open"
WS_MATRIX: dict[str, dict[str, tuple[Callable[[World], dict], tuple]]] = {
    "ws/chat/<int:conversation_id>/": {
        "client and pro": (
            lambda w: {"conversation_id": w.conversation.pk},
            # Staff are not part of anyone's conversation.
            m(4401, OPEN, 4403, OPEN, 4403, 4403),
        ),
        "unknown conversation": (
            lambda w: {"conversation_id": 999_999},
            m(4401, 4403, 4403, 4403, 4403, 4403),
        ),
    },
}


def id_taking_websockets() -> set[str]:
    return {route for route, _name, p in _walk(websocket_urlpatterns) if _takes_ids(p)}


def test_every_websocket_that_takes_an_id_is_in_the_matrix():
    generated = id_taking_websockets()
    assert generated == set(WS_MATRIX), _missing_and_stale(generated, set(WS_MATRIX))


def _ws_path(route: str, kwargs: dict) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda g: str(kwargs[g.group(1)]), route)


def _headers(user) -> list[tuple[bytes, bytes]]:
    headers = [(b"origin", b"http://testserver")]
    if user is not None:
        browser = Client()
        browser.force_login(user)
        cookie = browser.cookies[settings.SESSION_COOKIE_NAME].value
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
    return headers


async def _outcome(comm: WebsocketCommunicator):
    accepted, _ = await comm.connect()
    if not accepted:
        return "refused at the handshake"
    if await comm.receive_nothing(timeout=0.2):
        await comm.disconnect()
        return OPEN
    frame = await comm.receive_output(timeout=1)
    return frame.get("code") if frame["type"] == "websocket.close" else frame


@pytest.mark.parametrize(
    ("route", "variant"),
    [pytest.param(r, v, id=f"{r} [{v}]") for r, cases in WS_MATRIX.items() for v in cases],
)
def test_websocket_access(route, variant):
    with override_settings(**WORLD_SETTINGS):
        world = build_world()
        kwargs, wants = WS_MATRIX[route][variant]
        path = _ws_path(route, kwargs(world))
        failures = []
        for role, want in zip(ROLES, wants, strict=True):
            comm = WebsocketCommunicator(application, path, headers=_headers(world.users[role]))
            got = async_to_sync(_outcome)(comm)
            if got != want:
                failures.append(f"  {role:<13} expected {want}: got {got}")
    assert not failures, f"{path} ({route} [{variant}])\n" + "\n".join(failures)
