"""Pure slot engine: which start times a pro can be booked at.

This module is deliberately free of Django (and of any I/O): it takes plain
values and returns plain values, so it can be tested exhaustively and called
both to render a calendar and, inside the booking transaction, to re-check a
requested start time.

Domain rules
============

Working hours
    A pro's hours are wall-clock times in the pro's time zone ``tz``. For each
    local date, the day's intervals come from the :class:`DayOverride` for that
    date if there is one (an override with no intervals means "closed"),
    otherwise from the :class:`WeeklyHours` of that weekday (0=Monday ..
    6=Sunday). Several overrides for the same date are combined. An interval
    starts on its local date; when ``end <= start`` it runs overnight and ends
    at ``end`` on the next local date (22:00-02:00, or 18:00-00:00 for "until
    midnight"). ``start == end`` is refused.

    Each interval is turned into an absolute :class:`Interval`. A boundary wall
    time that does not exist locally (it falls in a spring-forward gap) is
    resolved to the instant of the transition, i.e. the moment the clock jumps
    over it; an interval lying entirely inside a gap is dropped. A boundary
    wall time that happens twice (fall-back fold) resolves to its first
    occurrence (``fold=0``).

Candidate starts
    Candidates are generated per working interval in local wall-clock time:
    ``start``, ``start + step``, ``start + 2 * step``, ... while before the
    interval's wall-clock end. A candidate wall time that does not exist
    locally (DST gap) is skipped; an ambiguous one (DST fold) stands for two
    real instants, and each is a candidate of its own (02:00+02:00 and
    02:00+01:00 in Paris on the last Sunday of October). Touching or
    overlapping intervals are not merged: each interval has its own step grid
    and a slot must fit in the interval it was generated from. Duplicate
    starts are reported once.

Slot length
    A slot is ``[s, s + duration)`` in absolute time: a 60-minute service lasts
    60 real minutes even across a DST change. It must end at or before the
    absolute end of its working interval. Consequently a 09:00-17:00 pro is
    offered 09:00 local on the days before, of and after every DST change.

Notice and horizon
    ``s >= now + notice_minutes`` and ``s < now + horizon_days`` (whole days of
    24 real hours).

Bookings, buffer and time off
    Each busy interval (an active booking) blocks ``[b.start, b.end + buffer)``.
    A candidate occupies ``[s, s + duration + buffer)`` and must not intersect
    any blocked interval. It must also not intersect any time-off interval;
    time off is not extended by the buffer and only the service itself
    ``[s, s + duration)`` is checked against it. All intervals are half-open:
    touching is fine.

Window
    :func:`free_slots` returns the free starts with
    ``window_start <= s < window_end``, sorted, unique, as aware datetimes in
    ``tz``. :func:`is_slot_free` answers for a single start and agrees exactly
    with :func:`free_slots`: it is literally ``free_slots`` over a window that
    only contains that start.

Time arithmetic
    Inputs may be in any zone; everything is computed on UTC instants and only
    the results are converted to ``tz``. Python adds, subtracts and compares
    two datetimes sharing a tzinfo by wall clock (ignoring ``fold``), so
    callers measuring real durations between returned datetimes should convert
    them to UTC first.

Complexity
    Busy and time-off intervals are sorted and merged once
    (``O((B + T) log(B + T))``); each candidate is then checked with a binary
    search (``O(log(B + T))``). Only local dates touching the effective window
    (window clipped by notice and horizon), and the day before them for
    overnight intervals, are expanded.

Invalid input (naive datetimes, non-positive durations or steps, negative
notice/horizon/buffer, reversed intervals, empty windows) raises
:class:`ValueError`. The one error meant for a person, a pro's hours that do not make a day
(:func:`day_intervals`), is an :class:`IntervalError` carrying the intervals at fault: the
module stays free of Django, and ``bookings.services.schedule.interval_message`` words it in
the pro's language.
"""

from __future__ import annotations

import itertools
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

