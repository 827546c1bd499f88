"""The notification socket `/ws/notifications/`: unread counts and booking pushes."""

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import transaction

from bookings.models import Booking
from chat import notifications, services
from chat.tests.conftest import (
    MARK,
    chat_path,
    communicator,
    connected,
    make_message,
    next_frame_after_a_mark,
    receive,
    run,
)
from conftest import local_at, make_booking, set_every_day

pytestmark = pytest.mark.django_db(transaction=True)

PATH = "/ws/notifications/"
GROUP = notifications.user_group(1)


def test_anonymous_notification_socket_is_closed_with_4401():
    comm = communicator(PATH)

    async def scenario():
        await connected(comm)
        assert await comm.receive_output(timeout=3) == {"type": "websocket.close", "code": 4401}

    run(scenario)


def test_unread_count_is_sent_on_connect(conversation, client_user, pro):
    for body in ("a", "b"):
        make_message(conversation=conversation, sender=client_user, body=body)
    make_message(conversation=conversation, sender=pro.user, body="own message, not unread")
    comm = communicator(PATH, pro.user)

    async def scenario():
        await connected(comm)
        frame = await receive(comm)
        await comm.disconnect()
        return frame

    assert run(scenario) == {"type": "unread", "count": 2}


def test_new_message_pushes_the_recipients_unread_count_to_every_page(
    conversation, client_user, pro
):
    page1 = communicator(PATH, pro.user)
    page2 = communicator(PATH, pro.user)
    senders_page = communicator(PATH, client_user)
    chat = communicator(chat_path(conversation), client_user)

    async def scenario():
        for comm in (page1, page2, senders_page):
            await connected(comm)
            assert (await receive(comm))["count"] == 0
        await connected(chat)
        await chat.send_json_to({"type": "message", "body": "Hi!"})
        await receive(chat)
        pushed = [await receive(page1), await receive(page2)]
        assert await senders_page.receive_nothing(timeout=0.3)
        for comm in (page1, page2, senders_page, chat):
            await comm.disconnect()
        return pushed

    assert run(scenario) == [{"type": "unread", "count": 1}, {"type": "unread", "count": 1}]


def test_reading_pushes_the_readers_new_unread_count(conversation, client_user, pro):
    first = make_message(conversation=conversation, sender=client_user, body="one")
    make_message(conversation=conversation, sender=client_user, body="two")
    page = communicator(PATH, pro.user)
    chat = communicator(chat_path(conversation), pro.user)

    async def scenario():
        await connected(page)
        assert await receive(page) == {"type": "unread", "count": 2}
        await connected(chat)
        await chat.send_json_to({"type": "read", "up_to": first.pk})
        frame = await receive(page)
        for comm in (page, chat):
            await comm.disconnect()
        return frame

    assert run(scenario) == {"type": "unread", "count": 1}


def test_message_sent_through_the_service_reaches_the_notification_socket(
    conversation, client_user, pro
):
    page = communicator(PATH, pro.user)

    @database_sync_to_async
    def send():
        services.message_send(conversation=conversation, sender=client_user, body="From the API")

    async def scenario():
        await connected(page)
        await receive(page)
        await send()
        frame = await receive(page)
        await page.disconnect()
        return frame

    assert run(scenario) == {"type": "unread", "count": 1}


def test_notify_user_waits_for_the_commit_and_skips_rolled_back_work(client_user):
    page = communicator(PATH, client_user)

    @database_sync_to_async
    def rolled_back_then_committed():
        try:
            with transaction.atomic():
                notifications.notify_user(user_id=client_user.pk, payload={"type": "ghost"})
                raise RuntimeError("rollback")
        except RuntimeError:
            pass
        with transaction.atomic():
            notifications.notify_user(user_id=client_user.pk, payload={"type": "booking", "id": 1})

    async def scenario():
        await connected(page)
        await receive(page)
        await rolled_back_then_committed()  # the pushes of its commits are sent
        frame = await receive(page)
        assert await next_frame_after_a_mark(page, user=client_user) == MARK
        await page.disconnect()
        return frame

    assert run(scenario) == {"type": "booking", "id": 1}


