"""HTML pages of the bookings app: the pro's services, schedule and rules; the booking flow;
"My bookings"; the pro's agenda; booking detail, actions, .ics and the calendar feed.

Views stay thin: they validate input (forms, query parameters), call one function of
bookings.services / bookings.selectors, and map its errors to a message and a 4xx status.
Private bookings are always fetched through selectors.booking_get_for_user (404 for others).

Partial rendering: the booking flow's day/time picker and the agenda's booking cards are
`{% partialdef %}` fragments. static/js/booking.js asks for them with the `X-Timz-Fragment`
header and swaps them in place; without JavaScript the same URLs render whole pages.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, timedelta
from functools import wraps
from http import HTTPStatus

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import pro_for_user
from accounts.models import ProProfile
from bookings import lifecycle, selectors, services
from bookings.forms import (
    REASON_MAX,
    BookingNoteForm,
    BookingRulesForm,
    DateOverrideForm,
    IntervalsForm,
    ReasonForm,
    ReplyForm,
    ReviewForm,
    ServiceForm,
    TimeOffForm,
)
from bookings.models import Booking, BookingRules, Review, Service, WeeklyHours

FRAGMENT_HEADER = "X-Timz-Fragment"
STRIP_DAYS = 14
REVIEW_DAYS = 30
PAST_LIMIT = 50
MAX_YEARS_AWAY = 10  # dates further away are refused (and never overflow date arithmetic)
PAYMENT_INCLUDE = "payments/includes/_booking_payment.html"
BOOKING_ACTIONS = ("confirm", "decline", "cancel", "complete", "no_show")


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


class BadParameter(Exception):
    """A query parameter that cannot be used; rendered as a 400 page with the message."""


def _bad_request(request, message: str, *, back: str | None = None):
    return render(
        request,
        "bookings/bad_request.html",
        {"message": message, "back": back},
        status=HTTPStatus.BAD_REQUEST,
    )


def _wants_fragment(request, name: str) -> bool:
    return request.headers.get(FRAGMENT_HEADER) == name


def _next_url(request, default: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next")
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def _zone(name: str | None) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _parse_zone(name: str) -> zoneinfo.ZoneInfo:
    if not name or len(name) > 64 or name not in zoneinfo.available_timezones():
        raise BadParameter(f"“{name[:64]}” is not a known time zone.")
    return zoneinfo.ZoneInfo(name)


def _parse_date(value: str, what: str = "date") -> date:
    try:
        parsed = date.fromisoformat(value)
    except (TypeError, ValueError):
        raise BadParameter(f"“{value[:32]}” is not a valid {what} (use YYYY-MM-DD).") from None
    if abs(parsed.year - timezone.now().year) > MAX_YEARS_AWAY:
        raise BadParameter(f"The {what} {value} is out of range.")
    return parsed


def _parse_start(value: str | None) -> datetime:
    if not value:
        raise BadParameter("Pick a time first.")
    try:
        parsed = datetime.fromisoformat(value.replace(" ", "+"))
    except ValueError:
        raise BadParameter(f"“{value[:40]}” is not a valid start time.") from None
    if parsed.tzinfo is None:
        raise BadParameter("The start time must carry its UTC offset.")
    if abs(parsed.year - timezone.now().year) > MAX_YEARS_AWAY:
        raise BadParameter("That start time is out of range.")
    return parsed.astimezone(UTC)


def _user_zone(user) -> zoneinfo.ZoneInfo | None:
    profile = getattr(user, "client_profile", None)
    if profile is not None and profile.timezone:
        return _zone(profile.timezone)
    return None


def _client_zone(request, pro: ProProfile) -> tuple[zoneinfo.ZoneInfo, bool]:
    """The zone to show times in, and whether the browser should be asked for its own.

    Logged-in users: their profile's zone. Visitors: the `tz` parameter (booking.js fills it
    from the browser), else the pro's zone.
    """
    if request.user.is_authenticated:
        zone = _user_zone(request.user)
        if zone is not None:
            return zone, False
    name = request.GET.get("tz")
    if name:
        return _parse_zone(name), False
    return _zone(pro.timezone), not request.user.is_authenticated


def _pro_currency(pro: ProProfile, existing: list[Service]) -> str:
    currency = getattr(pro, "currency", "") or ""
    if not currency and existing:
        currency = existing[0].currency
    return (currency or settings.DEFAULT_CURRENCY).upper()


def _rules_of(pro: ProProfile) -> BookingRules:
    """The pro's rules when they were joined in (select_related); defaults when there are none."""
    try:
        return pro.booking_rules
    except BookingRules.DoesNotExist:
        return BookingRules(pro=pro)


