"""Websocket consumers: one conversation (`ws/chat/<id>/`) and a user's notifications
(`ws/notifications/`).

Refusals are sent after accepting, so the browser sees the close code: 4401 for an anonymous
connection, 4403 for someone who is not one of the two participants (closing before the accept
would surface only as an HTTP 403 during the handshake).

Frames in:  {"type": "message", "body"}, {"type": "read", "up_to"}, {"type": "typing"}.
Frames out: {"type": "message", "id", "sender", "sender_name", "body", "created_at"},
            {"type": "read", "up_to", "by"}, {"type": "typing", "by"}, {"type": "error", "detail"},
            {"type": "resync"}.
A bad frame gets an error frame and the connection stays open; error details are in the
language the user reads pages in (`scope_language`). Messages are saved by
chat.services.message_send and reach every socket of the conversation (the sender's other tabs
too) from the channel-layer group after the commit; typing is relayed, never stored, and never
echoed to the typist's own sockets.
"""

import json
import time
from types import SimpleNamespace
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.languages import is_supported
from chat import notifications, selectors, services
from timz.input import NUL_MESSAGE, has_nul

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
# A reconnecting socket (`?after=<id>`) is replayed at most this many missed messages, oldest
# first; when it missed more, a {"type": "resync"} frame follows and the page reloads its
# history over HTTP instead (the socket must not stream a whole conversation).
REPLAY_LIMIT = 100
TYPING_INTERVAL = 1.0  # seconds


def scope_language(scope) -> str:
    """The language of a websocket's pages, chosen as for a page (accounts.languages): the
    user's own, else the switcher's cookie, else Accept-Language, else LANGUAGE_CODE."""
    user = scope.get("user")
    own = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
    if is_supported(own):
        return own
    headers = dict(scope.get("headers", ()))
    # What Django's LocaleMiddleware reads from a request: the cookie and Accept-Language.
    request = SimpleNamespace(
        COOKIES=scope.get("cookies", {}),
        META={"HTTP_ACCEPT_LANGUAGE": headers.get(b"accept-language", b"").decode("latin-1")},
    )
    return translation.get_language_from_request(request)


