"""Payments in the JSON API v1: paying a booking."""

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.security import django_auth

from payments import selectors, services

router = Router(tags=["payments"])


class CheckoutOut(Schema):
    checkout_url: str


@router.post("/bookings/{int:booking_id}/pay", response=CheckoutOut, auth=django_auth)
def pay_booking(request: HttpRequest, booking_id: int):
    """Start (or resume) paying a booking awaiting payment; only its client may. Follow
    `checkout_url` to pay."""
    booking = selectors.booking_for_payment(user=request.user, pk=booking_id)
    payment = services.checkout_start(booking=booking, user=request.user)
    return {"checkout_url": request.build_absolute_uri(payment.checkout_url)}