def _role(booking: Booking, user) -> str | None:
    return lifecycle.role_of(booking=booking, user=user)


def _can_review(booking: Booking, user, now: datetime) -> bool:
    if booking.status != Booking.Status.COMPLETED or user.pk != booking.client_id:
        return False
    return _review_of(booking) is None and now <= booking.ends_at + timedelta(days=REVIEW_DAYS)


def _client_name(booking: Booking) -> str:
    """The client's name from the joined client profile (User.display_name would query)."""
    profile = getattr(booking.client, "client_profile", None)
    return (profile.display_name if profile else "") or booking.client.email.split("@")[0]


def _review_of(booking: Booking) -> Review | None:
    try:
        return booking.review
    except Review.DoesNotExist:
        return None


class Card:
    """A booking with what the current user may do with it now (for lists and the detail)."""

    def __init__(self, booking: Booking, *, user, now: datetime, rules: BookingRules | None = None):
        self.booking = booking
        self.role = _role(booking, user)
        rules = rules if rules is not None else _rules_of(booking.pro)
        self.actions = lifecycle.allowed_actions(booking=booking, user=user, now=now, rules=rules)
        self.can_review = _can_review(booking, user, now)
        self.late_cancel = "cancel" in self.actions and lifecycle.is_late_cancellation(
            booking=booking, role=self.role, now=now, rules=rules
        )
        self.fee_percent = rules.late_cancellation_fee_percent
        self.window_hours = rules.cancellation_window_hours
        self.reason_actions = [
            a for a in self.actions if lifecycle.reason_required(a, self.role or "")
        ]
        self.quick_actions = [
            a
            for a in self.actions
            if a in BOOKING_ACTIONS and a not in self.reason_actions and a != "cancel"
        ]


