"""Card on file: the client saves a card when booking, the pro charges the no-show fee later.

Writes of the card-on-file protection (``Protection.CARD``), both backends alike:

* Booking a card-protected service puts the booking on a payment hold (``pending_payment``) and
  sends the client to a Checkout Session in **setup** mode (``card_setup_start``), for a Stripe
  customer of the client created once on the platform account (``customer_for``). When the
  session completes (the signed ``checkout.session.completed`` webhook, or the success page
  asking Stripe: whichever comes first; the other changes nothing), the SetupIntent's card is
  recorded on the booking's ``SavedCard`` and the booking moves on (``card_saved``: confirmed,
  or requested in request mode). The offline backend saves a simulated "Visa ending 4242".
* After a no-show, or a late cancellation by the client, the booking's pro may charge
  ``no_show_fee_percent`` of the price once (``no_show_fee_charge``): a ``Payment`` of kind
  ``no_show_fee`` and an off-session PaymentIntent (a destination charge to the pro with the
  platform fee of ``payments.fees``). The bank may ask for the cardholder
  (``authentication_required``): the payment stays pending, the client is emailed and told in
  the app, and pays through a Checkout Session in payment mode (``no_show_fee_pay_start``). A
  declined card fails the attempt; the pro may try once more later (``FEE_ATTEMPTS``).

Lock order is booking, then payment (as ``payments.services``); parallel charges of one booking
queue on the booking row and the second finds the first's payment.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import partial

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from bookings.models import Booking, Protection
from payments import fees
from payments.gateways import (
    CheckoutRequest,
    GatewayError,
    OfflineGateway,
    OffSessionChargeRequest,
    SetupCheckoutRequest,
    get_gateway,
)
from payments.models import CARD_DECLINED, Payment, SavedCard, StripeCustomer
from payments.services import checkout_session_open
from timz import money
from timz.links import absolute_url

logger = logging.getLogger(__name__)

S = Booking.Status
# How many times a pro may try to charge the fee when the card is declined.
FEE_ATTEMPTS = 2
NOT_YOURS = gettext_lazy("Only the professional of this booking can charge its fee.")


# ---------------------------------------------------------------------------------------------
# Rules (pure reads of a booking)
# ---------------------------------------------------------------------------------------------


def no_show_fee_amount(booking: Booking) -> int:
    """The fee a no-show or late cancellation of `booking` costs, in minor units."""
    return fees.percent_of(amount=booking.price_amount, percent=booking.no_show_fee_percent)


def fee_occasion(booking: Booking) -> str:
    """ "no_show", "late_cancellation", or "" when the booking ended in neither (codes: in
    words, ``fee_title``)."""
    if booking.status == S.NO_SHOW:
        return "no_show"
    if booking.status == S.CANCELLED and booking.is_late_cancellation:
        return "late_cancellation"
    return ""


def fee_title(booking: Booking) -> str:
    """The fee named for people, in the active language: "No-show fee", "Late cancellation
    fee" ("Fee" when the booking ended in neither)."""
    occasion = fee_occasion(booking)
    if occasion == "no_show":
        return pgettext("fee", "No-show fee")
    if occasion == "late_cancellation":
        return pgettext("fee", "Late cancellation fee")
    return pgettext("fee", "Fee")


def _gateway_for(backend: str):
    return OfflineGateway() if backend == Payment.Backend.OFFLINE else get_gateway()


def _lock_booking(booking_id: int) -> Booking:
    from payments.services import _lock_booking as lock

    return lock(booking_id)


# ---------------------------------------------------------------------------------------------
# Saving the card
# ---------------------------------------------------------------------------------------------


def customer_for(user) -> str:
    """The client's customer id with the configured gateway, created once per client."""
    gateway = get_gateway()
    prefix = "offline_" if gateway.name == Payment.Backend.OFFLINE else "cus_"
    found = StripeCustomer.objects.filter(user=user).first()
    if found is not None and found.stripe_customer_id.startswith(prefix):
        return found.stripe_customer_id
    try:
        customer_id = gateway.create_customer(user_id=user.pk, email=user.email)
    except GatewayError as exc:
        raise ValidationError(
            _("Your card could not be saved. %(error)s") % {"error": exc}
        ) from exc
    StripeCustomer.objects.update_or_create(user=user, defaults={"stripe_customer_id": customer_id})
    return customer_id


