"""iCalendar (RFC 5545) files: one booking, and a pro's subscription feed.

UIDs are stable per booking (``booking-<pk>@<site host>``) so calendar apps update the same
event; SEQUENCE comes from ``Booking.sequence`` (bumped on reschedule, cancel, decline). Times are
written in UTC. Cancelled/declined/expired bookings are STATUS:CANCELLED.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

from bookings.models import Booking
from timz.money import format_money

FEED_PAST_DAYS = 30

_STATUS = {
    Booking.Status.CONFIRMED: "CONFIRMED",
    Booking.Status.COMPLETED: "CONFIRMED",
    Booking.Status.NO_SHOW: "CONFIRMED",
    Booking.Status.REQUESTED: "TENTATIVE",
    Booking.Status.PENDING_PAYMENT: "TENTATIVE",
    Booking.Status.CANCELLED: "CANCELLED",
    Booking.Status.DECLINED: "CANCELLED",
    Booking.Status.EXPIRED: "CANCELLED",
}


def _host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "timz.example"


def booking_uid(booking: Booking) -> str:
    return f"booking-{booking.pk}@{_host()}"


def is_booking_uid(uid: str) -> bool:
    """Whether `uid` is one of this site's booking UIDs (booking_uid): a Timz booking that came
    back through a pro's own calendar (they added it there) is already busy time as a booking."""
    prefix, _, host = uid.partition("@")
    return host == _host() and prefix.startswith("booking-") and prefix[8:].isdigit()


def _calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", "-//Timz//Bookings//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    return cal


def _event(booking: Booking, *, for_pro: bool) -> Event:
    event = Event()
    event.add("uid", booking_uid(booking))
    event.add(
        "dtstamp", booking.updated_at.astimezone(UTC) if booking.updated_at else timezone.now()
    )
    event.add("dtstart", booking.starts_at.astimezone(UTC))
    event.add("dtend", booking.ends_at.astimezone(UTC))
    other = booking.client.display_name if for_pro else booking.pro.display_name
    event.add("summary", f"{booking.service_name} with {other}")
    location = ", ".join(p for p in (booking.pro.address_line, booking.pro.city) if p)
    if location:
        event.add("location", location)
    lines = [
        f"{booking.service_name} ({booking.duration_minutes} min) with {booking.pro.display_name}",
        f"Price: {format_money(booking.price_amount, booking.currency)}",
        f"Status: {booking.get_status_display()}",
    ]
    if booking.note:
        lines.append(f"Note: {booking.note}")
    event.add("description", "\n".join(lines))
    event.add("status", _STATUS.get(booking.status, "CONFIRMED"))
    event.add("sequence", booking.sequence)
    return event


def booking_ics(booking: Booking, *, for_pro: bool = False) -> bytes:
    """A VCALENDAR with the one booking (for the client by default)."""
    cal = _calendar(f"Timz booking #{booking.pk}")
    if booking.status in (Booking.Status.CANCELLED, Booking.Status.DECLINED):
        cal.add("method", "CANCEL")
    else:
        cal.add("method", "PUBLISH")
    cal.add_component(_event(booking, for_pro=for_pro))
    return cal.to_ical()


def calendar_feed_for_pro(pro, *, now=None) -> bytes:
    """The pro's subscription feed: active bookings and those of the last 30 days."""
    now = now or timezone.now()
    bookings = (
        Booking.objects.filter(pro=pro, ends_at__gte=now - timedelta(days=FEED_PAST_DAYS))
        .exclude(status=Booking.Status.EXPIRED)
        .select_related("pro", "client", "client__client_profile", "pro__user")
        .order_by("starts_at")
    )
    cal = _calendar(f"Timz – {pro.display_name}")
    cal.add("x-published-ttl", "PT15M")
    for booking in bookings:
        cal.add_component(_event(booking, for_pro=True))
    return cal.to_ical()
