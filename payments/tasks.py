"""Background work of payments (django.tasks): the client's receipts.

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
