"""Live pushes to a user's open pages over `/ws/notifications/` (group `user.<id>`).

Everything here is synchronous and safe to call inside a transaction: the push happens after
the commit (`transaction.on_commit`), so nobody is told about a row that was rolled back, and a
failing channel layer is logged instead of breaking the write (`robust=True`).

A message in a push is written for its recipient: in their language (`speaking`) and their
zone, whoever's request caused it.
"""

import asyncio
import collections
import logging
import os
import weakref
from zoneinfo import ZoneInfo

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.urls import reverse
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.languages import speaking
from accounts.timezones import viewer_zone, zone_of
from bookings import lifecycle
from timz.formats import pattern

logger = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def chat_group(conversation_id: int) -> str:
    return f"chat.{conversation_id}"


def notify_event(payload: dict) -> dict:
    """The channel-layer event that brings `payload` to a user's open pages (NotificationConsumer's
    `notify`)."""
    return {"type": "notify", "payload": payload}


def group_send_now(group: str, event: dict) -> None:
    """Send to a channel-layer group from synchronous code (no-op without a layer).

    In a thread that runs for an event loop (a request under daphne, a consumer's database
    work), the send is queued on that loop and the thread goes on at once: the pushes of one
    loop leave in the order they were queued, one after the other (`_send_queued`). A booking
    on Redis waited about 6 ms for its pushes before answering. Elsewhere (a management
    command, the test client) the thread waits for the send, as before."""
    layer = get_channel_layer()
    if layer is None:
        return
    loop = _running_loop_of_this_thread()
    if loop is not None:
        try:
            loop.call_soon_threadsafe(_queue_on_loop, layer, group, event)
            return
        except RuntimeError:  # the loop closed meanwhile: send from here
            pass
    try:
        async_to_sync(layer.group_send)(group, event)
    except Exception:  # a push is best effort; the data is already saved
        logger.exception("chat: group_send to %s failed", group)


# Pushes waiting to be sent, per event loop; each has one task sending them while it is not empty.
_queued: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, collections.deque] = (
    weakref.WeakKeyDictionary()
)
_senders: set[asyncio.Task] = set()  # a reference to each running sender task


def _running_loop_of_this_thread() -> asyncio.AbstractEventLoop | None:
    """The event loop this thread runs synchronous code for, if it is still running: asgiref
    records it (SyncToAsync) in the threads it lends to sync code."""
    threadlocal = SyncToAsync.threadlocal
    loop = getattr(threadlocal, "main_event_loop", None)
    if loop is None or getattr(threadlocal, "main_event_loop_pid", None) != os.getpid():
        return None
    return loop if loop.is_running() and not loop.is_closed() else None


def _queue_on_loop(layer, group: str, event: dict) -> None:
    """On the loop: queue the push, and start a sender if none is running."""
    loop = asyncio.get_running_loop()
    queue = _queued.get(loop)
    if queue is not None:
        queue.append((layer, group, event))
        return
    _queued[loop] = collections.deque([(layer, group, event)])
    task = loop.create_task(_send_queued(loop))
    _senders.add(task)
    task.add_done_callback(_senders.discard)


async def _send_queued(loop: asyncio.AbstractEventLoop) -> None:
    """Send the loop's queued pushes in order until none is left (then stop: the next push
    starts a new sender)."""
    queue = _queued[loop]
    try:
        while queue:
            layer, group, event = queue.popleft()
            try:
                await layer.group_send(group, event)
            except Exception:  # a push is best effort; the data is already saved
                logger.exception("chat: group_send to %s failed", group)
    finally:
        del _queued[loop]


def group_send_on_commit(group: str, event: dict) -> None:
    transaction.on_commit(lambda: group_send_now(group, event), robust=True)


def notify_user(*, user_id: int, payload: dict) -> None:
    """Push `payload` (a JSON-able dict with a "type") to every open page of the user, after
    the surrounding transaction commits."""
    group_send_on_commit(user_group(user_id), notify_event(payload))


def push_unread_count(*, user_id: int) -> None:
    """After the commit, count the user's unread messages and push {"type": "unread"}."""

    def push():
        from accounts.models import User
        from chat.selectors import unread_count_for_user

        user = User(pk=user_id)
        count = unread_count_for_user(user=user)
        group_send_now(user_group(user_id), notify_event({"type": "unread", "count": count}))

    transaction.on_commit(push, robust=True)


def _local(moment, zone: ZoneInfo, name: str = "WEEKDAY_DAY_MONTH_TIME") -> str:
    """`moment` on the clock of `zone`, in the active language: "Tue 1 Dec, 09:00"."""
    return date_format(moment.astimezone(zone), pattern(name))


