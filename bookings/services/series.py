"""Writes of standing appointments (bookings.series): creating a series, cancelling onward.

Rules (also in the README, "Standing appointments"):

- Each occurrence is an ordinary booking made by ``booking.insert_checked``, the same checks as
  a single booking (working hours, time off, notice, buffers, the pro's and the client's other
  bookings, waitlist holds, the self-booking rule), with one difference: a series may reach
  beyond the pro's booking horizon, up to ``bookings.series.REACH_DAYS`` (12 months).
- A series is made for services paid at the appointment only: an online payment is taken per
  booking, when booking it (the checkout holds one booking's time for 30 minutes).
- All or nothing by default: one occurrence not free and nothing is saved (SeriesConflict).
  ``skip_conflicts=True`` (the API) books the free ones and reports the others; the first
  time, the one asked for, must be free (else ValidationError, nothing saved).
- A client booking a pro in request mode makes requests (the pro can accept them all at once);
  a pro booking for one of their clients books them confirmed.
- One booking attempt of the rate limit per series, not per occurrence.
- Cancelling "this and following" cancels each active occurrence from the chosen one onward
  through the lifecycle's cancel (its rules, its late-cancellation flag per booking: only the
  ones inside the cancellation window are late), in one transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from bookings import lifecycle, series
from bookings.lifecycle import SlotUnavailable
from bookings.models import Booking, BookingSeries, Service
from bookings.services.booking import (
    BOOKING_ATTEMPTS,
    _lock_participants,
    _require_aware,
    booking_transition,
    check_booker,
    insert_checked,
    resync_calendars_before_confirm,
)
from timz import formats as tformats

# How far from its planned date an occurrence may be moved.
MOVE_DAYS = 3


class SeriesConflict(SlotUnavailable):
    """Some occurrences cannot be booked; ``conflicts`` lists their planned local dates."""

    def __init__(self, message, conflicts):
        super().__init__(message)
        self.conflicts = conflicts


def series_check(
    *,
    by,
    client,
    service: Service,
    starts_at: datetime,
    every_weeks,
    count,
    note: str = "",
    choices: dict[int, datetime | None] | None = None,
) -> str:
    """Validate a series request before any time is looked at; returns the stripped note.

    Raises ValidationError with a readable message: bad numbers, a past first time, a series
    reaching beyond 12 months, an online-paid service, a booker who may not book for `client`,
    a moved occurrence too far from its date, and every check of a single booking's booker."""
    from bookings.selectors import series_plan, service_pays_online

    starts_at = _require_aware(starts_at)
    try:
        series.check_shape(every_weeks=every_weeks, count=count)
    except ValueError as exc:
        raise ValidationError(str(exc), code="shape") from exc
    note = check_booker(client=client, service=service, note=note)
    if by.pk != client.pk and by.pk != service.pro.user_id:
        raise ValidationError(_("Only the client or the pro can book a series."), code="forbidden")
    if service_pays_online(service):
        raise ValidationError(
            _(
                "Repeat bookings are for services paid at the appointment. "
                "Book each time on its own to pay online."
            ),
            code="pays_online",
        )
    now = timezone.now()
    if starts_at <= now:
        raise ValidationError(_("The first time has passed: pick a coming one."), code="past")
    occurrences = series_plan(
        pro=service.pro, first_start=starts_at, every_weeks=every_weeks, count=count
    )
    today = now.astimezone(starts_at.tzinfo).date()
    if occurrences[-1].local_date > today + timedelta(days=series.REACH_DAYS):
        raise ValidationError(
            _(
                "A series can reach at most 12 months ahead: every %(weeks)s weeks, "
                "at most %(count)s times from now."
            )
            % {"weeks": every_weeks, "count": series.max_count(every_weeks)},
            code="reach",
        )
    for index, moved in (choices or {}).items():
        if not 0 <= index < count:
            raise ValidationError(_("That appointment is not part of this series."), code="index")
        if moved is None:
            continue
        _require_aware(moved, new=True)
        planned = occurrences[index].local_date
        if abs(moved.astimezone(starts_at.tzinfo).date() - planned) > timedelta(days=MOVE_DAYS):
            raise ValidationError(
                _("An appointment can be moved by at most %(days)s days.") % {"days": MOVE_DAYS},
                code="move",
            )
    return note


