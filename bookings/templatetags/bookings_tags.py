"""Template helpers for the bookings pages: times in a given zone, money, status badges."""

import zoneinfo
from datetime import datetime
from decimal import Decimal

from django import template
from django.utils.dateformat import format as date_format

from bookings import lifecycle
from bookings.models import Booking

register = template.Library()

# ISO 4217 currencies whose minor unit is not the cent (exponent != 2).
_EXPONENTS = {"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "HUF": 2, "BHD": 3, "KWD": 3}
_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CHF": "CHF "}

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


def currency_exponent(currency: str) -> int:
    return _EXPONENTS.get((currency or "").upper(), 2)


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
def money(amount, currency="EUR"):
    """Integer minor units and a currency code, shown as "€35.00" / "3,500 JPY"."""
    if amount is None or amount == "":
        return ""
    currency = (currency or "EUR").upper()
    exponent = currency_exponent(currency)
    major = Decimal(int(amount)).scaleb(-exponent)
    text = f"{major:,.{exponent}f}"
    symbol = _SYMBOLS.get(currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


@register.filter
def status_badge(status):
    """CSS class of the badge for a booking status."""
    return STATUS_BADGES.get(str(status), "")


@register.filter
def status_label(status):
    """ "no_show" -> "No-show" (the Booking.Status label)."""
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
    """ "no_show" -> "Mark no-show" (the label in the lifecycle table)."""
    return lifecycle.action_label(str(action))
