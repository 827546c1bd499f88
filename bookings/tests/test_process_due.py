"""manage.py process_due: expiry of stale requests and holds, reminders sent exactly once."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from bookings import services
from bookings.models import Booking
from conftest import local_at, make_booking

pytestmark = pytest.mark.django_db

S = Booking.Status


def run(commit, *args):
    """process_due's output, its on_commit work (the emails) done."""
    out = StringIO()
    with commit():
        call_command("process_due", *args, stdout=out)
    return out.getvalue()


def test_stale_request_and_payment_hold_expire(
    working_pro, service, client_user, commit, mailoutbox
):
    past = timezone.now() - timedelta(minutes=1)
    request = make_booking(
        client=client_user,
        service=service,
        starts_at=local_at(4, 10),
        status=S.REQUESTED,
        expires_at=past,
    )
    hold = make_booking(
        client=client_user,
        service=service,
        starts_at=local_at(4, 12),
        status=S.PENDING_PAYMENT,
        expires_at=past,
    )
    fresh = make_booking(
        client=client_user,
        service=service,
        starts_at=local_at(4, 14),
        status=S.REQUESTED,
        expires_at=timezone.now() + timedelta(hours=3),
    )

    output = run(commit)

    assert "Expired 2 booking(s)" in output
    for booking, status in ((request, S.EXPIRED), (hold, S.EXPIRED), (fresh, S.REQUESTED)):
        booking.refresh_from_db()
        assert booking.status == status
    assert request.events.last().actor_role == "system"
    assert [m.to for m in mailoutbox] == [[client_user.email], [client_user.email]]
    assert all("expired" in m.subject for m in mailoutbox)


def test_expired_booking_frees_its_slot(working_pro, service, client_user, other_client, commit):
    make_booking(
        client=client_user,
        service=service,
        starts_at=local_at(4, 10),
        status=S.REQUESTED,
        expires_at=timezone.now() - timedelta(minutes=1),
    )
    run(commit)
    booking = services.booking_create(
        client=other_client, service=service, starts_at=local_at(4, 10)
    )
    assert booking.status == S.CONFIRMED


def test_reminder_is_sent_once_when_run_twice(
    working_pro, service, client_user, commit, mailoutbox
):
    soon = make_booking(
        client=client_user, service=service, starts_at=timezone.now() + timedelta(hours=20)
    )
    make_booking(
        client=client_user, service=service, starts_at=timezone.now() + timedelta(hours=30)
    )

    first = run(commit)
    second = run(commit)

    assert "sent 1 reminder(s)" in first
    assert "sent 0 reminder(s)" in second
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [client_user.email]
    assert mailoutbox[0].subject.startswith("[Timz] Reminder:")
    soon.refresh_from_db()
    assert soon.reminder_sent_at is not None


def test_reminders_are_marked_by_the_reminders_service(
    monkeypatch, django_capture_on_commit_callbacks
):
    calls = []

    def service(*, now, limit):
        calls.append((now, limit))
        return 7

    monkeypatch.setattr(services, "booking_reminders_send_due", service)
    output = run(django_capture_on_commit_callbacks)
    assert "sent 7 reminder(s)" in output
    assert len(calls) == 1


def test_reminder_service_marks_only_the_due_bookings_with_the_run_time(
    working_pro, service, client_user, django_capture_on_commit_callbacks
):
    now = timezone.now()
    due = make_booking(client=client_user, service=service, starts_at=now + timedelta(hours=20))
    later = make_booking(client=client_user, service=service, starts_at=now + timedelta(hours=30))
    with django_capture_on_commit_callbacks() as callbacks:
        count = services.booking_reminders_send_due(now=now)
    due.refresh_from_db()
    later.refresh_from_db()
    assert (count, len(callbacks)) == (1, 1)
    assert (due.reminder_sent_at, later.reminder_sent_at) == (now, None)


def test_reminder_marks_and_emails_roll_back_together(
    working_pro, service, client_user, django_capture_on_commit_callbacks
):
    booking = make_booking(
        client=client_user, service=service, starts_at=timezone.now() + timedelta(hours=20)
    )
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.booking_reminders_send_due(now=timezone.now())
        raise RuntimeError("the surrounding work failed")
    booking.refresh_from_db()
    assert booking.reminder_sent_at is None
    assert callbacks == []


def test_reminder_hours_come_from_the_pros_rules(
    working_pro, service, client_user, commit, mailoutbox
):
    services.booking_rules_update(pro=working_pro, reminder_hours=48)
    make_booking(
        client=client_user, service=service, starts_at=timezone.now() + timedelta(hours=30)
    )
    run(commit)
    assert len(mailoutbox) == 1


def test_cancelled_or_past_bookings_get_no_reminder(
    working_pro, service, client_user, commit, mailoutbox
):
    make_booking(
        client=client_user,
        service=service,
        starts_at=timezone.now() + timedelta(hours=3),
        status=S.CANCELLED,
    )
    make_booking(client=client_user, service=service, starts_at=timezone.now() - timedelta(hours=3))
    run(commit)
    assert mailoutbox == []


def test_rescheduled_booking_is_reminded_again(
    working_pro, service, client_user, commit, mailoutbox
):
    booking = make_booking(
        client=client_user,
        service=service,
        starts_at=timezone.now() + timedelta(hours=20),
        reminder_sent_at=timezone.now(),
    )
    services.booking_rules_update(pro=working_pro, cancellation_window_hours=0)
    new_start = local_at(1, 9)
    services.booking_transition(
        booking=booking, action="reschedule", by=client_user, starts_at=new_start
    )
    booking.refresh_from_db()
    assert booking.reminder_sent_at is None


def test_quiet_prints_nothing(working_pro, commit):
    assert run(commit, "--quiet") == ""
