"""Booking emails: the right side gets the right message, in their zone, with the .ics."""

from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from accounts.services import account_delete
from bookings import emails, services
from bookings.models import Booking
from conftest import PASSWORD, local_at, make_booking

pytestmark = pytest.mark.django_db

S = Booking.Status


def test_instant_booking_confirms_to_the_client_with_ics_and_tells_the_pro(
    working_pro, service, client_user, commit, mailoutbox
):
    with commit():
        booking = services.booking_create(
            client=client_user, service=service, starts_at=local_at(4, 10), note="Short please"
        )
    to_client, to_pro = mailoutbox
    assert to_client.to == [client_user.email]
    assert to_client.subject.startswith("[Timz] Booking confirmed: Haircut")
    assert "10:00" in to_client.subject and "Europe/Paris" in to_client.subject
    assert "Paula Pro" in to_client.body
    name, content, mimetype = to_client.attachments[0]
    assert name == "invite.ics"
    assert mimetype == "application/ics"
    event = Calendar.from_ical(content).walk("VEVENT")[0]
    assert str(event["UID"]).startswith(f"booking-{booking.pk}@")
    html, kind = to_client.alternatives[0]
    assert kind == "text/html" and "Haircut" in html
    assert to_pro.to == [working_pro.user.email]
    assert to_pro.subject.startswith("[Timz] New booking:")
    assert "Short please" in to_pro.body
    assert [name for name, _content, _type in to_pro.attachments] == ["invite.ics"]


def test_request_goes_to_the_pro_only(request_mode, service, client_user, commit, mailoutbox):
    with commit():
        services.booking_create(client=client_user, service=service, starts_at=local_at(4, 10))
    assert [m.to for m in mailoutbox] == [[request_mode.user.email]]
    assert "request" in mailoutbox[0].subject.lower()
    assert "accept or decline" in mailoutbox[0].body


def test_accepting_a_request_confirms_to_the_client(
    request_mode, service, client_user, commit, mailoutbox
):
    booking = make_booking(
        client=client_user, service=service, starts_at=local_at(4, 10), status=S.REQUESTED
    )
    with commit():
        services.booking_transition(booking=booking, action="confirm", by=request_mode.user)
    assert [m.to for m in mailoutbox] == [[client_user.email]]
    assert "confirmed" in mailoutbox[0].subject
    assert mailoutbox[0].attachments


def test_decline_tells_the_client_the_reason(
    request_mode, service, client_user, commit, mailoutbox
):
    booking = make_booking(
        client=client_user, service=service, starts_at=local_at(4, 10), status=S.REQUESTED
    )
    with commit():
        services.booking_transition(
            booking=booking, action="decline", by=request_mode.user, reason="Fully booked, sorry"
        )
    assert [m.to for m in mailoutbox] == [[client_user.email]]
    assert "Fully booked, sorry" in mailoutbox[0].body


def test_client_cancellation_goes_to_the_pro(working_pro, service, client_user, commit, mailoutbox):
    booking = make_booking(client=client_user, service=service, starts_at=local_at(4, 10))
    with commit():
        services.booking_transition(booking=booking, action="cancel", by=client_user)
    assert [m.to for m in mailoutbox] == [[working_pro.user.email]]
    assert "cancelled" in mailoutbox[0].subject


def test_pro_cancellation_goes_to_the_client(working_pro, service, client_user, commit, mailoutbox):
    booking = make_booking(client=client_user, service=service, starts_at=local_at(4, 10))
    with commit():
        services.booking_transition(
            booking=booking, action="cancel", by=working_pro.user, reason="Ill today"
        )
    assert [m.to for m in mailoutbox] == [[client_user.email]]
    assert "Ill today" in mailoutbox[0].body


def test_booking_emails_are_not_sent_to_a_client_who_deleted_their_account(
    working_pro, service, client_user, commit, mailoutbox
):
    booking = make_booking(client=client_user, service=service, starts_at=local_at(4, 10))
    with commit():
        account_delete(user=client_user, password=PASSWORD)
    mailoutbox.clear()

    # Emails queued before the deletion run after it: only the active side hears of them.
    assert emails.send_for(booking_id=booking.pk, kind="confirmed") == 0
    assert emails.send_for(booking_id=booking.pk, kind="cancel") == 1

    assert [m.to for m in mailoutbox] == [[working_pro.user.email]]


