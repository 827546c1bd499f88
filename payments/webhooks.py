"""Stripe webhook events: stored once, dispatched through a dict of type -> handler.

``process_event`` stores the event (unique ``event_id``) and runs its handler in ONE transaction:
a repeated delivery finds the stored row and changes nothing. Handlers are idempotent on the
Stripe object id and call the same services as the offline test page, which only move state
forward; so events arriving twice or out of order leave the same end state. A handler that
cannot apply an event (unknown session, amount mismatch) raises ``ValidationError``: its effects
are rolled back, the message is kept in ``StripeEvent.error`` and Stripe gets a 200 (retrying
would not help). Unknown event types are recorded and answered 200 as well.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from payments import services
from payments.gateways import account_info
from payments.models import Payment, Refund, StripeEvent
from timz import money

logger = logging.getLogger(__name__)

Handler = Callable[[dict, dict], None]


class EventNotApplicable(ValidationError):
    """The event refers to something Timz does not know, or contradicts it."""


class EventNotReady(Exception):
    """The event is about something Timz will only know after another event (a refund of a
    payment whose completion has not arrived yet). Nothing is stored and the view answers 409,
    so Stripe delivers it again later (it retries for three days)."""


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
    services.payment_expired(payment=_payment_for_session(session))


def _apply_refund(data: dict) -> None:
    refund_id = data.get("id")
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
    payment = Payment.objects.filter(
        payment_intent_id=_id(data.get("payment_intent")), backend=Payment.Backend.STRIPE
    ).first()
    if payment is None or not payment.is_paid:
        # Its checkout.session.completed may still be on the way: ask Stripe to retry.
        raise EventNotReady(f"No paid payment for refund {refund_id} yet.")
    services.refund_record_external(
        payment=payment,
        stripe_refund_id=refund_id,
        amount=_minor_units(data.get("amount"), payment),
        status=data.get("status", ""),
    )


def on_refund_event(refund: dict, event: dict) -> None:
    _apply_refund(refund)


def on_charge_refunded(charge: dict, event: dict) -> None:
    # The charge lists its refunds when the API version includes them (or they were expanded).
    for refund in (charge.get("refunds") or {}).get("data") or []:
        _apply_refund(refund)


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
    "account.updated": on_account_updated,
}


def process_event(event: dict) -> tuple[StripeEvent, bool]:
    """Store `event` once and apply it. Returns (stored event, whether it was new).

    Raises EventNotReady (and stores nothing) when the event must be delivered again later.
    """
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
