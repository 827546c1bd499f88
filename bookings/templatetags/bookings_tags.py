"""Template helpers for the bookings pages: times in a given zone, status badges."""

import zoneinfo
from datetime import datetime

from django import template
from django.utils.dateformat import format as date_format

register = template.Library()

STATUS_BADGES = {
    "pending_payment": "badge-warn",
    "requested": "badge-warn",
    "confirmed": "badge-ok",
    "completed": "badge-brand",
    "declined": "badge-bad",
    "cancelled": "badge-bad",
    "no_show": "badge-bad",
    "expired": "",
}


def _zone(tz):
    if isinstance(tz, zoneinfo.ZoneInfo):
        return tz
    try:
        return zoneinfo.ZoneInfo(str(tz))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


class _ZoneTime(datetime):
    """A datetime already in the zone to show: Django's date/time filters keep it as it is."""

    convert_to_local_time = False


@register.filter
def localtime_in(value, tz):
    """`{{ booking.starts_at|localtime_in:zone|date:"D j M, H:i" }}`: the datetime in `tz`.

    (Plain `|date` would convert an aware datetime to the active zone, UTC.)
    """
    if not isinstance(value, datetime) or value.tzinfo is None:
        return value
    local = value.astimezone(_zone(tz))
    return _ZoneTime(
        local.year,
        local.month,
        local.day,
        local.hour,
        local.minute,
        local.second,
        local.microsecond,
        tzinfo=local.tzinfo,
        fold=local.fold,
    )


@register.simple_tag
def when(value, tz, fmt="D j M Y, H:i"):
    """A datetime shown in `tz` with the zone's abbreviation: "Tue 1 Dec 2026, 09:00 CET"."""
    if not isinstance(value, datetime) or value.tzinfo is None:
        return ""
    local = value.astimezone(_zone(tz))
    return f"{date_format(local, fmt)} {local.tzname()}"


@register.filter
def status_badge(status):
    """CSS class of the badge for a booking status."""
    return STATUS_BADGES.get(str(status), "")


@register.filter
def status_label(status):
    """ "no_show" -> "No-show" (the Booking.Status label)."""
    from bookings.models import Booking

    try:
        return Booking.Status(str(status)).label
    except ValueError:
        return str(status).replace("_", " ")


@register.filter
def zone_label(tz):
    """ "Europe/Paris" -> "Europe/Paris" (underscores as spaces)."""
    return str(tz).replace("_", " ")


@register.filter
def action_label(action):
    return {
        "confirm": "Confirm",
        "decline": "Decline",
        "cancel": "Cancel",
        "complete": "Mark completed",
        "no_show": "Mark no-show",
        "reschedule": "Reschedule",
    }.get(str(action), str(action).replace("_", " ").capitalize())
