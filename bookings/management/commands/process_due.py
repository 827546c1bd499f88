"""Expire stale requests and payment holds, send due reminders (and chat's unread emails).

Idempotent: a booking is expired once (the lifecycle refuses a second time) and a reminder is
sent once (reminder_sent_at is set in the same transaction that enqueues it, under a row lock
with SKIP LOCKED on PostgreSQL, so two overlapping runs never pick the same booking).
`make run` runs this every minute with --quiet.
"""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from bookings import services
from bookings.lifecycle import TransitionNotAllowed
from bookings.models import Booking, BookingRules
from chat.services import send_due_unread_emails

MAX_REMINDER_HOURS = 24 * 7
BATCH = 500


def expire_due(*, now) -> int:
    due = Booking.objects.filter(
        status__in=(Booking.Status.REQUESTED, Booking.Status.PENDING_PAYMENT),
        expires_at__lte=now,
    ).values_list("pk", flat=True)[:BATCH]
    count = 0
    for pk in list(due):
        try:
            services.booking_transition(booking=Booking(pk=pk), action="expire", by=None)
        except (TransitionNotAllowed, Booking.DoesNotExist):
            continue  # somebody acted on it meanwhile
        count += 1
    return count


def _lock(qs):
    if connection.vendor == "postgresql":
        return qs.select_for_update(skip_locked=True, of=("self",))
    return qs


def send_due_reminders(*, now) -> int:
    """Remind clients of confirmed bookings starting within their pro's reminder_hours."""
    from bookings.tasks import send_booking_emails

    default_hours = BookingRules._meta.get_field("reminder_hours").default
    count = 0
    with transaction.atomic():
        candidates = _lock(
            Booking.objects.filter(
                status=Booking.Status.CONFIRMED,
                reminder_sent_at__isnull=True,
                starts_at__gt=now,
                starts_at__lte=now + timedelta(hours=MAX_REMINDER_HOURS),
            )
            .select_related("pro__booking_rules")
            .order_by("starts_at")
        )[:BATCH]
        due_ids = []
        for booking in candidates:
            rules = getattr(booking.pro, "booking_rules", None)
            hours = rules.reminder_hours if rules is not None else default_hours
            if booking.starts_at <= now + timedelta(hours=hours):
                due_ids.append(booking.pk)
        if due_ids:
            Booking.objects.filter(pk__in=due_ids).update(reminder_sent_at=now)
            for pk in due_ids:
                transaction.on_commit(
                    lambda pk=pk: send_booking_emails.enqueue(pk, "reminder"), robust=True
                )
        count = len(due_ids)
    return count


class Command(BaseCommand):
    help = "Expire stale booking requests and payment holds; send due reminders. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--quiet", action="store_true", help="Print nothing.")

    def handle(self, *args, quiet=False, **options):
        now = timezone.now()
        expired = expire_due(now=now)
        reminded = send_due_reminders(now=now)
        chat = send_due_unread_emails(now=now)
        if not quiet:
            self.stdout.write(
                f"Expired {expired} booking(s); sent {reminded} reminder(s); chat emails: {chat}."
            )