__all__ = [
    "DayOverride",
    "IntervalError",
    "day_intervals",
    "overnight",
    "Interval",
    "Rules",
    "WeeklyHours",
    "free_slots",
    "is_slot_free",
    "working_intervals",
]

_ONE_DAY = timedelta(days=1)
_EPSILON = timedelta(microseconds=1)


def _require_aware(value: datetime, name: str) -> None:
    if not isinstance(value, datetime):
        raise ValueError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value!r}")


def _check_wall_interval(start: time, end: time, what: str) -> None:
    if start.tzinfo is not None or end.tzinfo is not None:
        raise ValueError(f"{what}: times must be naive wall-clock times")
    if start == end:
        raise ValueError(f"{what}: start and end are both {start}")


def overnight(start: time, end: time) -> bool:
    """Whether the wall-clock interval start-end ends on the next local date."""
    return end <= start


class IntervalError(ValueError):
    """A day's intervals a pro entered do not make a day: `first` has no length (`second` is
    None), or `first` and `second` overlap. The message is English, for logs; people read
    ``bookings.services.schedule.interval_message``."""

    def __init__(self, first: tuple[time, time], second: tuple[time, time] | None = None):
        self.first, self.second = first, second
        span = f"{first[0]:%H:%M}–{first[1]:%H:%M}"
        if second is None:
            message = f"{span} has no length: give two different times."
        else:
            message = f"{span} and {second[0]:%H:%M}–{second[1]:%H:%M} overlap."
        super().__init__(message)


def day_intervals(intervals: Iterable[tuple[time, time]]) -> list[tuple[time, time]]:
    """One day's wall-clock intervals as a pro enters them, checked: sorted, to the minute.

    An interval whose end is not after its start runs overnight. Raises IntervalError: an
    interval of no length, or two intervals that overlap (an overnight one counts until its
    end the next morning)."""
    cleaned = []
    for start, end in intervals:
        if start == end:
            raise IntervalError((start, end))
        cleaned.append(
            (start.replace(second=0, microsecond=0), end.replace(second=0, microsecond=0))
        )
    cleaned.sort()

    def minutes(start: time, end: time) -> tuple[int, int]:
        first = start.hour * 60 + start.minute
        last = end.hour * 60 + end.minute + (1440 if overnight(start, end) else 0)
        return first, last

    for (s1, e1), (s2, e2) in itertools.pairwise(cleaned):
        if minutes(s2, e2)[0] < minutes(s1, e1)[1]:
            raise IntervalError((s1, e1), (s2, e2))
    return cleaned


@dataclass(frozen=True, slots=True)
class Interval:
    """Absolute time span ``[start, end)`` between two aware datetimes."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        _require_aware(self.start, "Interval.start")
        _require_aware(self.end, "Interval.end")
        # In UTC: datetimes sharing a tzinfo compare by wall clock, ignoring fold.
        if self.end.astimezone(UTC) < self.start.astimezone(UTC):
            raise ValueError(f"Interval end {self.end} is before start {self.start}")


@dataclass(frozen=True, slots=True)
class WeeklyHours:
    """Wall-clock working interval in the pro's zone; weekday 0=Monday..6=Sunday."""

    weekday: int
    start: time
    end: time

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday)..6 (Sunday), got {self.weekday}")
        _check_wall_interval(self.start, self.end, "WeeklyHours")


@dataclass(frozen=True, slots=True)
class DayOverride:
    """Replaces the weekly hours of local date ``day``; no intervals = closed."""

    day: date
    intervals: tuple[tuple[time, time], ...]

    def __post_init__(self) -> None:
        for start, end in self.intervals:
            _check_wall_interval(start, end, f"DayOverride {self.day}")