def card_setup_start(*, booking: Booking, user) -> SavedCard:
    """The client's card-saving session for `booking` (created once; reused while it is
    open, so double clicks never make a second one)."""
    if user is None or user.pk != booking.client_id:
        raise ValidationError(_("Only the client of this booking can save a card for it."))
    from payments.selectors import account_can_charge, booking_saves_card, connected_account_for
    from payments.services import _session_expiry

    with transaction.atomic():
        locked = _lock_booking(booking.pk)
        now = timezone.now()
        if not booking_saves_card(locked):
            raise ValidationError(_("This booking does not need a card."))
        if locked.expires_at is not None and locked.expires_at <= now:
            raise ValidationError(_("The hold on this time has expired. Please book again."))
        if not account_can_charge(connected_account_for(locked.pro)):
            raise ValidationError(_("This professional cannot take cards right now."))
        card = SavedCard.objects.select_for_update().filter(booking=locked).first()
        gateway = get_gateway()
        if card is not None:
            if card.is_saved:
                raise ValidationError(_("A card is already saved for this booking."))
            if card.status == SavedCard.Status.PENDING and card.backend == gateway.name:
                return card
        customer_id = customer_for(locked.client)
        attempt = (card.attempt + 1) if card is not None else 1
        detail = absolute_url(reverse("payments:card_setup", args=[locked.pk]))
        request = SetupCheckoutRequest(
            booking_id=locked.pk,
            customer_id=customer_id,
            currency=locked.currency,
            success_url=absolute_url(reverse("payments:card_setup_return", args=[locked.pk])),
            cancel_url=f"{detail}?cancelled=1",
            expires_at=_session_expiry(now),
            operation=f"booking-{locked.pk}-card-{attempt}",
        )
        try:
            info = gateway.create_setup_checkout(request)
        except GatewayError as exc:
            raise ValidationError(
                _("Your card could not be saved. %(error)s") % {"error": exc}
            ) from exc
        fields = {
            "backend": gateway.name,
            "status": SavedCard.Status.PENDING,
            "customer_id": customer_id,
            "checkout_session_id": info.session_id,
            "checkout_url": info.url,
            "attempt": attempt,
        }
        card, _created = SavedCard.objects.update_or_create(booking=locked, defaults=fields)
        return card


def card_setup_complete(*, saved_card: SavedCard, setup_intent_id: str) -> SavedCard:
    """The setup session completed: record the card and move the booking on. Idempotent (the
    webhook and the success page may both arrive); a booking whose hold ended meanwhile keeps
    the card but stays where it is."""
    from bookings.lifecycle import TransitionNotAllowed
    from bookings.services import booking_transition

    if saved_card.is_saved:
        return saved_card
    try:
        info = _gateway_for(saved_card.backend).retrieve_card(setup_intent_id=setup_intent_id)
    except GatewayError as exc:
        raise ValidationError(
            _("The saved card could not be read. %(error)s") % {"error": exc}
        ) from exc
    with transaction.atomic():
        booking = _lock_booking(saved_card.booking_id)
        card = SavedCard.objects.select_for_update().get(pk=saved_card.pk)
        if card.is_saved:
            return card
        card.status = SavedCard.Status.SAVED
        card.setup_intent_id = setup_intent_id
        card.payment_method_id = info.payment_method_id
        card.brand, card.last4 = info.brand, info.last4
        card.exp_month, card.exp_year = info.exp_month, info.exp_year
        card.saved_at = timezone.now()
        card.save()
        if booking.status == S.PENDING_PAYMENT:
            try:
                with transaction.atomic():
                    booking_transition(booking=booking, action="card_saved", by=None)
            except TransitionNotAllowed:
                logger.info("Card saved for booking %s after its hold ended", booking.pk)
    return card


def card_setup_sync(*, saved_card: SavedCard) -> SavedCard:
    """The success page: ask the gateway whether the session completed (the webhook may be
    late) and apply it. Safe to repeat; a gateway that cannot answer now leaves it to the
    webhook."""
    if saved_card.status != SavedCard.Status.PENDING or not saved_card.checkout_session_id:
        return saved_card
    gateway = _gateway_for(saved_card.backend)
    try:
        setup_intent_id = gateway.setup_intent_of_session(session_id=saved_card.checkout_session_id)
    except GatewayError:
        logger.warning("Could not read setup session %s", saved_card.checkout_session_id)
        return saved_card
    if not setup_intent_id:
        return saved_card
    try:
        return card_setup_complete(saved_card=saved_card, setup_intent_id=setup_intent_id)
    except ValidationError:
        logger.warning("Could not record the card of booking %s", saved_card.booking_id)
        return saved_card


def card_setup_expired(*, saved_card: SavedCard) -> SavedCard:
    """The setup session expired unused (the booking's hold ends on its own clock)."""
    SavedCard.objects.filter(pk=saved_card.pk, status=SavedCard.Status.PENDING).update(
        status=SavedCard.Status.EXPIRED, updated_at=timezone.now()
    )
    saved_card.refresh_from_db()
    return saved_card


