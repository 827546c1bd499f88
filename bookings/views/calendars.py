"""The pro's own calendars: connect one (a secret ICS link, or CalDAV), sync it now, remove it.
Their busy times block the pro's free time (bookings.services.calendars)."""

from __future__ import annotations

from http import HTTPStatus

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import pro_required
from accounts.timezones import zone_of
from bookings import selectors, services
from bookings.forms import CalDAVCalendarForm, ICSCalendarForm
from bookings.models import ExternalCalendar
from bookings.services.calendars import stale_after


def _page(request, pro, *, ics=None, caldav=None, status=HTTPStatus.OK):
    now = timezone.now()
    limit = stale_after()
    calendars = list(selectors.calendars_for_pro(pro=pro))
    for calendar in calendars:
        calendar.freshness_now = calendar.freshness(now, stale_after=limit)

    context = {
        "pro": pro,
        "zone": zone_of(pro.timezone),
        "calendars": calendars,
        "ics_form": ics or ICSCalendarForm(prefix="ics"),
        "caldav_form": caldav or CalDAVCalendarForm(prefix="caldav"),
        "can_add": len(calendars) < ExternalCalendar.MAX_PER_PRO,
        "max_calendars": ExternalCalendar.MAX_PER_PRO,
    }
    return render(request, "bookings/calendars.html", context, status=status)


def _announce(request, calendar: ExternalCalendar, *, added: bool) -> None:
    """What became of a calendar just added (`added`) or synced, in one sentence each."""
    if calendar.status == ExternalCalendar.Status.OK:
        text = (
            _("“%(name)s” is connected: its busy times now block your hours.")
            if added
            else _("“%(name)s” is up to date: its busy times now block your hours.")
        )
        messages.success(request, text % {"name": calendar.name})
    else:
        messages.error(
            request,
            _("“%(name)s” could not be read: %(error)s")
            % {"name": calendar.name, "error": calendar.last_error},
        )


@pro_required
@require_http_methods(["GET", "POST"])
def calendars(request, *, pro):
    """GET: the pro's calendars and the two ways to add one. POST: add one (``kind`` says which
    form), then sync it once."""
    if request.method == "GET":
        return _page(request, pro)
    caldav = request.POST.get("kind") == "caldav"
    form = (
        CalDAVCalendarForm(request.POST, prefix="caldav")
        if caldav
        else ICSCalendarForm(request.POST, prefix="ics")
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            calendar = services.calendar_add(
                pro=pro,
                name=data["name"],
                url=data.get("url", ""),
                caldav_url=data.get("caldav_url", ""),
                username=data.get("username", ""),
                password=data.get("password", ""),
            )
        except ValidationError as exc:
            field = "caldav_url" if caldav else "url"
            if getattr(exc, "code", None) == "url_refused":
                form.add_error(field, exc)
            else:
                form.add_error(None, exc)
        else:
            _announce(request, calendar, added=True)
            return redirect("bookings:calendars")
    bound = {"caldav": form} if caldav else {"ics": form}
    return _page(request, pro, status=HTTPStatus.BAD_REQUEST, **bound)


@pro_required
@require_POST
def calendar_sync(request, pk: int, *, pro):
    calendar = services.calendar_sync(calendar=selectors.calendar_get_for_pro(pro=pro, pk=pk))
    _announce(request, calendar, added=False)
    return redirect("bookings:calendars")


@pro_required
@require_POST
def calendar_remove(request, pk: int, *, pro):
    calendar = selectors.calendar_get_for_pro(pro=pro, pk=pk)
    services.calendar_remove(calendar=calendar)
    messages.success(
        request,
        _("“%(name)s” is disconnected; its busy times are gone.") % {"name": calendar.name},
    )
    return redirect("bookings:calendars")
