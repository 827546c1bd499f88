"""Payments in the JSON API v1: paying a booking, tipping after the visit, charging a no-show
fee; a pro's money for a month."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.security import django_auth
from pydantic import StrictInt

from accounts.access import pro_for_user
from bookings import selectors as booking_selectors
from bookings.schemas import BookingOut, booking_json
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


class EarningLineOut(Schema):
    at: datetime = Field(description="When the money moved (paid, refunded, dispute lost)")
    booking_id: int
    client_name: str
    service_name: str
    kind: str = Field(description="full, deposit, balance, no_show_fee, tip, refund or dispute")
    currency: str
    amount: int = Field(description="Paid, in minor units")
    fee: int = Field(description="Platform fee (negative: fee given back with a refund)")
    refunded: int
    disputed: int = Field(description="Taken back by a lost dispute")
    net: int


class FiguresOut(Schema):
    currency: str
    gross: int = Field(description="Paid for bookings, in minor units (tips apart)")
    fees: int = Field(description="Platform fees, less fees refunded")
    refunds: int
    disputes: int = Field(description="Taken back by lost disputes")
    tips: int
    net: int = Field(description="What you keep: gross + tips - fees - refunds - disputes")


class EarningsOut(FiguresOut):
    month: str = Field(description="YYYY-MM, on your own clock")
    other_currencies: list[FiguresOut] = Field(
        description="Figures in any other currency of the month (never added together)"
    )
    lines: list[EarningLineOut]


def _figures(line) -> dict:
    return {
        "currency": line.currency,
        "gross": line.gross,
        "fees": line.net_fee_revenue,
        "refunds": line.refunds,
        "disputes": line.disputes,
        "tips": line.tips,
        "net": line.net,
    }


@router.get(
    "/me/earnings",
    auth=django_auth,
    response={200: EarningsOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    summary="Your money for a month (pros)",
)
def my_earnings(
    request: HttpRequest,
    month: str | None = Query(
        None, max_length=7, description="YYYY-MM on your clock; this month when left out"
    ),
):
    """A month of the pro's money, as the money page shows it: the figures (minor units) in
    the month's main currency, any other currency apart, and every payment, refund and lost
    dispute. A month is the pro's calendar month in their own time zone. 403 for clients."""
    pro = pro_for_user(request.user)
    try:
        period = selectors.pro_month(pro=pro, month=month or None)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc
    earnings = selectors.earnings_for_month(pro=pro, month=period)
    main = earnings.main
    return {
        "month": period.key,
        **_figures(main),
        "other_currencies": [_figures(f) for f in earnings.figures if f is not main],
        "lines": [
            {
                "at": line.when,
                "booking_id": line.booking_id,
                "client_name": line.client_name,
                "service_name": line.service_name,
                "kind": line.kind,
                "currency": line.currency,
                "amount": line.amount,
                "fee": line.fee,
                "refunded": line.refunded,
                "disputed": line.disputed,
                "net": line.net,
            }
            for line in earnings.lines
        ],
    }


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
        "succeeded": _("The fee was charged."),
        "pending": _("The client’s bank wants them to confirm it; they were sent a link."),
    }
    return {
        "status": payment.status,
        "amount": payment.amount,
        "currency": payment.currency,
        "message": messages.get(payment.status, payment.failure_text),
    }
