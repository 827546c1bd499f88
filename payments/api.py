"""Payments in the JSON API v1: paying a booking, tipping after the visit."""

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema
from ninja.security import django_auth
from pydantic import StrictInt

from bookings import selectors as booking_selectors
from bookings.schemas import BookingOut, booking_json
from payments import selectors, services
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


class TipIn(Schema):
    amount: StrictInt


@router.post(
    "/bookings/{int:booking_id}/tip",
    response={200: BookingOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    auth=django_auth,
    summary="Add a tip after a visit paid online",
)
def tip_booking(request: HttpRequest, booking_id: int, payload: TipIn):
    """Start a tip of `amount` (minor units of the booking's currency) on a completed visit
    that was paid online; only its client may (403 for its pro, 404 for anyone else). The
    pro receives all of it. Returns the booking with its `tip` block: follow
    `tip.checkout_url` to pay. 400 for an amount of 0 or less or above the price, a visit not
    completed or not paid online, or a tip already given."""
    booking = booking_selectors.booking_get_for_user(user=request.user, pk=booking_id)
    services.tip_start(booking=booking, user=request.user, amount=payload.amount)
    booking = booking_selectors.booking_get_for_user(user=request.user, pk=booking_id)
    return booking_json(booking, user=request.user, now=timezone.now())
