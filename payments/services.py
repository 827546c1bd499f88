"""Payment writes: onboarding, checkout, payment outcomes, refunds.

The webhook handlers (``payments.webhooks``) and the offline test payment page call the SAME
functions here (``payment_succeeded``, ``payment_failed``, ``payment_expired``,
``refund_update``), so both backends run one flow. Rules:

* The amount is always the booking's server-side price snapshot; the fee comes from
  ``payments.fees.split`` with the settings' policy.
* Statuses only move forward and every outcome is idempotent: applying the same Stripe fact
  twice, or an older one after a newer one, leaves the same end state.
* Checkout Sessions are created inside the transaction that holds the booking row lock, named
  ``booking-<id>-checkout-<attempt>``; the idempotency key adds a hash of the exact parameters
  (``payments.gateways.idempotency_key``). The session's ``expires_at`` is rounded up to the
  minute, so a request retried within that minute (or a rolled-back transaction retried) sends
  the same parameters and gets the same session back; a later retry gets a fresh session (the
  first one, whose URL nobody has, expires unpaid) instead of an error from Stripe.
* Refunds are rows created in the same transaction as their cause (e.g. the booking's
  cancellation), and sent to the gateway on commit (a ``payments.tasks.send_refund`` task:
  immediate in development, the worker in production) named ``refund-<refund id>``. So a
  cancellation never waits on, or fails with, Stripe, and a refund is never sent for a
  cancellation that rolled back; a refund whose call failed stays ``pending`` with
  ``last_error`` and is re-sent (same parameters, same key, so at most once) by ``refund_send``,
  from the admin
  or ``manage.py payments_retry``.

Lock order is always booking, then payment (as ``bookings.services.booking_transition``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import ProProfile
from accounts.timezones import zone_of
from bookings.models import Booking
from payments import fees
from payments import models as records
from payments.gateways import (
    AccountInfo,
    CheckoutInfo,
    CheckoutRequest,
    Gateway,
    GatewayError,
    OfflineGateway,
    RefundRequest,
    TransferReversalRequest,
    get_gateway,
    is_offline,
)
from payments.models import ConnectedAccount, Dispute, Payment, Payout, Refund
from timz import money, prepared
from timz.links import absolute_url

logger = logging.getLogger(__name__)

# Stripe refuses a Checkout Session that expires less than 30 minutes after Stripe creates it,
# counted on Stripe's clock when the request arrives: one minute of margin covers the network,
# retries and clock skew. The booking hold (bookings' PAYMENT_HOLD_MINUTES) still ends first,
# and its expiry expires the session.
CHECKOUT_SESSION_MINUTES = 31

S = Booking.Status


NO_FEE = fees.FeePolicy(percent=Decimal(0), fixed=0, minimum=0)


def fee_policy(*, booking: Booking) -> fees.FeePolicy:
    """The ONE place a fee policy is built: what the platform takes on `booking`'s payments
    (the booking itself, a deposit, its balance).

    None at all on a booking through the pro's own link (``Booking.Source.PRO_LINK``); else the
    rate staff had set when the booking was made (``payments.selectors.fee_rate_at``: a later
    change applies to later bookings only), or the ``PLATFORM_FEE_*`` settings before staff set
    any. Tips never go through here: the pro gets all of a tip.
    """
    if booking.source == Booking.Source.PRO_LINK:
        return NO_FEE
    from payments.selectors import fee_rate_at

    rate = fee_rate_at(booking.created_at or timezone.now())
    if rate is not None:
        return fees.FeePolicy(percent=rate.percent, fixed=rate.fixed, minimum=rate.minimum)
    return fees.FeePolicy(
        percent=Decimal(str(settings.PLATFORM_FEE_PERCENT)),
        fixed=int(settings.PLATFORM_FEE_FIXED),
        minimum=int(settings.PLATFORM_FEE_MIN),
    )


def _keep_gateway_error(obj: Refund | Dispute, exc: GatewayError) -> None:
    """Log a failed gateway call about `obj` and keep the provider's words in its
    ``last_error``, for staff (the admin) only."""
    logger.warning("%s: the gateway call failed: %s", obj, exc.detail)
    type(obj).objects.filter(pk=obj.pk).update(last_error=exc.detail[:500])
    obj.last_error = exc.detail[:500]


def _gateway_for(payment: Payment):
    """A payment is always followed up by the backend that took it."""
    return OfflineGateway() if payment.backend == Payment.Backend.OFFLINE else get_gateway()


# ---------------------------------------------------------------------------------------------
# Connected accounts
# ---------------------------------------------------------------------------------------------


def _apply_account_info(account: ConnectedAccount, info: AccountInfo) -> ConnectedAccount:
    account.charges_enabled = info.charges_enabled
    account.payouts_enabled = info.payouts_enabled
    account.details_submitted = info.details_submitted
    account.requirements_due = list(info.requirements_due)
    return account


def connected_account_enable_simulated(*, pro) -> ConnectedAccount:
    """Offline backend (and demo data): a simulated account that can take charges."""
    account, _created = ConnectedAccount.objects.update_or_create(
        pro=pro,
        defaults={
            "is_simulated": True,
            "charges_enabled": True,
            "payouts_enabled": True,
            "details_submitted": True,
            "requirements_due": [],
        },
    )
    return account


def connected_account_onboard(*, pro) -> str:
    """Start (or continue) `pro`'s onboarding; returns the URL to send the pro to.

    Stripe: creates the Express account once (operation ``pro-<id>-account``) and a fresh
    Account Link (links are single-use and short-lived). Offline: enables a simulated account
    and returns the local return page.
    """
    return_url = absolute_url(reverse("payments:onboarding_return"))
    refresh_url = absolute_url(reverse("payments:onboarding_refresh"))
    if is_offline():
        connected_account_enable_simulated(pro=pro)
        return reverse("payments:onboarding_return")
    gateway = get_gateway()
    with transaction.atomic():
        account, _created = ConnectedAccount.objects.select_for_update().get_or_create(pro=pro)
        if not account.stripe_account_id or account.is_simulated:
            try:
                info = gateway.create_account(pro_id=pro.pk, email=pro.user.email)
            except GatewayError as exc:
                raise ValidationError(
                    _("Stripe could not create your account. %(error)s") % {"error": exc}
                ) from exc
            account.stripe_account_id = info.id
            account.is_simulated = False
            _apply_account_info(account, info).save()
    # Stripe names every account it creates; only the offline gateway answers without an id.
    assert account.stripe_account_id is not None
    try:
        return gateway.create_account_link(
            account_id=account.stripe_account_id, refresh_url=refresh_url, return_url=return_url
        )
    except GatewayError as exc:
        raise ValidationError(
            _("Stripe could not start the onboarding. %(error)s") % {"error": exc}
        ) from exc


def connected_account_sync(*, pro) -> ConnectedAccount | None:
    """Refresh `pro`'s account status from the gateway (the onboarding return page)."""
    account = ConnectedAccount.objects.filter(pro=pro).first()
    if account is None or account.is_simulated or not account.stripe_account_id:
        return account
    if is_offline():
        return account
    try:
        info = get_gateway().retrieve_account(account_id=account.stripe_account_id)
    except GatewayError:
        logger.warning("Could not refresh account %s", account.stripe_account_id, exc_info=True)
        return account
    _apply_account_info(account, info).save()
    return account


