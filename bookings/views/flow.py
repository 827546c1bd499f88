"""The booking flow: service -> day -> time -> confirm -> done."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from http import HTTPStatus

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import ProProfile
from accounts.timezones import viewer_zone, zone_of
from bookings import attribution, lifecycle, selectors, series, services
from bookings.forms import (
    BookingNoteForm,
)
from bookings.models import Protection, Service
from bookings.views.common import (
    BadParameter,
    bad_request,
    client_zone,
    first_message,
    parse_date,
    parse_start,
    wants_fragment,
)
from timz.formats import first_day_of_week, pattern
from timz.ratelimit import RateLimited

STRIP_DAYS = 14
# A day's times are grouped by when they start: before noon, before 17:00, then the evening.
PERIODS = (
    (12, pgettext_lazy("time of day", "Morning"), gettext_lazy("Morning times")),
    (17, pgettext_lazy("time of day", "Afternoon"), gettext_lazy("Afternoon times")),
    (24, pgettext_lazy("time of day", "Evening"), gettext_lazy("Evening times")),
)


def _bookable(slug: str, service_id: int) -> tuple[ProProfile, Service, list[Service]]:
    """The pro, the bookable service and all the pro's active services; else Http404."""
    service = selectors.service_get_bookable(service_id=service_id, pro_slug=slug)
    offered = list(selectors.services_for_pro(pro=service.pro))
    return service.pro, service, offered


def _holder(request):
    """The user whose waitlist offers count as free for them (None for a visitor)."""
    return request.user if request.user.is_authenticated else None


def _slots_on(*, pro, service, day: date, zone, holder=None) -> list[datetime]:
    """Free starts on the local date `day` in `zone` (the viewer's zone), in that zone; a time
    held for `holder` by a waitlist offer counts as free."""
    found = selectors.free_slots(
        pro=pro, service=service, start=day, days=1, tz=zone, holder=holder
    )
    return [s.astimezone(zone) for s in found]


def build_picker(request, *, pro, service, zone, rules, base_url, extra_query=None, day=None):
    """Day strip and times: the `picker` context. Raises BadParameter for bad parameters."""
    today = timezone.now().astimezone(zone).date()
    last_day = today + timedelta(days=rules.horizon_days)
    if day is None and request.GET.get("date"):
        day = parse_date(request.GET["date"])
    if day is not None and not today <= day <= last_day:
        raise BadParameter(
            _("Pick a day between %(first)s and %(last)s.")
            % {
                "first": dateformat.format(today, pattern("DAY_MONTH_YEAR")),
                "last": dateformat.format(last_day, pattern("DAY_MONTH_YEAR")),
            }
            if day >= today
            else _("That day is in the past: pick today or a later day.")
        )
    if request.GET.get("from"):
        strip_start = parse_date(request.GET["from"], "calendar_start")
        if not today <= strip_start <= last_day:
            raise BadParameter(_("The calendar can only show the coming days within the horizon."))
    elif day is not None and day >= today + timedelta(days=STRIP_DAYS):
        strip_start = day
    else:
        strip_start = today
    strip_days = max(1, min(STRIP_DAYS, (last_day - strip_start).days + 1))
    # One load for the strip; the chosen day's times come from it when it lies in the strip.
    holder = _holder(request)
    by_day = selectors.free_slots_by_day(
        pro=pro, service=service, start=strip_start, days=strip_days, tz=zone, holder=holder
    )
    strip = [(d, len(by_day[d])) for d in sorted(by_day)][:strip_days]
    if day is None:
        day = next((d for d, count in strip if count), strip_start)
    if day in by_day:
        times = by_day[day]
    else:
        times = _slots_on(pro=pro, service=service, day=day, zone=zone, holder=holder)

    query = dict(extra_query or {})

    def url(**params):
        return f"{base_url}?{urlencode({**query, **params})}"

    prev_start = max(today, strip_start - timedelta(days=STRIP_DAYS))
    next_start = strip_start + timedelta(days=STRIP_DAYS)
    return {
        "zone": zone,
        "today": today,
        "day": day,
        "strip": [
            {
                "day": d,
                "count": count,
                "selected": d == day,
                "url": url(**{"from": strip_start.isoformat(), "date": d.isoformat()}),
            }
            for d, count in strip
        ],
        # Blank cells before the first day, so that on a wide screen (rows of seven) each
        # column is one weekday and the rows start on the locale's first day of the week.
        "lead": range((strip_start.weekday() - first_day_of_week()) % 7),
        "times": times,
        "periods": _periods(times),
        "prev_url": url(**{"from": prev_start.isoformat()}) if strip_start > today else None,
        "next_url": url(**{"from": next_start.isoformat()}) if next_start <= last_day else None,
        "strip_start": strip_start,
        "month": month_span(strip[0][0], strip[-1][0]) if strip else month_span(day, day),
        "any_free": any(count for _, count in strip),
    }