def booking_series_create(
    *,
    by,
    client,
    service: Service,
    starts_at: datetime,
    every_weeks: int,
    count: int,
    note: str = "",
    choices: dict[int, datetime | None] | None = None,
    skip_conflicts: bool = False,
) -> tuple[BookingSeries, list[Booking], list]:
    """Book `service` for `client` every `every_weeks` weeks, `count` times, at the wall clock
    of `starts_at` in the pro's zone; `by` is the client, or the pro booking for them.

    `choices` maps an occurrence's index to the time it was moved to, or None to skip it.
    Returns the series, its bookings and the occurrences not booked (bookings.series.Occurrence,
    only with ``skip_conflicts``). Raises ValidationError (series_check), SeriesConflict when an
    occurrence is not free (nothing saved), RateLimited."""
    from bookings.selectors import series_plan

    note = series_check(
        by=by,
        client=client,
        service=service,
        starts_at=starts_at,
        every_weeks=every_weeks,
        count=count,
        note=note,
        choices=choices,
    )
    choices = choices or {}
    BOOKING_ATTEMPTS.hit(by.pk)
    pro = service.pro
    occurrences = series_plan(pro=pro, first_start=starts_at, every_weeks=every_weeks, count=count)
    conflicts = []
    with transaction.atomic():
        _lock_participants(pro=pro, client=client)
        row = BookingSeries.objects.create(
            client=client,
            pro=pro,
            service=service,
            every_weeks=every_weeks,
            count=count,
            first_date=occurrences[0].local_date,
            local_time=_local_time(starts_at, pro.timezone),
            timezone=pro.timezone,
            created_by=by,
        )
        bookings = []
        for occurrence in occurrences:
            start = choices.get(occurrence.index, occurrence.planned_at)
            if occurrence.index in choices and start is None:
                continue  # dropped by the booker
            try:
                if start is None:
                    raise SlotUnavailable(series.GAP_REASON)
                with transaction.atomic():
                    bookings.append(
                        insert_checked(
                            client=client,
                            service=service,
                            starts_at=start,
                            note=note,
                            online=False,
                            by=by,
                            series=row,
                            horizon_days=series.REACH_DAYS + 1,
                        )
                    )
            except (SlotUnavailable, IntegrityError):
                if skip_conflicts and occurrence.index == 0 and 0 not in choices:
                    # The time asked for itself: bad input, not a conflict to report.
                    raise ValidationError(
                        _(
                            "The first time is not a free time of this service: pick one of "
                            "its free times."
                        ),
                        code="first_not_free",
                    ) from None
                conflicts.append(occurrence)
        # Raising inside the block rolls every row back: all or nothing.
        if conflicts and not skip_conflicts:
            raise SeriesConflict(_conflict_message(conflicts), conflicts)
        if not bookings:
            raise SeriesConflict(_("None of these times is free."), conflicts)
    return row, bookings, conflicts


def _local_time(starts_at: datetime, zone_name: str):
    from accounts.timezones import parse_zone

    return starts_at.astimezone(parse_zone(zone_name)).time().replace(tzinfo=None)


def _conflict_message(conflicts) -> str:
    """ "Not free any more on 3 Mar 2026, 10 Mar 2026 and 2 more. …": dates in the active
    language, the first five of them."""
    pattern = tformats.pattern("DAY_MONTH_YEAR")
    days = ", ".join(dateformat.format(o.local_date, pattern) for o in conflicts[:5])
    if len(conflicts) <= 5:
        return _("Not free any more on %(days)s. Nothing was booked: choose again.") % {
            "days": days
        }
    more = len(conflicts) - 5
    return ngettext(
        "Not free any more on %(days)s and %(more)s more. Nothing was booked: choose again.",
        "Not free any more on %(days)s and %(more)s more. Nothing was booked: choose again.",
        more,
    ) % {"days": days, "more": more}


def booking_series_cancel(*, booking: Booking, by, reason: str = "") -> list[Booking]:
    """Cancel `booking` and every later active booking of its series, each through the
    lifecycle's cancel (its rules and late-cancellation flag per booking), all or nothing.
    Earlier occurrences are untouched. Returns the cancelled bookings."""
    if booking.series_id is None:
        raise ValidationError(_("This booking is not part of a series."), code="no_series")
    reason = (reason or "").strip()
    with transaction.atomic():
        onward = list(
            Booking.objects.filter(
                series_id=booking.series_id,
                status__in=Booking.ACTIVE_STATUSES,
                starts_at__gte=booking.starts_at,
            ).order_by("starts_at", "pk")
        )
        if not onward:
            raise lifecycle.TransitionNotAllowed(
                _("No coming appointment of this series is left to cancel."), code="nothing"
            )
        return [
            booking_transition(booking=each, action="cancel", by=by, reason=reason)
            for each in onward
        ]


def booking_series_confirm(*, booking: Booking, by) -> list[Booking]:
    """Accept `booking` and every other request of its series still waiting (the pro's one
    accept for a series made in request mode), each through the lifecycle's confirm, all or
    nothing. The pro's own calendars are synced once, before (not once per request, and not
    inside the transaction); a request over a time they now hold refuses the whole accept,
    naming its date."""
    from accounts.timezones import parse_zone

    if booking.series_id is None:
        raise ValidationError(_("This booking is not part of a series."), code="no_series")
    first = (
        Booking.objects.filter(series_id=booking.series_id, status=Booking.Status.REQUESTED)
        .order_by("starts_at", "pk")
        .first()
    )
    if first is not None:
        resync_calendars_before_confirm(booking=first, by=by)
    with transaction.atomic():
        waiting = list(
            Booking.objects.filter(
                series_id=booking.series_id, status=Booking.Status.REQUESTED
            ).order_by("starts_at", "pk")
        )
        if not waiting:
            raise lifecycle.TransitionNotAllowed(
                _("No request of this series is waiting."), code="nothing"
            )
        accepted = []
        for each in waiting:
            try:
                accepted.append(
                    booking_transition(
                        booking=each, action="confirm", by=by, recheck_calendars=False
                    )
                )
            except SlotUnavailable as exc:
                day = dateformat.format(
                    each.starts_at.astimezone(parse_zone(each.pro.timezone)),
                    tformats.pattern("DAY_MONTH_YEAR"),
                )
                raise SlotUnavailable(
                    _("%(day)s: %(reason)s Nothing was accepted.")
                    % {"day": day, "reason": " ".join(exc.messages)}
                ) from exc
        return accepted