def pro_required(view):
    """Login, then accounts.access.pro_for_user (403 for non-pros); the view gets `pro`."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        return view(request, *args, pro=pro_for_user(request.user), **kwargs)

    return wrapper


def _first_message(exc: ValidationError) -> str:
    return exc.messages[0] if exc.messages else "That did not work."


# ---------------------------------------------------------------------------------------------
# Pro dashboard: services
# ---------------------------------------------------------------------------------------------


@pro_required
@require_GET
def service_list(request, *, pro):
    items = list(selectors.services_for_pro(pro=pro, include_inactive=True))
    return render(
        request,
        "bookings/services.html",
        {"pro": pro, "services": items, "currency": _pro_currency(pro, items)},
    )


def _own_service(pro, pk) -> Service:
    return get_object_or_404(selectors.services_for_pro(pro=pro, include_inactive=True), pk=pk)


@pro_required
@require_http_methods(["GET", "POST"])
def service_create(request, *, pro):
    currency = _pro_currency(pro, list(selectors.services_for_pro(pro=pro, include_inactive=True)))
    form = ServiceForm(request.POST or None, request.FILES or None, pro=pro, currency=currency)
    if request.method == "POST" and form.is_valid():
        try:
            service = services.service_create(pro=pro, currency=currency, **form.service_fields())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"“{service.name}” was added.")
            return redirect("bookings:services")
    status = HTTPStatus.BAD_REQUEST if form.is_bound else HTTPStatus.OK
    return render(
        request,
        "bookings/service_form.html",
        {"form": form, "pro": pro, "service": None},
        status=status,
    )


@pro_required
@require_http_methods(["GET", "POST"])
def service_edit(request, pk, *, pro):
    service = _own_service(pro, pk)
    form = ServiceForm(
        request.POST or None,
        request.FILES or None,
        pro=pro,
        currency=service.currency,
        initial=ServiceForm.initial_for(service),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.service_update(service=service, **form.service_fields())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"“{service.name}” was saved.")
            return redirect("bookings:services")
    status = HTTPStatus.BAD_REQUEST if form.is_bound else HTTPStatus.OK
    return render(
        request,
        "bookings/service_form.html",
        {"form": form, "pro": pro, "service": service},
        status=status,
    )


@pro_required
@require_POST
def service_delete(request, pk, *, pro):
    service = _own_service(pro, pk)
    name = service.name
    services.service_delete(service=service)
    if Service.objects.filter(pk=pk).exists():
        messages.info(request, f"“{name}” has bookings, so it was hidden instead of deleted.")
    else:
        messages.success(request, f"“{name}” was deleted.")
    return redirect("bookings:services")


@pro_required
@require_POST
def service_move(request, pk, direction, *, pro):
    if direction not in ("up", "down"):
        raise Http404("Services move up or down.")
    items = list(selectors.services_for_pro(pro=pro, include_inactive=True))
    index = next((i for i, s in enumerate(items) if s.pk == pk), None)
    if index is None:
        raise Http404("No such service.")
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(items):
        items[index], items[other] = items[other], items[index]
        for position, item in enumerate(items):
            if item.position != position:
                services.service_update(service=item, position=position)
    return redirect(reverse("bookings:services") + f"#service-{pk}")


# ---------------------------------------------------------------------------------------------
# Pro dashboard: schedule (weekly hours, date overrides, time off)
# ---------------------------------------------------------------------------------------------


def _schedule_page(request, pro, *, bound=None, status=HTTPStatus.OK):
    """The schedule page; `bound` replaces one unbound form by its bound, invalid version."""
    bound = bound or {}
    data = selectors.schedule_for_pro(pro=pro)
    zone = _zone(pro.timezone)
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
    today = timezone.now().astimezone(_zone(pro.timezone)).date()
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
    form = TimeOffForm(request.POST, prefix="off", tz=_zone(pro.timezone))
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


# ---------------------------------------------------------------------------------------------
# Pro dashboard: booking rules and the calendar feed
# ---------------------------------------------------------------------------------------------


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


@pro_required
@require_POST
def calendar_token_regenerate(request, *, pro):
    had_token = bool(selectors.booking_rules_for(pro).calendar_token)
    services.calendar_token_regenerate(pro=pro)
    messages.success(
        request,
        "A new calendar address was made; the old one no longer works."
        if had_token
        else "Your private calendar address is ready.",
    )
    return redirect(reverse("bookings:rules") + "#calendar-feed")


@require_GET
def calendar_feed(request, token):
    from bookings import ics

    if len(token) < 16:
        raise Http404("Unknown calendar.")
    pro = selectors.pro_for_calendar_token(token=token)
    body = ics.calendar_feed_for_pro(pro)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="timz.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response


# ---------------------------------------------------------------------------------------------
# The booking flow: service -> day -> time -> confirm -> done
# ---------------------------------------------------------------------------------------------


def _bookable(slug: str, service_id: int) -> tuple[ProProfile, Service, list[Service]]:
    pro = get_object_or_404(ProProfile.objects.select_related("booking_rules", "user"), slug=slug)
    # Like the pro page and the API: unlisted pros and deactivated accounts cannot be booked.
    if not pro.is_listed or not pro.user.is_active:
        raise Http404("No such pro.")
    offered = list(selectors.services_for_pro(pro=pro))
    service = next((s for s in offered if s.pk == service_id), None)
    if service is None:
        raise Http404("This service cannot be booked.")
    return pro, service, offered


def _slots_on(*, pro, service, day: date, zone) -> list[datetime]:
    """Free starts on the local date `day` in `zone` (the viewer's zone), in that zone."""
    found = selectors.free_slots(pro=pro, service=service, start=day, days=1, tz=zone)
    return [s.astimezone(zone) for s in found]


def _picker(request, *, pro, service, zone, rules, base_url, extra_query=None, day=None):
    """Day strip and times: the `picker` context. Raises BadParameter for bad parameters."""
    today = timezone.now().astimezone(zone).date()
    last_day = today + timedelta(days=rules.horizon_days)
    if day is None and request.GET.get("date"):
        day = _parse_date(request.GET["date"])
    if day is not None and not today <= day <= last_day:
        raise BadParameter(
            f"Pick a day between {today:%d %b %Y} and {last_day:%d %b %Y}."
            if day >= today
            else "That day is in the past: pick today or a later day."
        )
    if request.GET.get("from"):
        strip_start = _parse_date(request.GET["from"], "start of the calendar")
        if not today <= strip_start <= last_day:
            raise BadParameter("The calendar can only show the coming days within the horizon.")
    elif day is not None and day >= today + timedelta(days=STRIP_DAYS):
        strip_start = day
    else:
        strip_start = today
    strip_days = max(1, min(STRIP_DAYS, (last_day - strip_start).days + 1))
    # One load for the strip; the chosen day's times come from it when it lies in the strip.
    by_day = selectors.free_slots_by_day(
        pro=pro, service=service, start=strip_start, days=strip_days, tz=zone
    )
    strip = [(d, len(by_day[d])) for d in sorted(by_day)][:strip_days]
    if day is None:
        day = next((d for d, count in strip if count), strip_start)
    if day in by_day:
        times = by_day[day]
    else:
        times = _slots_on(pro=pro, service=service, day=day, zone=zone)

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
        "times": times,
        "periods": _periods(times),
        "prev_url": url(**{"from": prev_start.isoformat()}) if strip_start > today else None,
        "next_url": url(**{"from": next_start.isoformat()}) if next_start <= last_day else None,
        "strip_start": strip_start,
        "any_free": any(count for _, count in strip),
    }


