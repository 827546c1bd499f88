"""Chat fixtures: a conversation between `client_user` and `pro`, and websocket
helpers that authenticate a WebsocketCommunicator with a real session cookie through the full
`timz.asgi.application` stack (origin check, session auth, URL routing).

Async scenarios run under `asgiref.sync.async_to_sync` (no pytest-asyncio); database work inside
them goes through `database_sync_to_async`.
"""

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from django.utils import translation

from chat import notifications
from chat.models import Conversation, Message
from timz.asgi import application

ORIGIN = b"http://testserver"


@pytest.fixture(autouse=True)
def _language_reset():
    """A request through the test client leaves its language active in this thread (in
    production each request has its own context): later tests must start in English."""
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_channel_layer():
    yield
    layer = get_channel_layer()
    if hasattr(layer, "flush"):
        async_to_sync(layer.flush)()


def make_conversation(*, client, pro, **extra) -> Conversation:
    return Conversation.objects.create(client=client, pro=pro, pro_user_id=pro.user_id, **extra)


def make_message(*, conversation, sender, body="Hello", **extra) -> Message:
    message = Message.objects.create(conversation=conversation, sender=sender, body=body, **extra)
    Conversation.objects.filter(pk=conversation.pk).update(last_message_at=message.created_at)
    return message


@pytest.fixture
def conversation(client_user, pro):
    return make_conversation(client=client_user, pro=pro)


def session_cookie(user) -> str:
    browser = Client()
    browser.force_login(user)
    return browser.cookies[settings.SESSION_COOKIE_NAME].value


def communicator(path: str, user=None, *, origin: bytes = ORIGIN) -> WebsocketCommunicator:
    """A communicator for `path`, logged in as `user` (anonymous when None). Create it in sync
    code (it makes a session) and connect it inside the async scenario."""
    headers = [(b"origin", origin)]
    if user is not None:
        cookie = f"{settings.SESSION_COOKIE_NAME}={session_cookie(user)}"
        headers.append((b"cookie", cookie.encode()))
    return WebsocketCommunicator(application, path, headers=headers)


def chat_path(conversation, after=None) -> str:
    path = f"/ws/chat/{conversation.pk}/"
    return path if after is None else f"{path}?after={after}"


async def connected(comm: WebsocketCommunicator) -> WebsocketCommunicator:
    ok, _ = await comm.connect(timeout=3)
    assert ok, "the socket was refused during the handshake"
    return comm


async def receive(comm: WebsocketCommunicator, timeout: float = 3) -> dict:
    return await comm.receive_json_from(timeout=timeout)


def run(scenario):
    """Run an async scenario from a synchronous test."""
    return async_to_sync(scenario)()


# What `next_frame_after_a_mark` sends: no real event has this type.
MARK = {"type": "mark"}


async def next_frame_after_a_mark(comm: WebsocketCommunicator, *, conversation=None, user=None):
    """The next frame on `comm` once a mark is sent now to the socket's group: the chat group of
    `conversation`, or the notification group of `user`. It is MARK when nothing else was on
    its way to the socket.

    Proof by order rather than by waiting: a consumer handles one event at a time, after its
    handshake (where a replay is sent), and a channel receives its groups' events in the order
    they were sent. Whatever was sent to the socket before this call (a relay, a push, a replay)
    comes out before the mark. Waiting a while for nothing only makes a stray frame likely to
    show; it costs that while in every test.

    The mark is sent as the code's pushes are (`notifications.group_send_now`, from a thread
    running for this loop), so it is queued behind any push still waiting to be sent.
    """
    if conversation is not None:
        group = notifications.chat_group(conversation.pk)
        event = {"type": "chat.message", "message": MARK}
    else:
        group = notifications.user_group(user.pk)
        event = notifications.notify_event(MARK)
    await database_sync_to_async(notifications.group_send_now)(group, event)
    return await receive(comm)