def saved_cards_forget(*, user) -> int:
    """Account deletion: forget every card `user` saved (ids cleared, brand and digits kept
    for the pro's history) and delete their customer at the provider on commit, which
    detaches its cards there too. Returns how many saved cards were forgotten."""
    cards = SavedCard.objects.select_for_update().filter(booking__client=user)
    count = cards.exclude(status=SavedCard.Status.REMOVED).update(
        status=SavedCard.Status.REMOVED,
        payment_method_id="",
        setup_intent_id="",
        customer_id="",
        checkout_url="",
        updated_at=timezone.now(),
    )
    customer = StripeCustomer.objects.filter(user=user).first()
    if customer is not None:
        customer_id = customer.stripe_customer_id
        customer.delete()
        transaction.on_commit(partial(_delete_customer_quietly, customer_id))
    return count


def _delete_customer_quietly(customer_id: str) -> None:
    backend = Payment.Backend.OFFLINE if customer_id.startswith("offline_") else "stripe"
    try:
        _gateway_for(backend).delete_customer(customer_id=customer_id)
    except GatewayError as exc:
        logger.warning("Could not delete customer %s: %s", customer_id, exc.detail)


# ---------------------------------------------------------------------------------------------
# The no-show fee
# ---------------------------------------------------------------------------------------------


def fee_refusal(*, booking: Booking, fee_payments: list[Payment]) -> str:
    """Why the fee of `booking` cannot be charged now ("" when it can); `fee_payments` are the
    booking's no-show fee payments."""
    if not fee_occasion(booking):
        return _("A fee can only be charged after a no-show or a late cancellation.")
    if booking.protection != Protection.CARD or no_show_fee_amount(booking) <= 0:
        return _("This booking has no no-show fee.")
    card = getattr(booking, "saved_card", None)
    if card is None or not card.is_saved:
        return _("No card was saved for this booking.")
    if any(p.status in Payment.ACTIVE_STATUSES for p in fee_payments):
        return _("The fee for this booking was already charged.")
    if len(fee_payments) >= FEE_ATTEMPTS:
        return _("The card was declined twice; settle the fee with the client directly.")
    return ""


def no_show_fee_charge(*, booking: Booking, by) -> Payment:
    """Charge the no-show (or late-cancellation) fee of `booking` to its saved card, as its
    pro `by`. Returns the fee payment: succeeded, pending (the client must authenticate), or
    failed with ``failure_message`` (the card was declined). Raises ValidationError when the
    fee cannot be charged, or the provider cannot be reached (nothing is kept then)."""
    from payments.selectors import account_can_charge, connected_account_for
    from payments.services import _on_commit_receipt, fee_policy

    if by is None or by.pk != booking.pro.user_id:
        raise ValidationError(NOT_YOURS)
    with transaction.atomic():
        locked = _lock_booking(booking.pk)
        fee_payments = list(
            Payment.objects.select_for_update().filter(
                booking=locked, kind=Payment.Kind.NO_SHOW_FEE
            )
        )
        card = SavedCard.objects.filter(booking=locked).first()
        locked.saved_card = card
        refusal = fee_refusal(booking=locked, fee_payments=fee_payments)
        if refusal:
            raise ValidationError(refusal)
        assert card is not None
        account = connected_account_for(locked.pro)
        if not account_can_charge(account):
            raise ValidationError(
                _("Your account cannot take payments right now: finish setting it up in Get paid.")
            )
        amount = no_show_fee_amount(locked)
        error = money.stripe_charge_error(amount, locked.currency)
        if error:
            raise ValidationError(error)
        split = fees.split(
            price=amount, currency=locked.currency, policy=fee_policy(booking=locked)
        )
        attempt = (
            Payment.objects.filter(booking=locked).aggregate(last=Max("attempt"))["last"] or 0
        ) + 1
        payment = Payment.objects.create(
            booking=locked,
            kind=Payment.Kind.NO_SHOW_FEE,
            attempt=attempt,
            backend=card.backend,
            amount=split.price,
            fee=split.fee,
            currency=locked.currency,
            destination_account=account.stripe_account_id or "",
        )
        request = OffSessionChargeRequest(
            booking_id=locked.pk,
            payment_id=payment.pk,
            customer_id=card.customer_id,
            payment_method_id=card.payment_method_id,
            amount=split.price,
            fee=split.fee,
            currency=locked.currency,
            destination=payment.destination_account,
            description=_("%(fee)s: %(service)s")
            % {"fee": fee_title(locked), "service": locked.service_name},
            operation=f"booking-{locked.pk}-fee-{attempt}",
        )
        try:
            outcome = _gateway_for(card.backend).charge_off_session(request)
        except GatewayError as exc:
            raise ValidationError(
                _("The fee could not be charged. %(error)s") % {"error": exc}
            ) from exc
        payment.payment_intent_id = outcome.payment_intent_id
        if outcome.status == "succeeded":
            payment.status = Payment.Status.SUCCEEDED
            payment.paid_at = timezone.now()
            _on_commit_receipt("payment", payment.pk)
        elif outcome.status == "declined":
            payment.status = Payment.Status.FAILED
            payment.failure_message = outcome.message[:300]
        elif outcome.status == "authentication_required":
            transaction.on_commit(partial(_enqueue_fee_link, payment.pk))
        payment.save()
    return payment