def _periods(times: list[datetime]) -> list[tuple[str, list[datetime]]]:
    groups = {"Morning": [], "Afternoon": [], "Evening": []}
    for t in times:
        groups["Morning" if t.hour < 12 else "Afternoon" if t.hour < 17 else "Evening"].append(t)
    return [(label, items) for label, items in groups.items() if items]


@require_GET
def book(request, slug, service_id):
    pro, service, offered = _bookable(slug, service_id)
    base_url = reverse("bookings:book", kwargs={"slug": pro.slug, "service_id": service.pk})
    try:
        zone, ask_browser = _client_zone(request, pro)
        extra = {"tz": zone.key} if request.GET.get("tz") else {}
        picker = _picker(
            request,
            pro=pro,
            service=service,
            zone=zone,
            rules=selectors.booking_rules_for(pro),
            base_url=base_url,
            extra_query=extra,
        )
    except BadParameter as exc:
        return _bad_request(request, str(exc), back=base_url)
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
        "pro_zone": _zone(pro.timezone),
    }
    template = (
        "bookings/book.html#picker"
        if _wants_fragment(request, "picker")
        else ("bookings/book.html")
    )
    return render(request, template, context, status=status)


def _unavailable(request, *, pro, service, offered, zone, starts_at, message=None):
    """The flow page for the day of `starts_at` with fresh times and the reason (409)."""
    base_url = reverse("bookings:book", kwargs={"slug": pro.slug, "service_id": service.pk})
    day = starts_at.astimezone(zone).date()
    rules = selectors.booking_rules_for(pro)
    try:
        picker = _picker(
            request, pro=pro, service=service, zone=zone, rules=rules, base_url=base_url, day=day
        )
    except BadParameter:
        picker = _picker(
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
        error=message or "That time is no longer available. Please pick another one.",
        status=HTTPStatus.CONFLICT,
    )


@login_required
@require_http_methods(["GET", "POST"])
def confirm(request, slug, service_id):
    pro, service, offered = _bookable(slug, service_id)
    base_url = reverse("bookings:book", kwargs={"slug": pro.slug, "service_id": service.pk})
    zone = _user_zone(request.user) or _zone(pro.timezone)
    raw_start = request.POST.get("start") if request.method == "POST" else request.GET.get("start")
    try:
        starts_at = _parse_start(raw_start)
    except BadParameter as exc:
        return _bad_request(request, str(exc), back=base_url)
    if request.user.pk == pro.user_id:
        return _bad_request(request, "You cannot book your own service.", back=base_url)

    form = BookingNoteForm(request.POST or None, initial={"start": starts_at.isoformat()})
    rate_limited = False
    if request.method == "POST" and form.is_valid():
        try:
            booking = services.booking_create(
                client=request.user,
                service=service,
                starts_at=starts_at,
                note=form.cleaned_data["note"],
            )
        except lifecycle.SlotUnavailable as exc:
            return _unavailable(
                request,
                pro=pro,
                service=service,
                offered=offered,
                zone=zone,
                starts_at=starts_at,
                message=_first_message(exc),
            )
        except services.BookingRateLimited as exc:
            form.add_error(None, exc)
            rate_limited = True
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("bookings:done", pk=booking.pk)
    elif request.method == "GET":
        day = starts_at.astimezone(zone).date()
        free = _slots_on(pro=pro, service=service, day=day, zone=zone)
        if starts_at not in {s.astimezone(UTC) for s in free}:
            return _unavailable(
                request, pro=pro, service=service, offered=offered, zone=zone, starts_at=starts_at
            )

    pro_zone = _zone(pro.timezone)
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
        "back_url": f"{base_url}?{urlencode({'date': starts_at.astimezone(zone).date()})}",
    }
    if rate_limited:
        status = HTTPStatus.TOO_MANY_REQUESTS
    else:
        status = HTTPStatus.BAD_REQUEST if form.is_bound else HTTPStatus.OK
    return render(request, "bookings/confirm.html", context, status=status)


