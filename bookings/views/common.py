"""What the bookings pages share: parameter parsing and its 400 page, the viewer's zone,
and the booking card (a booking plus what the viewer may do with it now). Pro pages use
accounts.access.pro_required.

Views stay thin: they validate input (forms, query parameters), call one function of
bookings.services / bookings.selectors, and map its errors to a message and a 4xx status.
Private bookings are always fetched through selectors.booking_get_for_user (404 for others).

Partial rendering: the booking flow's day/time picker and the agenda's booking cards are
`{% partialdef %}` fragments. static/js/booking.js asks for them with the `X-Timz-Fragment`
header and swaps them in place; without JavaScript the same URLs render whole pages.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime
from http import HTTPStatus

from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import ProProfile
from accounts.timezones import viewer_zone
from bookings import lifecycle, selectors, services
from bookings.models import Booking, BookingRules, Review
from timz.links import next_url as next_url  # the one home of a safe "next" address

FRAGMENT_HEADER = "X-Timz-Fragment"


MAX_YEARS_AWAY = 10  # dates further away are refused (and never overflow date arithmetic)


class BadParameter(Exception):
    """A query parameter that cannot be used; rendered as a 400 page with the message."""


def bad_request(request, message: str, *, back: str | None = None):
    return render(
        request,
        "bookings/bad_request.html",
        {"message": message, "back": back},
        status=HTTPStatus.BAD_REQUEST,
    )


def wants_fragment(request, name: str) -> bool:
    return request.headers.get(FRAGMENT_HEADER) == name


# What a date parameter is, and its two messages as whole sentences (not valid, out of range).
DATE_PARAMETERS = {
    "date": (
        gettext_lazy("“%(value)s” is not a valid date (use YYYY-MM-DD)."),
        gettext_lazy("The date %(value)s is out of range."),
    ),
    "calendar_start": (
        gettext_lazy("“%(value)s” is not a valid start of the calendar (use YYYY-MM-DD)."),
        gettext_lazy("The start of the calendar %(value)s is out of range."),
    ),
}


def parse_date(value: str, what: str = "date") -> date:
    """A YYYY-MM-DD query parameter; `what` (a key of DATE_PARAMETERS) names it in errors."""
    invalid, out_of_range = DATE_PARAMETERS[what]
    try:
        parsed = date.fromisoformat(value)
    except (TypeError, ValueError):
        raise BadParameter(invalid % {"value": value[:32]}) from None
    if abs(parsed.year - timezone.now().year) > MAX_YEARS_AWAY:
        raise BadParameter(out_of_range % {"value": value})
    return parsed


def parse_start(value: str | None) -> datetime:
    if not value:
        raise BadParameter(_("Pick a time first."))
    try:
        parsed = datetime.fromisoformat(value.replace(" ", "+"))
    except ValueError:
        raise BadParameter(
            _("“%(value)s” is not a valid start time.") % {"value": value[:40]}
        ) from None
    if parsed.tzinfo is None:
        raise BadParameter(_("The start time must carry its UTC offset."))
    if abs(parsed.year - timezone.now().year) > MAX_YEARS_AWAY:
        raise BadParameter(_("That start time is out of range."))
    return parsed.astimezone(UTC)


def client_zone(request, pro: ProProfile) -> tuple[zoneinfo.ZoneInfo, bool]:
    """The zone of the booking flow's times, and whether to ask the browser for its own.

    accounts.timezones.viewer_zone with the `tz` parameter (booking.js fills it from the
    browser) and the pro's zone as the fallback; the browser is asked when a visitor sent no
    `tz`. Raises BadParameter for a `tz` that is not a known zone.
    """
    requested = request.GET.get("tz")
    try:
        zone = viewer_zone(request.user, requested=requested, fallback=pro.timezone)
    except ValueError as exc:
        raise BadParameter(str(exc)) from None
    return zone, not request.user.is_authenticated and not requested


def viewer_role(booking: Booking, user) -> str | None:
    return lifecycle.role_of(booking=booking, user=user)


def client_name(booking: Booking) -> str:
    """The client's name from the joined client profile (User.display_name would query)."""
    profile = getattr(booking.client, "client_profile", None)
    return (profile.display_name if profile else "") or booking.client.email.split("@")[0]


def review_of(booking: Booking) -> Review | None:
    try:
        return booking.review
    except Review.DoesNotExist:
        return None


class Card:
    """A booking with what the current user may do with it now (for lists and the detail)."""

    def __init__(self, booking: Booking, *, user, now: datetime, rules: BookingRules | None = None):
        self.booking = booking
        self.role = viewer_role(booking, user)
        rules = rules if rules is not None else selectors.booking_rules_for(booking.pro)
        self.actions = lifecycle.allowed_actions(booking=booking, user=user, now=now, rules=rules)
        self.can_review = services.review_refusal(booking=booking, by=user, now=now) is None
        self.late_cancel = "cancel" in self.actions and lifecycle.is_late_cancellation(
            booking=booking, role=self.role, now=now, rules=rules
        )
        self.fee_percent = rules.late_cancellation_fee_percent
        self.window_hours = rules.cancellation_window_hours
        self.reason_actions = [
            a for a in self.actions if lifecycle.reason_required(a, self.role or "")
        ]
        # Cancelling without a reason goes through its confirm page (bookings:cancel).
        self.quick_actions = [
            a
            for a in self.actions
            if a in lifecycle.BUTTON_ACTIONS and a not in self.reason_actions and a != "cancel"
        ]


def first_message(exc: ValidationError) -> str:
    return exc.messages[0] if exc.messages else _("That did not work.")
