"""Find a free pro: free start times across many pros at once (pure; no ORM, no I/O; its
labels and messages are translated, in the active language).

`bookings.selectors.availability_search` loads the pros and their engine data in a bounded
number of queries; this module reads the client's window and, per (pro, service), runs the one
slot engine (`bookings.availability.free_slots`), then sorts what it found.

Rules
=====

Window
    A window is a set of local dates and a wall-clock range [from, to) on each, in the
    client's zone: "today", "tomorrow", "this weekend" (the coming Saturday and Sunday; on a
    Sunday, that Sunday) or a date; the range is a period (morning 06-12, afternoon 12-17,
    evening 17-22, any time) or typed from/to ("to" may be 24:00; it must come after "from").
    A time in a spring-forward gap starts or ends the range at the transition (as working hours
    do). A date in the past, or more than `MAX_DAYS_AHEAD` days ahead, is refused.

Offered times
    A start time is offered when it lies in the window (the service may run past "to": "free
    between 10 and 12" means starts between 10 and 12) and the engine finds it free: the pro's
    hours, overrides, time off, notice, horizon, buffers, step and existing bookings all hold.

Which services
    With words, each of the pro's services whose name, in any of the pro's languages
    (`accounts.content`), has a word beginning with one of them (the directory's word rule,
    `accounts.text_search`) is a result
    of its own (the client asked for that service); a pro matched by name, headline or category
    alone offers their first service. Without words, each pro offers their first service (the
    one they list first: what they lead with). A (pro, service) without a free start in the
    window is not a result.

Sorting
    `time` (earliest start), `distance` (nearest; needs a place), `price` (lowest, in minor
    units, within one currency: the visitor's currency first, then the others grouped by
    currency code, so two currencies are never compared), `rating` (best average, then most
    reviews); ties go to the earliest start, then the pro's name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from accounts import content, text_search
from bookings import availability

MAX_DAYS_AHEAD = 366
WHEN = {
    "today": gettext_lazy("Today"),
    "tomorrow": gettext_lazy("Tomorrow"),
    "weekend": gettext_lazy("This weekend"),
    "date": gettext_lazy("On a date"),
}
PERIODS: dict[str, tuple[str | Promise, time, time | None]] = {
    "any": (gettext_lazy("Any time"), time(0), None),
    "morning": (pgettext_lazy("time of day", "Morning"), time(6), time(12)),
    "afternoon": (pgettext_lazy("time of day", "Afternoon"), time(12), time(17)),
    "evening": (pgettext_lazy("time of day", "Evening"), time(17), time(22)),
}
SORTS = {
    "time": gettext_lazy("Earliest time"),
    "distance": gettext_lazy("Nearest"),
    "price": gettext_lazy("Lowest price"),
    "rating": gettext_lazy("Top rated"),
}


class SearchError(ValueError):
    """Input a person can correct; the message says how, `field` names the input at fault."""

    def __init__(self, message: str, field: str = "date"):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class Window:
    zone: ZoneInfo
    days: tuple[date, ...]
    start: time
    end: time | None  # None: until midnight

    def spans(self) -> list[tuple[datetime, datetime]]:
        """[start, end) of each day's range, as aware UTC instants, in order."""
        return [
            (
                availability.boundary(day, self.start, self.zone),
                availability.boundary(day, self.end, self.zone),
            )
            for day in self.days
        ]

    def bounds(self) -> tuple[datetime, datetime]:
        spans = self.spans()
        return spans[0][0], spans[-1][1]


def parse_time(value: str, field: str) -> time | None:
    """ "HH:MM" -> time; "24:00" -> None (midnight at the end of the day). `field` is "start"
    or "end": the messages name the start or the end of the window."""
    value = value.strip()
    if value in ("24:00", "24:00:00"):
        return None
    try:
        parsed = time.fromisoformat(value)
    except ValueError:
        message = (
            _("“%(value)s” is not a time: write the start of the window as HH:MM.")
            if field == "start"
            else _("“%(value)s” is not a time: write the end of the window as HH:MM.")
        )
        raise SearchError(message % {"value": value[:20]}, field) from None
    if parsed.tzinfo is not None:
        message = (
            _("Write the start of the window as HH:MM, without a UTC offset.")
            if field == "start"
            else _("Write the end of the window as HH:MM, without a UTC offset.")
        )
        raise SearchError(message, field)
    return parsed


def weekend_days(today: date) -> tuple[date, ...]:
    if today.weekday() == 6:
        return (today,)
    saturday = today + timedelta(days=5 - today.weekday())
    return (saturday, saturday + timedelta(days=1))