@login_required
@require_GET
def done(request, pk):
    booking = selectors.booking_get_for_user(user=request.user, pk=pk)
    rules_row = selectors.booking_rules_for(booking.pro)
    return render(
        request,
        "bookings/done.html",
        {
            "booking": booking,
            "zone": _user_zone(request.user) or _zone(booking.pro.timezone),
            "rules": rules_row,
        },
    )


# ---------------------------------------------------------------------------------------------
# Client: My bookings
# ---------------------------------------------------------------------------------------------


def _with_joins(queryset):
    """Join what the cards need (rules for the actions, the review) so lists stay O(1) queries."""
    return queryset.select_related(
        "pro", "pro__user", "pro__booking_rules", "service", "review", "client"
    )


@login_required
@require_GET
def my_bookings(request):
    now = timezone.now()
    zone = _user_zone(request.user) or _zone("UTC")
    qs = _with_joins(selectors.bookings_for_client(user=request.user))
    upcoming = [
        Card(b, user=request.user, now=now)
        for b in qs.filter(ends_at__gte=now).order_by("starts_at")
    ]
    past = [
        Card(b, user=request.user, now=now)
        for b in qs.filter(ends_at__lt=now).order_by("-starts_at")[:PAST_LIMIT]
    ]
    tab = request.GET.get("tab", "upcoming")
    if tab not in ("upcoming", "past"):
        tab = "upcoming"
    return render(
        request,
        "bookings/my_bookings.html",
        {"upcoming": upcoming, "past": past, "zone": zone, "tab": tab, "now": now},
    )


# ---------------------------------------------------------------------------------------------
# Pro: agenda
# ---------------------------------------------------------------------------------------------


@pro_required
@require_GET
def agenda(request, *, pro):
    zone = _zone(pro.timezone)
    now = timezone.now()
    today = now.astimezone(zone).date()
    view = request.GET.get("view", "day")
    if view not in ("day", "week"):
        return _bad_request(
            request, "The agenda shows a “day” or a “week”.", back=reverse("bookings:agenda")
        )
    try:
        day = _parse_date(request.GET["date"]) if request.GET.get("date") else today
    except BadParameter as exc:
        return _bad_request(request, str(exc), back=reverse("bookings:agenda"))
    if view == "week":
        first = day - timedelta(days=day.weekday())
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
    by_day = {d: [] for d in days}
    for card in cards:
        local_day = card.booking.starts_at.astimezone(zone).date()
        if local_day in by_day:
            by_day[local_day].append(card)
    requests_ = [
        Card(b, user=request.user, now=now, rules=rules_row)
        for b in _agenda_joins(selectors.pending_requests_for_pro(pro=pro))
    ]

    def url(**params):
        return f"{reverse('bookings:agenda')}?{urlencode(params)}"

    return render(
        request,
        "bookings/agenda.html",
        {
            "pro": pro,
            "zone": zone,
            "view": view,
            "day": day,
            "today": today,
            "days": [{"day": d, "cards": by_day[d], "is_today": d == today} for d in days],
            "requests": requests_,
            "prev_url": url(view=view, date=(day - step).isoformat()),
            "next_url": url(view=view, date=(day + step).isoformat()),
            "today_url": url(view=view),
            "day_url": url(view="day", date=day.isoformat()),
            "week_url": url(view="week", date=day.isoformat()),
            "count": len(cards),
            "now": now,
        },
    )


def _agenda_joins(queryset):
    return queryset.select_related(
        "pro", "pro__user", "service", "client", "client__client_profile", "client__pro_profile"
    )


