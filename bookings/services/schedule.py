"""Writes of the pro's availability: weekly hours, date overrides, time off, booking rules and
the calendar-feed token. Hours are wall-clock times in the pro's zone."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ProProfile
from bookings.availability import IntervalError, day_intervals
from bookings.models import (
    BookingRules,
    DateOverride,
    DateOverrideInterval,
    TimeOff,
    WeeklyHours,
)
from bookings.services.waitlist import waitlist_check_pro_on_commit


def _clean_intervals(intervals: Iterable[tuple[time, time]]) -> list[tuple[time, time]]:
    pairs = []
    for pair in intervals:
        try:
            start, end = pair
        except (TypeError, ValueError) as exc:
            raise ValidationError(_("Each interval needs a start and an end.")) from exc
        if not isinstance(start, time) or not isinstance(end, time):
            raise ValidationError(_("Each interval needs a start and an end time."))
        pairs.append((start, end))
    try:
        return day_intervals(pairs)
    except IntervalError as exc:
        raise ValidationError(interval_message(exc), code="intervals") from exc


def interval_message(error: IntervalError) -> str:
    """The pro's words for what is wrong with one day's intervals (the slot engine's
    ``day_intervals`` says it with data, being Django-free): the one home of these messages,
    for the hours forms and these services alike."""
    first = f"{error.first[0]:%H:%M}–{error.first[1]:%H:%M}"
    if error.second is None:
        return _("%(interval)s has no length: give two different times.") % {"interval": first}
    second = f"{error.second[0]:%H:%M}–{error.second[1]:%H:%M}"
    return _("%(first)s and %(second)s overlap.") % {"first": first, "second": second}


def weekly_hours_set(
    *, pro: ProProfile, weekday: int, intervals: list[tuple[time, time]]
) -> list[WeeklyHours]:
    """Replace the working intervals of one weekday (0=Monday); an empty list = day off."""
    if not isinstance(weekday, int) or not 0 <= weekday <= 6:
        raise ValidationError(_("Weekday must be 0 (Monday) to 6 (Sunday)."))
    cleaned = _clean_intervals(intervals)
    with transaction.atomic():
        WeeklyHours.objects.filter(pro=pro, weekday=weekday).delete()
        rows = WeeklyHours.objects.bulk_create(
            [WeeklyHours(pro=pro, weekday=weekday, start=s, end=e) for s, e in cleaned]
        )
        waitlist_check_pro_on_commit(pro=pro)
    return rows


def weekly_hours_set_week(
    *, pro: ProProfile, week: dict[int, list[tuple[time, time]]]
) -> list[WeeklyHours]:
    """Replace the whole week's working intervals at once (weekday 0=Monday to 6=Sunday; a
    weekday left out or given an empty list is a day off). Every day is checked before anything
    is written, so one bad day saves nothing."""
    unknown = sorted(set(week) - set(range(7)), key=str)
    if unknown:
        raise ValidationError(_("Weekday must be 0 (Monday) to 6 (Sunday)."))
    cleaned = {weekday: _clean_intervals(week.get(weekday, [])) for weekday in range(7)}
    with transaction.atomic():
        WeeklyHours.objects.filter(pro=pro).delete()
        return WeeklyHours.objects.bulk_create(
            [
                WeeklyHours(pro=pro, weekday=weekday, start=s, end=e)
                for weekday, pairs in cleaned.items()
                for s, e in pairs
            ]
        )


def date_override_set(
    *, pro: ProProfile, day: date, intervals: list[tuple[time, time]], note: str = ""
) -> DateOverride:
    """Special hours on one local date; an empty list closes the day."""
    if not isinstance(day, date) or isinstance(day, datetime):
        raise ValidationError(_("Pick a date."))
    cleaned = _clean_intervals(intervals)
    note = (note or "").strip()
    if len(note) > 120:
        raise ValidationError(_("The note can be at most %(max)s characters.") % {"max": 120})
    with transaction.atomic():
        override, _created = DateOverride.objects.update_or_create(
            pro=pro, date=day, defaults={"is_closed": not cleaned, "note": note}
        )
        override.intervals.all().delete()
        DateOverrideInterval.objects.bulk_create(
            [DateOverrideInterval(override=override, start=s, end=e) for s, e in cleaned]
        )
        waitlist_check_pro_on_commit(pro=pro)
    return override


def date_override_delete(*, pro: ProProfile, pk: int) -> None:
    with transaction.atomic():
        deleted, _kinds = DateOverride.objects.filter(pro=pro, pk=pk).delete()
        if not deleted:
            raise Http404(_("No such date override."))
        waitlist_check_pro_on_commit(pro=pro)


def time_off_create(
    *, pro: ProProfile, starts_at: datetime, ends_at: datetime, reason: str = ""
) -> TimeOff:
    """Block an absolute span. Naive datetimes are read as the pro's local wall-clock time."""
    if not isinstance(starts_at, datetime) or not isinstance(ends_at, datetime):
        raise ValidationError(_("Time off needs a start and an end."))
    zone = ZoneInfo(pro.timezone)
    if timezone.is_naive(starts_at):
        starts_at = starts_at.replace(tzinfo=zone)
    if timezone.is_naive(ends_at):
        ends_at = ends_at.replace(tzinfo=zone)
    if not starts_at < ends_at:
        raise ValidationError(_("Time off must end after it starts."))
    reason = (reason or "").strip()
    if len(reason) > 120:
        raise ValidationError(_("The reason can be at most %(max)s characters.") % {"max": 120})
    with transaction.atomic():
        return TimeOff.objects.create(
            pro=pro,
            starts_at=starts_at.astimezone(ZoneInfo("UTC")),
            ends_at=ends_at.astimezone(ZoneInfo("UTC")),
            reason=reason,
        )


def time_off_delete(*, pro: ProProfile, pk: int) -> None:
    with transaction.atomic():
        deleted, _kinds = TimeOff.objects.filter(pro=pro, pk=pk).delete()
        if not deleted:
            raise Http404(_("No such time off."))
        waitlist_check_pro_on_commit(pro=pro)


RULES_FIELDS = (
    "slot_step_minutes",
    "min_notice_minutes",
    "horizon_days",
    "buffer_minutes",
    "confirmation_mode",
    "request_expiry_hours",
    "cancellation_window_hours",
    "late_cancellation_fee_percent",
    "reminder_hours",
)


def booking_rules_create(*, pro: ProProfile) -> BookingRules:
    """The new pro's rules, with the defaults (bookings.receivers calls it for every new pro)."""
    return BookingRules.objects.create(pro=pro)


def booking_rules_update(*, pro: ProProfile, **fields) -> BookingRules:
    from bookings.selectors import booking_rules_for

    unknown = set(fields) - set(RULES_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown booking rule(s): {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        rules = booking_rules_for(pro)
        for key, value in fields.items():
            setattr(rules, key, value)
        rules.full_clean(exclude=["pro"])
        rules.save()
        waitlist_check_pro_on_commit(pro=pro)  # a shorter notice or a longer horizon frees time
    return rules


def calendar_token_regenerate(*, pro: ProProfile) -> str:
    """A new secret for the pro's calendar feed URL (the old URL stops working)."""
    from bookings.selectors import booking_rules_for

    with transaction.atomic():
        rules = booking_rules_for(pro)
        rules.calendar_token = secrets.token_urlsafe(32)
        rules.save(update_fields=["calendar_token"])
    return rules.calendar_token
