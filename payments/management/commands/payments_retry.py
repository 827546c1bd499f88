"""manage.py payments_retry: re-send refunds, and recoveries of lost disputes, whose call to
the payment provider failed.

Safe to run any time (e.g. next to process_due): each call is sent with its own idempotency
key, so a refund or transfer reversal the provider did receive is never made twice.
"""

from django.core.management.base import BaseCommand

from payments.models import Dispute, Refund
from payments.services import dispute_recover_funds, refund_send


class Command(BaseCommand):
    help = (
        "Re-send pending refunds, and recoveries of lost disputes, that never reached the "
        "payment provider."
    )

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
        lost = Dispute.objects.filter(
            status=Dispute.Status.LOST, transfer_reversal_id="", funds_recovered=0
        ).values_list("pk", flat=True)
        recovered = unrecovered = 0
        for pk in list(lost):
            if dispute_recover_funds(dispute_id=pk).transfer_reversal_id:
                recovered += 1
            else:
                unrecovered += 1
        if recovered or unrecovered:
            self.stdout.write(
                f"{recovered} lost dispute(s) recovered, {unrecovered} still failing."
            )
