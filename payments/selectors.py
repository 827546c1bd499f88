"""Payment reads, including the ones other apps call.

``pro_accepts_online_payments`` is the rule bookings and the service form use: with Stripe, the
pro's connected account must have ``charges_enabled`` (from Stripe, via ``account.updated``);
with the offline backend, the pro must have a simulated, enabled account. Private objects are
fetched with the user's permission checked in the same query (404 otherwise).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import TypeGuard

from django.db.models import Prefetch
from django.http import Http404
from django.urls import reverse

from bookings.models import Booking
from payments.gateways import is_offline
from payments.models import ConnectedAccount, Payment, Refund, SavedCard
from timz.links import absolute_url


@dataclass(frozen=True, slots=True)
class Hold:
    """The time held for a booking while its client pays (``Booking.expires_at``)."""

    deadline: datetime
    seconds_left: int

    @property
    def lapsed(self) -> bool:
        return self.seconds_left <= 0

    @property
    def in_words(self) -> str:
        """ "in 28 minutes", "in 1 minute", "in less than a minute"."""
        if self.seconds_left < 60:
            return "in less than a minute"
        minutes = math.ceil(self.seconds_left / 60)
        return f"in {minutes} minute{'s' if minutes != 1 else ''}"


def payment_hold(booking: Booking, *, now: datetime) -> Hold | None:
    """The hold of a booking waiting for its payment at `now` (lapsed once the deadline has
    passed, even before process_due expires the booking); None for any other booking."""
    if booking.status != Booking.Status.PENDING_PAYMENT or booking.expires_at is None:
        return None
    left = math.ceil((booking.expires_at - now).total_seconds())
    return Hold(deadline=booking.expires_at, seconds_left=max(0, left))


def connected_account_for(pro) -> ConnectedAccount | None:
    """The pro's account (uses the cached relation when select_related)."""
    try:
        return pro.connected_account
    except ConnectedAccount.DoesNotExist:
        return None


def account_can_charge(account: ConnectedAccount | None) -> TypeGuard[ConnectedAccount]:
    if account is None or not account.charges_enabled:
        return False
    if is_offline():
        return account.is_simulated
    return bool(account.stripe_account_id) and not account.is_simulated


def pro_accepts_online_payments(pro) -> bool:
    """Whether `pro` can take online payments now (see the module docstring)."""
    return account_can_charge(connected_account_for(pro))


def booking_for_payment(*, user, pk) -> Booking:
    """A booking its client may pay (only the booking's own client): 404 for anyone else."""
    if not getattr(user, "is_authenticated", False):
        raise Http404("No such booking.")
    try:
        return Booking.objects.select_related("pro", "pro__user", "client", "service").get(
            pk=pk, client=user
        )
    except (Booking.DoesNotExist, ValueError, TypeError):
        raise Http404("No such booking.") from None


def payment_for_test_checkout(*, user, session_id: str) -> Payment:
    """The offline test payment of `session_id`, for the booking's client only (else 404).

    Always 404 while the Stripe backend is configured: a pending offline payment left over
    from before the switch must never be marked paid without money.
    """
    if not is_offline() or not getattr(user, "is_authenticated", False):
        raise Http404("No such payment.")
    try:
        return Payment.objects.select_related("booking", "booking__pro").get(
            checkout_session_id=session_id,
            backend=Payment.Backend.OFFLINE,
            booking__client=user,
        )
    except Payment.DoesNotExist:
        raise Http404("No such payment.") from None


def payments_with_refunds():
    return Payment.objects.select_related("booking").prefetch_related(
        Prefetch("refunds", queryset=Refund.objects.order_by("created_at", "id"))
    )


def current_payment_for(booking: Booking) -> Payment | None:
    """The booking's active payment for the booking itself (not a tip or a no-show fee), else
    its latest such attempt (None when it never had one).

    Uses ``booking.payments`` when prefetched, so a list of bookings costs one query.
    """
    cache = getattr(booking, "_prefetched_objects_cache", {})
    if "payments" in cache:
        payments = sorted(cache["payments"], key=lambda p: p.attempt, reverse=True)
    else:
        payments = list(payments_with_refunds().filter(booking=booking).order_by("-attempt"))
    payments = [p for p in payments if p.kind in Payment.BOOKING_KINDS]
    active = [p for p in payments if p.status in Payment.ACTIVE_STATUSES]
    return active[0] if active else (payments[0] if payments else None)


def viewer_sees_fee(*, booking: Booking, viewer) -> bool:
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return False
    return viewer.is_staff or viewer.pk == booking.pro.user_id


def payment_summary_for(*, booking: Booking, viewer) -> dict | None:
    """The booking's ``payment`` JSON: None when nothing is paid online for it.

    ``fee`` is shown to the pro and staff only (None for the client); ``checkout_url`` only to
    the client while the payment is pending.
    """
    payment = current_payment_for(booking)
    if payment is None:
        return None
    is_client = viewer is not None and getattr(viewer, "pk", None) == booking.client_id
    pending = payment.status == Payment.Status.PENDING
    return {
        "status": payment.status,
        "amount": payment.amount,
        "fee": payment.fee if viewer_sees_fee(booking=booking, viewer=viewer) else None,
        "refunded": payment.amount_refunded,
        "currency": payment.currency,
        "checkout_url": absolute_url(payment.checkout_url) if (pending and is_client) else None,
    }