# Booking pushes (connected to bookings.lifecycle.booking_transitioned in ChatConfig.ready()).
# Every change reaches the pro's open pages: static/js/booking.js refreshes the agenda on it.
# The pro's answers to a request, which the client hears about (%(name)s is the pro's).
CLIENT_NEWS_MESSAGES = {
    "confirm": gettext_lazy("%(name)s confirmed your booking: %(service)s, %(when)s."),
    "decline": gettext_lazy("%(name)s declined your booking: %(service)s, %(when)s."),
}
CLIENT_NEWS_ACTIONS = tuple(CLIENT_NEWS_MESSAGES)
# Actions that make a booking exist for the pro without a request to review.
NEW_BOOKING_ACTIONS = ("create", *lifecycle.HOLD_ENDING_ACTIONS)
# News for the pro of a booking that someone else made.
NEW_REQUEST_MESSAGE = gettext_lazy("New booking request: %(service)s, %(when)s.")
NEW_BOOKING_MESSAGE = gettext_lazy("New booking: %(service)s, %(when)s.")
# What the client did to a booking, told to the pro (%(name)s is the client's).
CLIENT_CHANGE_MESSAGES = {
    "cancel": gettext_lazy("%(name)s cancelled: %(service)s, %(when)s."),
    "reschedule": gettext_lazy("%(name)s moved their booking: %(service)s, now %(when)s."),
}


def on_booking_transitioned(
    sender, *, booking, action, from_status, to_status, actor=None, reason="", **kwargs
):
    """Push booking news to the person who has to know:
    - the pro, on every change of one of their bookings, so that their open agenda refreshes
      itself; with a message when it is news from someone else: a new request, a new booking
      confirmed straight away (instant or paid), the client cancelling or moving it;
    - the client: the pro confirmed or declined their request."""
    pro = booking.pro
    by_client = actor is not None and actor.pk == booking.client_id
    message = ""
    if to_status == "requested" and from_status != "requested" and action != "reschedule":
        template = NEW_REQUEST_MESSAGE
    elif to_status == "confirmed" and action in NEW_BOOKING_ACTIONS:
        template = NEW_BOOKING_MESSAGE
    elif action in CLIENT_CHANGE_MESSAGES and by_client:
        template = CLIENT_CHANGE_MESSAGES[action]
    else:
        template = None
    if template is not None:
        with speaking(pro.user):
            values = {
                "service": booking.localized_service_name,
                "when": _local(booking.starts_at, zone_of(pro.timezone)),
            }
            if template is CLIENT_CHANGE_MESSAGES.get(action):  # only these name the client
                values["name"] = booking.client.display_name
            message = template % values
    notify_user(
        user_id=pro.user_id,
        payload={"type": "booking", "id": booking.pk, "status": to_status, "message": message},
    )
    if action in CLIENT_NEWS_ACTIONS:
        client_zone = viewer_zone(booking.client, fallback=pro.timezone)
        with speaking(booking.client):
            news = CLIENT_NEWS_MESSAGES[action] % {
                "name": pro.display_name,
                "service": booking.localized_service_name,
                "when": _local(booking.starts_at, client_zone),
            }
        notify_user(
            user_id=booking.client_id,
            payload={"type": "booking", "id": booking.pk, "status": to_status, "message": news},
        )


def on_review_created(sender, *, review, **kwargs):
    """Tell the reviewed pro, live, that a review arrived (connected to
    bookings.signals.review_created in ChatConfig.ready(); pushed after the commit)."""
    with speaking(review.pro.user):
        message = _("New review %(stars)s (%(rating)s/5) for %(service)s.") % {
            "stars": "★" * review.rating,
            "rating": review.rating,
            "service": review.booking.localized_service_name,
        }
    notify_user(
        user_id=review.pro.user_id,
        payload={
            "type": "review",
            "id": review.pk,
            "rating": review.rating,
            "message": message,
            "url": reverse("bookings:reviews") + f"#review-{review.pk}",
        },
    )


def on_waitlist_offered(sender, *, offer, **kwargs):
    """Tell the client that a time they waited for is held for them (connected to
    bookings.signals.waitlist_offered in ChatConfig.ready())."""
    from bookings.emails import offer_url

    client = offer.entry.client
    zone = viewer_zone(client, fallback=offer.pro.timezone)
    with speaking(client):
        message = _(
            "A time freed up with %(name)s: %(service)s, %(when)s. Held for you until %(until)s."
        ) % {
            "name": offer.pro.display_name,
            "service": offer.service.localized_name,
            "when": _local(offer.starts_at, zone),
            "until": _local(offer.expires_at, zone, "H:i"),
        }
    notify_user(
        user_id=client.pk,
        payload={
            "type": "waitlist",
            "id": offer.pk,
            "message": message,
            "url": offer_url(offer),
        },
    )