def connected_account_update_from_stripe(
    *, info: AccountInfo, at: datetime | None = None
) -> ConnectedAccount | None:
    """Apply an ``account.updated`` event; an event older than the last one applied is ignored."""
    with transaction.atomic():
        account = (
            ConnectedAccount.objects.select_for_update().filter(stripe_account_id=info.id).first()
        )
        if account is None:
            return None
        if at is not None and account.stripe_updated_at and at < account.stripe_updated_at:
            return account
        _apply_account_info(account, info)
        if at is not None:
            account.stripe_updated_at = at
        account.save()
        return account


# ---------------------------------------------------------------------------------------------
# Checkout
# ---------------------------------------------------------------------------------------------


def pro_currency_change_refusal(*, pro, old: str) -> None:
    """Refuse (ValidationError) a new currency for `pro` while a payment in `old` is pending:
    its Checkout session was opened for that amount and currency."""
    pending = Payment.objects.filter(booking__pro=pro, status=Payment.Status.PENDING).count()
    if pending:
        raise ValidationError(
            ngettext(
                "%(count)d payment is still pending in %(currency)s. Your currency can change "
                "once it is paid or has lapsed.",
                "%(count)d payments are still pending in %(currency)s. Your currency can change "
                "once they are paid or have lapsed.",
                pending,
            )
            % {"count": pending, "currency": old},
            code="currency_pending_payments",
        )


def _lock_booking(booking_id: int) -> Booking:
    return (
        Booking.objects.select_for_update(of=("self",))
        .select_related("pro", "pro__user", "client")
        .get(pk=booking_id)
    )


def _session_expiry(now: datetime) -> datetime:
    """At least CHECKOUT_SESSION_MINUTES from `now`, rounded up to the whole minute: requests
    retried within one minute carry the same parameters, hence the same idempotency key."""
    at = now + timedelta(minutes=CHECKOUT_SESSION_MINUTES)
    whole = at.replace(second=0, microsecond=0)
    return whole if whole == at else whole + timedelta(minutes=1)


def _due_now(booking: Booking, now: datetime) -> tuple[str, int]:
    """What the client of the locked `booking` may pay online now: ``(kind, amount)``.

    Awaiting payment: the deposit when the booking has one, else the whole price. A confirmed
    deposit booking whose visit is still ahead: the balance (price less deposit), which the
    client may also pay at the visit.
    """
    K = Payment.Kind
    if booking.status == S.PENDING_PAYMENT:
        if booking.expires_at is not None and booking.expires_at <= now:
            raise ValidationError(_("The hold on this time has expired. Please book again."))
        if booking.deposit_amount > 0:
            return K.DEPOSIT, booking.deposit_amount
        return K.FULL, booking.price_amount
    if booking.deposit_amount > 0 and booking.status == S.CONFIRMED:
        if booking.starts_at <= now:
            raise ValidationError(_("The balance is paid at the visit once it has started."))
        balance = booking.price_amount - booking.deposit_amount
        if balance <= 0:
            raise ValidationError(_("This booking is already paid."))
        return K.BALANCE, balance
    raise ValidationError(_("This booking is not awaiting payment."))


def _fee_for(booking: Booking, kind: str) -> int:
    """The platform fee a payment of `kind` carries: the booking's whole fee on its price,
    shared between deposit and balance in proportion (``fees.deposit_fee``)."""
    whole = fees.split(
        price=booking.price_amount, currency=booking.currency, policy=fee_policy(booking=booking)
    )
    if kind == Payment.Kind.FULL:
        return whole.fee
    on_deposit = fees.deposit_fee(
        price=booking.price_amount, fee=whole.fee, deposit=booking.deposit_amount
    )
    return on_deposit if kind == Payment.Kind.DEPOSIT else whole.fee - on_deposit


