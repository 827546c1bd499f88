"""Payments in the JSON API v1: paying a booking, charging a no-show fee."""

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.security import django_auth

from payments import card_on_file, selectors, services
from timz.links import absolute_url
from timz.schemas import ErrorOut

router = Router(tags=["payments"])


class CheckoutOut(Schema):
    checkout_url: str


@router.post(
    "/bookings/{int:booking_id}/pay",
    response={200: CheckoutOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    auth=django_auth,
    summary="Pay a booking awaiting payment",
)
def pay_booking(request: HttpRequest, booking_id: int):
    """Start (or resume) paying a booking awaiting payment; only its client may. Follow
    `checkout_url` to pay. 400 when it cannot be paid now (not awaiting payment, hold expired,
    already paid, the pro cannot take payments), 404 for a booking that is not the caller's."""
    booking = selectors.booking_for_payment(user=request.user, pk=booking_id)
    payment = services.checkout_start(booking=booking, user=request.user)
    return {"checkout_url": absolute_url(payment.checkout_url)}


@router.post(
    "/bookings/{int:booking_id}/card",
    response={200: CheckoutOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    auth=django_auth,
    summary="Save a card for a booking that asks for one",
)
def save_card(request: HttpRequest, booking_id: int):
    """Start (or resume) saving the card a card-protected booking waits for; only its client
    may. Follow `checkout_url` (Stripe Checkout in setup mode: nothing is charged). 400 when the
    booking does not wait for a card (or its hold expired), 404 for a booking that is not the
    caller's."""
    booking = selectors.booking_for_payment(user=request.user, pk=booking_id)
    card = card_on_file.card_setup_start(booking=booking, user=request.user)
    return {"checkout_url": absolute_url(card.checkout_url)}


class FeeChargeOut(Schema):
    status: str
    amount: int
    currency: str
    message: str


@router.post(
    "/bookings/{int:booking_id}/no-show-fee",
    response={200: FeeChargeOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    auth=django_auth,
    summary="Charge a no-show or late-cancellation fee to the saved card",
)
def charge_no_show_fee(request: HttpRequest, booking_id: int):
    """The booking's pro charges its fee off-session, once. `status` is the fee payment's:
    succeeded, pending (the client's bank wants them to confirm it: they are sent a link) or
    failed (declined: `message` says why; one more try is allowed). 400 when no fee can be
    charged (not a no-show or late cancellation, no saved card, already charged), 404 for a
    booking that is not the caller's as its pro."""
    booking = selectors.booking_for_fee(user=request.user, pk=booking_id)
    payment = card_on_file.no_show_fee_charge(booking=booking, by=request.user)
    messages = {
        "succeeded": "The fee was charged.",
        "pending": "The client's bank wants them to confirm it; they were sent a link.",
    }
    return {
        "status": payment.status,
        "amount": payment.amount,
        "currency": payment.currency,
        "message": messages.get(payment.status, payment.failure_message),
    }
