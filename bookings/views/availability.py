"""The pro's availability: weekly hours, date overrides, time off and booking rules."""

from __future__ import annotations

from http import HTTPStatus

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import pro_required
from accounts.timezones import zone_of
from bookings import selectors, services
from bookings.forms import BookingRulesForm, DateOverrideForm, TimeOffForm, WeekHoursForm
from timz.formats import first_day_of_week, pattern


def week_order() -> list[int]:
    """The weekdays (0=Monday) in the order the reader's language writes a week: Sunday first
    in English, Monday first in French, Spanish and German."""
    first = first_day_of_week()
    return [(first + offset) % 7 for offset in range(7)]


def _schedule_page(request, pro, *, bound=None, status=HTTPStatus.OK):
    """The schedule page; `bound` replaces an unbound form ("week", "override", "time_off") by
    its bound version (invalid, or the week after "Copy to all weekdays")."""
    bound = bound or {}
    data = selectors.schedule_for_pro(pro=pro)
    zone = zone_of(pro.timezone)
    today = timezone.now().astimezone(zone).date()
    week = bound.get("week") or WeekHoursForm(
        weekly={weekday: [(h.start, h.end) for h in hours] for weekday, _, hours in data["weekly"]}
    )
    hours_of = {weekday: hours for weekday, _label, hours in data["weekly"]}
    days = [
        {
            "weekday": weekday,
            "label": WEEKDAYS[weekday],  # Django's weekday names, in the reader's language
            "hours": hours_of[weekday],
            "form": week.days[weekday],
        }
        for weekday in week_order()
    ]
    context = {
        "pro": pro,
        "zone": zone,
        "week": week,
        "days": days,
        "overrides": data["overrides"],
        "time_off": data["time_off"],
        "override_form": bound.get("override") or DateOverrideForm(prefix="override"),
        "time_off_form": bound.get("time_off") or TimeOffForm(prefix="off", tz=zone),
        "today": today,
    }
    return render(request, "bookings/schedule.html", context, status=status)


@pro_required
@require_http_methods(["GET", "POST"])
def schedule(request, *, pro):
    """GET: the schedule page. POST: the whole week's hours in one save, or, with the "copy"
    button, Monday's rows copied to every weekday and shown for review (nothing saved)."""
    if request.method == "GET":
        return _schedule_page(request, pro)
    if "copy" in request.POST:
        week = WeekHoursForm.copied(request.POST, source=0)
        if week.is_valid():
            messages.info(
                request, _("Monday’s hours were copied to Tuesday–Friday. Check them, then save.")
            )
            return _schedule_page(request, pro, bound={"week": week})
        return _schedule_page(request, pro, bound={"week": week}, status=HTTPStatus.BAD_REQUEST)
    week = WeekHoursForm(request.POST)
    if week.is_valid():
        try:
            services.weekly_hours_set_week(pro=pro, week=week.week)
        except ValidationError as exc:
            week.days[0].add_error(None, exc)
        else:
            messages.success(request, _("Weekly hours saved."))
            return redirect(reverse("bookings:schedule") + "#weekly")
    return _schedule_page(request, pro, bound={"week": week}, status=HTTPStatus.BAD_REQUEST)


@pro_required
@require_POST
def override_create(request, *, pro):
    today = timezone.now().astimezone(zone_of(pro.timezone)).date()
    form = DateOverrideForm(request.POST, prefix="override", today=today)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.date_override_set(
                pro=pro, day=data["day"], intervals=data["intervals"], note=data["note"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            day = dateformat.format(data["day"], pattern("WEEKDAY_DATE"))
            messages.success(request, _("Hours for %(date)s saved.") % {"date": day})
            return redirect(reverse("bookings:schedule") + "#overrides")
    return _schedule_page(request, pro, bound={"override": form}, status=HTTPStatus.BAD_REQUEST)


@pro_required
@require_POST
def override_delete(request, pk, *, pro):
    services.date_override_delete(pro=pro, pk=pk)
    messages.success(request, _("The special day was removed."))
    return redirect(reverse("bookings:schedule") + "#overrides")


@pro_required
@require_POST
def time_off_create(request, *, pro):
    form = TimeOffForm(request.POST, prefix="off", tz=zone_of(pro.timezone))
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.time_off_create(
                pro=pro, starts_at=data["starts_at"], ends_at=data["ends_at"], reason=data["reason"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Time off added."))
            return redirect(reverse("bookings:schedule") + "#time-off")
    return _schedule_page(request, pro, bound={"time_off": form}, status=HTTPStatus.BAD_REQUEST)


@pro_required
@require_POST
def time_off_delete(request, pk, *, pro):
    services.time_off_delete(pro=pro, pk=pk)
    messages.success(request, _("Time off removed."))
    return redirect(reverse("bookings:schedule") + "#time-off")


@pro_required
@require_http_methods(["GET", "POST"])
def rules(request, *, pro):
    current = selectors.booking_rules_for(pro)
    form = BookingRulesForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in BookingRulesForm.Meta.fields}
        try:
            services.booking_rules_update(pro=pro, **fields)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Booking rules saved."))
            return redirect("bookings:rules")
    feed_url = None
    if current.calendar_token:
        feed_url = request.build_absolute_uri(
            reverse("bookings:calendar_feed", kwargs={"token": current.calendar_token})
        )
    status = HTTPStatus.BAD_REQUEST if form.is_bound else HTTPStatus.OK
    return render(
        request,
        "bookings/rules.html",
        {"pro": pro, "form": form, "feed_url": feed_url},
        status=status,
    )