@dataclass(frozen=True, slots=True)
class Rules:
    """Booking rules of a pro (all in minutes, except the horizon in days)."""

    step_minutes: int = 15
    notice_minutes: int = 120
    horizon_days: int = 60
    buffer_minutes: int = 0

    def __post_init__(self) -> None:
        if self.step_minutes <= 0:
            raise ValueError(f"step_minutes must be positive, got {self.step_minutes}")
        if self.notice_minutes < 0:
            raise ValueError(f"notice_minutes must be >= 0, got {self.notice_minutes}")
        if self.horizon_days < 0:
            raise ValueError(f"horizon_days must be >= 0, got {self.horizon_days}")
        if self.buffer_minutes < 0:
            raise ValueError(f"buffer_minutes must be >= 0, got {self.buffer_minutes}")


# --------------------------------------------------------------------------
# Local wall clock <-> absolute time
# --------------------------------------------------------------------------


def _wall_to_utc(wall: datetime, tz: ZoneInfo) -> tuple[datetime, bool]:
    """Resolve a naive local wall time with ``fold=0``.

    Returns the UTC instant and whether the wall time actually exists locally
    (False inside a spring-forward gap).
    """
    utc = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    exists = utc.astimezone(tz).replace(tzinfo=None) == wall
    return utc, exists


def _gap_transition(wall: datetime, tz: ZoneInfo) -> datetime:
    """UTC instant at which the clock jumps over the non-existent ``wall``.

    In a gap, ``fold=1`` resolves with the offset after the transition (an
    instant before it) and ``fold=0`` with the offset before (an instant at or
    after it); bisect between the two to the second.
    """
    before = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    after = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    offset_before = before.astimezone(tz).utcoffset()
    lo = 0
    hi = int((after - before).total_seconds())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if (before + timedelta(seconds=mid)).astimezone(tz).utcoffset() == offset_before:
            lo = mid
        else:
            hi = mid
    return before + timedelta(seconds=hi)


def _instants(wall: datetime, tz: ZoneInfo) -> tuple[datetime, ...]:
    """The UTC instants a naive local wall time stands for, ascending: none in a
    spring-forward gap, two in a fall-back fold, else one.

    Read from the two offsets ``fold`` can give the wall time (no round trip: this runs for
    every candidate): equal, the time is ordinary; the earlier offset larger, the clocks went
    back over it (a fold); smaller, they jumped over it (a gap)."""
    first_offset = wall.replace(tzinfo=tz).utcoffset()
    second_offset = wall.replace(tzinfo=tz, fold=1).utcoffset()
    assert first_offset is not None and second_offset is not None  # a ZoneInfo always answers
    naive_utc = wall - first_offset
    if first_offset == second_offset:
        return (naive_utc.replace(tzinfo=UTC),)
    if first_offset < second_offset:
        return ()
    return (naive_utc.replace(tzinfo=UTC), (wall - second_offset).replace(tzinfo=UTC))


def _boundary_to_utc(wall: datetime, tz: ZoneInfo) -> datetime:
    utc, exists = _wall_to_utc(wall, tz)
    return utc if exists else _gap_transition(wall, tz)


def boundary(day: date, at: time | None, tz: ZoneInfo) -> datetime:
    """The UTC instant where the wall time `at` (None: the next midnight) on the local date
    `day` begins or ends a span of wall-clock time, by the rules for working hours: a time
    in a spring-forward gap is the transition, a time in a fold its first occurrence."""
    if at is None:
        day, at = day + _ONE_DAY, time(0)
    return _boundary_to_utc(datetime.combine(day, at), tz)


# --------------------------------------------------------------------------
# Working time
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _WorkBlock:
    """A working interval with both its wall-clock and absolute (UTC) bounds."""

    wall_start: datetime  # naive local
    wall_end: datetime  # naive local
    start: datetime  # UTC
    end: datetime  # UTC


def _day_specs(
    weekly: Sequence[WeeklyHours], overrides: Sequence[DayOverride]
) -> tuple[dict[int, list[tuple[time, time]]], dict[date, list[tuple[time, time]]]]:
    by_weekday: dict[int, list[tuple[time, time]]] = {}
    for hours in weekly:
        by_weekday.setdefault(hours.weekday, []).append((hours.start, hours.end))
    by_day: dict[date, list[tuple[time, time]]] = {}
    for override in overrides:
        by_day.setdefault(override.day, []).extend(override.intervals)
    return by_weekday, by_day


