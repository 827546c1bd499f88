"""Bookings API v1 (mounted at /api/v1/ by timz.api). Thin: parse, call one service, map errors.

Errors are ``{"detail": "..."}`` (timz.schemas.ErrorOut): 400 invalid input, 401 anonymous,
403 a write without the CSRF token, 404 not found or not a participant, 409 when the time is
not free or the lifecycle table does not allow the action now, 429 when the client made too
many booking attempts lately (settings.BOOKING_RATE_LIMIT). A service that cannot be booked
(selectors.service_get_bookable) is a 404 where the URL names it and a 400 where the request
body does, with the same message.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from ninja import Router, Status
from ninja.errors import HttpError
from ninja.security import django_auth

from accounts.timezones import viewer_zone
from bookings import lifecycle, selectors, services
from bookings.models import Booking
from bookings.schemas import (
    ActionIn,
    BookingIn,
    BookingOut,
    ReviewIn,
    ReviewOut,
    SlotsOut,
    booking_json,
    review_json,
)
from timz import pagecache
from timz.ratelimit import RateLimited
from timz.schemas import ErrorOut

router = Router(tags=["bookings"])

MAX_DAYS = 62
# How far from today a slots window may start (keeps date arithmetic sane).
MAX_START_OFFSET = timedelta(days=400)


def _conflict(exc: ValidationError):
    return HttpError(409, " ".join(exc.messages))


@router.get(
    "/pros/{slug}/slots",
    response={200: SlotsOut, 400: ErrorOut, 404: ErrorOut},
    summary="Free start times of a pro's service",
)
def slots(
    request,
    slug: str,
    service: int,
    start: str | None = None,
    days: int = 7,
    tz: str | None = None,
):
    """Free start times for `days` local dates from `start` (YYYY-MM-DD, default today) in
    zone `tz` (default the pro's), as ISO 8601 with that zone's offset."""
    # The same answer for everyone until the pro's rows change or the minute turns (notice
    # periods move with the clock): see timz.pagecache.
    minute = timezone.now().replace(second=0, microsecond=0)
    return pagecache.remember(
        pro_id=pagecache.pro_id_for_slug(slug),
        parts=("slots", slug, service, start, days, tz, minute),
        compute=lambda: _slots_answer(slug=slug, service=service, start=start, days=days, tz=tz),
    )


def _slots_answer(*, slug: str, service: int, start: str | None, days: int, tz: str | None):
    offered = selectors.service_get_bookable(service_id=service, pro_slug=slug)
    pro = offered.pro
    pagecache.pro_slug_seen(slug=slug, pro_id=pro.pk)
    try:
        # The caller's profile zone does not apply: the API answers in `tz`, else the pro's.
        zone = viewer_zone(requested=tz, fallback=pro.timezone)
    except ValueError as exc:
        raise HttpError(400, str(exc)) from exc
    if not 1 <= days <= MAX_DAYS:
        raise HttpError(400, f"days must be between 1 and {MAX_DAYS}.")
    today = timezone.now().astimezone(zone).date()
    if start:
        try:
            first = date.fromisoformat(start)
        except ValueError as exc:
            raise HttpError(400, "start must be a date as YYYY-MM-DD.") from exc
        if abs(first - today) > MAX_START_OFFSET:
            raise HttpError(400, "start must be within a year of today.")
    else:
        first = today
    found = selectors.free_slots(pro=pro, service=offered, start=first, days=days, tz=zone)
    return {
        "pro": pro.slug,
        "service": offered.pk,
        "timezone": zone.key,
        "slots": [slot.astimezone(zone).isoformat() for slot in found],
    }


@router.post(
    "/bookings",
    auth=django_auth,
    response={
        201: BookingOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        409: ErrorOut,
        429: ErrorOut,
    },
    by_alias=True,
    summary="Book a service at a free time",
)
def create_booking(request, payload: BookingIn):
    try:
        service = selectors.service_get_bookable(service_id=payload.service)
    except Http404 as exc:  # a reference in the request body, not the URL: bad input
        raise HttpError(400, str(exc)) from exc
    try:
        booking = services.booking_create(
            client=request.user, service=service, starts_at=payload.starts_at, note=payload.note
        )
    except lifecycle.SlotUnavailable as exc:
        raise _conflict(exc) from exc
    except RateLimited as exc:
        raise HttpError(429, " ".join(exc.messages)) from exc
    booking = selectors.booking_get_for_user(user=request.user, pk=booking.pk)
    return Status(201, booking_json(booking, user=request.user, now=timezone.now()))


@router.get(
    "/bookings",
    auth=django_auth,
    response={200: list[BookingOut], 400: ErrorOut, 401: ErrorOut},
    by_alias=True,
    summary="The caller's bookings",
)
def list_bookings(request, role: str | None = None, status: str | None = None):
    if role not in (None, "", "client", "pro"):
        raise HttpError(400, "role must be client or pro.")
    if status and status not in Booking.Status.values:
        raise HttpError(400, f"status must be one of: {', '.join(Booking.Status.values)}.")
    now = timezone.now()
    rows = selectors.bookings_for_api(user=request.user, role=role or None, status=status or None)
    rows = rows.prefetch_related("payments")  # the "payment" key (payments): one query
    return [booking_json(b, user=request.user, now=now) for b in rows[:200]]


@router.get(
    "/bookings/{int:booking_id}",
    auth=django_auth,
    response={200: BookingOut, 401: ErrorOut, 404: ErrorOut},
    by_alias=True,
    summary="One of the caller's bookings",
)
def get_booking(request, booking_id: int):
    booking = selectors.booking_get_for_user(user=request.user, pk=booking_id)
    return booking_json(booking, user=request.user, now=timezone.now())


@router.post(
    "/bookings/{int:booking_id}/review",
    auth=django_auth,
    response={201: ReviewOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Review a completed booking (its client, once)",
)
def review_booking(request, booking_id: int, payload: ReviewIn):
    booking = selectors.booking_get_for_user(user=request.user, pk=booking_id)
    review = services.review_create(
        booking=booking, by=request.user, rating=payload.rating, text=payload.text
    )
    return Status(201, review_json(review))


@router.post(
    "/bookings/{int:booking_id}/{action}",
    auth=django_auth,
    response={
        200: BookingOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
    },
    by_alias=True,
    summary="confirm, decline, cancel, complete, no_show or reschedule a booking",
)
def act(request, booking_id: int, action: str, payload: ActionIn | None = None):
    if action not in lifecycle.USER_ACTIONS:
        raise Http404("Unknown booking action.")
    booking = selectors.booking_get_for_user(user=request.user, pk=booking_id)
    payload = payload or ActionIn()
    try:
        services.booking_transition(
            booking=booking,
            action=action,
            by=request.user,
            reason=payload.reason,
            starts_at=payload.starts_at,
        )
    except (lifecycle.TransitionNotAllowed, lifecycle.SlotUnavailable) as exc:
        if getattr(exc, "code", None) == "reason_required":
            raise HttpError(400, " ".join(exc.messages)) from exc
        raise _conflict(exc) from exc
    booking = selectors.booking_get_for_user(user=request.user, pk=booking_id)
    return booking_json(booking, user=request.user, now=timezone.now())