def checkout_start(*, booking: Booking, user) -> Payment:
    """The client's pending payment of what `booking` asks now (``_due_now``: the price or the
    deposit while awaiting payment, the balance of a confirmed deposit booking), creating the
    checkout session if needed.

    Only the booking's own client may pay. A pending payment of that kind is reused (same
    session), so double clicks and retries never create a second session; after an expired or
    failed attempt, a new attempt gets a new session. ``booking_create`` opens the first one in
    its own transaction (``checkout_start_new``), so a booking awaiting payment has its session
    from the start.
    """
    if user is None or user.pk != booking.client_id:
        raise ValidationError(_("Only the client of this booking can pay for it."))
    from payments.selectors import connected_account_for

    with transaction.atomic():
        locked = _lock_booking(booking.pk)
        kind, amount = _checkout_terms(locked)
        account = _charging(connected_account_for(locked.pro))
        payments = list(Payment.objects.select_for_update().filter(booking=locked))
        for payment in payments:
            if payment.kind != kind:
                continue
            if payment.status == Payment.Status.PENDING:
                return payment
            if payment.is_paid:
                raise ValidationError(
                    _("The balance is already paid.")
                    if kind == Payment.Kind.BALANCE
                    else _("This booking is already paid.")
                )
        attempt = max((p.attempt for p in payments), default=0) + 1
        return _checkout_open(locked, kind=kind, amount=amount, account=account, attempt=attempt)


def checkout_start_new(*, booking: Booking) -> Payment:
    """``checkout_start`` for a booking its caller inserted in the current transaction
    (``bookings.services.booking_create``), with its pro, service and client in hand: no other
    transaction can see the row yet and it has no payment, so neither is locked or read again.
    The same checks and the same session (attempt 1). Writes nothing but the Payment row, after
    the gateway answered: a ValidationError leaves the transaction as it was."""
    kind, amount = _checkout_terms(booking)
    # Read again, as the lock of checkout_start reads it: the pro may have lost charges since
    # the caller read their account.
    found = prepared.instances("payments.account_of_pro", _account_of_pro, pro_id=booking.pro_id)
    account = _charging(found[0] if found else None)
    return _checkout_open(booking, kind=kind, amount=amount, account=account, attempt=1)


def _account_of_pro(*, pro_id: int):
    # Compiled once per process (timz.prepared): every booking paid online reads it.
    return ConnectedAccount.objects.filter(pro_id=pro_id)


def checkout_session_open(
    gateway: Gateway, request: CheckoutRequest, *, failure: str | None = None
) -> CheckoutInfo:
    """The gateway's Checkout session for `request`; a GatewayError becomes a ValidationError
    a user can read: `failure` (a sentence with ``%(error)s``), else "The payment could not be
    started." and the gateway's words."""
    try:
        return gateway.create_checkout(request)
    except GatewayError as exc:
        message = failure or _("The payment could not be started. %(error)s")
        raise ValidationError(message % {"error": exc}) from exc


def _checkout_terms(booking: Booking) -> tuple[str, int]:
    """What a checkout of `booking` would take now: ``(kind, amount)``; ValidationError when
    the booking asks for a card instead or nothing now (``_due_now``)."""
    from payments.selectors import booking_saves_card

    if booking_saves_card(booking):
        raise ValidationError(_("This booking asks for a card to be saved, not a payment."))
    return _due_now(booking, timezone.now())


def _charging(account: ConnectedAccount | None) -> ConnectedAccount:
    """`account` if it can take charges now, else ValidationError."""
    from payments.selectors import account_can_charge

    if not account_can_charge(account):
        # Checked before an open session is reused: the pro may have lost charges since.
        raise ValidationError(_("This professional cannot take online payments right now."))
    return account


def _checkout_open(
    booking: Booking, *, kind: str, amount: int, account: ConnectedAccount, attempt: int
) -> Payment:
    """A new checkout session at the gateway for `booking` (locked, or new in this
    transaction) and its pending Payment row."""
    # The price was checked when the service was saved, but Stripe's rules can change
    # under a saved price; the offline page follows the same rules.
    error = money.stripe_charge_error(amount, booking.currency)
    if error:
        raise ValidationError(error)
    gateway = get_gateway()
    fee = _fee_for(booking, kind)
    if kind == Payment.Kind.BALANCE:
        # No hold and no processing page: the client comes back to the booking.
        back = absolute_url(reverse("bookings:detail", kwargs={"pk": booking.pk}))
        success_url, cancel_url = back + "?balance=paid", back
        operation = f"booking-{booking.pk}-balance-{attempt}"
    else:
        success_url = absolute_url(reverse("payments:checkout_return", args=[booking.pk]))
        cancel_url = absolute_url(reverse("payments:checkout", args=[booking.pk]))
        cancel_url += "?cancelled=1"
        operation = f"booking-{booking.pk}-checkout-{attempt}"
    request = CheckoutRequest(
        booking_id=booking.pk,
        # The line the client reads on Stripe's page, in their language.
        service_name=(
            _("%(service)s (deposit)") % {"service": booking.localized_service_name}
            if kind == Payment.Kind.DEPOSIT
            else _("%(service)s (balance)") % {"service": booking.localized_service_name}
            if kind == Payment.Kind.BALANCE
            else booking.localized_service_name
        ),
        amount=amount,
        fee=fee,
        currency=booking.currency,
        destination=account.stripe_account_id or "",
        success_url=success_url,
        cancel_url=cancel_url,
        expires_at=_session_expiry(timezone.now()),
        operation=operation,
        customer_email=booking.client.email,
    )
    info = checkout_session_open(gateway, request)
    return Payment.objects.create(
        booking=booking,
        kind=kind,
        attempt=attempt,
        backend=gateway.name,
        amount=amount,
        fee=fee,
        currency=booking.currency,
        destination_account=account.stripe_account_id or "",
        checkout_session_id=info.session_id,
        checkout_url=info.url,
    )


class PaymentMismatch(ValidationError):
    """What the provider reports does not match the payment (amount or currency)."""


