"""Payments in the JSON API v1: paying a booking."""

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.security import django_auth

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
