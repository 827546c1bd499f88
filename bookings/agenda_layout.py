"""Where each booking sits on the agenda's week grid. Pure: no ORM, tested alone.

The grid is wall-clock time in the pro's zone, one column per local date, in rows of
ROW_MINUTES. A booking is placed by the wall-clock times it shows, so on a 23- or 25-hour day
(DST) a 09:00 booking is at the 09:00 line, as in every calendar; a booking inside the repeated
hour of an autumn night keeps its real length. A booking that crosses midnight is cut in two
pieces, one per date, each marked as continuing. Pieces that overlap share their column side by
side (lanes), as calendars draw them.

Rows and lanes become CSS classes (static/css/agenda_grid.css, written by `grid_css()`): the
Content-Security-Policy allows no inline style.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

ROW_MINUTES = 5
ROWS_PER_HOUR = 60 // ROW_MINUTES
DAY_MINUTES = 24 * 60
MIN_PIECE_MINUTES = 20  # shorter pieces are drawn this tall, to stay readable
MAX_LANES = 4  # more simultaneous pieces than this share the last lanes
DEFAULT_HOURS = (8, 18)  # the window shown at least, when bookings do not widen it


@dataclass
class Piece:
    """The part of one booking drawn on one date."""

    item: Any
    start: int  # minutes after local midnight (wall clock)
    end: int
    continues_before: bool = False
    continues_after: bool = False
    lane: int = 0
    lanes: int = 1

    @property
    def drawn_end(self) -> int:
        return min(DAY_MINUTES, max(self.end, self.start + MIN_PIECE_MINUTES))


@dataclass
class Column:
    day: date
    pieces: list[Piece] = field(default_factory=list)


@dataclass
class Grid:
    columns: list[Column]
    first_hour: int
    last_hour: int

    @property
    def hours(self) -> int:
        return self.last_hour - self.first_hour

    @property
    def rows(self) -> int:
        return self.hours * ROWS_PER_HOUR

    def row_of(self, minutes: int) -> int:
        """The 1-based grid line of a time (minutes after midnight)."""
        return (minutes - self.first_hour * 60) // ROW_MINUTES + 1

    def place(self, piece: Piece) -> dict:
        """The CSS classes of a piece: its first row, its span and its lane."""
        first = self.row_of(piece.start)
        span = max(1, math.ceil((piece.drawn_end - piece.start) / ROW_MINUTES))
        span = min(span, self.rows - first + 1)
        return {"row": first, "span": span, "lane": f"lane-{piece.lanes}-{piece.lane}"}

    def hour_labels(self) -> list[dict]:
        return [
            {"label": f"{hour:02d}:00", "row": self.row_of(hour * 60)}
            for hour in range(self.first_hour, self.last_hour)
        ]


def _wall(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


def pieces_on(day: date, *, starts_at: datetime, ends_at: datetime, zone: ZoneInfo, item=None):
    """The piece of a booking [starts_at, ends_at) on local date `day`, or None."""
    midnight = datetime.combine(day, datetime.min.time())
    start, end = _wall(starts_at, zone), _wall(ends_at, zone)
    if end <= start:  # the repeated hour of an autumn night: the wall clock went back
        end = start + (ends_at - starts_at)
    next_midnight = midnight + timedelta(days=1)
    if end <= midnight or start >= next_midnight:
        return None
    return Piece(
        item=item,
        start=max(0, int((start - midnight).total_seconds() // 60)),
        end=min(DAY_MINUTES, math.ceil((end - midnight).total_seconds() / 60)),
        continues_before=start < midnight,
        continues_after=end > next_midnight,
    )


def _assign_lanes(pieces: list[Piece]) -> None:
    """Side by side within each cluster of overlapping pieces (greedy, by start)."""
    cluster: list[Piece] = []
    lane_ends: list[int] = []
    cluster_end = -1

    def close():
        for piece in cluster:
            piece.lanes = min(len(lane_ends), MAX_LANES)
            piece.lane = min(piece.lane, MAX_LANES - 1)

    for piece in sorted(pieces, key=lambda p: (p.start, -p.drawn_end)):
        if cluster and piece.start >= cluster_end:
            close()
            cluster, lane_ends, cluster_end = [], [], -1
        for lane, lane_end in enumerate(lane_ends):
            if lane_end <= piece.start:
                piece.lane, lane_ends[lane] = lane, piece.drawn_end
                break
        else:
            piece.lane = len(lane_ends)
            lane_ends.append(piece.drawn_end)
        cluster.append(piece)
        cluster_end = max(cluster_end, piece.drawn_end)
    if cluster:
        close()


def week_grid(days: list[date], items, *, zone: ZoneInfo, when=lambda i: i) -> Grid:
    """The grid of `days` with `items` placed; `when(item)` gives (starts_at, ends_at)."""
    columns = [Column(day) for day in days]
    for item in items:
        starts_at, ends_at = when(item)
        for column in columns:
            piece = pieces_on(
                column.day, starts_at=starts_at, ends_at=ends_at, zone=zone, item=item
            )
            if piece:
                column.pieces.append(piece)
    first, last = DEFAULT_HOURS
    for column in columns:
        _assign_lanes(column.pieces)
        column.pieces.sort(key=lambda p: (p.start, p.lane))
        for piece in column.pieces:
            first = min(first, piece.start // 60)
            last = max(last, math.ceil(piece.drawn_end / 60))
    return Grid(columns=columns, first_hour=first, last_hour=last)


def grid_css() -> str:
    """static/css/agenda_grid.css: one class per row line, row span, window height and lane."""
    rows = 24 * ROWS_PER_HOUR
    lines = [
        "/* Written by bookings.agenda_layout.grid_css(); do not edit by hand",
        "   (bookings/tests/test_agenda_layout.py checks it is current). */",
    ]
    lines += [
        f".ag-h{h} {{ grid-template-rows: repeat({h * ROWS_PER_HOUR}, var(--ag-row)); }}"
        for h in range(1, 25)
    ]
    lines += [f".ag-r{r} {{ grid-row-start: {r}; }}" for r in range(1, rows + 1)]
    lines += [f".ag-s{s} {{ grid-row-end: span {s}; }}" for s in range(1, rows + 1)]
    width = 12
    for lanes in range(1, MAX_LANES + 1):
        for lane in range(lanes):
            span = width // lanes
            lines.append(
                f".lane-{lanes}-{lane} {{ grid-column: {lane * span + 1} / span {span}; }}"
            )
    return "\n".join(lines) + "\n"