def test_new_booking_request_is_pushed_to_the_pro(client_user, pro, service):
    booking = make_booking(
        client=client_user,
        service=service,
        starts_at=local_at(3, 10),
        status=Booking.Status.REQUESTED,
    )
    page = communicator(PATH, pro.user)

    @database_sync_to_async
    def transition():
        with transaction.atomic():
            notifications.on_booking_transitioned(
                sender=Booking,
                booking=booking,
                action="create",
                from_status="",
                to_status="requested",
                actor=client_user,
                reason="",
            )

    async def scenario():
        await connected(page)
        await receive(page)
        await transition()
        frame = await receive(page)
        await page.disconnect()
        return frame

    frame = run(scenario)
    assert frame["type"] == "booking"
    assert frame["id"] == booking.pk
    assert frame["status"] == "requested"
    assert frame["message"].startswith("New booking request: Haircut, ")


@pytest.mark.parametrize(
    ("action", "to_status"), [("confirm", "confirmed"), ("decline", "declined")]
)
def test_confirmation_or_decline_is_pushed_to_the_client(
    client_user, pro, service, action, to_status
):
    booking = make_booking(
        client=client_user, service=service, starts_at=local_at(3, 10), status=to_status
    )
    page = communicator(PATH, client_user)

    @database_sync_to_async
    def transition():
        notifications.on_booking_transitioned(
            sender=Booking,
            booking=booking,
            action=action,
            from_status="requested",
            to_status=to_status,
            actor=pro.user,
            reason="",
        )

    async def scenario():
        await connected(page)
        await receive(page)
        await transition()
        frame = await receive(page)
        await page.disconnect()
        return frame

    frame = run(scenario)
    assert frame["type"] == "booking"
    assert frame["status"] == to_status
    assert frame["message"].startswith(f"Paula Pro {to_status} your booking: Haircut, ")


def _cancelled_by(actor, *, client_user, pro, service):
    """Open a page of the client and one of the pro, let `actor` cancel, return both pages'
    frames (None: nothing came)."""
    booking = make_booking(
        client=client_user,
        service=service,
        starts_at=local_at(3, 10),
        status=Booking.Status.CANCELLED,
    )
    client_page = communicator(PATH, client_user)
    pro_page = communicator(PATH, pro.user)

    @database_sync_to_async
    def transition():
        with transaction.atomic():
            notifications.on_booking_transitioned(
                sender=Booking,
                booking=booking,
                action="cancel",
                from_status="confirmed",
                to_status="cancelled",
                actor=actor,
                reason="",
            )

    async def scenario():
        for comm in (client_page, pro_page):
            await connected(comm)
            await receive(comm)
        await transition()  # the pushes of its commit are sent
        frames = []
        for comm, user in ((client_page, client_user), (pro_page, pro.user)):
            frame = await next_frame_after_a_mark(comm, user=user)
            frames.append(None if frame == MARK else frame)
            if frame != MARK:
                assert await receive(comm) == MARK, "one push at most"
            await comm.disconnect()
        return frames

    return booking, run(scenario)


def test_a_clients_cancellation_is_pushed_to_the_pro_not_back_to_the_client(
    client_user, pro, service
):
    booking, (to_client, to_pro) = _cancelled_by(
        client_user, client_user=client_user, pro=pro, service=service
    )
    assert to_client is None
    assert (to_pro["id"], to_pro["status"]) == (booking.pk, "cancelled")
    assert to_pro["message"].startswith("Chloé Client cancelled: Haircut, ")


def test_the_pros_own_change_refreshes_their_pages_without_a_message(client_user, pro, service):
    booking, (to_client, to_pro) = _cancelled_by(
        pro.user, client_user=client_user, pro=pro, service=service
    )
    assert to_client is None
    assert to_pro == {"type": "booking", "id": booking.pk, "status": "cancelled", "message": ""}


def test_the_bookings_lifecycle_signal_reaches_the_pros_notification_socket(
    client_user, pro, service
):
    from bookings import lifecycle

    booking = make_booking(
        client=client_user,
        service=service,
        starts_at=local_at(3, 10),
        status=Booking.Status.REQUESTED,
    )
    page = communicator(PATH, pro.user)

    @database_sync_to_async
    def transition():
        with transaction.atomic():
            lifecycle.booking_transitioned.send(
                sender=Booking,
                booking=booking,
                action="book",
                from_status="",
                to_status="requested",
                actor=client_user,
                reason="",
            )

    async def scenario():
        await connected(page)
        await receive(page)
        await transition()
        frame = await receive(page)
        await page.disconnect()
        return frame

    frame = run(scenario)
    assert (frame["type"], frame["id"], frame["status"]) == ("booking", booking.pk, "requested")