class ChatConsumer(AsyncJsonWebsocketConsumer):
    conversation = None
    group_name = None
    last_typing = float("-inf")
    language = None

    async def connect(self):
        self.user = self.scope.get("user")
        if self.user is None or not self.user.is_authenticated:
            await self._refuse(CLOSE_UNAUTHENTICATED)
            return
        conversation_id = self.scope["url_route"]["kwargs"]["conversation_id"]
        self.conversation = await self._get_conversation(conversation_id)
        if self.conversation is None:
            await self._refuse(CLOSE_FORBIDDEN)
            return
        self.language = scope_language(self.scope)
        self.group_name = notifications.chat_group(self.conversation.pk)
        # Join the group before completing the handshake, so that a client that sees the socket
        # open never misses a message; then replay what it missed. A message sent in between
        # can arrive twice, never zero times: clients drop ids they already have.
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()
        after = self._after_param()
        if after is not None:
            await self._replay(after)

    async def _refuse(self, code: int) -> None:
        await self.accept()
        await self.close(code=code)

    async def disconnect(self, code):
        if self.group_name:
            await self.channel_layer.group_discard(self.group_name, self.channel_name)

    def _after_param(self) -> int | None:
        """The `after` message id of the query string: None when absent or not an id >= 1
        (a bigint's digits at most)."""
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        values = query.get("after")
        if not values or not values[0].isascii() or not values[0].isdigit():
            return None
        if len(values[0]) > 18:
            return None
        after = int(values[0])
        return after if after >= 1 else None

    async def _replay(self, after: int) -> None:
        batch = await self._messages_after(after)
        for message in batch[:REPLAY_LIMIT]:
            await self.send_json(services.message_payload(message, conversation=self.conversation))
        if len(batch) > REPLAY_LIMIT:
            await self.send_json({"type": "resync"})

    # Frames from the browser --------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None):
        if self.conversation is None:
            return
        # Refusals, the services' included, are written in the user's language.
        with translation.override(self.language):
            await self._receive(text_data)

    async def _receive(self, text_data) -> None:
        if text_data is None:
            await self._error(_("Frames must be JSON text."))
            return
        try:
            frame = json.loads(text_data)
        except ValueError:
            await self._error(_("Frames must be JSON objects."))
            return
        if not isinstance(frame, dict):
            await self._error(_("Frames must be JSON objects."))
            return
        if has_nul(frame):
            await self._error(str(NUL_MESSAGE))
            return
        kind = frame.get("type")
        handler = {
            "message": self._on_message,
            "read": self._on_read,
            "typing": self._on_typing,
        }.get(kind if isinstance(kind, str) else None)
        if handler is None:
            await self._error(_('Unknown frame type: use "message", "read" or "typing".'))
            return
        await handler(frame)

    async def _on_message(self, frame: dict) -> None:
        await self._call(self._send_message, frame.get("body"))

    async def _on_read(self, frame: dict) -> None:
        await self._call(self._mark_read, frame.get("up_to"))

    async def _call(self, service, argument) -> None:
        """Run a service; a refusal becomes an error frame and the socket stays open."""
        try:
            await service(argument)
        except ValidationError as exc:
            await self._error(" ".join(exc.messages))
        except PermissionDenied as exc:
            await self._error(str(exc) or _("Not allowed."))

    async def _on_typing(self, frame: dict) -> None:
        # Relayed at most once a second per socket: a typing notice is a hint, not a stream.
        now = time.monotonic()
        if now - self.last_typing < TYPING_INTERVAL:
            return
        self.last_typing = now
        await self.channel_layer.group_send(
            self.group_name, {"type": "chat.typing", "by": self.user.pk}
        )

    async def _error(self, detail: str) -> None:
        await self.send_json({"type": "error", "detail": detail})

    # Events from the group ----------------------------------------------------------------

    async def chat_message(self, event):
        await self.send_json(event["message"])

    async def chat_read(self, event):
        await self.send_json({"type": "read", "up_to": event["up_to"], "by": event["by"]})

    async def chat_typing(self, event):
        if event["by"] != self.user.pk:
            await self.send_json({"type": "typing", "by": event["by"]})

    # Database -----------------------------------------------------------------------------

    @database_sync_to_async
    def _get_conversation(self, pk):
        try:
            return selectors.conversation_get_for_user(user=self.user, pk=pk)
        except Http404:
            return None

    @database_sync_to_async
    def _messages_after(self, after: int):
        return selectors.messages_after(
            conversation_id=self.conversation.pk, after=after, limit=REPLAY_LIMIT + 1
        )

    @database_sync_to_async
    def _send_message(self, body):
        return services.message_send(conversation=self.conversation, sender=self.user, body=body)

    @database_sync_to_async
    def _mark_read(self, up_to):
        return services.messages_mark_read(
            conversation=self.conversation, reader=self.user, up_to=up_to
        )


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    """Everything pushed to group `user.<id>`: {"type": "unread", "count"} on connect and on
    every change, and {"type": "booking", ...} events for bookings."""

    group_name = None

    async def connect(self):
        self.user = self.scope.get("user")
        if self.user is None or not self.user.is_authenticated:
            await self.accept()
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.group_name = notifications.user_group(self.user.pk)
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()
        count = await database_sync_to_async(selectors.unread_count_for_user)(user=self.user)
        await self.send_json({"type": "unread", "count": count})

    async def disconnect(self, code):
        if self.group_name:
            await self.channel_layer.group_discard(self.group_name, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        # Push only; the browser has nothing to say here.
        if self.group_name:
            await self.send_json({"type": "error", "detail": "This socket only pushes."})

    async def notify(self, event):
        await self.send_json(event["payload"])