def parse_window(
    *,
    zone: ZoneInfo,
    now: datetime,
    when: str = "",
    day: str = "",
    period: str = "",
    start: str = "",
    end: str = "",
) -> Window:
    """The client's window from what they typed (see the module's rules); SearchError if bad.

    `when` is one of `WHEN` (blank: a typed `day`, else today); `period` one of `PERIODS`
    (blank: any time); typed `start`/`end` override the period's."""
    today = now.astimezone(zone).date()
    when = (when or "").strip()
    day = (day or "").strip()
    if when and when not in WHEN:
        raise SearchError(_("Choose the day among: %(days)s.") % {"days": ", ".join(WHEN)}, "when")
    if when == "today" or (not when and not day):
        days: tuple[date, ...] = (today,)
    elif when == "tomorrow":
        days = (today + timedelta(days=1),)
    elif when == "weekend":
        days = weekend_days(today)
    else:
        if not day:
            raise SearchError(_("Pick a date."))
        try:
            chosen = date.fromisoformat(day)
        except ValueError:
            raise SearchError(
                _("“%(value)s” is not a date: write it as YYYY-MM-DD.") % {"value": day[:20]}
            ) from None
        if chosen < today:
            raise SearchError(_("That day is in the past: pick today or a later day."))
        if chosen > today + timedelta(days=MAX_DAYS_AHEAD):
            raise SearchError(
                _("Pick a day within %(days)s days from today.") % {"days": MAX_DAYS_AHEAD}
            )
        days = (chosen,)

    period = (period or "").strip() or "any"
    if period not in PERIODS:
        raise SearchError(
            _("Choose the time of day among: %(periods)s.") % {"periods": ", ".join(PERIODS)},
            "period",
        )
    _label, first, last = PERIODS[period]
    if start.strip():
        first = parse_time(start, "start") or time(0)
    if end.strip():
        last = parse_time(end, "end")
    if last is not None and last <= first:
        raise SearchError(
            _("The window must end after it starts (e.g. from 10:00 to 12:00)."), "end"
        )
    return Window(zone=zone, days=days, start=first, end=last)


def search_terms_match(text: str, terms: Sequence[str]) -> bool:
    """Whether a word of the search begins a word of `text` (the directory's word rule,
    `accounts.text_search`: "hair" names "Men's haircut", "cut" does not)."""
    return any(text_search.word_starts(text, term) for term in terms)


def services_offered(services: Sequence[Any], terms: Sequence[str]) -> list[Any]:
    """Which of a pro's active services (in the pro's order) are results (module rules)."""
    if not services:
        return []
    if terms:
        named = [
            s
            for s in services
            if any(search_terms_match(n, terms) for n in content.texts(s, "name"))
        ]
        if named:
            return named
    return [services[0]]


@dataclass(frozen=True, slots=True)
class ServiceCard:
    """A service as a search reads and shows it: plain values, not a model instance (a search
    reads the services of every matching pro; instances cost more than the engine)."""

    id: int
    name: str
    duration_minutes: int
    price_amount: int
    currency: str
    # No-show protection (bookings.models.Protection), for the service JSON.
    protection: str = "none"
    deposit_amount: int | None = None
    deposit_percent: int | None = None
    no_show_fee_percent: int = 0
    # The versions of its name in other languages (accounts.content).
    translations: dict | None = None

    localized_name = content.Localized("name")

    @property
    def pk(self) -> int:
        return self.id


@dataclass(slots=True)
class Offer:
    """One result: a pro, one of their services, how far, and the free starts (client's zone)."""

    pro: Any
    service: Any
    distance_km: float | None
    slots: list[datetime] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Candidate:
    pro: Any
    services: Sequence[Any]
    engine: Any  # bookings.selectors.EngineInput: the pro's data, with .free_slots()
    distance_km: float | None = None


def find_offers(
    *,
    candidates: Iterable[Candidate],
    window: Window,
    terms: Sequence[str],
    now: datetime,
) -> list[Offer]:
    """Every (pro, service) with at least one free start in `window`, unsorted."""
    spans = window.spans()
    window_start, window_end = spans[0][0], spans[-1][1]
    offers = []
    for candidate in candidates:
        for service in services_offered(candidate.services, terms):
            found = candidate.engine.free_slots(
                duration_minutes=service.duration_minutes,
                window_start=window_start,
                window_end=window_end,
                now=now,
            )
            slots = [
                s.astimezone(window.zone)
                for s in found
                if len(spans) == 1 or any(a <= s < b for a, b in spans)
            ]
            if slots:
                offers.append(Offer(candidate.pro, service, candidate.distance_km, slots))
    return offers


def _by_time(offer: Offer):
    return offer.slots[0].timestamp()


SORT_KEYS: dict[str, Callable[[Offer], tuple]] = {
    "time": lambda o: (_by_time(o),),
    "distance": lambda o: (
        o.distance_km if o.distance_km is not None else float("inf"),
        _by_time(o),
    ),
    # Grouped by currency (sort_offers puts the visitor's first): amounts compare within one.
    "price": lambda o: (o.service.currency, o.service.price_amount, _by_time(o)),
    "rating": lambda o: (
        -float(o.pro.rating_avg) if o.pro.rating_avg is not None else float("inf"),
        -o.pro.review_count,
        _by_time(o),
    ),
}


def sort_offers(offers: list[Offer], sort: str, *, currency: str | None = None) -> list[Offer]:
    """`offers` in `sort`'s order; for "price", those priced in `currency` first."""
    key = SORT_KEYS[sort]
    first = (lambda o: (o.service.currency != currency,)) if sort == "price" else (lambda o: ())
    return sorted(
        offers, key=lambda o: (*first(o), *key(o), o.pro.display_name, o.pro.pk, o.service.pk)
    )