def month_span(first: date, last: date) -> str:
    """The month header over days `first`..`last`, in the active language: "December 2026",
    "November – December 2026" or "December 2026 – January 2027"."""
    month_year = pattern("YEAR_MONTH_FORMAT")
    if (first.year, first.month) == (last.year, last.month):
        return dateformat.format(first, month_year)
    if first.year == last.year:
        return f"{dateformat.format(first, 'F')} – {dateformat.format(last, month_year)}"
    return f"{dateformat.format(first, month_year)} – {dateformat.format(last, month_year)}"


def _periods(times: list[datetime]) -> list[dict]:
    """The day's times grouped by PERIODS: [{"label", "times_label", "times"}], empty ones left
    out."""
    periods = []
    start = 0
    for until, label, times_label in PERIODS:
        items = [t for t in times if start <= t.hour < until]
        if items:
            periods.append({"label": label, "times_label": times_label, "times": items})
        start = until
    return periods


@require_GET
def book(request, slug, service_id):
    pro, service, offered = _bookable(slug, service_id)
    base_url = reverse("bookings:book", kwargs={"slug": pro.slug, "service_id": service.pk})
    try:
        zone, ask_browser = client_zone(request, pro)
        extra = {"tz": zone.key} if request.GET.get("tz") else {}
        picker = build_picker(
            request,
            pro=pro,
            service=service,
            zone=zone,
            rules=selectors.booking_rules_for(pro),
            base_url=base_url,
            extra_query=extra,
        )
    except BadParameter as exc:
        return bad_request(request, str(exc), back=base_url)
    return _render_book(
        request, pro=pro, service=service, offered=offered, picker=picker, ask_browser=ask_browser
    )


def _render_book(
    request, *, pro, service, offered, picker, ask_browser=False, error=None, status=HTTPStatus.OK
):
    confirm_url = reverse("bookings:confirm", kwargs={"slug": pro.slug, "service_id": service.pk})
    context = {
        "pro": pro,
        "service": service,
        "offered": offered,
        "picker": picker,
        "ask_browser": ask_browser,
        "error": error,
        "confirm_url": confirm_url,
        "pro_zone": zone_of(pro.timezone),
        "pays_online": selectors.service_pays_online(service),
        "waitlist_url": reverse("bookings:waitlist_join")
        + "?"
        + urlencode({"pro": pro.slug, "service": service.pk, "date": picker["day"].isoformat()}),
    }
    template = (
        "bookings/book.html#picker" if wants_fragment(request, "picker") else ("bookings/book.html")
    )
    return render(request, template, context, status=status)


def _unavailable(request, *, pro, service, offered, zone, starts_at, message=None):
    """The flow page for the day of `starts_at` with fresh times and the reason (409)."""
    base_url = reverse("bookings:book", kwargs={"slug": pro.slug, "service_id": service.pk})
    day = starts_at.astimezone(zone).date()
    rules = selectors.booking_rules_for(pro)
    try:
        picker = build_picker(
            request, pro=pro, service=service, zone=zone, rules=rules, base_url=base_url, day=day
        )
    except BadParameter:
        picker = build_picker(
            request,
            pro=pro,
            service=service,
            zone=zone,
            rules=rules,
            base_url=base_url,
            day=timezone.now().astimezone(zone).date(),
        )
    return _render_book(
        request,
        pro=pro,
        service=service,
        offered=offered,
        picker=picker,
        error=message or _("That time is no longer available. Please pick another one."),
        status=HTTPStatus.CONFLICT,
    )


