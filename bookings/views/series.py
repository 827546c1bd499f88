"""Standing appointments' pages: the preview and confirmation of a series (a client from the
booking flow's confirm step, a pro from one of their clients' page), "cancel this and
following" from any occurrence, and the pro's one accept for a series of requests.

The preview is a GET (nothing written); its form POSTs either "check again" (the preview with
the moves applied, still nothing written) or "book" (booking_series_create: all or nothing; a
time taken meanwhile re-shows the preview with the new conflict, 409).
"""

from __future__ import annotations

from datetime import date, datetime, time
from http import HTTPStatus

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import pro_required
from accounts.timezones import viewer_zone, zone_of
from bookings import lifecycle, selectors, series, services
from bookings.views.common import (
    BadParameter,
    Card,
    bad_request,
    first_message,
    parse_start,
)
from timz.ratelimit import RateLimited

SKIP = "skip"


def _whole(value, message: str) -> int:
    """`value` as an int; else BadParameter(`message`)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        raise BadParameter(message) from None


def _request(data) -> tuple:
    """(first start, every N weeks, M times, note, moves) from the form; BadParameter else."""
    starts_at = parse_start(data.get("start"))
    every = _whole(data.get("every"), _("The repeat interval must be a whole number."))
    count = _whole(data.get("count"), _("The number of appointments must be a whole number."))
    if not series.COUNT[0] <= count <= series.COUNT[1]:
        raise BadParameter(
            _("The number of appointments must be from %(min)d to %(max)d.")
            % {"min": series.COUNT[0], "max": series.COUNT[1]}
        )
    choices = {}
    for index in range(count):
        raw = data.get(f"at_{index}")
        if raw is None or raw == "":
            continue
        choices[index] = None if raw == SKIP else parse_start(raw)
    return starts_at, every, count, data.get("note", "")[:2000], choices


def _series_page(request, *, data, service, client, back_url: str, done_url=None):
    """The preview (GET, or POST "check") and the booking (POST "book") of a series of
    `service` for `client` from the form `data`, booked by the user asking (the client, or
    the pro for them)."""
    try:
        starts_at, every, count, note, choices = _request(data)
    except BadParameter as exc:
        return bad_request(request, str(exc), back=back_url)
    by = request.user
    by_pro = by.pk != client.pk
    asked = {
        "by": by,
        "client": client,
        "service": service,
        "starts_at": starts_at,
        "every_weeks": every,
        "count": count,
        "note": note,
        "choices": choices,
    }
    try:
        services.series_check(**asked)
    except ValidationError as exc:
        return bad_request(request, first_message(exc), back=back_url)

    error, status = None, HTTPStatus.OK
    if request.method == "POST" and data.get("action") == "book":
        try:
            _, bookings, _ = services.booking_series_create(**asked)
        except services.SeriesConflict as exc:
            error, status = first_message(exc), HTTPStatus.CONFLICT
        except RateLimited as exc:
            error, status = first_message(exc), HTTPStatus.TOO_MANY_REQUESTS
        except ValidationError as exc:
            error, status = first_message(exc), HTTPStatus.BAD_REQUEST
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)d appointment booked, %(every)s.",
                    "%(count)d appointments booked, %(every)s.",
                    len(bookings),
                )
                % {"count": len(bookings), "every": series.every_label(every)},
            )
            return redirect(done_url or reverse("bookings:detail", args=[bookings[0].pk]))

    slots = selectors.series_preview(
        client=client,
        service=service,
        first_start=starts_at,
        every_weeks=every,
        count=count,
        choices=choices,
        by_pro=by_pro,
    )
    pro = service.pro
    zone = viewer_zone(by, fallback=pro.timezone)
    pro_zone = zone_of(pro.timezone)
    rules = selectors.booking_rules_for(pro)
    return render(
        request,
        "bookings/series.html",
        {
            "pro": pro,
            "service": service,
            "client": client,
            "by_pro": by_pro,
            "slots": slots,
            "start": starts_at.isoformat(),
            "every": every,
            "every_label": series.every_label(every),
            "count": count,
            "note": note,
            "zone": zone,
            "pro_zone": pro_zone,
            "zones_differ": zone.key != pro_zone.key,
            "local_time": starts_at.astimezone(pro_zone).time(),
            "bookable": sum(1 for slot in slots if slot.bookable),
            "unresolved": sum(1 for slot in slots if slot.conflict),
            "requests": not by_pro and rules.confirmation_mode == "request",
            "error": error,
            "back_url": back_url,
            "skip": SKIP,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def series_new(request, slug, service_id):
    """A client's series from the booking flow's confirm step."""
    service = selectors.service_get_bookable(service_id=service_id, pro_slug=slug)
    back_url = reverse("bookings:book", kwargs={"slug": slug, "service_id": service.pk})
    data = request.POST if request.method == "POST" else request.GET
    return _series_page(request, data=data, service=service, client=request.user, back_url=back_url)


@pro_required
@require_http_methods(["GET", "POST"])
def client_series(request, client_id, *, pro):
    """A pro's series for one of their clients (from the client's page): the same preview,
    the occurrences booked confirmed. The first time comes as ``date`` and ``time`` (the
    pro's wall clock) or as ``start``."""
    client = selectors.client_get_for_pro(pro=pro, client_id=client_id)
    back_url = reverse("bookings:client_detail", args=[client.pk]) + "#series"
    data = request.POST if request.method == "POST" else request.GET
    try:
        service_id = _whole(data.get("service"), _("The service must be a whole number."))
    except BadParameter as exc:
        return bad_request(request, str(exc), back=back_url)
    service = selectors.services_for_pro(pro=pro).filter(pk=service_id).first()
    if service is None:
        return bad_request(request, _("Pick one of your active services."), back=back_url)
    if not data.get("start") and data.get("date"):
        data = data.copy()
        try:
            data["start"] = _wall_start(data.get("date"), data.get("time"), pro.timezone)
        except BadParameter as exc:
            return bad_request(request, str(exc), back=back_url)
    return _series_page(
        request,
        data=data,
        service=service,
        client=client,
        back_url=back_url,
        done_url=reverse("bookings:client_detail", args=[client.pk]),
    )


def _wall_start(day: str | None, at: str | None, zone_name: str) -> str:
    """The ISO start of wall time `at` ("HH:MM") on `day` in the pro's zone."""
    try:
        local = datetime.combine(date.fromisoformat(day or ""), time.fromisoformat(at or ""))
    except ValueError:
        raise BadParameter(_("Give the first date (YYYY-MM-DD) and time (HH:MM).")) from None
    instant = series.local_instant(local.date(), local.time(), zone_of(zone_name))
    if instant is None:
        raise BadParameter(series.GAP_REASON)
    return instant.isoformat()


@login_required
@require_http_methods(["GET", "POST"])
def series_cancel(request, pk):
    """Cancel this occurrence and the following ones (GET: what will be cancelled)."""
    booking = selectors.booking_get_for_user(user=request.user, pk=pk)
    where = selectors.series_position(booking)
    detail_url = reverse("bookings:detail", args=[booking.pk])
    card = Card(booking, user=request.user, now=timezone.now())
    if where is None or "cancel" not in card.actions:
        messages.error(request, _("This booking and the following ones cannot be cancelled now."))
        return redirect(detail_url)
    error, status = None, HTTPStatus.OK
    if request.method == "POST":
        try:
            cancelled = services.booking_series_cancel(
                booking=booking, by=request.user, reason=request.POST.get("reason", "")[:500]
            )
        except lifecycle.TransitionNotAllowed as exc:
            error = first_message(exc)
            status = (
                HTTPStatus.BAD_REQUEST if exc.code == "reason_required" else HTTPStatus.CONFLICT
            )
        except ValidationError as exc:
            error, status = first_message(exc), HTTPStatus.BAD_REQUEST
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)d appointment cancelled.",
                    "%(count)d appointments cancelled.",
                    len(cancelled),
                )
                % {"count": len(cancelled)},
            )
            return redirect(detail_url)
    return render(
        request,
        "bookings/series_cancel.html",
        {
            "booking": booking,
            "where": where,
            "card": card,
            "zone": viewer_zone(request.user, fallback=booking.pro.timezone),
            "reason_required": "cancel" in card.reason_actions,
            "error": error,
        },
        status=status,
    )


@pro_required
@require_POST
def series_accept(request, pk, *, pro):
    """The pro accepts every waiting request of the booking's series at once."""
    booking = selectors.booking_get_for_user(user=request.user, pk=pk)
    if booking.pro_id != pro.pk:
        messages.error(request, _("Only the pro of this booking can accept it."))
        return redirect("bookings:detail", pk=booking.pk)
    try:
        accepted = services.booking_series_confirm(booking=booking, by=request.user)
    except ValidationError as exc:
        messages.error(request, first_message(exc))
    else:
        messages.success(
            request,
            ngettext(
                "%(count)d request of the series accepted.",
                "%(count)d requests of the series accepted.",
                len(accepted),
            )
            % {"count": len(accepted)},
        )
    return redirect("bookings:detail", pk=booking.pk)
