"""Chat in the reader's language: what is written for someone else (unread emails, live
notices) is in the recipient's language and zone, whoever caused it; pages and socket refusals
are in the language of the person reading them."""

from datetime import UTC, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from bookings.models import Booking
from chat import consumers, notifications
from chat.models import Message
from chat.tasks import send_unread_email
from chat.templatetags.chat_tags import short_when
from chat.tests.conftest import chat_path, communicator, connected, make_message, receive, run
from conftest import login, make_booking

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
# A Sunday evening in Paris; the booking is on the Tuesday after, at 10:00 there.
NOW = datetime(2026, 11, 29, 18, 0, tzinfo=UTC)
STARTS = datetime(2026, 12, 1, 10, 0, tzinfo=PARIS)


def speaks(user, language: str):
    user.language = language
    user.save(update_fields=["language"])
    return user


def test_the_unread_email_is_written_in_the_recipients_language(
    client_user, pro, conversation, mailoutbox
):
    speaks(pro.user, "de")
    message = make_message(conversation=conversation, sender=client_user, body="Hallo?")

    with translation.override("en"):  # the sender's request, or a worker, reads English
        send_unread_email.call(
            conversation_id=conversation.pk, recipient_id=pro.user_id, up_to=message.pk
        )
        assert translation.get_language() == "en"

    (email,) = mailoutbox
    html = email.alternatives[0][0]
    assert '<html lang="de">' in html
    assert email.subject == "[Timz] Neue Nachricht von Chloé Client"
    assert (
        "Chloé Client hat Ihnen auf Timz eine Nachricht geschickt, "
        "die Sie noch nicht gelesen haben:" in email.body
    )
    assert "New message" not in email.subject
    assert "sent you a message" not in email.body


def test_the_unread_email_follows_the_site_language_for_a_recipient_without_one(
    client_user, pro, conversation, mailoutbox
):
    make_message(conversation=conversation, sender=client_user, body="one")
    last = make_message(conversation=conversation, sender=client_user, body="two")

    with translation.override("fr"):
        send_unread_email.call(
            conversation_id=conversation.pk, recipient_id=pro.user_id, up_to=last.pk
        )

    (email,) = mailoutbox
    assert '<html lang="en">' in email.alternatives[0][0]
    assert email.subject == "[Timz] 2 new messages from Chloé Client"


@pytest.fixture
def pushed(monkeypatch):
    """The payloads notify_user would push, by user id."""
    sent: dict[int, list[dict]] = {}
    monkeypatch.setattr(
        notifications,
        "notify_user",
        lambda *, user_id, payload: sent.setdefault(user_id, []).append(payload),
    )
    return sent


def test_a_new_request_is_told_to_a_german_pro_in_german(travel, client_user, pro, service, pushed):
    travel(NOW)
    speaks(pro.user, "de")
    booking = make_booking(
        client=client_user, service=service, starts_at=STARTS, status=Booking.Status.REQUESTED
    )

    with translation.override("en"):
        notifications.on_booking_transitioned(
            sender=Booking,
            booking=booking,
            action="create",
            from_status="",
            to_status="requested",
            actor=client_user,
        )

    (frame,) = pushed[pro.user_id]
    assert frame["message"] == "Neue Buchungsanfrage: Haircut, Di, 1. Dez., 10:00."


def test_a_confirmation_is_told_to_the_client_in_their_language_and_zone(
    travel, client_user, pro, service, pushed
):
    travel(NOW)
    speaks(pro.user, "de")
    client_user.client_profile.timezone = "America/New_York"
    client_user.client_profile.save(update_fields=["timezone"])
    booking = make_booking(client=client_user, service=service, starts_at=STARTS)

    with translation.override("de"):  # the pro's request reads German
        notifications.on_booking_transitioned(
            sender=Booking,
            booking=booking,
            action="confirm",
            from_status="requested",
            to_status="confirmed",
            actor=pro.user,
        )

    (frame,) = pushed[client_user.pk]
    assert frame["message"] == "Paula Pro confirmed your booking: Haircut, Tue 1 Dec, 04:00."


@pytest.mark.parametrize(
    ("value", "language", "shown"),
    [
        (datetime(2026, 11, 29, 8, 5, tzinfo=UTC), "de", "09:05"),
        (datetime(2026, 11, 27, 8, 5, tzinfo=UTC), "en", "Fri"),
        (datetime(2026, 11, 27, 8, 5, tzinfo=UTC), "de", "Fr"),
        (datetime(2026, 11, 12, 8, 5, tzinfo=UTC), "en", "12 Nov"),
        (datetime(2026, 11, 12, 8, 5, tzinfo=UTC), "de", "12. Nov."),
        (datetime(2025, 12, 3, 8, 5, tzinfo=UTC), "en", "3 Dec 2025"),
        (datetime(2025, 12, 3, 8, 5, tzinfo=UTC), "fr", "3 déc. 2025"),
    ],
)
def test_the_inboxs_short_times_read_as_the_language_writes_them(travel, value, language, shown):
    travel(NOW)

    with translation.override(language):
        assert short_when(value, PARIS) == shown


def test_a_conversation_reads_in_the_browsers_language_with_days_in_the_readers_zone(
    travel, client_user, pro, conversation
):
    travel(NOW)
    # 23:30 UTC on Sunday is already Monday in Paris, the client's zone.
    make_message(
        conversation=conversation,
        sender=pro.user,
        body="Bis bald",
        created_at=datetime(2026, 11, 29, 23, 30, tzinfo=UTC),
    )
    http = login(client_user)

    html = http.get(conversation.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert '<html lang="de">' in html
    assert '<li class="chat-day"><span>Montag, 30. November 2026</span></li>' in html
    assert 'data-today="2026-11-29"' in html
    assert 'data-today-label="Sonntag, 29. November 2026"' in html


@pytest.mark.parametrize(
    ("own", "cookie", "accept", "language"),
    [
        ("de", "fr", "es", "de"),
        ("", "fr", "es", "fr"),
        ("", "", "es-ES,es;q=0.9", "es"),
        ("", "", "", "en"),
    ],
)
def test_a_socket_speaks_the_language_of_its_users_pages(own, cookie, accept, language):
    scope = {
        "user": SimpleNamespace(is_authenticated=True, language=own),
        "cookies": {"django_language": cookie} if cookie else {},
        "headers": [(b"accept-language", accept.encode())] if accept else [],
    }

    assert consumers.scope_language(scope) == language


@pytest.mark.django_db(transaction=True)
def test_a_refusal_on_the_socket_is_written_in_the_users_language(
    client_user, conversation, monkeypatch
):
    speaks(client_user, "de")

    def refuse(*, conversation, sender, body):
        raise ValidationError(f"language {translation.get_language()}")

    monkeypatch.setattr(consumers.services, "message_send", refuse)
    socket = communicator(chat_path(conversation), client_user)

    async def scenario():
        await connected(socket)
        await socket.send_json_to({"type": "message", "body": "Hallo"})
        frame = await receive(socket)
        await socket.disconnect()
        return frame

    assert run(scenario) == {"type": "error", "detail": "language de"}
    assert not Message.objects.exists()