def _work_blocks(
    tz: ZoneInfo,
    weekly: Sequence[WeeklyHours],
    overrides: Sequence[DayOverride],
    first_day: date,
    last_day: date,
) -> Iterator[_WorkBlock]:
    by_weekday, by_day = _day_specs(weekly, overrides)
    day = first_day
    while day <= last_day:
        specs = by_day[day] if day in by_day else by_weekday.get(day.weekday(), [])
        for start, end in sorted(specs):
            wall_start = datetime.combine(day, start)
            wall_end = datetime.combine(day + _ONE_DAY if overnight(start, end) else day, end)
            abs_start = _boundary_to_utc(wall_start, tz)
            abs_end = _boundary_to_utc(wall_end, tz)
            if abs_start < abs_end:
                yield _WorkBlock(wall_start, wall_end, abs_start, abs_end)
        day += _ONE_DAY


def working_intervals(
    *,
    tz: ZoneInfo,
    weekly: Sequence[WeeklyHours],
    overrides: Sequence[DayOverride],
    first_day: date,
    last_day: date,
) -> list[Interval]:
    """Absolute working intervals configured for local dates ``first_day..last_day``
    inclusive (an overnight interval of ``last_day`` ends on the next date).

    Intervals are returned in ``tz`` (for display), sorted by start; an
    interval that lies entirely in a DST gap is omitted. Note that Python
    subtracts two datetimes sharing a tzinfo as wall-clock times: convert to
    UTC before measuring real durations.
    """
    if last_day < first_day:
        raise ValueError(f"last_day {last_day} is before first_day {first_day}")
    blocks = sorted(
        _work_blocks(tz, weekly, overrides, first_day, last_day),
        key=lambda b: (b.start, b.end),
    )
    return [Interval(b.start.astimezone(tz), b.end.astimezone(tz)) for b in blocks]


# --------------------------------------------------------------------------
# Conflicts
# --------------------------------------------------------------------------


class _Blocked:
    """Sorted, merged, disjoint half-open UTC intervals with O(log n) overlap test."""

    __slots__ = ("_ends", "_starts")

    def __init__(self, spans: list[tuple[datetime, datetime]]) -> None:
        spans.sort()
        starts: list[datetime] = []
        ends: list[datetime] = []
        for start, end in spans:
            if end <= start:
                continue
            if ends and start <= ends[-1]:
                if end > ends[-1]:
                    ends[-1] = end
            else:
                starts.append(start)
                ends.append(end)
        self._starts = starts
        self._ends = ends

    def overlaps(self, start: datetime, end: datetime) -> bool:
        """Whether ``[start, end)`` intersects any blocked interval."""
        # First blocked interval ending after `start`; ends are sorted because
        # the intervals are disjoint and sorted by start.
        index = bisect_right(self._ends, start)
        return index < len(self._starts) and self._starts[index] < end


def _utc_spans(
    intervals: Sequence[Interval], name: str, extend: timedelta
) -> list[tuple[datetime, datetime]]:
    spans = []
    for i, interval in enumerate(intervals):
        _require_aware(interval.start, f"{name}[{i}].start")
        _require_aware(interval.end, f"{name}[{i}].end")
        spans.append((interval.start.astimezone(UTC), interval.end.astimezone(UTC) + extend))
    return spans


# --------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------