def payment_succeeded(
    *, payment: Payment, payment_intent_id: str, amount: int, currency: str
) -> Payment:
    """The money for `payment` was taken: mark it paid and move the booking on.

    Idempotent (a paid payment is left alone). The reported amount must equal the snapshot.
    If the booking no longer holds its slot (expired or cancelled meanwhile), the money is
    refunded in full at once. A no-show fee has its own outcome
    (``payments.card_on_file.no_show_fee_succeeded``): the booking does not move.
    """
    if payment.kind == Payment.Kind.NO_SHOW_FEE:
        from payments.card_on_file import no_show_fee_succeeded

        return no_show_fee_succeeded(
            payment=payment, payment_intent_id=payment_intent_id, amount=amount, currency=currency
        )
    with transaction.atomic():
        booking = _lock_booking(payment.booking_id)
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.is_paid:
            return payment
        if int(amount) != payment.amount or currency.lower() != payment.currency.lower():
            raise PaymentMismatch(
                f"Paid {amount} {currency.upper()} but the booking costs "
                f"{payment.amount} {payment.currency.upper()}."
            )
        if payment.status != Payment.Status.PENDING:
            # A late success of an expired/failed attempt: only possible if no other attempt is
            # active; the slot may have gone, which the refund below handles.
            Payment.objects.select_for_update().filter(
                booking=booking, kind=payment.kind, status=Payment.Status.PENDING
            ).exclude(pk=payment.pk).update(status=Payment.Status.EXPIRED)
            if (
                Payment.objects.filter(
                    booking=booking, kind=payment.kind, status__in=Payment.PAID_STATUSES
                )
                .exclude(pk=payment.pk)
                .exists()
            ):
                raise ValidationError(_("Another payment for this booking was already taken."))
        payment.status = Payment.Status.SUCCEEDED
        payment.payment_intent_id = payment_intent_id or payment.payment_intent_id
        payment.paid_at = timezone.now()
        payment.save(update_fields=["status", "payment_intent_id", "paid_at", "updated_at"])
        _on_commit_receipt("payment", payment.pk)
        if payment.kind == Payment.Kind.TIP:
            pass  # after the visit: nothing about the booking changes
        elif payment.kind == Payment.Kind.BALANCE:
            # The booking is already confirmed; only one that ended meanwhile is refunded.
            if booking.status in ENDING_STATUSES:
                refund_create(payment=payment, reason=records.REFUND_BALANCE_AFTER_END)
        elif booking.status == S.PENDING_PAYMENT:
            from bookings.services import booking_transition

            booking_transition(booking=booking, action="payment_received", by=None)
        else:
            refund_create(payment=payment, reason=records.REFUND_HOLD_LAPSED)
    return payment


def payment_failed(*, payment: Payment) -> Payment:
    """The attempt failed (declined card; the offline page's Decline). The booking keeps its
    hold, so the client may try again until it expires."""
    with transaction.atomic():
        _lock_booking(payment.booking_id)
        count = Payment.objects.filter(pk=payment.pk, status=Payment.Status.PENDING).update(
            status=Payment.Status.FAILED, updated_at=timezone.now()
        )
    payment.refresh_from_db()
    if count:
        logger.info("Payment %s failed", payment.pk)
    return payment


def payment_expired(*, payment: Payment) -> Payment:
    """The checkout session expired unpaid: the payment is over and, once the hold is over, so is
    the booking (its slot is free again). A no-show fee's payment link expiring changes
    nothing: the fee still waits, and the client may ask for a new link."""
    if payment.kind == Payment.Kind.NO_SHOW_FEE:
        return payment
    from bookings.lifecycle import TransitionNotAllowed
    from bookings.services import booking_transition

    with transaction.atomic():
        booking = _lock_booking(payment.booking_id)
        Payment.objects.filter(pk=payment.pk, status=Payment.Status.PENDING).update(
            status=Payment.Status.EXPIRED, updated_at=timezone.now()
        )
        still_paying = Payment.objects.filter(
            booking=booking, kind=payment.kind, status__in=Payment.ACTIVE_STATUSES
        ).exists()
        # An unpaid balance changes nothing: it is still due at the visit.
        paid_when_booking = payment.kind != Payment.Kind.BALANCE
        if booking.status == S.PENDING_PAYMENT and paid_when_booking and not still_paying:
            try:
                with transaction.atomic():
                    booking_transition(booking=booking, action="expire", by=None)
            except TransitionNotAllowed:
                pass  # The hold runs a little longer; process_due expires it then.
    payment.refresh_from_db()
    return payment


def _expire_session_quietly(payment_id: int, session_id: str) -> None:
    payment = Payment.objects.get(pk=payment_id)
    try:
        _gateway_for(payment).expire_checkout(session_id=session_id)
    except GatewayError:
        # Already completed or expired: a completion still arrives by webhook and is refunded.
        logger.info("Could not expire checkout session %s", session_id, exc_info=True)


# ---------------------------------------------------------------------------------------------
# Refunds
# ---------------------------------------------------------------------------------------------


def _committed_refunds(payment: Payment) -> tuple[int, int]:
    totals = payment.refunds.filter(status__in=Refund.OPEN_OR_DONE).aggregate(
        amount=Sum("amount"), fee=Sum("application_fee_refunded")
    )
    return totals["amount"] or 0, totals["fee"] or 0