@login_required
@require_http_methods(["GET", "POST"])
def confirm(request, slug, service_id):
    pro, service, offered = _bookable(slug, service_id)
    base_url = reverse("bookings:book", kwargs={"slug": pro.slug, "service_id": service.pk})
    zone = viewer_zone(request.user, fallback=pro.timezone)
    raw_start = request.POST.get("start") if request.method == "POST" else request.GET.get("start")
    try:
        starts_at = parse_start(raw_start)
    except BadParameter as exc:
        return bad_request(request, str(exc), back=base_url)
    try:
        services.check_not_own_service(client=request.user, pro=pro)
    except ValidationError as exc:
        return bad_request(request, first_message(exc), back=base_url)

    form = BookingNoteForm(request.POST or None, initial={"start": starts_at.isoformat()})
    rate_limited = False
    if request.method == "POST" and form.is_valid():
        try:
            booking = services.booking_create(
                client=request.user,
                service=service,
                starts_at=starts_at,
                note=form.cleaned_data["note"],
                referring_pro_id=attribution.referring_pro_id(request),
            )
        except lifecycle.SlotUnavailable as exc:
            return _unavailable(
                request,
                pro=pro,
                service=service,
                offered=offered,
                zone=zone,
                starts_at=starts_at,
                message=first_message(exc),
            )
        except RateLimited as exc:
            form.add_error(None, exc)
            rate_limited = True
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if booking.status == booking.Status.PENDING_PAYMENT:
                # Pay first: the Done step comes once the payment went through.
                return redirect("payments:checkout", pk=booking.pk)
            return redirect("bookings:done", pk=booking.pk)
    elif request.method == "GET":
        day = starts_at.astimezone(zone).date()
        free = _slots_on(pro=pro, service=service, day=day, zone=zone, holder=request.user)
        if starts_at not in {s.astimezone(UTC) for s in free}:
            return _unavailable(
                request, pro=pro, service=service, offered=offered, zone=zone, starts_at=starts_at
            )

    pro_zone = zone_of(pro.timezone)
    context = {
        "pro": pro,
        "service": service,
        "form": form,
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(minutes=service.duration_minutes),
        "zone": zone,
        "pro_zone": pro_zone,
        "zones_differ": starts_at.astimezone(zone).utcoffset()
        != starts_at.astimezone(pro_zone).utcoffset()
        or zone.key != pro_zone.key,
        "rules": selectors.booking_rules_for(pro),
        "pays_online": selectors.service_pays_online(service),
        "saves_card": selectors.service_saves_card(service),
        "hold_minutes": services.PAYMENT_HOLD_MINUTES,
        "every_choices": series.EVERY_CHOICES,
        "back_url": f"{base_url}?{urlencode({'date': starts_at.astimezone(zone).date()})}",
    }
    if rate_limited:
        status = HTTPStatus.TOO_MANY_REQUESTS
    else:
        status = HTTPStatus.BAD_REQUEST if form.is_bound else HTTPStatus.OK
    return render(request, "bookings/confirm.html", context, status=status)


def _saved_card(booking):
    """The card saved for a card-protected booking (no query for the others)."""
    from payments.selectors import saved_card_of

    return saved_card_of(booking) if booking.protection == Protection.CARD else None


@login_required
@require_GET
def done(request, pk):
    """The flow's last step. A booking still waiting for its payment is not done: its client
    is sent to pay (the checkout page shows the hold and, once it lapsed, the expiry)."""
    booking = selectors.booking_get_for_user(user=request.user, pk=pk)
    if (
        booking.status == booking.Status.PENDING_PAYMENT
        and lifecycle.role_of(booking=booking, user=request.user) == lifecycle.CLIENT
    ):
        return redirect("payments:checkout", pk=booking.pk)
    rules_row = selectors.booking_rules_for(booking.pro)
    return render(
        request,
        "bookings/done.html",
        {
            "booking": booking,
            "zone": viewer_zone(request.user, fallback=booking.pro.timezone),
            "rules": rules_row,
            "paid_online": booking.payments.exists(),
            "saved_card": _saved_card(booking),
        },
    )
