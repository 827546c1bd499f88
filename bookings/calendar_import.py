"""Busy times from a pro's own calendars: pure parsing, no I/O and no ORM.

An iCalendar feed (or the calendar data of a CalDAV answer) becomes a sorted list of merged
``(starts_at, ends_at)`` pairs, aware UTC, within a window. Only the times are kept, never a
title, a place or a guest: Timz needs to know that the pro is busy, not why.

Rules, as a calendar app shows them:
- recurring events (RRULE, RDATE, EXDATE, RECURRENCE-ID overrides) are expanded here, each in
  its own zone (``recurring-ical-events``), so a weekly 09:00 in Paris stays 09:00 local on both
  sides of a DST change; servers that expand for us get that wrong;
- an event marked free (``TRANSP:TRANSPARENT``) or cancelled (``STATUS:CANCELLED``, on the series
  or on one occurrence) blocks nothing;
- all-day events and floating times (no zone) are read in the pro's zone;
- an event without an end lasts a day when it is all-day, else nothing (RFC 5545 3.6.1).

Also here: the CalDAV request body and the reading of its multistatus answer, and the address
rule of the fetcher (which hosts a calendar URL may point at).

A CalendarError's message is for the pro, in the active language (calendar sync runs in the
pro's): the one Django import here is gettext.
"""

from __future__ import annotations

import ipaddress
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from hashlib import sha256
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
from django.utils.translation import gettext as _

# A feed expanding to more busy times than this in the window (a year and a week) is refused (a
# FREQ=MINUTELY rule would otherwise fill the database); a busy pro's real year has a few
# thousand.
MAX_INTERVALS = 20000
QUERY_SPAN = timedelta(days=7)


class CalendarError(ValueError):
    """The calendar cannot be read; the message says why in words a pro understands."""


@dataclass(frozen=True, slots=True)
class Busy:
    starts_at: datetime
    ends_at: datetime


