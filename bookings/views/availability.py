"""The pro's availability: weekly hours, date overrides, time off and booking rules."""

from __future__ import annotations

from http import HTTPStatus

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import pro_required
from accounts.timezones import zone_of
from bookings import selectors, services
from bookings.forms import (
    BookingRulesForm,
    DateOverrideForm,
    IntervalsForm,
    TimeOffForm,
)
from bookings.models import WeeklyHours


def _schedule_page(request, pro, *, bound=None, status=HTTPStatus.OK):
    """The schedule page; `bound` replaces one unbound form by its bound, invalid version."""
    bound = bound or {}
    data = selectors.schedule_for_pro(pro=pro)
    zone = zone_of(pro.timezone)
    today = timezone.now().astimezone(zone).date()
    days = []
    for weekday, label, hours in data["weekly"]:
        key = f"day-{weekday}"
        form = bound.get(key) or IntervalsForm(
            prefix=key, intervals=[(h.start, h.end) for h in hours]
        )
        days.append({"weekday": weekday, "label": label, "hours": hours, "form": form})
    context = {
        "pro": pro,
        "zone": zone,
        "days": days,
        "overrides": data["overrides"],
        "time_off": data["time_off"],
        "override_form": bound.get("override") or DateOverrideForm(prefix="override"),
        "time_off_form": bound.get("time_off") or TimeOffForm(prefix="off", tz=zone),
        "today": today,
    }
    return render(request, "bookings/schedule.html", context, status=status)


@pro_required
@require_GET
def schedule(request, *, pro):
    return _schedule_page(request, pro)


@pro_required
@require_POST
def schedule_day(request, weekday, *, pro):
    if not 0 <= weekday <= 6:
        raise Http404("No such weekday.")
    key = f"day-{weekday}"
    form = IntervalsForm(request.POST, prefix=key)
    if form.is_valid():
        try:
            services.weekly_hours_set(
                pro=pro, weekday=weekday, intervals=form.cleaned_data["intervals"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            label = WeeklyHours.Weekday(weekday).label
            messages.success(request, f"{label} hours saved.")
            return redirect(reverse("bookings:schedule") + f"#day-{weekday}")
    return _schedule_page(request, pro, bound={key: form}, status=HTTPStatus.BAD_REQUEST)


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
            messages.success(request, f"Hours for {data['day']:%a %d %b %Y} saved.")
            return redirect(reverse("bookings:schedule") + "#overrides")
    return _schedule_page(request, pro, bound={"override": form}, status=HTTPStatus.BAD_REQUEST)


@pro_required
@require_POST
def override_delete(request, pk, *, pro):
    services.date_override_delete(pro=pro, pk=pk)
    messages.success(request, "The special day was removed.")
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
            messages.success(request, "Time off added.")
            return redirect(reverse("bookings:schedule") + "#time-off")
    return _schedule_page(request, pro, bound={"time_off": form}, status=HTTPStatus.BAD_REQUEST)


@pro_required
@require_POST
def time_off_delete(request, pk, *, pro):
    services.time_off_delete(pro=pro, pk=pk)
    messages.success(request, "Time off removed.")
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
            messages.success(request, "Booking rules saved.")
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
