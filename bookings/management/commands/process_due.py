"""Expire stale requests and payment holds, pass lapsed waitlist offers to the next client,
send due reminders (and chat's unread emails), sync the pros' own calendars that are due; with
the offline payment backend, pay pros out weekly (``payments.services.payouts_offline_run``).

Idempotent: a booking is expired once (the lifecycle refuses a second time) and a reminder is
sent once (services.booking_reminders_send_due marks and enqueues it in one transaction).
`make run` runs this every minute with --quiet.
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from bookings import services
from bookings.lifecycle import TransitionNotAllowed
from bookings.models import Booking
from chat.services import send_due_unread_emails
from payments.services import payouts_offline_run

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


class Command(BaseCommand):
    help = "Expire stale booking requests and payment holds; send due reminders. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--quiet", action="store_true", help="Print nothing.")

    def handle(self, *args, quiet=False, **options):
        now = timezone.now()
        expired = expire_due(now=now)
        passed_on, entries_over = services.waitlist_process_due(now=now, limit=BATCH)
        reminded = services.booking_reminders_send_due(now=now, limit=BATCH)
        chat = send_due_unread_emails(now=now)
        paid_out = payouts_offline_run(now=now)
        calendars, calendar_failures = services.calendars_sync_due(now=now)
        if not quiet:
            self.stdout.write(
                f"Expired {expired} booking(s); passed on {passed_on} waitlist offer(s), "
                f"closed {entries_over} waitlist entr(y/ies); sent {reminded} reminder(s); "
                f"chat emails: {chat}; synced {calendars} calendar(s), "
                f"{calendar_failures} failed; offline payouts: {paid_out}."
            )
