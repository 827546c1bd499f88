"""Writes of reminders: each confirmed booking's client is reminded once, before it starts.

A booking is due its reminder when it is confirmed, not yet reminded, and starts after now and
within its pro's ``reminder_hours``. Rescheduling clears ``reminder_sent_at``
(``booking_transition``), so the new time is reminded again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection, transaction

from bookings.models import Booking

# The largest reminder_hours a pro can choose (BookingRules' validator): no booking starting
# later than this can be due.
MAX_REMINDER_HOURS = 24 * 7


def _lock_skipping_locked(queryset):
    # PostgreSQL: rows another run holds are skipped, not waited for. SQLite serialises
    # writers at BEGIN already.
    if connection.vendor == "postgresql":
        return queryset.select_for_update(skip_locked=True, of=("self",))
    return queryset


def booking_reminders_send_due(*, now: datetime, limit: int = 500) -> int:
    """Mark up to `limit` bookings due their reminder at `now` as reminded and enqueue each
    one's reminder email on commit; returns how many.

    One transaction: the candidates are locked, marked (``reminder_sent_at = now``) and their
    emails scheduled together, so two overlapping runs never remind the same booking and a
    rolled-back run sends nothing.
    """
    from bookings.tasks import send_booking_emails

    with transaction.atomic():
        candidates = _lock_skipping_locked(
            Booking.objects.filter(
                status=Booking.Status.CONFIRMED,
                reminder_sent_at__isnull=True,
                starts_at__gt=now,
                starts_at__lte=now + timedelta(hours=MAX_REMINDER_HOURS),
            )
            .select_related("pro__booking_rules")
            .order_by("starts_at")
        )[:limit]
        due_ids = [
            booking.pk
            for booking in candidates
            if booking.starts_at <= now + timedelta(hours=booking.pro.booking_rules.reminder_hours)
        ]
        if due_ids:
            Booking.objects.filter(pk__in=due_ids).update(reminder_sent_at=now)
            for pk in due_ids:
                transaction.on_commit(
                    lambda pk=pk: send_booking_emails.enqueue(pk, "reminder"), robust=True
                )
    return len(due_ids)