def free_slots(
    *,
    tz: ZoneInfo,
    weekly: Sequence[WeeklyHours],
    overrides: Sequence[DayOverride],
    time_off: Sequence[Interval],
    busy: Sequence[Interval],
    rules: Rules,
    duration_minutes: int,
    window_start: datetime,
    window_end: datetime,
    now: datetime,
) -> list[datetime]:
    """Free start times (aware, in `tz`, sorted, unique) with window_start <= start < window_end."""
    if not isinstance(tz, tzinfo):
        raise ValueError(f"tz must be a tzinfo such as ZoneInfo, got {type(tz).__name__}")
    if (
        not isinstance(duration_minutes, int)
        or isinstance(duration_minutes, bool)
        or duration_minutes <= 0
    ):
        raise ValueError(f"duration_minutes must be a positive integer, got {duration_minutes!r}")
    _require_aware(window_start, "window_start")
    _require_aware(window_end, "window_end")
    _require_aware(now, "now")
    # Compare in UTC: datetimes sharing a tzinfo compare by wall clock, ignoring fold.
    start_utc = window_start.astimezone(UTC)
    end_utc = window_end.astimezone(UTC)
    if end_utc <= start_utc:
        raise ValueError(f"window_end {window_end} must be after window_start {window_start}")

    now_utc = now.astimezone(UTC)
    lower = max(start_utc, now_utc + timedelta(minutes=rules.notice_minutes))
    upper = min(end_utc, now_utc + timedelta(days=rules.horizon_days))

    duration = timedelta(minutes=duration_minutes)
    buffer = timedelta(minutes=rules.buffer_minutes)
    booked = _Blocked(_utc_spans(busy, "busy", buffer))
    off = _Blocked(_utc_spans(time_off, "time_off", timedelta(0)))
    if lower >= upper:
        return []

    step = timedelta(minutes=rules.step_minutes)
    # Every candidate lies on the local date of its own wall-clock time, or on
    # the next one for an overnight interval: only the local dates touched by
    # [lower, upper), and the day before them, need expanding.
    first_day = lower.astimezone(tz).date() - _ONE_DAY
    last_day = (upper - _EPSILON).astimezone(tz).date()

    found: set[datetime] = set()
    for block in _work_blocks(tz, weekly, overrides, first_day, last_day):
        latest_start = block.end - duration
        if latest_start < lower or block.start >= upper:
            continue
        wall = block.wall_start
        # Most blocks hold no clock change: one offset maps every wall time of the block to
        # its instant (a wall time's other instant, in a fold, lies outside the block and is
        # refused below anyway), which spares two zone look-ups per candidate.
        offset = block.start.astimezone(tz).utcoffset()
        steady = offset == block.end.astimezone(tz).utcoffset()
        while wall < block.wall_end:
            instants = ((wall - offset).replace(tzinfo=UTC),) if steady else _instants(wall, tz)
            wall += step
            if instants and (instants[0] >= upper or instants[0] > latest_start):
                break  # a wall's first instant grows with the wall: later walls are later
            for start in instants:
                if not (max(lower, block.start) <= start <= latest_start and start < upper):
                    continue
                end = start + duration
                if booked.overlaps(start, end + buffer) or off.overlaps(start, end):
                    continue
                found.add(start)
    return [start.astimezone(tz) for start in sorted(found)]


def is_slot_free(
    *,
    tz: ZoneInfo,
    weekly: Sequence[WeeklyHours],
    overrides: Sequence[DayOverride],
    time_off: Sequence[Interval],
    busy: Sequence[Interval],
    rules: Rules,
    duration_minutes: int,
    starts_at: datetime,
    now: datetime,
) -> bool:
    """Whether ``starts_at`` is a free start; agrees exactly with :func:`free_slots`.

    Meant to re-check a requested start inside the booking transaction, with
    the busy intervals read under lock.
    """
    _require_aware(starts_at, "starts_at")
    instant = starts_at.astimezone(UTC)
    slots = free_slots(
        tz=tz,
        weekly=weekly,
        overrides=overrides,
        time_off=time_off,
        busy=busy,
        rules=rules,
        duration_minutes=duration_minutes,
        window_start=instant,
        window_end=instant + _EPSILON,
        now=now,
    )
    return any(slot.astimezone(UTC) == instant for slot in slots)