def _as_aware(value: date | datetime, zone: ZoneInfo) -> datetime:
    """A DTSTART/DTEND value as an aware datetime: dates at local midnight, floating times in
    `zone`."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time.min).replace(tzinfo=zone)
    if value.tzinfo is None:
        return value.replace(tzinfo=zone)
    return value


def _blocks_time(event) -> bool:
    if str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
        return False
    return str(event.get("STATUS", "")).upper() != "CANCELLED"


def _bounds(event, zone: ZoneInfo) -> tuple[datetime, datetime] | None:
    start = event.get("DTSTART")
    if start is None:
        return None
    start_value = start.dt
    end = event.get("DTEND")
    if end is not None:
        end_value = end.dt
    elif event.get("DURATION") is not None:
        end_value = start_value + event["DURATION"].dt
    elif not isinstance(start_value, datetime):
        end_value = start_value + timedelta(days=1)
    else:
        return None
    starts_at = _as_aware(start_value, zone).astimezone(UTC)
    ends_at = _as_aware(end_value, zone).astimezone(UTC)
    if ends_at <= starts_at:
        return None
    return starts_at, ends_at


def merge(intervals: Iterable[Busy]) -> list[Busy]:
    """Sorted, with overlapping and touching intervals joined."""
    merged: list[Busy] = []
    for item in sorted(intervals, key=lambda b: (b.starts_at, b.ends_at)):
        if merged and item.starts_at <= merged[-1].ends_at:
            if item.ends_at > merged[-1].ends_at:
                merged[-1] = Busy(merged[-1].starts_at, item.ends_at)
        else:
            merged.append(item)
    return merged


def parse_calendar(data: bytes | str) -> icalendar.Calendar:
    try:
        return icalendar.Calendar.from_ical(data)
    except (ValueError, IndexError, KeyError, TypeError) as exc:
        raise CalendarError(_("This is not an iCalendar (.ics) file.")) from exc


def busy_times(
    calendars: Iterable[bytes | str],
    *,
    window_start: datetime,
    window_end: datetime,
    zone: ZoneInfo,
    skip_uid: Callable[[str], bool] | None = None,
) -> list[Busy]:
    """The busy times of every calendar in `calendars` (iCalendar text) overlapping
    [window_start, window_end), clipped to it, merged, aware UTC.

    `zone` is the pro's: it places all-day events and floating times. Events whose UID
    `skip_uid` accepts are left out (Timz's own bookings, echoed back). Raises CalendarError for
    text that is not iCalendar or a calendar with more than MAX_INTERVALS busy times.
    """
    window_start = window_start.astimezone(UTC)
    window_end = window_end.astimezone(UTC)
    found: list[Busy] = []
    for data in calendars:
        calendar = parse_calendar(data)
        query = recurring_ical_events.of(calendar, skip_bad_series=True)
        # Asked a day wider on each side: an all-day or floating event is placed in `zone`
        # only below, and the library compares it in its own terms. Asked in spans of a day,
        # then two, four, up to QUERY_SPAN: a rule repeating every minute is refused within
        # a few days' worth of it, not a year's. (The library's lazier after() re-reads every series
        # for each of its many short spans: on a calendar of a thousand events it was twenty
        # times slower.) An event crossing from one span to the next comes twice; merge()
        # makes one of it.
        span_start, last = window_start - timedelta(days=1), window_end + timedelta(days=1)
        span = timedelta(days=1)
        while span_start < last:
            span_end = min(span_start + span, last)
            span = min(span * 2, QUERY_SPAN)
            for event in query.between(span_start, span_end):
                bounds = _bounds(event, zone)
                if bounds is None:
                    continue
                starts_at, ends_at = bounds
                if not _blocks_time(event) or ends_at <= window_start or starts_at >= window_end:
                    continue
                if skip_uid is not None and skip_uid(str(event.get("UID", ""))):
                    continue
                found.append(Busy(max(starts_at, window_start), min(ends_at, window_end)))
            if len(found) > MAX_INTERVALS:
                raise CalendarError(
                    _(
                        "This calendar has more than %(max)s events in the coming year; "
                        "Timz cannot read that many."
                    )
                    % {"max": MAX_INTERVALS}
                )
            span_start = span_end
    return merge(found)


# ---------------------------------------------------------------------------------------------
# CalDAV (RFC 4791): what to ask, and how to read the answer. Asked WITHOUT <C:expand>: servers
# expand in UTC and get recurring events wrong across DST; we expand in busy_times().
# ---------------------------------------------------------------------------------------------

DAV = "DAV:"
CALDAV = "urn:ietf:params:xml:ns:caldav"
CALENDARSERVER = "http://calendarserver.org/ns/"
NS = {"d": DAV, "c": CALDAV, "cs": CALENDARSERVER}

# A collection's sync-token (RFC 6578) or CalendarServer ctag changes whenever anything in it
# does: asked with each PROPFIND, they let a sync skip the REPORT when nothing changed.
PROPFIND_DISCOVERY = b"""<?xml version="1.0" encoding="utf-8"?>
<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"
 xmlns:cs="http://calendarserver.org/ns/">
  <d:prop><d:resourcetype/><d:current-user-principal/><c:calendar-home-set/>
  <d:sync-token/><cs:getctag/></d:prop>
</d:propfind>"""

PROPFIND_CALENDARS = b"""<?xml version="1.0" encoding="utf-8"?>
<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"
 xmlns:cs="http://calendarserver.org/ns/">
  <d:prop><d:resourcetype/><d:sync-token/><cs:getctag/></d:prop>
</d:propfind>"""


def _utc_stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def calendar_query(*, window_start: datetime, window_end: datetime) -> bytes:
    """The REPORT body asking for every event (whole series) touching the window."""
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">'
        "<d:prop><d:getetag/><c:calendar-data/></d:prop>"
        '<c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT">'
        f'<c:time-range start="{_utc_stamp(window_start)}" end="{_utc_stamp(window_end)}"/>'
        "</c:comp-filter></c:comp-filter></c:filter></c:calendar-query>"
    ).encode()


def _multistatus(body: bytes) -> ET.Element:
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise CalendarError(_("The CalDAV server sent an answer Timz cannot read.")) from exc
    if root.tag != f"{{{DAV}}}multistatus":
        raise CalendarError(_("This address does not answer as a CalDAV server."))
    return root


def _ok_props(response: ET.Element) -> ET.Element | None:
    for propstat in response.findall("d:propstat", NS):
        status = propstat.findtext("d:status", default="", namespaces=NS)
        if " 200 " in f"{status} ":
            return propstat.find("d:prop", NS)
    return None


@dataclass(frozen=True, slots=True)
class Discovery:
    is_calendar: bool
    home: str | None  # an absolute URL
    principal: str | None
    version: str = ""  # the URL's sync-token or ctag, when it is a calendar


def _version(props: ET.Element) -> str:
    token = props.findtext("d:sync-token", namespaces=NS) or props.findtext(
        "cs:getctag", namespaces=NS
    )
    return (token or "").strip()


def collection_version(calendars: list[tuple[str, str]]) -> str:
    """One version for a set of (calendar URL, sync-token or ctag): it changes when any
    calendar changes, or one is added or removed; "" when a calendar has no version (then
    every sync reads everything)."""
    if not calendars or any(not version for _, version in calendars):
        return ""
    joined = "\n".join(sorted(f"{url} {version}" for url, version in calendars))
    return "caldav:" + sha256(joined.encode()).hexdigest()[:40]


def read_discovery(body: bytes, *, base: str) -> Discovery:
    """What a Depth: 0 PROPFIND (PROPFIND_DISCOVERY) says about the URL the pro gave."""
    root = _multistatus(body)
    response = root.find("d:response", NS)
    props = _ok_props(response) if response is not None else None
    if props is None:
        return Discovery(False, None, None)
    is_calendar = props.find("d:resourcetype/c:calendar", NS) is not None
    home = props.findtext("c:calendar-home-set/d:href", namespaces=NS)
    principal = props.findtext("d:current-user-principal/d:href", namespaces=NS)
    return Discovery(
        is_calendar,
        urljoin(base, home.strip()) if home else None,
        urljoin(base, principal.strip()) if principal else None,
        _version(props) if is_calendar else "",
    )


def read_calendar_urls(body: bytes, *, base: str) -> list[tuple[str, str]]:
    """The calendar collections in a Depth: 1 PROPFIND answer (PROPFIND_CALENDARS): (absolute
    URL, sync-token or ctag or "") each."""
    found = []
    for response in _multistatus(body).findall("d:response", NS):
        props = _ok_props(response)
        href = response.findtext("d:href", namespaces=NS)
        if props is not None and href and props.find("d:resourcetype/c:calendar", NS) is not None:
            found.append((urljoin(base, href.strip()), _version(props)))
    return found


def read_calendar_data(body: bytes) -> list[str]:
    """The iCalendar text of each event in a calendar-query REPORT answer."""
    return [
        text
        for response in _multistatus(body).findall("d:response", NS)
        if (props := _ok_props(response)) is not None
        and (text := props.findtext("c:calendar-data", namespaces=NS))
    ]


# ---------------------------------------------------------------------------------------------
# Which addresses a calendar URL may reach (server-side request forgery).
# ---------------------------------------------------------------------------------------------


def address_refusal(address: str) -> str | None:
    """Why Timz will not connect to this IP address, as the kind of address it is ("loopback",
    "link-local", "multicast", "unspecified", "reserved", "private", or "not-ip" for text that
    is no address; calendar_fetch words it for the pro), or None when it is a public one.

    Private, loopback, link-local, multicast, reserved and unspecified addresses are refused,
    IPv4 and IPv6, including IPv4 written inside IPv6 (``::ffff:10.0.0.1``, NAT64, 6to4).
    """
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "not-ip"
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in ipaddress.IPv6Network("64:ff9b::/96"):
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return address_refusal(str(embedded))
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_reserved:
        return "reserved"
    if ip.is_private or not ip.is_global:
        return "private"
    return None
