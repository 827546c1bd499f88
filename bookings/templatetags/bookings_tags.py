"""Template helpers for the bookings pages: times in a given zone, status badges, timeline
events."""

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _

from accounts.timezones import zone_of
from bookings import lifecycle, selectors, series
from bookings.forms import FreeTimeSearchForm
from bookings.models import Booking
from timz.formats import pattern

register = template.Library()

STATUS_BADGES = {
    "pending_payment": "badge-warn",
    "requested": "badge-warn",
    "confirmed": "badge-ok",
    "completed": "badge-brand",
    "declined": "badge-bad",
    "cancelled": "badge-bad",
    "no_show": "badge-bad",
    "expired": "",
}


@register.filter
def clock(value, tz):
    """A start's wall-clock time in `tz`: "09:30". In the hour that repeats when clocks fall
    back, the UTC offset tells the two apart: "02:00 (UTC+2)", then "02:00 (UTC+1)"."""
    if not isinstance(value, datetime) or value.tzinfo is None:
        return ""
    local = timezone.localtime(value, zone_of(tz))
    text = f"{local:%H:%M}"
    if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():
        text += f" (UTC{_offset_label(local.utcoffset())})"
    return text


def _offset_label(offset) -> str:
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours}" + (f":{rest:02d}" if rest else "")


@register.simple_tag
def when(value, tz, fmt="WEEKDAY_DATETIME"):
    """`value` shown in the zone `tz` (UTC when unknown) with the zone's abbreviation:
    "Tue 1 Dec 2026, 09:00 CET". `fmt` is a Timz format name (timz.formats, in the active
    language) or a Django date pattern.

    The conversion is `timezone.localtime`, as in Django's `timezone` filter; the filter then
    drops the fold, so `|timezone:zone|date:"T"` cannot name the zone in the hour a DST change
    repeats. This tag can: "02:30 CEST", then "02:30 CET".
    """
    if not isinstance(value, datetime) or value.tzinfo is None:
        return ""
    local = timezone.localtime(value, zone_of(tz))
    return f"{date_format(local, pattern(fmt))} {local.tzname()}"


@register.filter
def status_badge(status):
    """CSS class of the badge for a booking status."""
    return STATUS_BADGES.get(str(status), "")


@register.filter
def status_label(status):
    """ "no_show" -> "No-show" (the Booking.Status label)."""
    try:
        return Booking.Status(str(status)).label
    except ValueError:
        return str(status).replace("_", " ")


@register.filter
def zone_label(tz):
    """ "Europe/Paris" -> "Europe/Paris" (underscores as spaces)."""
    return str(tz).replace("_", " ")


@register.filter
def action_label(action):
    """ "no_show" -> "Mark no-show" (the label in the lifecycle table)."""
    return lifecycle.action_label(str(action))


# Actions whose event is worth the status it led to ("Booked · Awaiting payment").
_STATUS_WORTH_SAYING = {"create", *lifecycle.HOLD_ENDING_ACTIONS, "reschedule"}


@register.simple_tag
def event_title(event, tz):
    """What a timeline event did, times in the zone `tz`: "Moved from Tue 3 Mar, 10:00 CET to
    Thu 5 Mar, 14:00 CET", else the lifecycle's past tense ("Cancelled", "Marked as paid")."""
    if event.action == "reschedule" and event.old_starts_at and event.new_starts_at:
        return _("Moved from %(old)s to %(new)s") % {
            "old": when(event.old_starts_at, tz, "WEEKDAY_DAY_MONTH_TIME"),
            "new": when(event.new_starts_at, tz, "WEEKDAY_DAY_MONTH_TIME"),
        }
    if event.action:
        text = lifecycle.past_tense(event.action)
        return text[:1].upper() + text[1:]
    return status_label(event.to_status)


@register.filter
def event_status(event):
    """The status an event led to when its title does not say it, else ""."""
    if event.action in _STATUS_WORTH_SAYING and event.from_status != event.to_status:
        return status_label(event.to_status)
    return ""


@register.inclusion_tag("bookings/includes/_free_time_form.html", takes_context=True)
def free_time_form(context, categories):
    """The "Find a free time" form, empty, for pages of other apps (the home page)."""
    request = context.get("request")
    return {
        "form": FreeTimeSearchForm(categories=categories, user=getattr(request, "user", None)),
        "request": request,
    }


@register.filter
def every_weeks(weeks):
    """2 -> "every 2 weeks", 1 -> "every week" (a series' interval, bookings.series)."""
    return series.every_label(int(weeks))


@register.simple_tag
def pro_overview(pro):
    """What the pro dashboard shows of the agenda and reviews (two queries): today's and the
    next 7 days' bookings, the review counts and the pro's zone."""
    return {
        "days": selectors.day_summary_for_pro(pro=pro, now=timezone.now()),
        "week_limit": selectors.WEEK_LIST_LIMIT,
        "reviews": selectors.review_counts_for_pro(pro=pro),
        "zone": zone_of(pro.timezone),
    }


@register.filter
def protection_policy(item):
    """A service's or booking's no-show protection in words ("" for none):
    ``bookings.selectors.protection_policy``."""
    from bookings.selectors import protection_policy as policy

    return policy(item)
