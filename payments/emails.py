"""Receipts to the client: one when a payment succeeds, one per refund that succeeds.

Nothing is sent to an inactive (deleted) account, as in chat.tasks.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.timezones import viewer_zone
from payments.models import Payment, Refund
from timz.links import absolute_url


def _detail_url(booking) -> str:
    return absolute_url(reverse("bookings:detail", kwargs={"pk": booking.pk}))


def _send(*, template: str, subject: str, payment: Payment, refund: Refund | None = None) -> int:
    booking = payment.booking
    if not booking.client.is_active:
        return 0  # a deleted account: its address is a placeholder, nobody reads it
    zone = viewer_zone(booking.client, fallback=booking.pro.timezone)
    context = {
        "booking": booking,
        "payment": payment,
        "refund": refund,
        "recipient_name": booking.client.display_name,
        "pro_name": booking.pro.display_name,
        "starts_local": booking.starts_at.astimezone(zone),
        "zone": zone.key,
        "detail_url": _detail_url(booking),
    }
    # Templates show aware datetimes in the active zone: make it the recipient's.
    with timezone.override(zone):
        text = render_to_string(f"payments/emails/{template}.txt", context)
        html = render_to_string(f"payments/emails/{template}.html", context)
    subject = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject
    message = EmailMultiAlternatives(subject=subject, body=text, to=[booking.client.email])
    message.attach_alternative(html, "text/html")
    return message.send()


def send_payment_receipt(*, payment_id: int) -> int:
    payment = (
        Payment.objects.select_related(
            "booking", "booking__pro", "booking__client", "booking__client__client_profile"
        )
        .filter(pk=payment_id, status__in=Payment.PAID_STATUSES)
        .first()
    )
    if payment is None:
        return 0
    subject = f"Receipt: {payment.booking.service_name} with {payment.booking.pro.display_name}"
    return _send(template="receipt", subject=subject, payment=payment)


def send_refund_receipt(*, refund_id: int) -> int:
    refund = (
        Refund.objects.select_related(
            "payment",
            "payment__booking",
            "payment__booking__pro",
            "payment__booking__client",
            "payment__booking__client__client_profile",
        )
        .filter(pk=refund_id, status=Refund.Status.SUCCEEDED)
        .first()
    )
    if refund is None:
        return 0
    subject = f"Refund: {refund.payment.booking.service_name}"
    return _send(template="refund", subject=subject, payment=refund.payment, refund=refund)
