"""Standing appointments: the dates and instants of a series' occurrences (pure, no ORM; its
messages are translated, in the active language).

A series repeats one wall-clock time in the pro's zone every N weeks: the arithmetic is on
local dates (``first_date + k * N weeks``), each date then combined with the time and turned
into an instant with zoneinfo, so a 10:00 Paris series stays 10:00 across the DST changes of
March and October (its UTC instant moves by the hour instead).

A wall time that does not exist on its date (it falls in a spring-forward gap) has no instant:
its occurrence is planned with ``starts_at=None`` and listed as a conflict with ``GAP_REASON``.
A wall time that happens twice (a fall-back fold) is its first occurrence, as in the slot
engine's rules for working hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

EVERY_WEEKS = (1, 12)
COUNT = (2, 52)
EVERY_CHOICES = tuple(range(EVERY_WEEKS[0], EVERY_WEEKS[1] + 1))
# How far ahead the last occurrence may lie: a series may reach beyond the pro's booking
# horizon (that is the point of a standing appointment) but not beyond a year.
REACH_DAYS = 365

GAP_REASON = gettext_lazy("This time does not exist that day: the clocks go forward over it.")


@dataclass(frozen=True, slots=True)
class Occurrence:
    """The `index`-th (0-based) occurrence: its local date and time and its planned instant (UTC),
    None when the wall time falls in a DST gap that day."""

    index: int
    local_date: date
    local_time: time
    planned_at: datetime | None


def check_shape(*, every_weeks, count) -> None:
    """Raise ValueError with a readable message unless the numbers make a series."""

    def fits(value, low: int, high: int) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high

    if not fits(every_weeks, *EVERY_WEEKS):
        raise ValueError(
            _("The repeat interval must be a whole number from %(low)s to %(high)s.")
            % {"low": EVERY_WEEKS[0], "high": EVERY_WEEKS[1]}
        )
    if not fits(count, *COUNT):
        raise ValueError(
            _("The number of appointments must be a whole number from %(low)s to %(high)s.")
            % {"low": COUNT[0], "high": COUNT[1]}
        )


def local_instant(day: date, at: time, tz: ZoneInfo) -> datetime | None:
    """The UTC instant of wall time `at` on local date `day` in `tz`; None in a DST gap, the
    first one in a fold."""
    wall = datetime.combine(day, at)
    instant = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) != wall:
        return None
    return instant


def plan(
    *, first_date: date, local_time: time, tz: ZoneInfo, every_weeks: int, count: int
) -> list[Occurrence]:
    """The `count` occurrences, `every_weeks` weeks apart, at `local_time` in `tz`."""
    check_shape(every_weeks=every_weeks, count=count)
    step = timedelta(weeks=every_weeks)
    occurrences = []
    for index in range(count):
        day = first_date + index * step
        occurrences.append(Occurrence(index, day, local_time, local_instant(day, local_time, tz)))
    return occurrences


def last_date(*, first_date: date, every_weeks: int, count: int) -> date:
    return first_date + timedelta(weeks=every_weeks * (count - 1))


def max_count(every_weeks: int) -> int:
    """The most occurrences that fit within REACH_DAYS at this interval."""
    return min(COUNT[1], REACH_DAYS // (7 * every_weeks) + 1)


def every_label(every_weeks: int) -> str:
    """ "every week", "every 2 weeks"."""
    if every_weeks == 1:
        return _("every week")
    return ngettext("every %(weeks)s week", "every %(weeks)s weeks", every_weeks) % {
        "weeks": every_weeks
    }
