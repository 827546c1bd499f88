"""iCalendar (RFC 5545) files: one booking, a pro's subscription feed, and the iTIP (RFC 5546)
invitations booking emails carry (RFC 6047, iMIP).

UIDs are stable per booking (``booking-<pk>@<site host>``) so calendar apps update the same
event; SEQUENCE comes from ``Booking.sequence`` (bumped on reschedule, cancel, decline). Times are
written in UTC. Cancelled/declined/expired bookings are STATUS:CANCELLED.

Invitations: a booking becomes an event in people's calendars once it is confirmed. From then on
every booking email carries ``METHOD:REQUEST`` (the event as it now is; a reschedule has a higher
SEQUENCE, so Gmail and Outlook move the event they already hold) until the booking ends cancelled,
declined or expired, which sends ``METHOD:CANCEL`` with a higher SEQUENCE again. A booking that
was never confirmed (a request, a payment hold) sends no invitation: it was never an event. The
ORGANIZER is the address the emails come from (Gmail warns when the organizer is not the sender)
and both the client and the pro are ATTENDEEs who already accepted (``RSVP=FALSE``: nobody is
asked to answer; the booking's page is where things change).

The words of an event (its summary and description, the calendar's name) are in the active
language: the requester's for a downloaded .ics, the recipient's for an invitation (the emails
build it inside ``accounts.languages.speaking``), the pro's own for their feed.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress, vDuration

from accounts.languages import speaking
from bookings.models import Booking
from timz.links import absolute_url
from timz.money import format_money

FEED_PAST_DAYS = 30
# How often a subscribed calendar should fetch the feed again (REFRESH-INTERVAL, RFC 7986, and
# the older X-PUBLISHED-TTL); the feed's Cache-Control max-age says the same to HTTP caches.
FEED_REFRESH = timedelta(minutes=15)

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


def _event(
    booking: Booking, *, for_pro: bool, dtstamp: datetime | None = None, link: str = ""
) -> Event:
    event = Event()
    event.add("uid", booking_uid(booking))
    if dtstamp is None:
        dtstamp = booking.updated_at or timezone.now()
    event.add("dtstamp", dtstamp.astimezone(UTC))
    event.add("dtstart", booking.starts_at.astimezone(UTC))
    event.add("dtend", booking.ends_at.astimezone(UTC))
    other = booking.client.display_name if for_pro else booking.pro.display_name
    # Translators: the title of a booking in a calendar app: "Haircut with Paula Pro"
    summary = _("%(service)s with %(name)s") % {
        "service": booking.localized_service_name,
        "name": other,
    }
    event.add("summary", summary)
    location = ", ".join(p for p in (booking.pro.address_line, booking.pro.city) if p)
    if location:
        event.add("location", location)
    lines = [
        _("%(service)s (%(minutes)s min) with %(name)s")
        % {
            "service": booking.localized_service_name,
            "minutes": booking.duration_minutes,
            "name": booking.pro.display_name,
        },
        _("Price: %(price)s") % {"price": format_money(booking.price_amount, booking.currency)},
        _("Status: %(status)s") % {"status": booking.get_status_display()},
    ]
    if booking.note:
        lines.append(_("Note: %(note)s") % {"note": booking.note})
    if link:
        # Translators: the last line of a booking in a calendar app, with the link to its page
        lines.append(_("Booking: %(link)s") % {"link": link})
        event.add("url", link)
    event.add("description", "\n".join(lines))
    event.add("status", _STATUS.get(booking.status, "CONFIRMED"))
    event.add("sequence", booking.sequence)
    return event


def _booking_calendar_name(booking: Booking) -> str:
    return _("Timz booking #%(number)s") % {"number": booking.pk}


def booking_ics(booking: Booking, *, for_pro: bool = False) -> bytes:
    """A VCALENDAR with the one booking (for the client by default), in the active language."""
    cal = _calendar(_booking_calendar_name(booking))
    if booking.status in (Booking.Status.CANCELLED, Booking.Status.DECLINED):
        cal.add("method", "CANCEL")
    else:
        cal.add("method", "PUBLISH")
    cal.add_component(_event(booking, for_pro=for_pro))
    return cal.to_ical()


# ---------------------------------------------------------------------------------------------
# iTIP invitations (the parts booking emails carry)
# ---------------------------------------------------------------------------------------------

REQUEST, CANCEL = "REQUEST", "CANCEL"

_ENDED = (Booking.Status.CANCELLED, Booking.Status.DECLINED, Booking.Status.EXPIRED)


def was_confirmed(booking: Booking, events) -> bool:
    """Whether `booking` has ever been confirmed, from its BookingEvent rows (`events`: the
    caller's list, so no query here): only then is it an event in someone's calendar."""
    confirmed = Booking.Status.CONFIRMED
    return booking.status == confirmed or any(
        confirmed in (event.from_status, event.to_status) for event in events
    )


def invitation_method(booking: Booking, events) -> str | None:
    """REQUEST, CANCEL or None (no invitation) for an email about `booking` now.

    A booking never confirmed is not an event yet; an ended one is cancelled only if it was."""
    if not was_confirmed(booking, events):
        return None
    return CANCEL if booking.status in _ENDED else REQUEST


def _organizer() -> vCalAddress:
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    organizer = vCalAddress(f"mailto:{address}")
    organizer.params["cn"] = name or "Timz"
    return organizer


def _attendee(*, name: str, email: str, partstat: str) -> vCalAddress:
    attendee = vCalAddress(f"mailto:{email}")
    attendee.params.update(
        {
            "cn": name,
            "cutype": "INDIVIDUAL",
            "role": "REQ-PARTICIPANT",
            "partstat": partstat,
            "rsvp": "FALSE",
        }
    )
    return attendee


def booking_invitation(
    booking: Booking, *, method: str, for_pro: bool, now: datetime | None = None
) -> bytes:
    """The iTIP message (RFC 5546) of `method` (REQUEST or CANCEL) about `booking`, as seen by
    the pro (`for_pro`) or the client. DTSTAMP is when the message is made; SEQUENCE is the
    booking's, so each change outranks the invitation before it."""
    if method not in (REQUEST, CANCEL):
        raise ValueError(f"Unknown iTIP method {method!r}")
    cal = _calendar(_booking_calendar_name(booking))
    cal.add("method", method)
    link = absolute_url(reverse("bookings:detail", kwargs={"pk": booking.pk}))
    event = _event(booking, for_pro=for_pro, dtstamp=now or timezone.now(), link=link)
    event.add("organizer", _organizer())
    partstat = "ACCEPTED" if booking.status == Booking.Status.CONFIRMED else "TENTATIVE"
    event.pop("status")
    if method == CANCEL:
        event.add("status", "CANCELLED")
    else:
        # A confirmed booking moved back to a request (a client's new time in request mode)
        # stays in the calendars, marked tentative until the pro answers.
        event.add("status", "CONFIRMED" if partstat == "ACCEPTED" else "TENTATIVE")
    event.add(
        "attendee",
        _attendee(name=booking.client.display_name, email=booking.client.email, partstat=partstat),
    )
    event.add(
        "attendee",
        _attendee(name=booking.pro.display_name, email=booking.pro.user.email, partstat="ACCEPTED"),
    )
    event.add("transp", "OPAQUE")
    cal.add_component(event)
    return cal.to_ical()


# ---------------------------------------------------------------------------------------------
# The pro's subscription feed
# ---------------------------------------------------------------------------------------------


class Feed:
    """A pro's feed as served: its body, a strong ETag of that body, and when it last changed."""

    def __init__(self, body: bytes, last_modified: datetime):
        self.body = body
        self.etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        self.last_modified = last_modified


def calendar_feed_for_pro(pro, *, now=None) -> bytes:
    """The pro's subscription feed: active bookings and those of the last 30 days."""
    return pro_feed(pro, now=now).body


def pro_feed(pro, *, now=None) -> Feed:
    """The pro's feed with its validators, in two queries.

    Last-Modified is the newest change among the listed bookings, or the moment the newest
    booking that left the 30-day window left it (the feed changed then too), or the pro's
    profile change (the calendar's name); the ETag hashes the body, so it also sees what no
    date tells (a client renamed)."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=FEED_PAST_DAYS)
    mine = Booking.objects.filter(pro=pro).exclude(status=Booking.Status.EXPIRED)
    bookings = list(
        mine.filter(ends_at__gte=cutoff)
        .select_related(
            "pro", "pro__user", "client", "client__client_profile", "client__pro_profile"
        )
        .order_by("starts_at", "id")
    )
    cal = _calendar(f"Timz – {pro.display_name}")
    cal.add("refresh-interval", FEED_REFRESH, parameters={"value": "DURATION"})
    cal.add("x-published-ttl", vDuration(FEED_REFRESH))
    # A calendar app fetches the feed with no session: its events read in the pro's language.
    with speaking(pro.user):
        for booking in bookings:
            cal.add_component(_event(booking, for_pro=True))
    dropped = mine.filter(ends_at__lt=cutoff).aggregate(last=Max("ends_at"))["last"]
    changes = [b.updated_at for b in bookings if b.updated_at]
    if dropped is not None:
        changes.append(dropped + timedelta(days=FEED_PAST_DAYS))
    if pro.updated_at:
        changes.append(pro.updated_at)
    last_modified = max(changes, default=now)
    return Feed(cal.to_ical(), min(last_modified, now))