def test_booking_emails_are_not_sent_to_a_pro_who_deleted_their_account(
    working_pro, service, client_user, commit, mailoutbox
):
    booking = make_booking(client=client_user, service=service, starts_at=local_at(4, 10))
    with commit():
        account_delete(user=working_pro.user, password=PASSWORD)
    mailoutbox.clear()

    assert emails.send_for(booking_id=booking.pk, kind="booked") == 1  # not "booked_pro"
    assert emails.send_for(booking_id=booking.pk, kind="cancel:client") == 0

    assert [m.to for m in mailoutbox] == [[client_user.email]]


def test_reschedule_tells_the_other_side_the_new_time_in_their_zone(
    working_pro, service, client_user, commit, mailoutbox
):
    profile = client_user.client_profile
    profile.timezone = "America/New_York"
    profile.save()
    booking = make_booking(client=client_user, service=service, starts_at=local_at(4, 10))
    with commit():
        services.booking_transition(
            booking=booking, action="reschedule", by=working_pro.user, starts_at=local_at(5, 16)
        )
    (message,) = mailoutbox
    assert message.to == [client_user.email]
    new_local = local_at(5, 16).astimezone(ZoneInfo("America/New_York"))
    assert f"{new_local:%H:%M}" in message.body
    assert "America/New_York" in message.body
    event = Calendar.from_ical(message.attachments[0][1]).walk("VEVENT")[0]
    assert event["SEQUENCE"] == 1


def test_emails_of_a_missing_booking_send_nothing(db, mailoutbox):
    assert emails.send_for(booking_id=987654, kind="reminder") == 0
    assert mailoutbox == []


def test_every_kind_renders_for_both_sides(working_pro, service, client_user):
    booking = make_booking(client=client_user, service=service, starts_at=local_at(4, 10))
    for kind in emails.KINDS:
        for side in ("client", "pro"):
            message = emails.build(booking, kind, side)
            assert message.subject.startswith("[Timz] ")
            assert "Haircut" in message.body
            assert "{{" not in message.body and "{%" not in message.body


def test_paid_booking_confirms_to_the_client_and_tells_the_pro(
    working_pro, service, client_user, commit, mailoutbox
):
    booking = make_booking(
        client=client_user, service=service, starts_at=local_at(4, 10), status=S.PENDING_PAYMENT
    )
    with commit():
        services.booking_transition(booking=booking, action="payment_received", by=None)
    assert [m.to for m in mailoutbox] == [[client_user.email], [working_pro.user.email]]
    assert mailoutbox[0].attachments


def test_expired_payment_hold_says_the_payment_was_not_completed(
    working_pro, service, client_user, commit, mailoutbox
):
    from datetime import timedelta

    from django.utils import timezone

    booking = make_booking(
        client=client_user,
        service=service,
        starts_at=local_at(4, 10),
        status=S.PENDING_PAYMENT,
        expires_at=timezone.now() - timedelta(minutes=1),
    )
    with commit():
        services.booking_transition(booking=booking, action="expire", by=None)
    (message,) = mailoutbox
    assert "payment for your booking was not completed" in message.body


def test_with_the_database_backend_emails_wait_for_the_worker(
    settings, working_pro, service, client_user, commit, mailoutbox
):
    """Production (TASKS_BACKEND=database): the email is a queued task row for `db_worker`."""
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with commit():
        services.booking_create(client=client_user, service=service, starts_at=local_at(4, 10))
    assert mailoutbox == []
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "bookings.tasks.send_booking_emails"
    assert queued.args_kwargs["args"][1] == "booked"


def test_with_the_database_backend_the_email_task_commits_with_the_booking(
    settings, working_pro, service, client_user, django_capture_on_commit_callbacks
):
    """The task row is written in the booking's own transaction (no commit of its own after
    it): there before any on-commit callback runs, and gone if the booking is rolled back."""
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with django_capture_on_commit_callbacks(execute=False):
        services.booking_create(client=client_user, service=service, starts_at=local_at(4, 10))
        assert DBTaskResult.objects.get().args_kwargs["args"][1] == "booked"

    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        services.booking_create(client=client_user, service=service, starts_at=local_at(5, 10))
        raise Undo
    assert DBTaskResult.objects.count() == 1
