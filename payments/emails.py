"""Receipts to the client: one when a payment succeeds, one per refund that succeeds; and to
staff, a notice when a dispute opens or closes.

Each email to a client is written in the client's language (``accounts.languages.speaking``,
subject included) and zone, whoever's request or task sends it; the staff notice, to several
people at once, in the site's language (``LANGUAGE_CODE``). Nothing is sent to an inactive
(deleted) account, as in chat.tasks.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.languages import speaking
from accounts.timezones import viewer_zone
from payments.models import Dispute, Payment, Refund
from timz.links import absolute_url
from timz.money import format_money


def _detail_url(booking) -> str:
    return absolute_url(reverse("bookings:detail", kwargs={"pk": booking.pk}))


def _send(*, template: str, subject: str, payment: Payment, refund: Refund | None = None) -> int:
    """Render and send `template` to the booking's client; call it inside
    ``speaking(client)``, where `subject` was written too."""
    booking = payment.booking
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
        "receipt_url": absolute_url(reverse("payments:receipt", kwargs={"pk": payment.pk})),
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
    if payment is None or not payment.booking.client.is_active:
        return 0  # a deleted account: its address is a placeholder, nobody reads it
    booking = payment.booking
    with speaking(booking.client):
        names = {"service": booking.localized_service_name, "pro": booking.pro.display_name}
        subject = (
            _("Receipt: tip for %(service)s with %(pro)s") % names
            if payment.kind == Payment.Kind.TIP
            else _("Receipt: %(service)s with %(pro)s") % names
        )
        return _send(template="receipt", subject=subject, payment=payment)


def send_fee_link(*, payment_id: int) -> int:
    """The client's bank wants them to confirm a no-show fee: an email with the link to the
    booking (its "Pay the fee" button), and a notice on their open pages."""
    from chat.notifications import notify_user

    payment = (
        Payment.objects.select_related(
            "booking", "booking__pro", "booking__client", "booking__client__client_profile"
        )
        .filter(pk=payment_id, kind=Payment.Kind.NO_SHOW_FEE, status=Payment.Status.PENDING)
        .first()
    )
    if payment is None:
        return 0
    booking = payment.booking
    with speaking(booking.client):
        amount = format_money(payment.amount, payment.currency)
        notify_user(
            user_id=booking.client_id,
            payload={
                "type": "notice",
                "message": _("%(pro)s charged a fee of %(amount)s: please confirm it.")
                % {"pro": booking.pro.display_name, "amount": amount},
                "url": reverse("bookings:detail", kwargs={"pk": booking.pk}),
            },
        )
        if not booking.client.is_active:
            return 0  # a deleted account: its address is a placeholder, nobody reads it
        subject = _("Please confirm a fee of %(amount)s for %(service)s") % {
            "amount": amount,
            "service": booking.localized_service_name,
        }
        return _send(template="fee_link", subject=subject, payment=payment)


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
    if refund is None or not refund.payment.booking.client.is_active:
        return 0  # a deleted account: its address is a placeholder, nobody reads it
    booking = refund.payment.booking
    with speaking(booking.client):
        subject = _("Refund: %(service)s") % {"service": booking.localized_service_name}
        return _send(template="refund", subject=subject, payment=refund.payment, refund=refund)


def staff_addresses() -> list[str]:
    """Every active staff member's address, and ``settings.ADMINS``'."""
    staff = get_user_model().objects.filter(is_staff=True, is_active=True).exclude(email="")
    admins = [admin[1] if isinstance(admin, tuple | list) else admin for admin in settings.ADMINS]
    return sorted({*staff.values_list("email", flat=True), *admins})


# The subject of a dispute's closing notice, by its closing status.
_CLOSED_SUBJECTS: dict[str, str] = {
    Dispute.Status.WON: gettext_noop("Dispute won: %(amount)s on booking #%(booking)s"),
    Dispute.Status.LOST: gettext_noop("Dispute lost: %(amount)s on booking #%(booking)s"),
    Dispute.Status.PREVENTED: gettext_noop("Dispute prevented: %(amount)s on booking #%(booking)s"),
    Dispute.Status.WARNING_CLOSED: gettext_noop(
        "Dispute inquiry closed: %(amount)s on booking #%(booking)s"
    ),
}


def send_dispute_notice(*, dispute_id: int, notice: str) -> int:
    """Tell staff a dispute `notice` ("opened" or "closed"): with destination charges the
    platform answers to Stripe for it, and has days, not weeks, to respond. Written in the
    site's language: it goes to every staff member at once."""
    with translation.override(settings.LANGUAGE_CODE):
        return _send_dispute_notice(dispute_id=dispute_id, notice=notice)


def _send_dispute_notice(*, dispute_id: int, notice: str) -> int:
    dispute = (
        Dispute.objects.select_related("payment", "payment__booking", "payment__booking__pro")
        .filter(pk=dispute_id)
        .first()
    )
    to = staff_addresses()
    if dispute is None or not to:
        return 0
    payment, booking = dispute.payment, dispute.payment.booking
    amount = format_money(dispute.amount, dispute.currency)
    figures = {"amount": amount, "booking": booking.pk}
    if notice == "opened":
        subject = _("Dispute opened: %(amount)s on booking #%(booking)s") % figures
    else:
        closed = _CLOSED_SUBJECTS.get(dispute.status)
        subject = (
            _(closed) % figures
            if closed is not None
            else _("Dispute closed: %(amount)s on booking #%(booking)s") % figures
        )
    admin_url = absolute_url(reverse("admin:payments_payment_change", args=[payment.pk]))
    lines = [
        _("Stripe dispute %(id)s (%(reason)s)")
        % {"id": dispute.stripe_dispute_id, "reason": dispute.reason or _("no reason given")},
        _("Status: %(status)s") % {"status": dispute.get_status_display()},
        _("Amount: %(amount)s") % {"amount": amount},
        _("Booking #%(booking)s: %(service)s with %(pro)s")
        % {
            "booking": booking.pk,
            "service": booking.service_name,
            "pro": booking.pro.display_name,
        },
        _("Payment: %(url)s") % {"url": admin_url},
    ]
    if notice == "opened":
        lines.append(_("Answer it in the Stripe dashboard before its due date."))
    elif dispute.status == Dispute.Status.LOST:
        lines.append(
            _(
                "Lost: the disputed amount is taken back from the professional’s transfer "
                "(up to what they received); the dispute fee stays with the platform."
            )
        )
    subject = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject
    return EmailMultiAlternatives(subject=subject, body="\n".join(lines) + "\n", to=to).send()
