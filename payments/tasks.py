"""Background work of payments (django.tasks): receipts, refunds, dispute follow-ups.

Tasks take ids and re-read the database when they run (immediately in development and tests,
in ``manage.py db_worker`` in production).
"""

from django.tasks import task


@task
def send_payment_receipt(payment_id: int) -> int:
    from payments import emails

    return emails.send_payment_receipt(payment_id=payment_id)


@task
def send_refund_receipt(refund_id: int) -> int:
    from payments import emails

    return emails.send_refund_receipt(refund_id=refund_id)


@task
def send_refund(refund_id: int) -> str:
    """Send a pending refund to its gateway (idempotent; see services.refund_send)."""
    from payments.services import refund_send

    return refund_send(refund_id=refund_id).status


@task
def notify_staff_of_dispute(dispute_id: int, notice: str) -> int:
    from payments import emails

    return emails.send_dispute_notice(dispute_id=dispute_id, notice=notice)


@task
def recover_dispute_funds(dispute_id: int) -> int:
    """Take a lost dispute back from the pro (idempotent; see services.dispute_recover_funds)."""
    from payments.services import dispute_recover_funds

    return dispute_recover_funds(dispute_id=dispute_id).funds_recovered


@task
def send_fee_link(payment_id: int) -> int:
    """Email the client the link to pay a fee their bank wants them to confirm, and tell
    their open pages."""
    from payments import emails

    return emails.send_fee_link(payment_id=payment_id)