def _enqueue_fee_link(payment_id: int) -> None:
    from payments.tasks import send_fee_link

    send_fee_link.enqueue(payment_id)


def fee_awaits_client(payment: Payment | None) -> bool:
    """Whether `payment` is a fee the bank wants the client to authenticate."""
    return (
        payment is not None
        and payment.kind == Payment.Kind.NO_SHOW_FEE
        and payment.status == Payment.Status.PENDING
    )


def no_show_fee_pay_start(*, booking: Booking, user) -> Payment:
    """The client pays a fee their bank would not let go through off-session: a Checkout
    Session in payment mode for the fee (reused while the payment waits)."""
    from payments.services import _session_expiry

    if user is None or user.pk != booking.client_id:
        raise ValidationError(_("Only the client of this booking can pay its fee."))
    with transaction.atomic():
        locked = _lock_booking(booking.pk)
        payment = (
            Payment.objects.select_for_update()
            .filter(booking=locked, kind=Payment.Kind.NO_SHOW_FEE)
            .order_by("-attempt")
            .first()
        )
        if payment is not None and payment.is_paid:
            raise ValidationError(_("The fee is already paid."))
        if not fee_awaits_client(payment):
            raise ValidationError(_("There is no fee to pay for this booking."))
        assert payment is not None
        now = timezone.now()
        # A link made less than 30 minutes ago is still open (sessions last 31 minutes).
        if payment.checkout_session_id and payment.updated_at > now - timedelta(minutes=30):
            return payment
        gateway = _gateway_for(payment.backend)
        link = 1 + int(payment.checkout_session_id is not None)
        detail = absolute_url(reverse("bookings:detail", kwargs={"pk": locked.pk}))
        request = CheckoutRequest(
            booking_id=locked.pk,
            service_name=_("%(fee)s: %(service)s")
            % {"fee": fee_title(locked), "service": locked.service_name},
            amount=payment.amount,
            fee=payment.fee,
            currency=payment.currency,
            destination=payment.destination_account,
            success_url=f"{detail}?fee=paid",
            cancel_url=detail,
            expires_at=_session_expiry(now),
            operation=f"booking-{locked.pk}-fee-{payment.attempt}-link-{link}",
            customer_email=locked.client.email,
        )
        info = checkout_session_open(gateway, request)
        payment.checkout_session_id = info.session_id
        payment.checkout_url = info.url
        payment.save(update_fields=["checkout_session_id", "checkout_url", "updated_at"])
        return payment


def no_show_fee_succeeded(
    *, payment: Payment, payment_intent_id: str, amount: int, currency: str
) -> Payment:
    """The fee was paid (off-session, or by the client through the link). Idempotent; the
    booking itself does not move."""
    from payments.services import PaymentMismatch, _on_commit_receipt

    with transaction.atomic():
        _lock_booking(payment.booking_id)
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.is_paid:
            return payment
        if int(amount) != payment.amount or currency.lower() != payment.currency.lower():
            raise PaymentMismatch(
                f"Paid {amount} {currency.upper()} but the fee is "
                f"{payment.amount} {payment.currency.upper()}."
            )
        payment.status = Payment.Status.SUCCEEDED
        payment.payment_intent_id = payment_intent_id or payment.payment_intent_id
        payment.paid_at = timezone.now()
        payment.failure_message = ""
        try:
            with transaction.atomic():
                payment.save()
        except IntegrityError as exc:  # another fee attempt is already active
            raise ValidationError(_("Another fee payment for this booking is active.")) from exc
        _on_commit_receipt("payment", payment.pk)
    return payment


def no_show_fee_failed(*, payment: Payment, message: str) -> Payment:
    """An off-session fee attempt was declined (reported by webhook). Only a pending attempt
    that does not wait for its client fails."""
    with transaction.atomic():
        _lock_booking(payment.booking_id)
        Payment.objects.filter(
            pk=payment.pk, status=Payment.Status.PENDING, checkout_session_id__isnull=True
        ).update(
            status=Payment.Status.FAILED,
            failure_message=(message or CARD_DECLINED)[:300],
            updated_at=timezone.now(),
        )
    payment.refresh_from_db()
    return payment