@pytest.mark.parametrize("action", ["create", "payment_received"])
def test_a_booking_confirmed_without_review_is_pushed_to_the_pro(client_user, pro, service, action):
    booking = make_booking(client=client_user, service=service, starts_at=local_at(3, 10))
    page = communicator(PATH, pro.user)

    @database_sync_to_async
    def transition():
        notifications.on_booking_transitioned(
            sender=Booking,
            booking=booking,
            action=action,
            from_status="" if action == "create" else "pending_payment",
            to_status="confirmed",
            actor=client_user,
            reason="",
        )

    async def scenario():
        await connected(page)
        await receive(page)
        await transition()
        frame = await receive(page)
        await page.disconnect()
        return frame

    frame = run(scenario)
    assert frame["status"] == "confirmed"
    assert frame["message"].startswith("New booking: Haircut, ")


def test_a_new_review_is_pushed_to_the_pro(client_user, pro, service):
    from bookings import services as booking_services

    booking = make_booking(
        client=client_user,
        service=service,
        starts_at=local_at(-2, 10),
        status=Booking.Status.COMPLETED,
    )
    page = communicator(PATH, pro.user)

    @database_sync_to_async
    def review():
        return booking_services.review_create(
            booking=booking, by=client_user, rating=4, text="Lovely"
        )

    async def scenario():
        await connected(page)
        await receive(page)  # the unread count on connect
        made = await review()
        frame = await receive(page)
        await page.disconnect()
        return made, frame

    made, frame = run(scenario)
    assert (frame["type"], frame["id"], frame["rating"]) == ("review", made.pk, 4)
    assert frame["message"] == f"New review ★★★★ (4/5) for {service.name}."
    assert frame["url"].endswith(f"/bookings/reviews/#review-{made.pk}")


def test_a_waitlist_offer_is_pushed_to_the_waiting_client(client_user, other_client, pro, service):
    from datetime import time

    from bookings import services as booking_services

    set_every_day(pro)
    taken = make_booking(client=other_client, service=service, starts_at=local_at(3, 10))
    booking_services.waitlist_join(
        client=client_user,
        day=local_at(3, 12).date(),
        from_time=time(10),
        to_time=time(10, 15),
        zone="Europe/Paris",
        pro=pro,
        service=service,
    )
    page = communicator(PATH, client_user)

    @database_sync_to_async
    def cancel():
        booking_services.booking_transition(booking=taken, action="cancel", by=other_client)

    async def scenario():
        await connected(page)
        await receive(page)
        await cancel()
        frame = await receive(page)
        await page.disconnect()
        return frame

    frame = run(scenario)
    assert frame["type"] == "waitlist"
    assert frame["message"].startswith(f"A time freed up with {pro.display_name}: Haircut, ")
    assert "/bookings/waitlist/offer/" in frame["url"]


def test_a_thread_working_for_an_event_loop_queues_its_pushes_and_goes_on(monkeypatch):
    """A request under daphne (or a consumer's database work) does not wait for its pushes:
    they are queued on the server's loop and sent there, in order."""
    layer = get_channel_layer()
    sent: list[dict] = []

    async def scenario():
        release = asyncio.Event()

        async def slow_group_send(group, event):
            await release.wait()
            sent.append(event)

        monkeypatch.setattr(layer, "group_send", slow_group_send)

        @database_sync_to_async
        def push_three():
            for n in range(3):
                notifications.group_send_now(GROUP, notifications.notify_event({"n": n}))

        # Waiting for the sends would never end: they wait for `release`, set below.
        await asyncio.wait_for(push_three(), timeout=5)
        assert sent == []
        release.set()
        for _ in range(100):
            if len(sent) == 3:
                break
            await asyncio.sleep(0.01)

    run(scenario)
    assert [event["payload"]["n"] for event in sent] == [0, 1, 2]


def test_a_push_from_code_without_an_event_loop_is_sent_before_it_returns():
    """A management command or the test client: the push is in the layer once the call
    returns."""
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(GROUP, channel)

    notifications.group_send_now(GROUP, notifications.notify_event({"type": "ping"}))

    received = async_to_sync(layer.receive)(channel)
    assert received["payload"] == {"type": "ping"}
