"""Tests of the pure slot engine (no database, no Django)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bookings.availability import (
    DayOverride,
    Interval,
    Rules,
    WeeklyHours,
    boundary,
    free_slots,
    is_slot_free,
    working_intervals,
)

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")  # 30-minute DST shifts

NINE_TO_FIVE_EVERY_DAY = tuple(WeeklyHours(wd, time(9), time(17)) for wd in range(7))
NINE_TO_FIVE_WEEKDAYS = tuple(WeeklyHours(wd, time(9), time(17)) for wd in range(5))
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)
NO_LIMITS = Rules(step_minutes=15, notice_minutes=0, horizon_days=10_000, buffer_minutes=0)


def local(tz: ZoneInfo, *args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=tz, fold=fold)


def utc(moment: datetime) -> datetime:
    """The same instant in UTC, where ``+ timedelta`` adds real (not wall-clock) time."""
    return moment.astimezone(UTC)


def real_length(interval: Interval) -> timedelta:
    return utc(interval.end) - utc(interval.start)


def day_window(tz: ZoneInfo, day: date, days: int = 1) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=days), time(0), tzinfo=tz)
    return start, end


@dataclass
class Pro:
    """Inputs of the engine with test-friendly defaults (a Paris 9-to-5 pro)."""

    tz: ZoneInfo = PARIS
    weekly: tuple[WeeklyHours, ...] = NINE_TO_FIVE_WEEKDAYS
    overrides: tuple[DayOverride, ...] = ()
    time_off: tuple[Interval, ...] = ()
    busy: tuple[Interval, ...] = ()
    rules: Rules = NO_LIMITS
    duration_minutes: int = 60
    now: datetime = LONG_AGO

    def _common(self) -> dict:
        return {
            "tz": self.tz,
            "weekly": self.weekly,
            "overrides": self.overrides,
            "time_off": self.time_off,
            "busy": self.busy,
            "rules": self.rules,
            "duration_minutes": self.duration_minutes,
            "now": self.now,
        }

    def slots(self, window_start: datetime, window_end: datetime) -> list[datetime]:
        return free_slots(**self._common(), window_start=window_start, window_end=window_end)

    def slots_on(self, day: date, days: int = 1) -> list[datetime]:
        return self.slots(*day_window(self.tz, day, days))

    def free(self, starts_at: datetime) -> bool:
        return is_slot_free(**self._common(), starts_at=starts_at)


def walls(slots: list[datetime]) -> list[str]:
    return [s.strftime("%H:%M") for s in slots]


def quarter_hours(first: str, last: str) -> list[str]:
    start = datetime.strptime(first, "%H:%M")
    stop = datetime.strptime(last, "%H:%M")
    out = []
    while start <= stop:
        out.append(start.strftime("%H:%M"))
        start += timedelta(minutes=15)
    return out


# A Wednesday, far from any DST change.
WEDNESDAY = date(2026, 6, 10)


# --------------------------------------------------------------------------
# Basics
# --------------------------------------------------------------------------


def test_nine_to_five_pro_offers_quarter_hours_until_the_last_hour_fits() -> None:
    slots = Pro().slots_on(WEDNESDAY)

    assert walls(slots) == quarter_hours("09:00", "16:00")
    assert all(s.tzinfo == PARIS for s in slots)
    assert all(s.date() == WEDNESDAY for s in slots)


def test_weekend_without_hours_has_no_slots() -> None:
    assert Pro().slots_on(date(2026, 6, 13), days=2) == []


def test_step_grid_starts_at_the_interval_start_not_at_the_hour() -> None:
    pro = Pro(weekly=(WeeklyHours(2, time(9, 10), time(11)),), duration_minutes=30)

    assert walls(pro.slots_on(WEDNESDAY)) == ["09:10", "09:25", "09:40", "09:55", "10:10", "10:25"]


def test_step_longer_than_duration_leaves_gaps_between_slots() -> None:
    pro = Pro(
        weekly=(WeeklyHours(2, time(9), time(12)),),
        rules=Rules(step_minutes=45, notice_minutes=0, horizon_days=10_000),
        duration_minutes=30,
    )

    assert walls(pro.slots_on(WEDNESDAY)) == ["09:00", "09:45", "10:30", "11:15"]


def test_each_interval_of_a_split_day_has_its_own_grid_and_end() -> None:
    pro = Pro(
        weekly=(WeeklyHours(2, time(9), time(10, 30)), WeeklyHours(2, time(13, 5), time(14, 30))),
        duration_minutes=60,
    )

    assert walls(pro.slots_on(WEDNESDAY)) == ["09:00", "09:15", "09:30", "13:05", "13:20"]


def test_overlapping_weekly_hours_report_each_start_once() -> None:
    pro = Pro(weekly=(WeeklyHours(2, time(9), time(12)), WeeklyHours(2, time(10), time(13))))

    slots = pro.slots_on(WEDNESDAY)

    assert walls(slots) == quarter_hours("09:00", "12:00")
    assert len(set(slots)) == len(slots)


def test_service_longer_than_the_interval_gets_no_slot() -> None:
    pro = Pro(weekly=(WeeklyHours(2, time(9), time(10)),), duration_minutes=61)

    assert pro.slots_on(WEDNESDAY) == []


# --------------------------------------------------------------------------
# Daylight saving time
# --------------------------------------------------------------------------

DST_CHANGES = [
    pytest.param(PARIS, date(2026, 3, 29), id="paris-spring-forward"),
    pytest.param(PARIS, date(2026, 10, 25), id="paris-fall-back"),
    pytest.param(NEW_YORK, date(2026, 3, 8), id="new-york-spring-forward"),
    pytest.param(NEW_YORK, date(2026, 11, 1), id="new-york-fall-back"),
]


@pytest.mark.parametrize("tz, change_day", DST_CHANGES)
@pytest.mark.parametrize("shift", [-1, 0, 1], ids=["day-before", "day-of", "day-after"])
def test_nine_to_five_pro_offers_nine_oclock_around_each_dst_change(
    tz: ZoneInfo, change_day: date, shift: int
) -> None:
    day = change_day + timedelta(days=shift)
    pro = Pro(tz=tz, weekly=NINE_TO_FIVE_EVERY_DAY)

    slots = pro.slots_on(day)

    assert slots[0] == local(tz, day.year, day.month, day.day, 9)
    assert walls(slots) == quarter_hours("09:00", "16:00")
    (interval,) = working_intervals(
        tz=tz, weekly=NINE_TO_FIVE_EVERY_DAY, overrides=(), first_day=day, last_day=day
    )
    assert real_length(interval) == timedelta(hours=8)


def test_paris_pro_offers_nine_oclock_on_the_day_clocks_go_forward() -> None:
    pro = Pro(weekly=NINE_TO_FIVE_EVERY_DAY)

    assert pro.free(local(PARIS, 2026, 3, 29, 9))
    assert local(PARIS, 2026, 3, 29, 9) in pro.slots_on(date(2026, 3, 29))


def test_paris_pro_working_one_to_four_never_gets_a_two_oclock_slot_when_clocks_go_forward() -> (
    None
):
    pro = Pro(weekly=(WeeklyHours(6, time(1), time(4)),), duration_minutes=30)

    slots = pro.slots_on(date(2026, 3, 29))

    assert all(s.hour != 2 for s in slots)
    assert walls(slots) == ["01:00", "01:15", "01:30", "01:45", "03:00", "03:15", "03:30"]


def test_sixty_minute_slot_across_spring_forward_lasts_sixty_real_minutes() -> None:
    pro = Pro(weekly=(WeeklyHours(6, time(1), time(4)),), duration_minutes=60)

    slots = pro.slots_on(date(2026, 3, 29))

    # 01:45 CET + 60 real minutes = 03:45 CEST (fits before 04:00); 03:15 would not.
    assert walls(slots) == ["01:00", "01:15", "01:30", "01:45", "03:00"]
    start = local(PARIS, 2026, 3, 29, 1, 45)
    end = (utc(start) + timedelta(minutes=60)).astimezone(PARIS)
    assert (end.hour, end.minute, end.utcoffset()) == (3, 45, timedelta(hours=2))
    (interval,) = working_intervals(
        tz=PARIS, weekly=pro.weekly, overrides=(), first_day=date(2026, 3, 29),
        last_day=date(2026, 3, 29),
    )  # fmt: skip
    assert real_length(interval) == timedelta(hours=2)


def test_new_york_fall_back_day_offers_both_one_oclocks() -> None:
    pro = Pro(tz=NEW_YORK, weekly=(WeeklyHours(6, time(0), time(3)),), duration_minutes=15)

    slots = pro.slots_on(date(2026, 11, 1))

    # The repeated hour is offered twice, in real-time order: 01:00-01:45 EDT, then EST.
    assert walls(slots) == (
        quarter_hours("00:00", "01:45") + quarter_hours("01:00", "01:45")
        + quarter_hours("02:00", "02:45")
    )  # fmt: skip
    first, second = [s for s in slots if s.hour == 1 and s.minute == 0]
    assert first.utcoffset() == timedelta(hours=-4)  # EDT
    assert second.utcoffset() == timedelta(hours=-5)  # EST, an hour later
    assert utc(second) - utc(first) == timedelta(hours=1)
    assert pro.free(first)
    assert pro.free(local(NEW_YORK, 2026, 11, 1, 1, fold=1))


def test_paris_pro_working_through_the_fall_back_night_keeps_the_second_two_oclock() -> None:
    pro = Pro(tz=PARIS, weekly=(WeeklyHours(6, time(0), time(4)),), duration_minutes=45)

    slots = pro.slots_on(date(2027, 10, 31))

    second_two = datetime(2027, 10, 31, 1, 0, tzinfo=UTC)  # 02:00+01:00
    assert second_two in {utc(s) for s in slots}
    assert pro.free(datetime.fromisoformat("2027-10-31T02:00:00+01:00"))
    assert pro.free(datetime.fromisoformat("2027-10-31T02:00:00+02:00"))
    # Five real hours of work, 00:00+02:00 .. 04:00+01:00: quarter-hour starts from 22:00 to
    # 02:15 UTC, the last one ending 45 minutes later at 04:00+01:00.
    assert len(slots) == 18


def test_fall_back_slot_fits_the_interval_whose_grid_named_it() -> None:
    # Found by the property test: 00:00-02:15 and 02:30-03:00 on the Paris fall-back night.
    # The second interval runs 02:30+02:00 .. 03:00+01:00, so it spans the real time of the
    # second 02:00-02:15 too; but those wall times are on the first interval's grid, and the
    # first interval ends at the first 02:15. The second 02:00 is no slot.
    pro = Pro(
        tz=PARIS,
        weekly=(WeeklyHours(6, time(0), time(2, 15)), WeeklyHours(6, time(2, 30), time(3))),
        duration_minutes=5,
        rules=Rules(step_minutes=5, notice_minutes=0, horizon_days=10_000, buffer_minutes=0),
    )

    starts = {utc(s) for s in pro.slots_on(date(2026, 10, 25))}

    assert datetime(2026, 10, 25, 0, 10, tzinfo=UTC) in starts  # the first 02:10
    assert datetime(2026, 10, 25, 1, 10, tzinfo=UTC) not in starts  # the second 02:10
    assert datetime(2026, 10, 25, 1, 30, tzinfo=UTC) in starts  # the second 02:30
    assert not pro.free(datetime.fromisoformat("2026-10-25T02:10:00+01:00"))


def test_new_york_fall_back_working_time_includes_the_repeated_hour() -> None:
    (interval,) = working_intervals(
        tz=NEW_YORK,
        weekly=(WeeklyHours(6, time(0), time(3)),),
        overrides=(),
        first_day=date(2026, 11, 1),
        last_day=date(2026, 11, 1),
    )

    assert real_length(interval) == timedelta(hours=4)


def test_sixty_minute_slot_across_fall_back_lasts_sixty_real_minutes() -> None:
    pro = Pro(tz=NEW_YORK, weekly=(WeeklyHours(6, time(0), time(2)),), duration_minutes=60)

    slots = pro.slots_on(date(2026, 11, 1))

    # Working time is 00:00 EDT..02:00 EST = 3 real hours: every start up to 01:45 EDT fits,
    # and the second 01:00 (EST), which ends exactly at 02:00 EST.
    assert walls(slots) == [*quarter_hours("00:00", "01:45"), "01:00"]
    before_last = slots[-2]
    end = (utc(before_last) + timedelta(minutes=60)).astimezone(NEW_YORK)
    assert (end.hour, end.minute, end.fold) == (1, 45, 1)  # 01:45 EST, the second 01:45
    assert before_last.utcoffset() == timedelta(hours=-4)  # started at 01:45 EDT
    assert slots[-1].utcoffset() == timedelta(hours=-5)  # 01:00 EST


def test_overnight_hours_run_into_the_next_morning() -> None:
    pro = Pro(tz=PARIS, weekly=(WeeklyHours(2, time(22), time(2)),), duration_minutes=60)

    slots = pro.slots(*day_window(PARIS, WEDNESDAY, days=2))

    assert walls(slots) == quarter_hours("22:00", "23:45") + quarter_hours("00:00", "01:00")
    assert {s.date() for s in slots} == {WEDNESDAY, WEDNESDAY + timedelta(days=1)}
    (interval,) = working_intervals(
        tz=PARIS, weekly=pro.weekly, overrides=(), first_day=WEDNESDAY, last_day=WEDNESDAY
    )
    assert real_length(interval) == timedelta(hours=4)


def test_overnight_hours_are_found_from_a_window_that_starts_after_midnight() -> None:
    pro = Pro(tz=PARIS, weekly=(WeeklyHours(2, time(22), time(2)),), duration_minutes=30)
    thursday = WEDNESDAY + timedelta(days=1)

    slots = pro.slots_on(thursday)

    assert walls(slots) == quarter_hours("00:00", "01:30")


def test_until_midnight_is_an_end_of_zero_hundred() -> None:
    pro = Pro(tz=PARIS, weekly=(WeeklyHours(2, time(18), time(0)),), duration_minutes=60)

    slots = pro.slots_on(WEDNESDAY)

    assert walls(slots) == quarter_hours("18:00", "23:00")


def test_interval_starting_inside_the_gap_starts_when_the_clock_jumps() -> None:
    weekly = (WeeklyHours(6, time(2, 30), time(5)),)
    pro = Pro(weekly=weekly, duration_minutes=60)

    (interval,) = working_intervals(
        tz=PARIS, weekly=weekly, overrides=(), first_day=date(2026, 3, 29),
        last_day=date(2026, 3, 29),
    )  # fmt: skip

    assert interval.start == local(PARIS, 2026, 3, 29, 3)
    assert interval.end == local(PARIS, 2026, 3, 29, 5)
    assert walls(pro.slots_on(date(2026, 3, 29))) == quarter_hours("03:00", "04:00")


def test_interval_entirely_inside_the_gap_is_no_working_time() -> None:
    weekly = (WeeklyHours(6, time(2), time(2, 45)),)

    assert (
        working_intervals(
            tz=PARIS,
            weekly=weekly,
            overrides=(),
            first_day=date(2026, 3, 29),
            last_day=date(2026, 3, 29),
        )  # fmt: skip
        == []
    )
    assert Pro(weekly=weekly, duration_minutes=15).slots_on(date(2026, 3, 29)) == []


def test_interval_ending_inside_the_gap_ends_when_the_clock_jumps() -> None:
    weekly = (WeeklyHours(6, time(1), time(2, 30)),)

    (interval,) = working_intervals(
        tz=PARIS, weekly=weekly, overrides=(), first_day=date(2026, 3, 29),
        last_day=date(2026, 3, 29),
    )  # fmt: skip

    assert interval.end == local(PARIS, 2026, 3, 29, 3)
    assert real_length(interval) == timedelta(hours=1)


def test_candidates_falling_in_the_gap_are_skipped_not_shifted() -> None:
    pro = Pro(
        weekly=(WeeklyHours(6, time(1), time(5)),),
        rules=Rules(step_minutes=45, notice_minutes=0, horizon_days=10_000),
        duration_minutes=30,
    )

    # Grid 01:00, 01:45, 02:30 (does not exist), 03:15, 04:00; 02:30 is not moved to 03:30.
    assert walls(pro.slots_on(date(2026, 3, 29))) == ["01:00", "01:45", "03:15", "04:00"]


def test_booking_after_fall_back_blocks_by_real_time() -> None:
    # Booking 01:30-02:30 EST, i.e. during the second pass of 01:xx.
    booking = Interval(
        local(NEW_YORK, 2026, 11, 1, 1, 30, fold=1), local(NEW_YORK, 2026, 11, 1, 2, 30)
    )
    pro = Pro(
        tz=NEW_YORK,
        weekly=(WeeklyHours(6, time(0), time(4)),),
        busy=(booking,),
        duration_minutes=60,
    )

    slots = pro.slots_on(date(2026, 11, 1))

    # 01:30 EDT + 60 real minutes = 01:30 EST: touches the booking, so it is free.
    assert local(NEW_YORK, 2026, 11, 1, 1, 30) in slots
    assert local(NEW_YORK, 2026, 11, 1, 1, 45) not in slots
    assert walls(slots) == [*quarter_hours("00:00", "01:30"), *quarter_hours("02:30", "03:00")]


def test_lord_howe_half_hour_gap_skips_only_the_missing_half_hour() -> None:
    # On 2026-10-04 Lord Howe clocks jump from 02:00 straight to 02:30.
    pro = Pro(tz=LORD_HOWE, weekly=(WeeklyHours(6, time(1), time(4)),), duration_minutes=30)

    slots = pro.slots_on(date(2026, 10, 4))

    assert walls(slots) == [*quarter_hours("01:00", "01:45"), *quarter_hours("02:30", "03:30")]
    assert utc(slots[4]) - utc(slots[3]) == timedelta(minutes=15)  # 01:45 -> 02:30 is 15 real min


# --------------------------------------------------------------------------
# Overrides
# --------------------------------------------------------------------------


def test_override_without_intervals_closes_the_day() -> None:
    pro = Pro(overrides=(DayOverride(WEDNESDAY, ()),))

    slots = pro.slots_on(WEDNESDAY - timedelta(days=1), days=3)

    assert {s.date() for s in slots} == {
        WEDNESDAY - timedelta(days=1),
        WEDNESDAY + timedelta(days=1),
    }


def test_override_replaces_weekly_hours_of_that_date_only() -> None:
    pro = Pro(overrides=(DayOverride(WEDNESDAY, ((time(12), time(14)),)),))

    assert walls(pro.slots_on(WEDNESDAY)) == ["12:00", "12:15", "12:30", "12:45", "13:00"]
    assert walls(pro.slots_on(WEDNESDAY + timedelta(days=1))) == quarter_hours("09:00", "16:00")


def test_override_opens_a_day_without_weekly_hours() -> None:
    saturday = date(2026, 6, 13)
    pro = Pro(overrides=(DayOverride(saturday, ((time(10), time(11)), (time(15), time(16)))),))

    assert walls(pro.slots_on(saturday)) == ["10:00", "15:00"]
    assert len(working_intervals(
        tz=PARIS, weekly=pro.weekly, overrides=pro.overrides, first_day=saturday,
        last_day=saturday + timedelta(days=1),
    )) == 2  # fmt: skip


# --------------------------------------------------------------------------
# Bookings, buffer, time off
# --------------------------------------------------------------------------


def _at(hour: int, minute: int = 0) -> datetime:
    return local(PARIS, WEDNESDAY.year, WEDNESDAY.month, WEDNESDAY.day, hour, minute)


def test_booking_blocks_overlapping_starts_but_touching_slots_stay_free() -> None:
    pro = Pro(busy=(Interval(_at(11), _at(12)),))

    slot_walls = walls(pro.slots_on(WEDNESDAY))

    assert "10:00" in slot_walls  # ends exactly when the booking starts
    assert "12:00" in slot_walls  # starts exactly when the booking ends
    assert not {"10:15", "10:30", "10:45", "11:00", "11:15", "11:30", "11:45"} & set(slot_walls)


def test_buffer_follows_bookings_and_the_candidate_slot() -> None:
    pro = Pro(
        busy=(Interval(_at(11), _at(12)),),
        rules=Rules(step_minutes=15, notice_minutes=0, horizon_days=10_000, buffer_minutes=15),
        duration_minutes=45,
    )

    slot_walls = walls(pro.slots_on(WEDNESDAY))

    assert "12:00" not in slot_walls  # inside the booking's trailing buffer
    assert "12:15" in slot_walls
    assert "10:00" in slot_walls  # 10:00-10:45 + 15 min buffer ends at 11:00
    assert "10:15" not in slot_walls  # its own buffer would run into the booking


def test_nested_and_overlapping_bookings_block_their_union() -> None:
    pro = Pro(
        busy=(
            Interval(_at(10), _at(13)),
            Interval(_at(11), _at(12)),  # inside the first one
            Interval(_at(12, 30), _at(14)),  # overlaps its end
        ),
        duration_minutes=30,
    )

    slot_walls = walls(pro.slots_on(WEDNESDAY))

    assert slot_walls == [*quarter_hours("09:00", "09:30"), *quarter_hours("14:00", "16:30")]


def test_bookings_given_in_utc_block_the_same_instants() -> None:
    utc_booking = Interval(_at(11).astimezone(UTC), _at(12).astimezone(UTC))

    assert Pro(busy=(utc_booking,)).slots_on(WEDNESDAY) == Pro(
        busy=(Interval(_at(11), _at(12)),)
    ).slots_on(WEDNESDAY)


def test_time_off_blocks_slots_without_applying_the_buffer() -> None:
    pro = Pro(
        time_off=(Interval(_at(12), _at(13)),),
        rules=Rules(step_minutes=15, notice_minutes=0, horizon_days=10_000, buffer_minutes=30),
    )

    slot_walls = walls(pro.slots_on(WEDNESDAY))

    assert "11:00" in slot_walls  # service ends at 12:00; its buffer may overlap time off
    assert "13:00" in slot_walls  # time off is not followed by a buffer
    assert not {"11:15", "11:30", "11:45", "12:00", "12:45"} & set(slot_walls)


def test_time_off_spanning_days_blocks_them_all() -> None:
    pro = Pro(time_off=(Interval(_at(0), _at(0) + timedelta(days=2)),))

    slots = pro.slots_on(WEDNESDAY, days=3)

    assert {s.date() for s in slots} == {WEDNESDAY + timedelta(days=2)}


# --------------------------------------------------------------------------
# Notice, horizon, window
# --------------------------------------------------------------------------


def test_notice_hides_starts_sooner_than_the_notice_period() -> None:
    pro = Pro(now=_at(9, 10), rules=Rules(notice_minutes=120, horizon_days=60))

    assert pro.slots_on(WEDNESDAY)[0] == _at(11, 15)


def test_start_exactly_at_the_notice_limit_is_offered() -> None:
    pro = Pro(now=_at(9), rules=Rules(notice_minutes=120, horizon_days=60))

    assert pro.slots_on(WEDNESDAY)[0] == _at(11)


def test_horizon_excludes_starts_at_or_after_now_plus_horizon_days() -> None:
    pro = Pro(now=_at(10), rules=Rules(notice_minutes=0, horizon_days=2))

    slots = pro.slots_on(WEDNESDAY, days=5)

    assert slots[0] == _at(10)
    assert slots[-1] == _at(9, 45) + timedelta(days=2)
    assert _at(10) + timedelta(days=2) not in slots


def test_zero_horizon_offers_nothing() -> None:
    pro = Pro(now=LONG_AGO, rules=Rules(notice_minutes=0, horizon_days=0))

    assert pro.slots(LONG_AGO, LONG_AGO + timedelta(days=30)) == []


def test_window_start_is_inclusive_and_window_end_exclusive() -> None:
    assert walls(Pro().slots(_at(10), _at(11))) == ["10:00", "10:15", "10:30", "10:45"]


def test_window_in_another_zone_returns_slots_in_the_pro_zone() -> None:
    slots = Pro().slots(_at(10).astimezone(NEW_YORK), _at(11).astimezone(UTC))

    assert slots == [_at(10), _at(10, 15), _at(10, 30), _at(10, 45)]
    assert all(s.tzinfo == PARIS for s in slots)


def test_window_entirely_before_notice_is_empty() -> None:
    assert Pro(now=_at(12), rules=Rules(notice_minutes=60)).slots(_at(9), _at(12)) == []


# --------------------------------------------------------------------------
# is_slot_free
# --------------------------------------------------------------------------


def test_is_slot_free_accepts_a_grid_start_and_rejects_an_off_grid_one() -> None:
    pro = Pro()

    assert pro.free(_at(10, 15))
    assert not pro.free(_at(10, 5))
    assert not pro.free(_at(10, 15) + timedelta(seconds=1))


def test_is_slot_free_rejects_a_start_taken_by_a_booking_and_notice() -> None:
    pro = Pro(busy=(Interval(_at(10), _at(11)),))

    assert not pro.free(_at(10, 30))
    assert pro.free(_at(11))
    assert not Pro(now=_at(10), rules=Rules(notice_minutes=120)).free(_at(11))


def test_is_slot_free_accepts_the_same_instant_expressed_in_utc() -> None:
    assert Pro().free(_at(10).astimezone(UTC))


# --------------------------------------------------------------------------
# Invalid input
# --------------------------------------------------------------------------


@pytest.mark.parametrize("duration", [0, -30])
def test_non_positive_duration_is_rejected(duration: int) -> None:
    with pytest.raises(ValueError, match="duration_minutes"):
        Pro(duration_minutes=duration).slots_on(WEDNESDAY)


def test_naive_window_is_rejected() -> None:
    with pytest.raises(ValueError, match="window_start.*timezone-aware"):
        Pro().slots(datetime(2026, 6, 10), _at(12))
    with pytest.raises(ValueError, match="window_end.*timezone-aware"):
        Pro().slots(_at(9), datetime(2026, 6, 10, 12))


def test_naive_now_and_naive_start_are_rejected() -> None:
    with pytest.raises(ValueError, match="now.*timezone-aware"):
        Pro(now=datetime(2026, 1, 1)).slots_on(WEDNESDAY)
    with pytest.raises(ValueError, match="starts_at.*timezone-aware"):
        Pro().free(datetime(2026, 6, 10, 10))


@pytest.mark.parametrize("end_offset", [0, -1], ids=["empty", "reversed"])
def test_empty_or_reversed_window_is_rejected(end_offset: int) -> None:
    with pytest.raises(ValueError, match="window_end"):
        Pro().slots(_at(10), _at(10) + timedelta(minutes=end_offset))


def test_naive_or_reversed_intervals_are_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Interval(datetime(2026, 6, 10, 10), _at(11))
    with pytest.raises(ValueError, match="before start"):
        Interval(_at(11), _at(10))


def test_interval_across_fall_back_is_ordered_by_real_time() -> None:
    # 01:45 EDT -> 01:15 EST is a valid 30-minute span although 01:15 < 01:45 on the wall.
    span = Interval(
        local(NEW_YORK, 2026, 11, 1, 1, 45), local(NEW_YORK, 2026, 11, 1, 1, 15, fold=1)
    )
    assert real_length(span) == timedelta(minutes=30)
    with pytest.raises(ValueError, match="before start"):
        Interval(local(NEW_YORK, 2026, 11, 1, 1, 15, fold=1), local(NEW_YORK, 2026, 11, 1, 1, 45))


def test_invalid_hours_and_rules_are_rejected() -> None:
    with pytest.raises(ValueError, match="both 09:00"):
        WeeklyHours(0, time(9), time(9))
    with pytest.raises(ValueError, match="weekday"):
        WeeklyHours(7, time(9), time(17))
    with pytest.raises(ValueError, match="both 12:00"):
        DayOverride(WEDNESDAY, ((time(12), time(12)),))
    with pytest.raises(ValueError, match="step_minutes"):
        Rules(step_minutes=0)
    with pytest.raises(ValueError, match="buffer_minutes"):
        Rules(buffer_minutes=-5)


def test_reversed_day_range_is_rejected() -> None:
    with pytest.raises(ValueError, match="last_day"):
        working_intervals(
            tz=PARIS, weekly=(), overrides=(), first_day=WEDNESDAY,
            last_day=WEDNESDAY - timedelta(days=1),
        )  # fmt: skip


# --------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------

ZONES = [PARIS, NEW_YORK, LORD_HOWE, ZoneInfo("UTC"), ZoneInfo("Asia/Kolkata")]
# DST change dates of the zones above, plus ordinary days.
BASE_DAYS = [
    date(2026, 3, 8),
    date(2026, 3, 29),
    date(2026, 4, 5),
    date(2026, 10, 4),
    date(2026, 10, 25),
    date(2026, 11, 1),
    date(2026, 6, 10),
]

# Boundaries near the usual 01:00-03:00 transition times are drawn often.
minute_of_day = st.one_of(
    st.integers(0, 287).map(lambda i: i * 5),
    st.sampled_from([0, 30, 60, 90, 105, 120, 135, 150, 165, 180, 210, 540, 1020]),
)


def _t(minute: int) -> time:
    return time(minute // 60, minute % 60)


@st.composite
def day_hours(draw: st.DrawFn) -> list[tuple[time, time]]:
    """Non-overlapping, non-touching wall-clock intervals within one day, sometimes followed
    by one running overnight."""
    size = draw(st.sampled_from([2, 4, 2, 6, 0]))  # mostly open, sometimes closed
    bounds = sorted(draw(st.lists(minute_of_day, unique=True, min_size=size, max_size=size)))
    hours = [(_t(a), _t(b)) for a, b in zip(bounds[::2], bounds[1::2], strict=False)]
    if draw(st.integers(0, 3)) == 0:
        # An overnight interval after the day's last one, ending the next morning (or at
        # midnight), which may overlap the next day's own hours.
        after = bounds[-1] + 5 if bounds else 0
        if after < 1440:
            start = draw(st.integers(after // 5, 287)) * 5
            hours.append((_t(start), _t(draw(st.integers(0, start // 5)) * 5)))
    return [(a, b) for a, b in hours if a != b]


def ticks(low: int, high: int) -> st.SearchStrategy[timedelta]:
    """Durations on a 5-minute grid, so that touching intervals and exact limits are common."""
    return st.integers(low, high).map(lambda n: timedelta(minutes=5 * n))


@st.composite
def spans(draw: st.DrawFn, origin: datetime, tz: ZoneInfo, max_size: int) -> list[Interval]:
    """Intervals around `origin`; some are placed next to or inside the previous one."""
    out: list[Interval] = []
    start = origin
    for _ in range(draw(st.integers(0, max_size))):
        if out and draw(st.booleans()):
            start = start + draw(ticks(-12, 24))  # cluster: overlapping, nested or touching
        else:
            start = origin + draw(ticks(-120, 4 * 288))
        end = start + draw(ticks(1, 36))
        zone = draw(st.sampled_from([tz, UTC]))
        out.append(Interval(start.astimezone(zone), end.astimezone(zone)))
    return out


@dataclass(frozen=True)
class Scenario:
    pro: Pro
    window_start: datetime
    window_end: datetime


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    tz = draw(st.sampled_from(ZONES))
    base = draw(st.sampled_from(BASE_DAYS)) + timedelta(days=draw(st.integers(-2, 1)))
    # Local midnight as a UTC instant: adding 5-minute ticks to it stays on the local
    # 5-minute grid of every zone above, so candidates often hit limits exactly.
    midnight = datetime.combine(base, time(0), tzinfo=tz).astimezone(UTC)
    window_start = midnight + draw(ticks(-144, 144))
    length = st.one_of(
        st.sampled_from([timedelta(days=n) for n in (1, 2, 3)]),
        ticks(1, 3 * 288),
        st.integers(1, 3 * 1440).map(lambda n: timedelta(minutes=n)),
    )
    window_end = window_start + draw(length)
    # A few distinct day patterns shared out over the week (cheaper than seven draws).
    patterns = draw(st.lists(day_hours(), min_size=1, max_size=3))
    weekly = tuple(
        WeeklyHours(weekday, start, end)
        for weekday, pattern in enumerate(
            draw(st.lists(st.sampled_from(patterns), min_size=7, max_size=7))
        )
        for start, end in pattern
    )
    override_days = draw(st.lists(st.integers(-1, 3), unique=True, max_size=3))
    overrides = tuple(
        DayOverride(base + timedelta(days=offset), tuple(draw(day_hours())))
        for offset in override_days
    )
    rules = Rules(
        step_minutes=draw(st.sampled_from([5, 10, 15, 20, 30, 45, 60])),
        notice_minutes=5 * draw(st.one_of(st.integers(0, 48), st.integers(0, 600))),
        horizon_days=draw(st.sampled_from([4, 1, 2, 8, 0])),
        buffer_minutes=draw(st.sampled_from([0, 5, 10, 15, 30, 60])),
    )
    pro = Pro(
        tz=tz,
        weekly=weekly,
        overrides=overrides,
        time_off=tuple(draw(spans(midnight, tz, 3))),
        busy=tuple(draw(spans(midnight, tz, 10))),
        rules=rules,
        duration_minutes=draw(
            st.one_of(st.integers(1, 48).map(lambda n: 5 * n), st.integers(1, 240))
        ),
        now=window_start + draw(ticks(-288, 144)),
    )
    return Scenario(pro, window_start.astimezone(draw(st.sampled_from([tz, UTC]))), window_end)


def configured_hours(pro: Pro, day: date) -> list[tuple[time, time]]:
    for override in pro.overrides:
        if override.day == day:
            return list(override.intervals)
    return [(h.start, h.end) for h in pro.weekly if h.weekday == day.weekday()]


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    return a_start < b_end and b_start < a_end


def reference_slots(pro: Pro, window_start: datetime, window_end: datetime) -> set[datetime]:
    """Brute-force statement of the rules: every candidate checked against everything."""
    duration = timedelta(minutes=pro.duration_minutes)
    buffer = timedelta(minutes=pro.rules.buffer_minutes)
    step = timedelta(minutes=pro.rules.step_minutes)
    earliest = utc(pro.now) + timedelta(minutes=pro.rules.notice_minutes)
    latest = utc(pro.now) + timedelta(days=pro.rules.horizon_days)
    found = set()
    day = window_start.astimezone(pro.tz).date() - timedelta(days=1)
    while day <= window_end.astimezone(pro.tz).date() + timedelta(days=1):
        worked = working_intervals(
            tz=pro.tz, weekly=pro.weekly, overrides=pro.overrides, first_day=day, last_day=day
        )
        for start, end in configured_hours(pro, day):
            wall = datetime.combine(day, start)
            end_day = day + timedelta(days=1) if end <= start else day
            # A slot fits in the interval its wall time was generated from, not in any other
            # (on a fall-back night an interval can span real time its grid never names).
            own = [
                iv
                for iv in worked
                if utc(iv.start) == boundary(day, start, pro.tz)
                and utc(iv.end) == boundary(end_day, end, pro.tz)
            ]
            while wall < datetime.combine(end_day, end):
                # Every real instant this wall time names: none in a gap, two in a fold.
                candidates = {
                    wall.replace(tzinfo=pro.tz, fold=fold).astimezone(UTC) for fold in (0, 1)
                }
                current, wall = wall, wall + step
                for candidate in candidates:
                    exists = candidate.astimezone(pro.tz).replace(tzinfo=None) == current
                    finish = candidate + duration
                    if (
                        exists
                        and utc(window_start) <= candidate < utc(window_end)
                        and earliest <= candidate < latest
                        and any(iv.start <= candidate and finish <= iv.end for iv in own)
                        and not any(
                            overlaps(candidate, finish + buffer, b.start, utc(b.end) + buffer)
                            for b in pro.busy
                        )
                        and not any(
                            overlaps(candidate, finish, t.start, t.end) for t in pro.time_off
                        )
                    ):
                        found.add(candidate)
        day += timedelta(days=1)
    return found


def _on_grid(pro: Pro, slot: datetime) -> bool:
    """Whether the slot's wall time is on the step grid of an interval configured for its
    local date, or of an overnight interval of the date before."""
    wall = slot.astimezone(pro.tz).replace(tzinfo=None)
    step = timedelta(minutes=pro.rules.step_minutes)
    for day in (wall.date(), wall.date() - timedelta(days=1)):
        for start, end in configured_hours(pro, day):
            first = datetime.combine(day, start)
            last = datetime.combine(day + timedelta(days=1) if end <= start else day, end)
            offset = wall - first
            if timedelta(0) <= offset and wall < last and offset % step == timedelta(0):
                return True
    return False


PROPERTY_SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(scenarios())
def test_every_slot_obeys_every_rule_and_no_free_start_is_missing(scenario: Scenario) -> None:
    pro = scenario.pro
    slots = pro.slots(scenario.window_start, scenario.window_end)
    instants = [s.astimezone(UTC) for s in slots]
    duration = timedelta(minutes=pro.duration_minutes)
    buffer = timedelta(minutes=pro.rules.buffer_minutes)

    assert instants == sorted(set(instants)), "sorted and unique"
    for slot in slots:
        assert slot.tzinfo == pro.tz
        start = utc(slot)
        end = start + duration
        assert utc(scenario.window_start) <= start < utc(scenario.window_end)
        assert start >= utc(pro.now) + timedelta(minutes=pro.rules.notice_minutes)
        assert start < utc(pro.now) + timedelta(days=pro.rules.horizon_days)
        assert not any(
            overlaps(start, end + buffer, b.start, utc(b.end) + buffer) for b in pro.busy
        )
        assert not any(overlaps(start, end, t.start, t.end) for t in pro.time_off)
        day = slot.date()
        worked = working_intervals(
            tz=pro.tz,
            weekly=pro.weekly,
            overrides=pro.overrides,
            first_day=day - timedelta(days=1),
            last_day=day,
        )
        assert any(iv.start <= start and end <= iv.end for iv in worked)
        assert _on_grid(pro, slot)

    assert set(instants) == reference_slots(pro, scenario.window_start, scenario.window_end)


@PROPERTY_SETTINGS
@given(scenarios(), st.data())
def test_is_slot_free_agrees_with_free_slots(scenario: Scenario, data: st.DataObject) -> None:
    pro = scenario.pro
    slots = pro.slots(scenario.window_start, scenario.window_end)
    returned = {s.astimezone(UTC) for s in slots}

    for slot in slots[:: max(1, len(slots) // 10)]:
        assert pro.free(slot)
        assert pro.free(slot.astimezone(UTC))

    probes = [utc(s) + timedelta(minutes=m) for s in slots[:5] for m in (-5, 1, 15, 60)]
    probes += [s.replace(fold=1) for s in slots[:20]]  # the other occurrence of a fold
    span_minutes = int(
        (utc(scenario.window_end) - utc(scenario.window_start)).total_seconds() // 60
    )
    probes += [
        utc(scenario.window_start) + timedelta(minutes=m)
        for m in data.draw(st.lists(st.integers(0, max(0, span_minutes - 1)), max_size=15))
    ]
    for probe in probes:
        if utc(scenario.window_start) <= utc(probe) < utc(scenario.window_end):
            assert pro.free(probe) == (probe.astimezone(UTC) in returned), probe


@PROPERTY_SETTINGS
@given(scenarios(), st.floats(0.0, 1.0))
def test_splitting_the_window_splits_the_slots(scenario: Scenario, fraction: float) -> None:
    pro = scenario.pro
    span = utc(scenario.window_end) - utc(scenario.window_start)
    middle = utc(scenario.window_start) + timedelta(
        minutes=int(span.total_seconds() // 60 * fraction)
    )
    whole = pro.slots(scenario.window_start, scenario.window_end)

    if utc(scenario.window_start) < middle < utc(scenario.window_end):
        left = pro.slots(scenario.window_start, middle)
        right = pro.slots(middle, scenario.window_end)
        assert left + right == whole


def test_month_with_a_busy_pro_leaves_the_gaps_between_bookings() -> None:
    """30 days x 32 candidates x 150 bookings (its timing is measured in bench/, not here)."""
    first = date(2026, 6, 1)
    busy = tuple(
        Interval(
            datetime.combine(first + timedelta(days=d), time(9 + 2 * k, 30), tzinfo=PARIS),
            datetime.combine(first + timedelta(days=d), time(10 + 2 * k, 15), tzinfo=PARIS),
        )
        for d in range(30)
        for k in range(5)
    )
    pro = Pro(weekly=NINE_TO_FIVE_EVERY_DAY, busy=busy)

    slots = pro.slots_on(first, days=30)

    # Bookings 09:30-10:15, 11:30-12:15, 13:30-14:15, 15:30-16:15 leave two
    # 60-minute starts after each of the first three.
    assert walls(slots[:6]) == ["10:15", "10:30", "12:15", "12:30", "14:15", "14:30"]
    assert len(slots) == 30 * 6


# The 2027 DST nights (and Lord Howe's half-hour shifts), against the brute-force reference:
# random scenarios rarely put working hours, a window and a fold on the same night.
DST_NIGHTS = [
    (PARIS, date(2027, 3, 28)),
    (PARIS, date(2027, 10, 31)),
    (NEW_YORK, date(2027, 3, 14)),
    (NEW_YORK, date(2027, 11, 7)),
    (LORD_HOWE, date(2027, 4, 4)),
    (LORD_HOWE, date(2027, 10, 3)),
]
NIGHT_HOURS = [
    (time(0), time(4)),
    (time(1), time(3)),
    (time(2), time(2, 30)),
    (time(1, 30), time(2, 15)),
    (time(22), time(3)),
    (time(23), time(1, 45)),
]


@pytest.mark.parametrize("tz, night", DST_NIGHTS)
@pytest.mark.parametrize("start, end", NIGHT_HOURS)
@pytest.mark.parametrize("step, duration", [(15, 45), (20, 60), (30, 15), (60, 90)])
def test_the_engine_matches_the_reference_on_dst_nights(tz, night, start, end, step, duration):
    # Hours on the night itself and on the evening before (overnight intervals cross into it).
    days = (night - timedelta(days=1), night)
    pro = Pro(
        tz=tz,
        weekly=tuple(WeeklyHours(d.weekday(), start, end) for d in days),
        rules=Rules(step_minutes=step, notice_minutes=0, horizon_days=10_000),
        duration_minutes=duration,
    )
    window = day_window(tz, night - timedelta(days=1), days=3)

    slots = pro.slots(*window)

    assert {utc(s) for s in slots} == reference_slots(pro, *window)
    for slot in slots:
        assert pro.free(slot)
