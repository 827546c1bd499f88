"""The agenda's week grid: wall-clock placement (DST days too), midnight, overlaps, the window."""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings

from bookings.agenda_layout import grid_css, pieces_on, week_grid

PARIS = ZoneInfo("Europe/Paris")
SPRING = date(2026, 3, 29)  # 23 hours in Paris: 02:00 -> 03:00
AUTUMN = date(2026, 10, 25)  # 25 hours in Paris: 03:00 -> 02:00


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS)


def span(starts_at, minutes):
    """[start, end) as stored: aware UTC (arithmetic on a Paris datetime would be wall-clock)."""
    starts_at = starts_at.astimezone(UTC)
    return starts_at, starts_at + timedelta(minutes=minutes)


def test_the_stylesheet_is_the_one_the_module_writes():
    css = Path(settings.BASE_DIR, "static", "css", "agenda_grid.css").read_text()
    assert css == grid_css()


def test_a_booking_sits_at_its_wall_clock_time_on_both_dst_days():
    for day in (SPRING, AUTUMN):
        starts_at, ends_at = span(local(day, 9), 60)
        piece = pieces_on(day, starts_at=starts_at, ends_at=ends_at, zone=PARIS)
        assert (piece.start, piece.end) == (9 * 60, 10 * 60)


def test_a_booking_across_the_spring_gap_ends_at_the_time_it_shows():
    starts_at, ends_at = span(local(SPRING, 1, 30), 60)  # 01:30 CET; an hour later: 03:30 CEST
    piece = pieces_on(SPRING, starts_at=starts_at, ends_at=ends_at, zone=PARIS)
    assert (piece.start, piece.end) == (90, 210)


def test_a_booking_inside_the_repeated_autumn_hour_keeps_its_length():
    starts_at = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST, ends 02:30 CET
    piece = pieces_on(
        AUTUMN, starts_at=starts_at, ends_at=starts_at + timedelta(hours=1), zone=PARIS
    )
    assert (piece.start, piece.end) == (150, 210)


def test_an_overnight_booking_is_cut_at_midnight_and_marked_on_both_days():
    monday = date(2026, 11, 30)
    starts_at, ends_at = span(local(monday, 23), 120)
    grid = week_grid([monday, monday + timedelta(days=1)], [(starts_at, ends_at)], zone=PARIS)
    (late,), (early,) = (column.pieces for column in grid.columns)
    assert (late.start, late.end, late.continues_after, late.continues_before) == (
        1380,
        1440,
        True,
        False,
    )
    assert (early.start, early.end, early.continues_before) == (0, 60, True)
    assert (grid.first_hour, grid.last_hour) == (0, 24)


def test_overlapping_bookings_stand_side_by_side_and_others_take_the_whole_column():
    day = date(2026, 12, 1)
    items = [
        span(local(day, 9), 60),
        span(local(day, 9, 30), 60),
        span(local(day, 10), 60),
        span(local(day, 12), 30),
    ]
    (column,) = week_grid([day], items, zone=PARIS).columns
    lanes = [(p.start, p.lane, p.lanes) for p in column.pieces]
    assert lanes == [(540, 0, 2), (570, 1, 2), (600, 0, 2), (720, 0, 1)]


def test_the_window_is_eight_to_six_unless_bookings_widen_it():
    day = date(2026, 12, 1)
    grid = week_grid([day], [span(local(day, 10), 60)], zone=PARIS)
    assert (grid.first_hour, grid.last_hour) == (8, 18)
    grid = week_grid([day], [span(local(day, 6, 15), 30), span(local(day, 19), 90)], zone=PARIS)
    assert (grid.first_hour, grid.last_hour) == (6, 21)
    (early, late) = grid.columns[0].pieces
    assert grid.place(early) == {"row": 4, "span": 6, "lane": "lane-1-0"}  # 06:15, 30 minutes
    assert grid.place(late)["row"] == 13 * 12 + 1


def test_a_short_booking_is_drawn_tall_enough_to_read():
    day = date(2026, 12, 1)
    grid = week_grid([day], [span(local(day, 10), 5)], zone=PARIS)
    assert grid.place(grid.columns[0].pieces[0])["span"] == 4  # 20 minutes of 5-minute rows