# ---------------------------------------------------------------------------------------------
# Booking detail, actions, reviews, .ics
# ---------------------------------------------------------------------------------------------


def _payment_include() -> str | None:
    try:
        get_template(PAYMENT_INCLUDE)
    except TemplateDoesNotExist:
        return None
    return PAYMENT_INCLUDE


def _detail_page(request, booking, *, status=HTTPStatus.OK, **forms):
    now = timezone.now()
    card = Card(booking, user=request.user, now=now)
    zone = (
        (_zone(booking.pro.timezone) if card.role == lifecycle.PRO else None)
        or _user_zone(request.user)
        or _zone(booking.pro.timezone)
    )
    review = _review_of(booking)
    context = {
        "booking": booking,
        "card": card,
        "zone": zone,
        "pro_zone": _zone(booking.pro.timezone),
        "events": list(booking.events.all()),
        "client_name": _client_name(booking),
        "review": review,
        "review_form": forms.get("review_form") or (ReviewForm() if card.can_review else None),
        "reply_form": forms.get("reply_form")
        or (ReplyForm() if review and not review.reply and card.role == lifecycle.PRO else None),
        "reason_form": forms.get("reason_form") or ReasonForm(),
        "payment_include": _payment_include(),
        "now": now,
    }
    return render(request, "bookings/detail.html", context, status=status)


@login_required
@require_GET
def detail(request, pk):
    booking = selectors.booking_get_for_user(user=request.user, pk=pk)
    return _detail_page(request, booking)


@login_required
@require_POST
def act(request, pk, action):
    """One POST view for the lifecycle actions taken from pages (reschedule has its own)."""
    booking = selectors.booking_get_for_user(user=request.user, pk=pk)
    if action not in BOOKING_ACTIONS:
        raise Http404("No such action.")
    back = _next_url(request, reverse("bookings:detail", kwargs={"pk": booking.pk}))
    form = ReasonForm(request.POST)
    fragment = _wants_fragment(request, "card")
    error = None
    try:
        if not form.is_valid():
            raise ValidationError(f"The reason can be at most {REASON_MAX} characters.")
        booking = services.booking_transition(
            booking=booking, action=action, by=request.user, reason=form.cleaned_data["reason"]
        )
    except lifecycle.TransitionNotAllowed as exc:
        error, status = _first_message(exc), HTTPStatus.CONFLICT
    except ValidationError as exc:
        error, status = _first_message(exc), HTTPStatus.BAD_REQUEST
    else:
        status = HTTPStatus.OK
    if fragment:
        booking = selectors.booking_get_for_user(user=request.user, pk=pk)
        now = timezone.now()
        card = Card(booking, user=request.user, now=now)
        return render(
            request,
            "bookings/includes/_agenda_card.html",
            {
                "card": card,
                "zone": _zone(booking.pro.timezone),
                "error": error,
                "done_message": None if error else _done_message(action),
                "next": back,
            },
            status=status,
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _done_message(action))
    return redirect(back)


def _done_message(action: str) -> str:
    return {
        "confirm": "Booking confirmed.",
        "decline": "Request declined.",
        "cancel": "Booking cancelled.",
        "complete": "Marked as completed.",
        "no_show": "Marked as a no-show.",
    }.get(action, "Done.")


