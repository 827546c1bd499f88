"""Stripe webhook events: stored once, dispatched through a dict of type -> handler.

``process_event`` stores the event (unique ``event_id``) and runs its handler in ONE transaction:
a repeated delivery finds the stored row and changes nothing. Handlers are idempotent on the
Stripe object id and call the same services as the offline test page, which only move state
forward; so events arriving twice or out of order leave the same end state. A handler that
cannot apply an event (unknown session, amount mismatch) raises ``ValidationError``: its effects
are rolled back, the message is kept in ``StripeEvent.error`` and Stripe gets a 200 (retrying
would not help). Unknown event types, and refunds or disputes of payment intents Timz did not
create (another product on the same Stripe account), are recorded, logged and answered 200 as
well.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pydantic
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from pydantic import BaseModel, ConfigDict, StrictBool, StrictInt, StrictStr

from payments import card_on_file, services
from payments.gateways import GatewayError, account_info, get_gateway, is_live
from payments.models import Payment, Refund, SavedCard, StripeEvent
from timz import money

logger = logging.getLogger(__name__)

Handler = Callable[[dict, dict], None]


class EventNotApplicable(ValidationError):
    """The event refers to something Timz does not know, or contradicts it."""


class EventNotReady(Exception):
    """The event is about something Timz will only know after another event (a refund of a
    payment whose completion has not arrived yet). Nothing is stored and the view answers 409,
    so Stripe delivers it again later (it retries for three days)."""


class EventMalformed(ValueError):
    """A correctly signed body that is not an event Timz can read: not a JSON object, or a field
    of the wrong type. The view answers 400 and nothing is stored."""


# The shapes Timz reads: each field a handler uses, with its JSON type. Anything else in the
# payload is kept as it is (extra="allow"); a field of the wrong type is refused.
class _Shape(BaseModel):
    model_config = ConfigDict(extra="allow")


class _Expanded(_Shape):
    id: StrictStr


_IdOrObject = StrictStr | _Expanded | None


class _EventData(_Shape):
    object: dict[str, Any]


class _Event(_Shape):
    id: StrictStr
    type: StrictStr
    created: StrictInt | None = None
    livemode: StrictBool | None = None
    data: _EventData


class _Session(_Shape):
    id: StrictStr
    mode: StrictStr | None = None
    setup_intent: _IdOrObject = None
    payment_status: StrictStr | None = None
    payment_intent: _IdOrObject = None
    amount_total: StrictInt | None = None
    currency: StrictStr | None = None


class _PaymentError(_Shape):
    code: StrictStr | None = None
    message: StrictStr | None = None


class _PaymentIntent(_Shape):
    id: StrictStr
    amount_received: StrictInt | None = None
    currency: StrictStr | None = None
    metadata: dict[str, StrictStr] | None = None
    last_payment_error: _PaymentError | None = None


class _Refund(_Shape):
    id: StrictStr
    status: StrictStr | None = None
    amount: StrictInt | None = None
    payment_intent: _IdOrObject = None
    metadata: dict[str, StrictStr] | None = None


class _RefundList(_Shape):
    data: list[_Refund] | None = None


class _Charge(_Shape):
    id: StrictStr
    refunds: _RefundList | None = None


class _Dispute(_Shape):
    id: StrictStr
    amount: StrictInt
    currency: StrictStr | None = None
    reason: StrictStr | None = None
    status: StrictStr
    created: StrictInt | None = None
    payment_intent: _IdOrObject = None


class _Requirements(_Shape):
    currently_due: list[StrictStr] | None = None
    past_due: list[StrictStr] | None = None


class _Account(_Shape):
    id: StrictStr
    charges_enabled: StrictBool | None = None
    payouts_enabled: StrictBool | None = None
    details_submitted: StrictBool | None = None
    requirements: _Requirements | None = None


def _describe(exc: pydantic.ValidationError, prefix: str) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in (prefix, *first["loc"]) if part != "")
    return f"Invalid payload: {where}: {first['msg']}."


def validate_event(payload: Any) -> dict:
    """`payload` (decoded JSON) if it is an event whose read fields have their JSON types and
    whose ``livemode`` matches the configured key (a test event must never move a live
    payment, nor the reverse); raises EventMalformed otherwise."""
    if not isinstance(payload, dict):
        raise EventMalformed("Invalid payload: an event is a JSON object.")
    try:
        event = _Event.model_validate(payload)
    except pydantic.ValidationError as exc:
        raise EventMalformed(_describe(exc, "")) from None
    if event.livemode is not is_live():
        raise EventMalformed(
            f"Invalid payload: livemode is {event.livemode} but the configured Stripe key is a "
            f"{'live' if is_live() else 'test'} key."
        )
    shape = OBJECT_SHAPES.get(event.type)
    if shape is not None:
        try:
            shape.model_validate(event.data.object)
        except pydantic.ValidationError as exc:
            raise EventMalformed(_describe(exc, "data.object")) from None
    return payload


def _payment_for_session(session: dict) -> Payment:
    payment = Payment.objects.filter(checkout_session_id=session.get("id")).first()
    if payment is None:
        raise EventNotApplicable(f"No payment for checkout session {session.get('id')}.")
    return payment


def _id(value) -> str:
    """An id field that may have been expanded into an object."""
    if isinstance(value, dict):
        return value.get("id") or ""
    return value or ""


def _minor_units(stripe_amount, payment: Payment) -> int:
    """An amount Stripe reports about `payment` (in Stripe's units) in our minor units."""
    try:
        return money.from_stripe_amount(int(stripe_amount or 0), payment.currency)
    except ValueError as exc:
        raise EventNotApplicable(str(exc)) from exc


def on_checkout_completed(session: dict, event: dict) -> None:
    if session.get("mode") == "setup":
        card_on_file.card_setup_complete(
            saved_card=_card_for_session(session), setup_intent_id=_id(session.get("setup_intent"))
        )
        return
    # Delayed payment methods complete the session unpaid; async_payment_succeeded follows.
    if session.get("payment_status") not in ("paid", "no_payment_required"):
        return
    payment = _payment_for_session(session)
    services.payment_succeeded(
        payment=payment,
        payment_intent_id=_id(session.get("payment_intent")),
        amount=_minor_units(session.get("amount_total"), payment),
        currency=session.get("currency") or "",
    )


def on_checkout_async_failed(session: dict, event: dict) -> None:
    services.payment_failed(payment=_payment_for_session(session))


def on_checkout_expired(session: dict, event: dict) -> None:
    if session.get("mode") == "setup":
        card_on_file.card_setup_expired(saved_card=_card_for_session(session))
        return
    services.payment_expired(payment=_payment_for_session(session))


def _card_for_session(session: dict) -> SavedCard:
    card = SavedCard.objects.filter(checkout_session_id=session.get("id")).first()
    if card is None:
        raise EventNotApplicable(f"No saved card for checkout session {session.get('id')}.")
    return card


def _fee_payment_for_intent(intent: dict) -> Payment | None:
    """The no-show fee payment an off-session payment intent charged (its metadata names it);
    None for every other payment intent (a booking's own payment is followed through its
    Checkout Session's events)."""
    metadata = intent.get("metadata") or {}
    if metadata.get("kind") != "no_show_fee" or not metadata.get("payment_id", "").isdigit():
        return None
    payment = Payment.objects.filter(
        pk=int(metadata["payment_id"]), kind=Payment.Kind.NO_SHOW_FEE
    ).first()
    if payment is None:
        raise EventNotApplicable(f"No fee payment for payment intent {intent.get('id')}.")
    return payment


def on_payment_intent_succeeded(intent: dict, event: dict) -> None:
    payment = _fee_payment_for_intent(intent)
    if payment is None:
        return
    card_on_file.no_show_fee_succeeded(
        payment=payment,
        payment_intent_id=intent["id"],
        amount=_minor_units(intent.get("amount_received"), payment),
        currency=intent.get("currency") or "",
    )


def on_payment_intent_failed(intent: dict, event: dict) -> None:
    """A declined off-session fee fails its attempt; a bank asking for the cardholder
    (``authentication_required``) leaves it waiting for the client, as the charge call did."""
    payment = _fee_payment_for_intent(intent)
    if payment is None or payment.payment_intent_id != intent["id"]:
        return
    error = intent.get("last_payment_error") or {}
    if error.get("code") == "authentication_required":
        return
    card_on_file.no_show_fee_failed(payment=payment, message=error.get("message") or "")


def _apply_refund(data: dict) -> None:
    refund_id: str = data["id"]  # _Refund requires it, and every refund here passed _Refund
    refund = Refund.objects.filter(stripe_refund_id=refund_id).first()
    if refund is None:
        # Our call created it but its answer was lost: the metadata names our row.
        ours = (data.get("metadata") or {}).get("refund_id")
        if ours and str(ours).isdigit():
            refund = Refund.objects.filter(pk=int(ours), stripe_refund_id__isnull=True).first()
    if refund is not None:
        services.refund_update(
            refund=refund, status=data.get("status", ""), stripe_refund_id=refund_id
        )
        return
    payment = _paid_payment_for_intent(_id(data.get("payment_intent")), f"Refund {refund_id}")
    if payment is None:
        return
    services.refund_record_external(
        payment=payment,
        stripe_refund_id=refund_id,
        amount=_minor_units(data.get("amount"), payment),
        status=data.get("status", ""),
    )


def _paid_payment_for_intent(payment_intent_id: str, what: str) -> Payment | None:
    """Our paid Stripe payment of `payment_intent_id`, which `what` ("Refund re_...",
    "Dispute dp_...") is about; None when the intent is not Timz's at all (another product on
    the Stripe account: answering 409 would only make Stripe retry the event for three days).
    Raises EventNotReady when it is ours but its checkout.session.completed has not arrived."""
    payment = Payment.objects.filter(
        payment_intent_id=payment_intent_id, backend=Payment.Backend.STRIPE
    ).first()
    if payment is None and not _payment_intent_is_ours(payment_intent_id):
        logger.info("%s is not of a Timz payment; acknowledged.", what)
        return None
    if payment is None or not payment.is_paid:
        raise EventNotReady(f"No paid payment yet for {what}.")
    return payment


def _payment_intent_is_ours(payment_intent_id: str) -> bool:
    """Whether Timz created the payment intent: its metadata names a booking with a Stripe
    payment (the intent only reaches our rows with checkout.session.completed).

    Raises EventNotReady when Stripe cannot be asked now, so the event comes again.
    """
    if not payment_intent_id:
        return False
    try:
        metadata = get_gateway().payment_intent_metadata(payment_intent_id=payment_intent_id)
    except GatewayError as exc:
        raise EventNotReady(f"Could not look up payment intent {payment_intent_id}.") from exc
    booking_id = metadata.get("booking_id", "")
    return booking_id.isdigit() and (
        Payment.objects.filter(booking_id=int(booking_id), backend=Payment.Backend.STRIPE).exists()
    )


def on_refund_event(refund: dict, event: dict) -> None:
    _apply_refund(refund)


def on_charge_refunded(charge: dict, event: dict) -> None:
    # The charge lists its refunds when the API version includes them (or they were expanded).
    for refund in (charge.get("refunds") or {}).get("data") or []:
        _apply_refund(refund)


def on_dispute_event(dispute: dict, event: dict) -> None:
    payment = _paid_payment_for_intent(
        _id(dispute.get("payment_intent")), f"Dispute {dispute['id']}"
    )
    if payment is None:
        return
    created = dispute.get("created")
    services.dispute_update_from_stripe(
        payment=payment,
        stripe_dispute_id=dispute["id"],
        amount=_minor_units(dispute.get("amount"), payment),
        reason=dispute.get("reason") or "",
        status=dispute["status"],
        opened_at=datetime.fromtimestamp(int(created), tz=UTC) if created else None,
    )


def on_account_updated(account: dict, event: dict) -> None:
    created = event.get("created")
    at = datetime.fromtimestamp(int(created), tz=UTC) if created else None
    found = services.connected_account_update_from_stripe(info=account_info(account), at=at)
    if found is None:
        raise EventNotApplicable(f"No pro has the account {account.get('id')}.")


HANDLERS: dict[str, Handler] = {
    "checkout.session.completed": on_checkout_completed,
    "checkout.session.async_payment_succeeded": on_checkout_completed,
    "checkout.session.async_payment_failed": on_checkout_async_failed,
    "checkout.session.expired": on_checkout_expired,
    "charge.refunded": on_charge_refunded,
    "refund.created": on_refund_event,
    "refund.updated": on_refund_event,
    "refund.failed": on_refund_event,
    "charge.refund.updated": on_refund_event,
    "charge.dispute.created": on_dispute_event,
    "charge.dispute.updated": on_dispute_event,
    "charge.dispute.closed": on_dispute_event,
    "account.updated": on_account_updated,
    "payment_intent.succeeded": on_payment_intent_succeeded,
    "payment_intent.payment_failed": on_payment_intent_failed,
}


OBJECT_SHAPES: dict[str, type[_Shape]] = {
    "checkout.session.completed": _Session,
    "checkout.session.async_payment_succeeded": _Session,
    "checkout.session.async_payment_failed": _Session,
    "checkout.session.expired": _Session,
    "charge.refunded": _Charge,
    "refund.created": _Refund,
    "refund.updated": _Refund,
    "refund.failed": _Refund,
    "charge.refund.updated": _Refund,
    "charge.dispute.created": _Dispute,
    "charge.dispute.updated": _Dispute,
    "charge.dispute.closed": _Dispute,
    "account.updated": _Account,
    "payment_intent.succeeded": _PaymentIntent,
    "payment_intent.payment_failed": _PaymentIntent,
}


def process_event(event: dict) -> tuple[StripeEvent, bool]:
    """Store `event` once and apply it. Returns (stored event, whether it was new).

    Raises EventMalformed (and stores nothing) for a payload of the wrong shape, and
    EventNotReady (storing nothing) when the event must be delivered again later.
    """
    validate_event(event)
    with transaction.atomic():
        record, created = StripeEvent.objects.get_or_create(
            event_id=event["id"],
            defaults={"type": event.get("type", ""), "payload": event},
        )
        if not created:
            return record, False
        handler = HANDLERS.get(record.type)
        if handler is not None:
            try:
                with transaction.atomic():
                    handler(event["data"]["object"], event)
            except ValidationError as exc:
                record.error = " ".join(exc.messages)
                logger.warning(
                    "Stripe event %s (%s) not applied: %s",
                    record.event_id,
                    record.type,
                    record.error,
                )
        record.processed_at = timezone.now()
        record.save(update_fields=["error", "processed_at"])
    return record, True
