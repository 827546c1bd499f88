"""Bookings API v1 (mounted at /api/v1/ by timz.api). Thin: parse, call one service, map errors.

Errors are ``{"detail": "..."}`` (timz.schemas.ErrorOut): 400 invalid input, 401 anonymous,
403 a write without the CSRF token or a pro's endpoint (``/me/clients``, ``/me/reviews``,
``/me/calendars``, ``/me/services``) asked by someone who is not a pro, 404 not found or not a
participant (or not the pro's client), 409 when the time is not free or the lifecycle table
does not allow the action now, 429 when the client made too many booking attempts lately
(settings.BOOKING_RATE_LIMIT). A service that cannot be booked (selectors.service_get_bookable)
is a 404 where the URL names it and a 400 where the request body does, with the same message.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal

from django.core.exceptions import ValidationError
from django.core.paginator import InvalidPage, Paginator
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.security import django_auth

from accounts import geo
from accounts.access import pro_for_user
from accounts.models import Category
from accounts.search import viewer_currency
from accounts.selectors import category_exists
from accounts.timezones import parse_zone, viewer_zone
from bookings import attribution, lifecycle, search, selectors, services
from bookings.models import Booking
from bookings.schemas import (
    ActionIn,
    AvailabilityOut,
    BookingIn,
    BookingOut,
    CalendarIn,
    CalendarOut,
    ClientDetailOut,
    ClientNotesIn,
    ClientPage,
    ProReviewPage,
    ReviewIn,
    ReviewOut,
    SeriesCancelIn,
    SeriesCancelOut,
    SeriesIn,
    SeriesOut,
    ServiceTextsIn,
    ServiceTextsOut,
    SlotsOut,
    WaitlistIn,
    WaitlistOut,
    availability_json,
    booking_json,
    calendar_json,
    client_json,
    iso,
    pro_review_json,
    review_json,
    service_texts_json,
    waitlist_json,
)
from timz import pagecache
from timz.ratelimit import RateLimited
from timz.schemas import ErrorOut, page_or_400

router = Router(tags=["bookings"])

MAX_DAYS = 62
SEARCH_PAGE_SIZE = 20
# How far from today a slots window may start (keeps date arithmetic sane).
MAX_START_OFFSET = timedelta(days=400)


def _conflict(exc: ValidationError):
    return HttpError(409, " ".join(exc.messages))


def _service_in_body(service_id: int):
    """The bookable service a request body names; 400 when there is none (a reference in the
    body, not the URL: bad input rather than a missing page)."""
    try:
        return selectors.service_get_bookable(service_id=service_id)
    except Http404 as exc:
        raise HttpError(400, str(exc)) from exc


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
        pro_slug=slug,
        parts=("slots", service, start, days, tz, minute),
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
        # Translators: "days" and "start" are the names of the API's parameters: keep them.
        raise HttpError(400, _("days must be between 1 and %(max)s.") % {"max": MAX_DAYS})
    today = timezone.now().astimezone(zone).date()
    if start:
        try:
            first = date.fromisoformat(start)
        except ValueError as exc:
            raise HttpError(400, _("start must be a date as YYYY-MM-DD.")) from exc
        if abs(first - today) > MAX_START_OFFSET:
            raise HttpError(400, _("start must be within a year of today."))
    else:
        first = today
    found = selectors.free_slots(pro=pro, service=offered, start=first, days=days, tz=zone)
    return {
        "pro": pro.slug,
        "service": offered.pk,
        "timezone": zone.key,
        "slots": [slot.astimezone(zone).isoformat() for slot in found],
    }


class AvailabilityQuery(Schema):
    category: str | None = Field(None, max_length=80, description="A category slug")
    q: str = Field("", max_length=100, description="Words matched against pros and services")
    date: str | None = Field(
        None, max_length=10, description="YYYY-MM-DD, or today, tomorrow, weekend (default today)"
    )
    from_: str | None = Field(None, alias="from", max_length=8, description="HH:MM, default 00:00")
    to: str | None = Field(None, max_length=8, description="HH:MM (or 24:00), default 24:00")
    tz: str | None = Field(
        None, max_length=64, description="Zone of the window and the answers (default: near's, UTC)"
    )
    near: str | None = Field(
        None, max_length=120, description="lat,lng (or a known city) to search around"
    )
    km: float | None = Field(None, description="Radius around `near` (default 10, at most 500)")
    sort: Literal["time", "distance", "price", "rating"] = "time"
    page: int = Field(1, description=f"1-based page number; {SEARCH_PAGE_SIZE} results per page")


@router.get(
    "/availability",
    response={200: AvailabilityOut, 400: ErrorOut},
    summary="Pros free in a window: their real free start times",
)
def availability_search(request, query: Query[AvailabilityQuery]):
    """Public pros matching `category` and `q` (and near a place) with their free start times
    in one day's window, or a weekend's (bookings.search has the rules). 400 for a bad window,
    zone or place."""
    try:
        place, km = geo.parse_near(query.near, query.km)
        zone = viewer_zone(requested=query.tz, fallback=place.timezone if place else "UTC")
        date_is_word = (query.date or "") in search.WHEN
        window = search.parse_window(
            zone=zone,
            now=timezone.now(),
            when=query.date if date_is_word else "",
            day="" if date_is_word else (query.date or ""),
            start=query.from_ or "",
            end=query.to or "",
        )
    except ValueError as exc:
        raise HttpError(400, str(exc)) from exc
    if query.sort == "distance" and place is None:
        raise HttpError(400, _("Sorting by distance needs a place: give near=lat,lng."))
    offers = selectors.availability_search(
        window=window,
        category=query.category,
        q=query.q,
        near=(place.lat, place.lng) if place else None,
        km=km,
        sort=query.sort,
        currency=viewer_currency(request, city=query.near),
    )
    if not offers and query.category and not category_exists(query.category):
        raise HttpError(400, _("Unknown category “%(category)s”.") % {"category": query.category})
    page = page_or_400(offers, query.page, SEARCH_PAGE_SIZE)
    return {
        "count": page.paginator.count,
        "timezone": zone.key,
        "results": availability_json(request, page.object_list),
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
    service = _service_in_body(payload.service)
    try:
        booking = services.booking_create(
            client=request.user,
            service=service,
            starts_at=payload.starts_at,
            note=payload.note,
            referring_pro_id=attribution.referring_pro_id(request),
        )
    except lifecycle.SlotUnavailable as exc:
        raise _conflict(exc) from exc
    except RateLimited as exc:
        raise HttpError(429, " ".join(exc.messages)) from exc
    booking = selectors.booking_as_created(booking)
    return Status(201, booking_json(booking, user=request.user, now=timezone.now()))


def _occurrence_iso(occurrence, zone) -> str:
    if occurrence.planned_at is not None:
        return iso(occurrence.planned_at.astimezone(zone))
    return datetime.combine(occurrence.local_date, occurrence.local_time).isoformat()


@router.post(
    "/booking-series",
    auth=django_auth,
    response={
        201: SeriesOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        409: ErrorOut,
        429: ErrorOut,
    },
    by_alias=True,
    summary="Book a service every N weeks, M times (a standing appointment)",
)
def create_series(request, payload: SeriesIn):
    """Books every free occurrence, each by the rules of a single booking (the series may
    reach 12 months ahead, beyond the pro's horizon); the others are listed in `conflicts`.
    409 when none is free; 400 for a service paid online (a series is paid at the
    appointment)."""
    service = _service_in_body(payload.service)
    try:
        row, bookings, conflicts = services.booking_series_create(
            by=request.user,
            client=request.user,
            service=service,
            starts_at=payload.starts_at,
            every_weeks=payload.every_weeks,
            count=payload.count,
            note=payload.note,
            skip_conflicts=True,
        )
    except lifecycle.SlotUnavailable as exc:
        raise _conflict(exc) from exc
    except RateLimited as exc:
        raise HttpError(429, " ".join(exc.messages)) from exc
    now = timezone.now()
    zone = parse_zone(service.pro.timezone)
    rows = (
        selectors.bookings_for_api(user=request.user)
        .filter(series=row)
        .prefetch_related("payments")
        .order_by("starts_at")
    )
    return Status(
        201,
        {
            "id": row.pk,
            "bookings": [booking_json(b, user=request.user, now=now) for b in rows],
            "conflicts": [_occurrence_iso(o, zone) for o in conflicts],
        },
    )


@router.post(
    "/booking-series/{int:series_id}/cancel",
    auth=django_auth,
    response={
        200: SeriesCancelOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
    },
    by_alias=True,
    summary="Cancel a series from one of its bookings onward",
)
def cancel_series(request, series_id: int, payload: SeriesCancelIn):
    """Cancels the booking `from` and every later active booking of the series, each under
    the lifecycle's rules (late cancellations marked one by one), all or nothing. Earlier
    bookings are untouched. 403 for a series of someone else, 404 for none."""
    try:
        row = selectors.series_get_for_user(user=request.user, pk=series_id)
    except Http404:
        if selectors.series_exists(pk=series_id):
            raise HttpError(403, _("This series is not yours.")) from None
        raise
    booking = row.bookings.filter(pk=payload.from_).first()
    if booking is None:
        raise HttpError(400, _("That booking is not part of this series."))
    try:
        cancelled = services.booking_series_cancel(
            booking=booking, by=request.user, reason=payload.reason
        )
    except lifecycle.TransitionNotAllowed as exc:
        if getattr(exc, "code", None) == "reason_required":
            raise HttpError(400, " ".join(exc.messages)) from exc
        raise _conflict(exc) from exc
    now = timezone.now()
    rows = (
        selectors.bookings_for_api(user=request.user)
        .filter(pk__in=[b.pk for b in cancelled])
        .prefetch_related("payments")
    )
    return {
        "id": row.pk,
        "cancelled": [
            booking_json(b, user=request.user, now=now) for b in rows.order_by("starts_at")
        ],
    }


@router.get(
    "/bookings",
    auth=django_auth,
    response={200: list[BookingOut], 400: ErrorOut, 401: ErrorOut},
    by_alias=True,
    summary="The caller's bookings",
)
def list_bookings(
    request, role: str | None = None, status: str | None = None, scope: str | None = None
):
    """`scope` (upcoming, past or cancelled) is the "My bookings" tab of the same name."""
    if role not in (None, "", "client", "pro"):
        # Translators: "role", "status" and "scope" are the names of the API's parameters and
        # "client", "pro" their values: keep them.
        raise HttpError(400, _("role must be client or pro."))
    if status and status not in Booking.Status.values:
        raise HttpError(
            400,
            _("status must be one of: %(values)s.") % {"values": ", ".join(Booking.Status.values)},
        )
    if scope and scope not in selectors.SCOPES:
        raise HttpError(
            400, _("scope must be one of: %(values)s.") % {"values": ", ".join(selectors.SCOPES)}
        )
    now = timezone.now()
    rows = selectors.bookings_for_api(
        user=request.user, role=role or None, status=status or None, scope=scope or None
    )
    # The "payment" and "no_show_fee" keys (payments): one query; "card": joined.
    rows = rows.prefetch_related("payments").select_related("saved_card")
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
        raise Http404(_("Unknown booking action."))
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


# The pro's clients and reviews ------------------------------------------------------------------

ME_PAGE_SIZE = 50


def _page(qs, page: int):
    paginator = Paginator(qs, ME_PAGE_SIZE)
    try:
        return paginator.page(page)
    except InvalidPage as exc:
        raise HttpError(
            400,
            _("Page %(page)s does not exist; pages run from 1 to %(last)s.")
            % {"page": page, "last": paginator.num_pages},
        ) from exc


def _client_detail(pro, client) -> dict:
    return client_json(
        client,
        spend=selectors.client_spend(pro=pro, client_ids=[client.pk]).get(client.pk, []),
        history=selectors.client_history(pro=pro, client=client),
    )


@router.get(
    "/me/clients",
    auth=django_auth,
    response={200: ClientPage, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    summary="Your clients, last seen first (pros)",
)
def my_clients(
    request,
    q: str = Query("", max_length=100, description="Words matched against the name"),
    page: int = Query(1, description=f"1-based; {ME_PAGE_SIZE} clients per page"),
):
    pro = pro_for_user(request.auth)
    found = _page(selectors.clients_for_pro(pro=pro, q=q), page)
    spend = selectors.client_spend(pro=pro, client_ids=[c.pk for c in found])
    return {
        "count": found.paginator.count,
        "results": [client_json(c, spend=spend.get(c.pk, [])) for c in found],
    }


@router.get(
    "/me/clients/{int:client_id}",
    auth=django_auth,
    response={200: ClientDetailOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="One of your clients: history, spend, no-shows, notes (pros)",
)
def my_client(request, client_id: int):
    pro = pro_for_user(request.auth)
    return _client_detail(pro, selectors.client_get_for_pro(pro=pro, client_id=client_id))


@router.patch(
    "/me/clients/{int:client_id}",
    auth=django_auth,
    response={200: ClientDetailOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Set your private notes on a client (pros)",
)
def my_client_notes(request, client_id: int, payload: ClientNotesIn):
    pro = pro_for_user(request.auth)
    client = selectors.client_get_for_pro(pro=pro, client_id=client_id)
    services.client_note_set(pro=pro, client=client, text=payload.notes)
    return _client_detail(pro, selectors.client_get_for_pro(pro=pro, client_id=client_id))


@router.get(
    "/me/reviews",
    auth=django_auth,
    response={200: ProReviewPage, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    summary="Reviews of your services, newest first (pros)",
)
def my_reviews(
    request,
    unanswered: bool = Query(False, description="Only those waiting for your reply"),
    page: int = Query(1, description=f"1-based; {ME_PAGE_SIZE} reviews per page"),
):
    pro = pro_for_user(request.auth)
    found = _page(selectors.reviews_for_pro(pro=pro, unanswered=unanswered), page)
    counts = selectors.review_counts_for_pro(pro=pro)
    return {
        "count": found.paginator.count,
        "average": float(pro.rating_avg) if pro.rating_avg is not None else None,
        "unanswered": counts["unanswered"],
        "results": [pro_review_json(r) for r in found],
    }


@router.post(
    "/waitlist",
    auth=django_auth,
    response={201: WaitlistOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    by_alias=True,
    summary="Join a waitlist: a pro's service, or a search, with a window",
)
def waitlist_join(request, payload: WaitlistIn):
    try:
        # The window's zone as given, else the caller's own (their profile's).
        zone = parse_zone(payload.timezone) if payload.timezone else viewer_zone(request.user)
    except ValueError as exc:
        raise HttpError(400, str(exc)) from exc
    service = category = None
    if payload.pro is not None or payload.service is not None:
        if payload.pro is None or payload.service is None:
            raise HttpError(400, _("A pro's waitlist needs both the pro and the service."))
        try:
            service = selectors.service_get_bookable(
                service_id=payload.service, pro_slug=payload.pro
            )
        except Http404 as exc:  # a reference in the request body: bad input
            raise HttpError(400, str(exc)) from exc
    if payload.category:
        category = Category.objects.filter(slug=payload.category).first()
        if category is None:
            raise HttpError(400, _("No such category."))
    entry = services.waitlist_join(
        client=request.user,
        day=payload.date,
        from_time=payload.from_,
        to_time=payload.to,
        zone=zone.key,
        pro=service.pro if service else None,
        service=service,
        category=category,
        q=payload.q,
        latitude=payload.lat,
        longitude=payload.lng,
        km=payload.km,
    )
    entry = selectors.waitlist_entry_get_for_user(user=request.user, pk=entry.pk)
    return Status(201, waitlist_json(entry, now=timezone.now()))


@router.get(
    "/waitlist",
    auth=django_auth,
    response={200: list[WaitlistOut], 401: ErrorOut},
    by_alias=True,
    summary="The caller's waitlist entries",
)
def waitlist_list(request):
    now = timezone.now()
    rows = selectors.waitlist_for_client(user=request.user)[:200]
    return [waitlist_json(entry, now=now) for entry in rows]


@router.delete(
    "/waitlist/{int:entry_id}",
    auth=django_auth,
    response={204: None, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Leave a waitlist (one of the caller's entries)",
)
def waitlist_leave(request, entry_id: int):
    entry = selectors.waitlist_entry_get_for_user(user=request.user, pk=entry_id)
    services.waitlist_leave(entry=entry)
    return Status(204, None)


# A pro's own calendars: their busy times block the pro's free time (bookings.services.calendars).


@router.get(
    "/me/calendars",
    auth=django_auth,
    response={200: list[CalendarOut], 401: ErrorOut, 403: ErrorOut},
    summary="Your own calendars whose busy times block your free time (pros)",
)
def my_calendars(request):
    pro = pro_for_user(request.auth)
    now = timezone.now()
    return [calendar_json(c, now=now) for c in selectors.calendars_for_pro(pro=pro)]


@router.post(
    "/me/calendars",
    auth=django_auth,
    response={201: CalendarOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    summary="Connect a calendar: a secret ICS link, or CalDAV with an app password (pros)",
)
def my_calendar_add(request, payload: CalendarIn):
    pro = pro_for_user(request.auth)
    calendar = services.calendar_add(
        pro=pro,
        name=payload.name,
        url=payload.url,
        caldav_url=payload.caldav_url,
        username=payload.username,
        password=payload.password,
    )
    return Status(201, calendar_json(calendar, now=timezone.now()))


@router.delete(
    "/me/calendars/{int:calendar_id}",
    auth=django_auth,
    response={204: None, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Disconnect one of your calendars; its busy times stop blocking (pros)",
)
def my_calendar_remove(request, calendar_id: int):
    pro = pro_for_user(request.auth)
    services.calendar_remove(calendar=selectors.calendar_get_for_pro(pro=pro, pk=calendar_id))
    return Status(204, None)


@router.post(
    "/me/calendars/{int:calendar_id}/sync",
    auth=django_auth,
    response={200: CalendarOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Fetch one of your calendars now (pros); a failure shows in status and last_error",
)
def my_calendar_sync(request, calendar_id: int):
    pro = pro_for_user(request.auth)
    calendar = services.calendar_sync(
        calendar=selectors.calendar_get_for_pro(pro=pro, pk=calendar_id)
    )
    return calendar_json(calendar, now=timezone.now())


# A pro's own services' texts and their versions in other languages (accounts.content).


@router.get(
    "/me/services",
    auth=django_auth,
    response={200: list[ServiceTextsOut], 401: ErrorOut, 403: ErrorOut},
    summary="Your services' names and descriptions as you wrote them, with versions (pros)",
)
def my_services(request):
    pro = pro_for_user(request.auth)
    return [
        service_texts_json(s) for s in selectors.services_for_pro(pro=pro, include_inactive=True)
    ]


@router.patch(
    "/me/services/{int:service_id}",
    auth=django_auth,
    response={200: ServiceTextsOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Change a service's name, description or their versions in other languages (pros)",
)
def my_service_texts_update(request, service_id: int, payload: ServiceTextsIn):
    pro = pro_for_user(request.auth)
    service = selectors.service_get_for_pro(pro=pro, pk=service_id)
    fields = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    if "translations" in payload.dict(exclude_unset=True):
        fields.setdefault("translations", {})
    return service_texts_json(services.service_update(service=service, **fields))
