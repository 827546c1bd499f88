"""manage.py payments_retry: re-send refunds whose call to the payment provider failed.

Safe to run any time (e.g. next to process_due): each refund is sent with its own idempotency
key, so a refund the provider did receive is never made twice.
"""

from django.core.management.base import BaseCommand

from payments.models import Refund
from payments.services import refund_send


class Command(BaseCommand):
    help = "Re-send pending refunds that never reached the payment provider."

    def handle(self, *args, **options):
        pending = Refund.objects.filter(
            status=Refund.Status.PENDING, stripe_refund_id__isnull=True
        ).values_list("pk", flat=True)
        sent = failed = 0
        for pk in list(pending):
            refund = refund_send(refund_id=pk)
            if refund.stripe_refund_id:
                sent += 1
            else:
                failed += 1
        self.stdout.write(f"{sent} refund(s) sent, {failed} still failing.")