def refund_create(
    *,
    payment: Payment,
    reason: str,
    amount: int | None = None,
    fee_amount: int | None = None,
    by=None,
) -> Refund:
    """Refund `amount` (default: all that is left) of a paid payment; sent on commit.

    The platform fee is refunded in the same proportion unless `fee_amount` says otherwise;
    Stripe is asked for ``reverse_transfer`` and ``refund_application_fee``.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Please give a reason for the refund."))
    if len(reason) > 500:
        raise ValidationError(_("The reason can be at most 500 characters."))
    if amount is not None and (not isinstance(amount, int) or isinstance(amount, bool)):
        raise ValidationError(_("The refund amount must be a whole number of minor units."))
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if not payment.is_paid:
            raise ValidationError(_("Only a paid payment can be refunded."))
        done_amount, done_fee = _committed_refunds(payment)
        remaining = payment.amount - done_amount
        if remaining <= 0:
            raise ValidationError(_("This payment has already been refunded in full."))
        if amount is None:
            amount = remaining
        if not 0 < amount <= remaining:
            raise ValidationError(
                _(
                    "The refund must be more than 0 and at most %(remaining)s (%(currency)s "
                    "minor units still refundable)."
                )
                % {"remaining": remaining, "currency": payment.currency}
            )
        fee_left = payment.fee - done_fee
        if fee_amount is None:
            fee_amount = (
                fee_left
                if amount == remaining
                else fees.proportional_fee_refund(
                    price=payment.amount, fee=payment.fee, refund=amount
                )
            )
        fee_amount = max(0, min(fee_amount, fee_left, amount))
        refund = Refund.objects.create(
            payment=payment,
            amount=amount,
            application_fee_refunded=fee_amount,
            reason=reason,
            requested_by=by if getattr(by, "is_authenticated", False) else None,
        )
        refund_id = refund.pk
        transaction.on_commit(lambda: _enqueue_refund(refund_id))
    return refund


def _enqueue_refund(refund_id: int) -> None:
    from payments.tasks import send_refund

    send_refund.enqueue(refund_id)


def refund_send(*, refund_id: int) -> Refund:
    """Send a pending refund to its gateway (operation ``refund-<id>``); safe to repeat."""
    refund = Refund.objects.select_related("payment").get(pk=refund_id)
    if refund.status != Refund.Status.PENDING or refund.stripe_refund_id:
        return refund
    payment = refund.payment
    request = RefundRequest(
        payment_intent_id=payment.payment_intent_id,
        amount=refund.amount,
        currency=payment.currency,
        booking_id=payment.booking_id,
        refund_id=refund.pk,
        operation=refund.operation,
    )
    try:
        info = _gateway_for(payment).create_refund(request)
    except GatewayError as exc:
        _keep_gateway_error(refund, exc)
        return refund
    return refund_update(refund=refund, status=info.status, stripe_refund_id=info.id)


# Forward-only: a refund leaves pending once; a succeeded refund can still fail later (Stripe
# reports it with refund.failed), but nothing ever goes back to pending or succeeded.
_REFUND_RANK: dict[str, int] = {
    Refund.Status.PENDING: 0,
    Refund.Status.SUCCEEDED: 1,
    Refund.Status.CANCELED: 2,
    Refund.Status.FAILED: 2,
}


def _refund_status(stripe_status: str) -> str:
    if stripe_status in Refund.Status.values:
        return stripe_status
    return Refund.Status.PENDING  # requires_action and anything new


def refund_update(*, refund: Refund, status: str, stripe_refund_id: str | None = None) -> Refund:
    """Apply a refund status reported by the gateway or a webhook (forward only, idempotent)."""
    status = _refund_status(status)
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund.pk)
        fields = []
        if stripe_refund_id and not refund.stripe_refund_id:
            refund.stripe_refund_id = stripe_refund_id
            fields.append("stripe_refund_id")
        if _REFUND_RANK[status] > _REFUND_RANK[refund.status]:
            refund.status = status
            refund.completed_at = refund.completed_at or timezone.now()
            refund.last_error = ""
            fields += ["status", "completed_at", "last_error"]
        if not fields:
            return refund
        if "status" in fields and status == Refund.Status.SUCCEEDED:
            refund.application_fee_refunded = _fee_refunded_by_provider(refund)
            fields.append("application_fee_refunded")
        refund.save(update_fields=[*fields, "updated_at"])
        if "status" in fields:
            _payment_recompute(refund.payment_id)
            if status == Refund.Status.SUCCEEDED:
                _on_commit_receipt("refund", refund.pk)
    return refund


def _fee_refunded_by_provider(refund: Refund) -> int:
    """The part of the platform fee `refund` (just succeeded) gave back, as the provider
    reports it: Stripe refunds the application fee with its own rounding, so its running total
    (the application fee's ``amount_refunded``) less what the payment's other succeeded refunds
    carry is this refund's share. If two refunds succeed before either is recorded, the first
    one recorded carries both shares; the payment's total is Stripe's either way.

    The figure Timz computed is kept when the provider has none (offline backend) or cannot be
    asked now (logged).
    """
    payment = Payment.objects.select_for_update().get(pk=refund.payment_id)
    if payment.backend != Payment.Backend.STRIPE or not payment.payment_intent_id:
        return refund.application_fee_refunded
    try:
        total = _gateway_for(payment).application_fee_refunded(
            payment_intent_id=payment.payment_intent_id, currency=payment.currency
        )
    except GatewayError as exc:
        logger.warning(
            "Could not read the fee refunded for refund %s; keeping %s: %s",
            refund.pk,
            refund.application_fee_refunded,
            exc.detail,
        )
        return refund.application_fee_refunded
    if total is None:
        return refund.application_fee_refunded
    others = (
        payment.refunds.filter(status=Refund.Status.SUCCEEDED)
        .exclude(pk=refund.pk)
        .aggregate(fee=Sum("application_fee_refunded"))["fee"]
        or 0
    )
    return max(0, min(total - others, refund.amount, payment.fee - others))


def _payment_recompute(payment_id: int) -> Payment:
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    totals = payment.refunds.filter(status=Refund.Status.SUCCEEDED).aggregate(
        amount=Sum("amount"), fee=Sum("application_fee_refunded")
    )
    payment.amount_refunded = min(totals["amount"] or 0, payment.amount)
    payment.fee_refunded = min(totals["fee"] or 0, payment.fee)
    if payment.is_paid:
        if payment.amount_refunded >= payment.amount:
            payment.status = Payment.Status.REFUNDED
        elif payment.amount_refunded > 0:
            payment.status = Payment.Status.PARTIALLY_REFUNDED
        else:
            payment.status = Payment.Status.SUCCEEDED
    payment.save(update_fields=["amount_refunded", "fee_refunded", "status", "updated_at"])
    return payment


def refund_record_external(
    *, payment: Payment, stripe_refund_id: str, amount: int, status: str
) -> Refund | None:
    """A refund made outside Timz (e.g. in the Stripe dashboard), reported by a webhook."""
    try:
        with transaction.atomic():
            refund = Refund.objects.create(
                payment=payment,
                amount=amount,
                application_fee_refunded=min(
                    fees.proportional_fee_refund(
                        price=payment.amount, fee=payment.fee, refund=min(amount, payment.amount)
                    ),
                    amount,
                ),
                reason=records.REFUND_OUTSIDE_TIMZ,
                stripe_refund_id=stripe_refund_id,
            )
    except IntegrityError:
        refund = Refund.objects.get(stripe_refund_id=stripe_refund_id)
    return refund_update(refund=refund, status=status)


# ---------------------------------------------------------------------------------------------
# Disputes
# ---------------------------------------------------------------------------------------------

# Forward-only, as Stripe moves a dispute: an inquiry may become a chargeback, a chargeback may
# be appealed, and every closed status is final. A status Timz does not know ranks as open.
_DISPUTE_RANK: dict[str, int] = {
    Dispute.Status.WARNING_NEEDS_RESPONSE: 0,
    Dispute.Status.WARNING_UNDER_REVIEW: 1,
    Dispute.Status.NEEDS_RESPONSE: 2,
    Dispute.Status.UNDER_REVIEW: 3,
    Dispute.Status.APPEAL_NEEDS_RESPONSE: 4,
    Dispute.Status.APPEAL_UNDER_REVIEW: 5,
    **dict.fromkeys(Dispute.CLOSED_STATUSES, 6),
}
_DISPUTE_OPEN_RANK = _DISPUTE_RANK[Dispute.Status.UNDER_REVIEW]


def _dispute_rank(status: str) -> int:
    return _DISPUTE_RANK.get(status, _DISPUTE_OPEN_RANK)


def dispute_update_from_stripe(
    *,
    payment: Payment,
    stripe_dispute_id: str,
    amount: int,
    reason: str,
    status: str,
    opened_at: datetime | None = None,
) -> Dispute:
    """Apply what Stripe says about a dispute of `payment` (idempotent, forward only).

    Staff are emailed when a dispute opens and when it closes; a lost dispute is then
    recovered from the pro (``dispute_recover_funds``, on commit).
    """
    with transaction.atomic():
        dispute, created = Dispute.objects.select_for_update().get_or_create(
            stripe_dispute_id=stripe_dispute_id,
            defaults={
                "payment": payment,
                "amount": amount,
                "currency": payment.currency,
                "reason": reason[:100],
                "status": status,
                "opened_at": opened_at or timezone.now(),
            },
        )
        closes = status in Dispute.CLOSED_STATUSES and (created or dispute.is_open)
        if not created:
            if _dispute_rank(status) < _dispute_rank(dispute.status):
                return dispute
            dispute.amount, dispute.reason, dispute.status = amount, reason[:100], status
        if closes:
            dispute.closed_at = timezone.now()
        dispute.save()
        if created:
            transaction.on_commit(partial(_enqueue_dispute_notice, dispute.pk, "opened"))
        if closes:
            transaction.on_commit(partial(_enqueue_dispute_notice, dispute.pk, "closed"))
            if status == Dispute.Status.LOST:
                transaction.on_commit(partial(_enqueue_dispute_recovery, dispute.pk))
    return dispute


def _enqueue_dispute_notice(dispute_id: int, notice: str) -> None:
    from payments.tasks import notify_staff_of_dispute

    notify_staff_of_dispute.enqueue(dispute_id, notice)


def _enqueue_dispute_recovery(dispute_id: int) -> None:
    from payments.tasks import recover_dispute_funds

    recover_dispute_funds.enqueue(dispute_id)


def dispute_recoverable(dispute: Dispute) -> int:
    """What a lost dispute takes back from the pro: the disputed amount, but never more than
    the pro still holds of the payment (its transfer less the refunds' reversals). The platform
    bears the rest (its own fee) and Stripe's dispute fee."""
    return max(0, min(dispute.amount, dispute.payment.net_after_refunds))


def dispute_recover_funds(*, dispute_id: int) -> Dispute:
    """Reverse the pro's transfer for a lost dispute (operation ``dispute-<id>-recovery``);
    safe to repeat. A failure stays in ``last_error`` for staff; ``payments_retry`` retries."""
    dispute = Dispute.objects.select_related("payment").get(pk=dispute_id)
    if dispute.status != Dispute.Status.LOST or dispute.transfer_reversal_id:
        return dispute
    payment = dispute.payment
    amount = dispute_recoverable(dispute)
    if amount <= 0:
        return dispute
    request = TransferReversalRequest(
        payment_intent_id=payment.payment_intent_id,
        amount=amount,
        currency=payment.currency,
        booking_id=payment.booking_id,
        dispute_id=dispute.stripe_dispute_id,
        operation=dispute.operation,
    )
    try:
        reversal_id = _gateway_for(payment).reverse_transfer(request)
    except GatewayError as exc:
        _keep_gateway_error(dispute, exc)
        return dispute
    Dispute.objects.filter(pk=dispute.pk, transfer_reversal_id="").update(
        transfer_reversal_id=reversal_id,
        funds_recovered=amount,
        last_error="",
        updated_at=timezone.now(),
    )
    dispute.refresh_from_db()
    return dispute


# ---------------------------------------------------------------------------------------------
# Following the booking lifecycle
# ---------------------------------------------------------------------------------------------

# Transitions that end a booking without the service being delivered.
ENDING_STATUSES = (S.DECLINED, S.CANCELLED, S.EXPIRED)


def _refund_reason(*, action: str, from_status: str, actor, booking: Booking) -> str:
    """The refund's reason, kept in English and translated when shown (``records.RECORDED``)."""
    if action == "decline":
        return records.REFUND_DECLINED
    if action == "expire":
        return records.REFUND_EXPIRED
    if action == "cancel":
        if actor is None:
            return records.REFUND_CANCELLED_BY_SYSTEM
        if actor.pk == booking.pro.user_id:
            return records.REFUND_CANCELLED_BY_PRO
        if actor.pk != booking.client_id:
            return records.REFUND_CANCELLED_BY_STAFF
        return records.REFUND_CANCELLED_BY_CLIENT
    return f"Booking {action.replace('_', ' ')}."  # no other action ends a booking undelivered


def booking_payment_follow(
    *, booking: Booking, action: str, from_status: str, to_status: str, actor=None, **kwargs
) -> None:
    """Receiver of ``bookings.lifecycle.booking_transitioned`` (inside its transaction).

    A booking that ends unpaid closes its pending payment (and expires the Stripe session on
    commit). Each paid payment for a booking that ends undelivered is refunded by its kind
    (``fees.cancellation_refund``): in full, except after a late client cancellation, where the
    pro keeps their late-cancellation percent of a full payment, or the whole deposit (a paid
    balance is always refunded in full); the platform fee follows in proportion.
    """
    if to_status not in ENDING_STATUSES:
        return
    payments = list(Payment.objects.select_for_update().filter(booking_id=booking.pk))
    for payment in payments:
        if payment.status == Payment.Status.PENDING:
            payment.status = Payment.Status.EXPIRED
            payment.save(update_fields=["status", "updated_at"])
            if payment.backend == Payment.Backend.STRIPE and payment.checkout_session_id:
                pid, sid = payment.pk, payment.checkout_session_id
                transaction.on_commit(partial(_expire_session_quietly, pid, sid))
    late = action == "cancel" and booking.is_late_cancellation
    reason = _refund_reason(action=action, from_status=from_status, actor=actor, booking=booking)
    keep = 0
    if late:
        from bookings.selectors import booking_rules_for

        keep = booking_rules_for(booking.pro).late_cancellation_fee_percent
    for paid in payments:
        if paid.kind not in Payment.BOOKING_KINDS or paid.status not in Payment.PAID_STATUSES:
            continue
        done_amount, done_fee = _committed_refunds(paid)
        remaining = paid.amount - done_amount
        if remaining <= 0:
            continue
        amount, fee_amount = fees.cancellation_refund(
            kind=paid.kind, amount=paid.amount, fee=paid.fee, late=late, keep_percent=keep
        )
        amount, fee_amount = min(amount, remaining), min(fee_amount, paid.fee - done_fee)
        if amount <= 0:
            continue
        why = reason
        if late and paid.kind == Payment.Kind.FULL:
            why = records.LATE_CANCELLATION % {"percent": keep}
        refund_create(payment=paid, amount=amount, fee_amount=fee_amount, reason=why)


# ---------------------------------------------------------------------------------------------
# Tips
# ---------------------------------------------------------------------------------------------

# A tip is at most the booking's price (a typo of two extra zeros is refused, not charged).
TIP_MAX_PERCENT_OF_PRICE = 100


def tip_refusal(booking: Booking) -> str | None:
    """Why the client cannot tip `booking` now (None when they can): the visit is completed and
    was paid online (a booking payment taken and not refunded in full), and no tip was paid yet.
    Expects ``booking.payments`` prefetched or reads them (one query)."""
    if booking.status != S.COMPLETED:
        return _("You can add a tip once the visit is completed.")
    payments = list(booking.payments.all())
    if not any(
        p.kind in Payment.BOOKING_KINDS
        and p.status in (Payment.Status.SUCCEEDED, Payment.Status.PARTIALLY_REFUNDED)
        for p in payments
    ):
        return _("Tips can only be added to a visit paid online.")
    if any(p.kind == Payment.Kind.TIP and p.is_paid for p in payments):
        return _("You have already added a tip for this visit. Thank you!")
    return None


def tip_max(booking: Booking) -> int:
    return fees.percent_of(amount=booking.price_amount, percent=TIP_MAX_PERCENT_OF_PRICE)


def tip_start(*, booking: Booking, user, amount: int) -> Payment:
    """Start paying a tip of `amount` (minor units of the booking's currency) for `booking`.

    Only the booking's client, on a completed visit paid online, once (see ``tip_refusal``);
    more than 0 and at most the price. The pro gets all of it: the payment's fee is 0 and the
    Checkout Session has no ``application_fee_amount`` (a destination charge to the pro's
    account). A pending tip of the same amount is reused (double clicks); one of another
    amount is replaced (its session expired on commit). Webhooks and the offline test page
    complete it through ``payment_succeeded``, like any payment.
    """
    if user is None or user.pk != booking.client_id:
        raise PermissionDenied(_("Only the client of this booking can add a tip."))
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise ValidationError(_("Enter the tip as an amount."))
    from payments.selectors import account_can_charge, connected_account_for

    with transaction.atomic():
        locked = _lock_booking(booking.pk)
        payments = list(Payment.objects.select_for_update().filter(booking=locked))
        locked._prefetched_objects_cache = {"payments": payments}  # type: ignore[attr-defined]
        refusal = tip_refusal(locked)
        if refusal:
            raise ValidationError(refusal)
        currency = locked.currency
        if amount <= 0:
            raise ValidationError(_("Enter a tip of more than 0."))
        cap = tip_max(locked)
        if amount > cap:
            shown = money.format_money(cap, currency)
            raise ValidationError(
                _("A tip can be at most %(amount)s (the price of the visit).") % {"amount": shown}
            )
        error = money.stripe_charge_error(amount, currency)
        if error:
            raise ValidationError(error)
        pending = next(
            (
                p
                for p in payments
                if p.kind == Payment.Kind.TIP and p.status == Payment.Status.PENDING
            ),
            None,
        )
        if pending is not None:
            if pending.amount == amount:
                return pending
            pending.status = Payment.Status.EXPIRED
            pending.save(update_fields=["status", "updated_at"])
            if pending.backend == Payment.Backend.STRIPE and pending.checkout_session_id:
                pid, sid = pending.pk, pending.checkout_session_id
                transaction.on_commit(partial(_expire_session_quietly, pid, sid))
        account = connected_account_for(locked.pro)
        if not account_can_charge(account):
            raise ValidationError(_("This professional cannot take online payments right now."))
        attempt = max((p.attempt for p in payments), default=0) + 1
        detail = absolute_url(reverse("bookings:detail", args=[locked.pk]))
        gateway = get_gateway()
        request = CheckoutRequest(
            booking_id=locked.pk,
            service_name=_("Tip: %(service)s") % {"service": locked.localized_service_name},
            amount=amount,
            fee=0,
            currency=currency,
            destination=account.stripe_account_id or "",
            success_url=detail + "?tip=thanks",
            cancel_url=detail + "?tip=cancelled",
            expires_at=_session_expiry(timezone.now()),
            operation=f"booking-{locked.pk}-tip-{attempt}",
            customer_email=locked.client.email,
            kind=Payment.Kind.TIP,
        )
        info = checkout_session_open(
            gateway, request, failure=_("The tip could not be started. %(error)s")
        )
        return Payment.objects.create(
            booking=locked,
            kind=Payment.Kind.TIP,
            attempt=attempt,
            backend=gateway.name,
            amount=amount,
            fee=0,
            currency=currency,
            destination_account=account.stripe_account_id or "",
            checkout_session_id=info.session_id,
            checkout_url=info.url,
        )


# ---------------------------------------------------------------------------------------------
# Receipts
# ---------------------------------------------------------------------------------------------


def _on_commit_receipt(kind: str, pk: int) -> None:
    from payments.tasks import send_payment_receipt, send_refund_receipt

    task = send_payment_receipt if kind == "payment" else send_refund_receipt
    transaction.on_commit(lambda: task.enqueue(pk))


# ---------------------------------------------------------------------------------------------
# Offline payouts
# ---------------------------------------------------------------------------------------------

# The offline backend pays each pro out once a week (Stripe's default schedule for most
# countries is daily or weekly; weekly keeps the demo's records readable).
OFFLINE_PAYOUT_INTERVAL = timedelta(days=7)


def _offline_balances() -> dict[tuple[int, str], int]:
    """What each pro earned through the offline backend and was not paid out yet, per
    currency: payments net of fees, less refunds (net of fee refunds), lost disputes and
    payouts. Four grouped queries for every pro at once."""
    offline = {"backend": Payment.Backend.OFFLINE}
    balances: dict[tuple[int, str], int] = {}

    def add(rows, sign: int) -> None:
        for pro_id, currency, amount in rows:
            balances[(pro_id, currency)] = balances.get((pro_id, currency), 0) + sign * amount

    add(
        Payment.objects.filter(status__in=Payment.PAID_STATUSES, **offline)
        .values("booking__pro_id", "currency")
        .annotate(earned=Sum(F("amount") - F("fee")))
        .order_by()
        .values_list("booking__pro_id", "currency", "earned"),
        1,
    )
    add(
        Refund.objects.filter(status=Refund.Status.SUCCEEDED, payment__backend="offline")
        .values("payment__booking__pro_id", "payment__currency")
        .annotate(net=Sum(F("amount") - F("application_fee_refunded")))
        .order_by()
        .values_list("payment__booking__pro_id", "payment__currency", "net"),
        -1,
    )
    add(
        Dispute.objects.filter(status=Dispute.Status.LOST, payment__backend="offline")
        .values("payment__booking__pro_id", "currency")
        .annotate(net=Sum("funds_recovered"))
        .order_by()
        .values_list("payment__booking__pro_id", "currency", "net"),
        -1,
    )
    add(
        Payout.objects.filter(stripe_payout_id__isnull=True)
        .exclude(status__in=(Payout.Status.FAILED, Payout.Status.CANCELED))
        .values("pro_id", "currency")
        .annotate(total=Sum("amount"))
        .order_by()
        .values_list("pro_id", "currency", "total"),
        -1,
    )
    return balances


def payouts_offline_run(*, now: datetime) -> int:
    """With the offline backend, pay each pro out what they earned and were not paid yet,
    at most once every ``OFFLINE_PAYOUT_INTERVAL`` per currency; the money "arrives" the same
    day (the pro's own date). Returns how many payouts were made. Idempotent within a week:
    each pro's row is locked and the last payout checked again before writing."""
    if not is_offline():
        return 0
    made = 0
    for (pro_id, currency), amount in sorted(_offline_balances().items()):
        if amount <= 0:
            continue
        with transaction.atomic():
            pro = ProProfile.objects.select_for_update().filter(pk=pro_id).first()
            if pro is None:
                continue
            recent = Payout.objects.filter(
                pro=pro,
                currency=currency,
                stripe_payout_id__isnull=True,
                created_at__gt=now - OFFLINE_PAYOUT_INTERVAL,
            )
            if recent.exists():
                continue
            Payout.objects.create(
                pro=pro,
                amount=amount,
                currency=currency,
                arrival_date=now.astimezone(zone_of(pro.timezone)).date(),
                status=Payout.Status.PAID,
            )
            made += 1
    return made