def refunds_for(payment: Payment) -> list[Refund]:
    cache = getattr(payment, "_prefetched_objects_cache", {})
    if "refunds" in cache:
        return list(cache["refunds"])
    return list(payment.refunds.order_by("created_at", "id"))


def online_payment_unavailable_reason(pro) -> str | None:
    """Why `pro` cannot offer "pay online" on a service now (None when they can): for the
    service form's validation message."""
    if pro_accepts_online_payments(pro):
        return None
    if is_offline():
        return "Set up payouts on the Payouts page before offering online payment."
    return (
        "Online payment needs a Stripe account that can take charges: finish the setup on "
        "the Payouts page first."
    )


# -- Card on file (payments.card_on_file) -------------------------------------------------------


def booking_saves_card(booking: Booking) -> bool:
    """Whether `booking` waits for its client to save a card (not for a payment)."""
    from bookings.models import Protection, Service

    if booking.protection != Protection.CARD or booking.status != Booking.Status.PENDING_PAYMENT:
        return False
    service = booking.service if booking.service_id else None
    return service is None or service.payment_mode != Service.PaymentMode.ONLINE


def saved_card_of(booking: Booking) -> SavedCard | None:
    """The booking's saved card row (any status), or None."""
    try:
        return booking.saved_card
    except SavedCard.DoesNotExist:
        return None


def fee_payments_of(booking: Booking) -> list[Payment]:
    """The booking's no-show fee attempts, newest first (from the prefetch when there is one)."""
    cache = getattr(booking, "_prefetched_objects_cache", {})
    if "payments" in cache:
        found = [p for p in cache["payments"] if p.kind == Payment.Kind.NO_SHOW_FEE]
    else:
        found = list(booking.payments.filter(kind=Payment.Kind.NO_SHOW_FEE))
    return sorted(found, key=lambda p: p.attempt, reverse=True)


def booking_for_fee(*, user, pk) -> Booking:
    """A booking whose no-show fee `user` may charge: only its own pro (404 for anyone else)."""
    if not getattr(user, "is_authenticated", False):
        raise Http404("No such booking.")
    try:
        return Booking.objects.select_related(
            "pro", "pro__user", "client", "saved_card", "service"
        ).get(pk=pk, pro__user=user)
    except (Booking.DoesNotExist, ValueError, TypeError):
        raise Http404("No such booking.") from None


def saved_card_for_test_setup(*, user, session_id: str) -> SavedCard:
    """The offline test card page of `session_id`, for the booking's client only (else 404);
    always 404 while Stripe is configured."""
    if not is_offline() or not getattr(user, "is_authenticated", False):
        raise Http404("No such card setup.")
    try:
        return SavedCard.objects.select_related("booking", "booking__pro").get(
            checkout_session_id=session_id,
            backend=Payment.Backend.OFFLINE,
            booking__client=user,
        )
    except SavedCard.DoesNotExist:
        raise Http404("No such card setup.") from None


def card_summary_for(*, booking: Booking) -> dict | None:
    """The booking's ``card`` JSON (brand and last four digits only): None unless the booking
    is protected by a card on file."""
    from bookings.models import Protection

    if booking.protection != Protection.CARD:
        return None
    card = saved_card_of(booking)
    if card is None:
        return {"status": "missing", "label": "", "brand": "", "last4": ""}
    return {"status": card.status, "label": card.label, "brand": card.brand, "last4": card.last4}


def no_show_fee_summary_for(*, booking: Booking, viewer) -> dict | None:
    """The booking's ``no_show_fee`` JSON: the fee a card-protected booking may cost, its
    latest charge (``status`` None until charged), whether the viewer may charge it now (its
    pro) and, for its client while the bank waits for them, where to pay it."""
    from bookings.models import Protection
    from payments import card_on_file

    if booking.protection != Protection.CARD:
        return None
    fee_payments = fee_payments_of(booking)
    latest = fee_payments[0] if fee_payments else None
    is_pro = getattr(viewer, "pk", None) == booking.pro.user_id
    is_client = getattr(viewer, "pk", None) == booking.client_id
    return {
        "amount": card_on_file.no_show_fee_amount(booking),
        "currency": booking.currency,
        "percent": booking.no_show_fee_percent,
        "status": latest.status if latest else None,
        "platform_fee": (
            latest.fee if latest and viewer_sees_fee(booking=booking, viewer=viewer) else None
        ),
        "failure_message": latest.failure_message if latest and is_pro else "",
        "can_charge": is_pro
        and not card_on_file.fee_refusal(booking=booking, fee_payments=fee_payments),
        "awaits_client": card_on_file.fee_awaits_client(latest),
        "pay_url": (
            absolute_url(reverse("bookings:detail", kwargs={"pk": booking.pk}))
            if is_client and card_on_file.fee_awaits_client(latest)
            else None
        ),
    }
