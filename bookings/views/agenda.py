"""The pro's agenda (day and week), the private calendar feed and its token."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST, require_safe

from accounts.access import pro_required
from accounts.timezones import zone_of
from bookings import agenda_layout, selectors, services
from bookings.views.common import (
    BadParameter,
    Card,
    bad_request,
    parse_date,
    wants_fragment,
)
from timz.formats import first_day_of_week


@pro_required
@require_POST
def calendar_token_regenerate(request, *, pro):
    had_token = bool(selectors.booking_rules_for(pro).calendar_token)
    services.calendar_token_regenerate(pro=pro)
    messages.success(
        request,
        _("A new calendar address was made; the old one no longer works.")
        if had_token
        else _("Your private calendar address is ready."),
    )
    return redirect(reverse("bookings:rules") + "#calendar-feed")


@require_safe
def calendar_feed(request, token):
    """The pro's private feed. Calendar apps poll it: a strong ETag of the body and its
    Last-Modified let them ask "changed?" (If-None-Match / If-Modified-Since) and get a 304
    without the body; the refresh interval is in the calendar and in Cache-Control."""
    from bookings import ics

    if len(token) < 16:
        raise Http404("Unknown calendar.")
    pro = selectors.pro_for_calendar_token(token=token)
    feed = ics.pro_feed(pro)
    response = HttpResponse(feed.body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="timz.ics"'
    response["Cache-Control"] = f"private, max-age={int(ics.FEED_REFRESH.total_seconds())}"
    response["ETag"] = feed.etag
    response["Last-Modified"] = http_date(feed.last_modified.timestamp())
    return get_conditional_response(
        request,
        etag=feed.etag,
        last_modified=int(feed.last_modified.timestamp()),
        response=response,
    )


@pro_required
@require_GET
def agenda(request, *, pro):
    """The pro's day (a list) or week (a time grid on wide screens, day lists on a phone), with
    the requests waiting on top. A week starts on the first day of the week of the language the
    pro reads in (timz.formats.first_day_of_week). With `X-Timz-Fragment: agenda` only the part
    below the title is sent: booking.js swaps it after an action in place or a live push."""
    zone = zone_of(pro.timezone)
    now = timezone.now()
    today = now.astimezone(zone).date()
    view = request.GET.get("view", "day")
    if view not in ("day", "week"):
        return bad_request(
            request, _("The agenda shows a “day” or a “week”."), back=reverse("bookings:agenda")
        )
    try:
        day = parse_date(request.GET["date"]) if request.GET.get("date") else today
    except BadParameter as exc:
        return bad_request(request, str(exc), back=reverse("bookings:agenda"))
    if view == "week":
        # The week starts on the locale's first day (Sunday in English, Monday in French).
        first = day - timedelta(days=(day.weekday() - first_day_of_week()) % 7)
        days = [first + timedelta(days=i) for i in range(7)]
        step = timedelta(days=7)
    else:
        first = day
        days = [day]
        step = timedelta(days=1)
    start = datetime.combine(first, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(days[-1] + timedelta(days=1), datetime.min.time(), tzinfo=zone)

    rules_row = selectors.booking_rules_for(pro)
    joined = _agenda_joins(selectors.bookings_for_pro(pro=pro, start=start, end=end))
    cards = [
        Card(b, user=request.user, now=now, rules=rules_row) for b in joined.order_by("starts_at")
    ]
    grid = agenda_layout.week_grid(
        days, cards, zone=zone, when=lambda c: (c.booking.starts_at, c.booking.ends_at)
    )
    requests_ = [
        Card(b, user=request.user, now=now, rules=rules_row)
        for b in _agenda_joins(selectors.pending_requests_for_pro(pro=pro))
    ]

    def url(**params):
        return f"{reverse('bookings:agenda')}?{urlencode(params)}"

    context = {
        "pro": pro,
        "zone": zone,
        "view": view,
        "day": day,
        "today": today,
        "days": [
            {
                "day": column.day,
                "cards": [piece.item for piece in column.pieces],
                "pieces": [
                    {"card": piece.item, "piece": piece, **grid.place(piece)}
                    for piece in column.pieces
                ],
                "is_today": column.day == today,
            }
            for column in grid.columns
        ],
        "grid": grid,
        "requests": requests_,
        "prev_url": url(view=view, date=(day - step).isoformat()),
        "next_url": url(view=view, date=(day + step).isoformat()),
        "today_url": url(view=view),
        "day_url": url(view="day", date=day.isoformat()),
        "week_url": url(view="week", date=day.isoformat()),
        "self_url": request.get_full_path(),
        "count": len(cards),
        "now": now,
    }
    template = "bookings/agenda.html"
    if wants_fragment(request, "agenda"):
        template += "#agenda-live"
    return render(request, template, context)


def _agenda_joins(queryset):
    return selectors.with_prepaid(
        queryset.select_related(
            "pro", "pro__user", "service", "client", "client__client_profile", "client__pro_profile"
        )
    )