@login_required
@require_GET
def cancel(request, pk):
    """The confirm step before cancelling: explains a late cancellation and asks for a reason."""
    booking = selectors.booking_get_for_user(user=request.user, pk=pk)
    now = timezone.now()
    card = Card(booking, user=request.user, now=now)
    if "cancel" not in card.actions:
        messages.error(request, "This booking can no longer be cancelled.")
        return redirect("bookings:detail", pk=booking.pk)
    return render(
        request,
        "bookings/cancel.html",
        {
            "booking": booking,
            "card": card,
            "zone": _user_zone(request.user) or _zone(booking.pro.timezone),
            "reason_required": "cancel" in card.reason_actions,
            "form": ReasonForm(),
            "next": _next_url(request, reverse("bookings:detail", kwargs={"pk": booking.pk})),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def reschedule(request, pk):
    booking = selectors.booking_get_for_user(user=request.user, pk=pk)
    now = timezone.now()
    card = Card(booking, user=request.user, now=now)
    detail_url = reverse("bookings:detail", kwargs={"pk": booking.pk})
    if "reschedule" not in card.actions:
        messages.error(request, "This booking can no longer be rescheduled.")
        return redirect(detail_url)
    service = booking.service
    if service is None or not service.is_active:
        messages.error(request, "This service is no longer offered; cancel and book again.")
        return redirect(detail_url)
    pro = booking.pro
    zone = (
        _zone(pro.timezone) if card.role == lifecycle.PRO else _user_zone(request.user)
    ) or _zone(pro.timezone)
    base_url = reverse("bookings:reschedule", kwargs={"pk": booking.pk})
    rules_row = selectors.booking_rules_for(pro)
    error = None
    status = HTTPStatus.OK
    day = None
    if request.method == "POST":
        try:
            starts_at = _parse_start(request.POST.get("start"))
        except BadParameter as exc:
            return _bad_request(request, str(exc), back=base_url)
        try:
            services.booking_transition(
                booking=booking, action="reschedule", by=request.user, starts_at=starts_at
            )
        except lifecycle.SlotUnavailable as exc:
            error, status = _first_message(exc), HTTPStatus.CONFLICT
        except lifecycle.TransitionNotAllowed as exc:
            messages.error(request, _first_message(exc))
            return redirect(detail_url)
        except ValidationError as exc:
            error, status = _first_message(exc), HTTPStatus.BAD_REQUEST
        else:
            messages.success(request, "The booking was moved to the new time.")
            return redirect(detail_url)
        day = starts_at.astimezone(zone).date()
    elif not request.GET.get("date"):
        # Start on the booking's current day: moving it by an hour is the common case.
        today = now.astimezone(zone).date()
        current = booking.starts_at.astimezone(zone).date()
        if today <= current <= today + timedelta(days=rules_row.horizon_days):
            day = current
    try:
        picker = _picker(
            request,
            pro=pro,
            service=service,
            zone=zone,
            rules=rules_row,
            base_url=base_url,
            day=day if day and day >= now.astimezone(zone).date() else None,
        )
    except BadParameter as exc:
        return _bad_request(request, str(exc), back=base_url)
    context = {
        "booking": booking,
        "service": service,
        "pro": pro,
        "picker": picker,
        "zone": zone,
        "error": error,
        "reschedule_url": base_url,
    }
    template = (
        "bookings/reschedule.html#picker"
        if _wants_fragment(request, "picker")
        else "bookings/reschedule.html"
    )
    return render(request, template, context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def review(request, pk):
    booking = selectors.booking_get_for_user(user=request.user, pk=pk)
    if not _can_review(booking, request.user, timezone.now()):
        messages.error(request, "This booking cannot be reviewed.")
        return redirect("bookings:detail", pk=booking.pk)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.review_create(
                booking=booking,
                by=request.user,
                rating=form.cleaned_data["rating"],
                text=form.cleaned_data["text"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Thank you for your review!")
            return redirect(reverse("bookings:detail", kwargs={"pk": booking.pk}) + "#review")
    status = HTTPStatus.BAD_REQUEST if form.is_bound else HTTPStatus.OK
    return render(
        request, "bookings/review.html", {"booking": booking, "form": form}, status=status
    )


@login_required
@require_POST
def review_reply(request, pk):
    booking = selectors.booking_get_for_user(user=request.user, pk=pk)
    existing = _review_of(booking)
    if existing is None:
        raise Http404("This booking has no review.")
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            services.review_reply(review=existing, by=request.user, text=form.cleaned_data["text"])
        except ValidationError as exc:
            messages.error(request, _first_message(exc))
            return redirect(reverse("bookings:detail", kwargs={"pk": booking.pk}) + "#review")
        messages.success(request, "Your reply was published.")
        return redirect(reverse("bookings:detail", kwargs={"pk": booking.pk}) + "#review")
    return _detail_page(request, booking, reply_form=form, status=HTTPStatus.BAD_REQUEST)


@login_required
@require_GET
def booking_ics(request, pk):
    from bookings import ics

    booking = selectors.booking_get_for_user(user=request.user, pk=pk)
    for_pro = _role(booking, request.user) == lifecycle.PRO
    response = HttpResponse(
        ics.booking_ics(booking, for_pro=for_pro), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="timz-booking-{booking.pk}.ics"'
    return response
