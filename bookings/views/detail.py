"""One booking: its page, the lifecycle actions, cancel and reschedule, and its .ics file."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.timezones import viewer_zone, zone_of
from bookings import lifecycle, selectors, services
from bookings.forms import (
    REASON_MAX,
    ReasonForm,
    ReplyForm,
    ReviewForm,
)
from bookings.views.common import (
    BadParameter,
    Card,
    bad_request,
    client_name,
    first_message,
    next_url,
    parse_start,
    review_of,
    viewer_role,
    wants_fragment,
)
from bookings.views.flow import build_picker


def render_detail(request, booking, *, status=HTTPStatus.OK, **forms):
    now = timezone.now()
    card = Card(booking, user=request.user, now=now)
    zone = viewer_zone(request.user, fallback=booking.pro.timezone)
    review = review_of(booking)
    context = {
        "booking": booking,
        "card": card,
        "zone": zone,
        "pro_zone": zone_of(booking.pro.timezone),
        "events": list(booking.events.all()),
        "client_name": client_name(booking),
        "review": review,
        "review_form": forms.get("review_form") or (ReviewForm() if card.can_review else None),
        "reply_form": forms.get("reply_form")
        or (ReplyForm() if review and not review.reply and card.role == lifecycle.PRO else None),
        "reason_form": forms.get("reason_form") or ReasonForm(),
        "series": selectors.series_position(booking),
        "now": now,
    }
    return render(request, "bookings/detail.html", context, status=status)


@login_required
@require_GET
def detail(request, pk):
    booking = selectors.booking_get_for_user(user=request.user, pk=pk)
    return render_detail(request, booking)


@login_required
@require_POST
def act(request, pk, action):
    """One POST view for the lifecycle actions taken from pages (reschedule has its own)."""
    booking = selectors.booking_get_for_user(user=request.user, pk=pk)
    if action not in lifecycle.BUTTON_ACTIONS:
        raise Http404("No such action.")
    back = next_url(request, reverse("bookings:detail", kwargs={"pk": booking.pk}))
    form = ReasonForm(request.POST)
    fragment = wants_fragment(request, "card")
    error = None
    try:
        if not form.is_valid():
            raise ValidationError(
                ngettext(
                    "The reason can be at most %(max)d character.",
                    "The reason can be at most %(max)d characters.",
                    REASON_MAX,
                )
                % {"max": REASON_MAX}
            )
        booking = services.booking_transition(
            booking=booking, action=action, by=request.user, reason=form.cleaned_data["reason"]
        )
    except lifecycle.TransitionNotAllowed as exc:
        error, status = first_message(exc), HTTPStatus.CONFLICT
    except ValidationError as exc:
        error, status = first_message(exc), HTTPStatus.BAD_REQUEST
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
                "zone": zone_of(booking.pro.timezone),
                "error": error,
                "done_message": None if error else lifecycle.done_message(action),
                "next": back,
                # A card from "Requests waiting" keeps showing its date.
                "show_date": request.POST.get("show_date") == "1",
            },
            status=status,
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, lifecycle.done_message(action))
    return redirect(back)


@login_required
@require_GET
def cancel(request, pk):
    """The confirm step before cancelling: explains a late cancellation and asks for a reason."""
    booking = selectors.booking_get_for_user(user=request.user, pk=pk)
    now = timezone.now()
    card = Card(booking, user=request.user, now=now)
    if "cancel" not in card.actions:
        messages.error(request, _("This booking can no longer be cancelled."))
        return redirect("bookings:detail", pk=booking.pk)
    return render(
        request,
        "bookings/cancel.html",
        {
            "booking": booking,
            "card": card,
            "zone": viewer_zone(request.user, fallback=booking.pro.timezone),
            "reason_required": "cancel" in card.reason_actions,
            "form": ReasonForm(),
            "next": next_url(request, reverse("bookings:detail", kwargs={"pk": booking.pk})),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def reschedule(request, pk):
    """Pick a new time (GET), confirm the move (GET with ``start``), move it (POST).

    The confirm form carries the booking's ``sequence`` as the page showed it: if the booking
    changed in between, booking_transition refuses the move (stale) and the picker says so.
    """
    booking = selectors.booking_get_for_user(user=request.user, pk=pk)
    now = timezone.now()
    card = Card(booking, user=request.user, now=now)
    detail_url = reverse("bookings:detail", kwargs={"pk": booking.pk})
    if "reschedule" not in card.actions:
        messages.error(request, _("This booking can no longer be rescheduled."))
        return redirect(detail_url)
    service = booking.service
    if service is None or not service.is_active:
        messages.error(request, _("This service is no longer offered; cancel and book again."))
        return redirect(detail_url)
    pro = booking.pro
    zone = viewer_zone(request.user, fallback=pro.timezone)
    base_url = reverse("bookings:reschedule", kwargs={"pk": booking.pk})
    rules_row = selectors.booking_rules_for(pro)
    error = None
    status = HTTPStatus.OK
    day = None
    raw_start = request.POST.get("start") if request.method == "POST" else request.GET.get("start")
    if raw_start is not None:
        try:
            starts_at = parse_start(raw_start)
            seen = _sequence(request.POST.get("sequence"))
        except BadParameter as exc:
            return bad_request(request, str(exc), back=base_url)
        day = starts_at.astimezone(zone).date()
        if request.method == "POST":
            if seen is not None:
                booking.sequence = seen  # the service compares it with the locked row
            try:
                services.booking_transition(
                    booking=booking, action="reschedule", by=request.user, starts_at=starts_at
                )
            except lifecycle.SlotUnavailable as exc:
                error, status = first_message(exc), HTTPStatus.CONFLICT
            except lifecycle.TransitionNotAllowed as exc:
                if exc.code != "stale":
                    messages.error(request, first_message(exc))
                    return redirect(detail_url)
                error, status = first_message(exc), HTTPStatus.CONFLICT
                booking = selectors.booking_get_for_user(user=request.user, pk=pk)
            except ValidationError as exc:
                error, status = first_message(exc), HTTPStatus.BAD_REQUEST
            else:
                messages.success(request, _("The booking was moved to the new time."))
                return redirect(detail_url)
        elif starts_at == booking.starts_at:
            error = _("Pick a different time from the current one.")
            status = HTTPStatus.BAD_REQUEST
        elif not selectors.slot_is_free(
            pro=pro,
            duration_minutes=booking.duration_minutes,
            starts_at=starts_at,
            now=now,
            exclude_booking_id=booking.pk,
        ):
            error, status = _("That time is no longer available."), HTTPStatus.CONFLICT
        else:
            return render(
                request,
                "bookings/reschedule_confirm.html",
                {
                    "booking": booking,
                    "pro": pro,
                    "zone": zone,
                    "starts_at": starts_at,
                    "ends_at": starts_at + timedelta(minutes=booking.duration_minutes),
                    "needs_approval": card.role == lifecycle.CLIENT
                    and rules_row.confirmation_mode == rules_row.ConfirmationMode.REQUEST,
                    "back_url": f"{base_url}?{urlencode({'date': day.isoformat()})}",
                },
            )
    elif not request.GET.get("date"):
        # Start on the booking's current day: moving it by an hour is the common case.
        today = now.astimezone(zone).date()
        current = booking.starts_at.astimezone(zone).date()
        if today <= current <= today + timedelta(days=rules_row.horizon_days):
            day = current
    try:
        picker = build_picker(
            request,
            pro=pro,
            service=service,
            zone=zone,
            rules=rules_row,
            base_url=base_url,
            day=day if day and day >= now.astimezone(zone).date() else None,
        )
    except BadParameter as exc:
        return bad_request(request, str(exc), back=base_url)
    context = {
        "booking": booking,
        "service": service,
        "pro": pro,
        "picker": picker,
        "zone": zone,
        "error": error,
        "confirm_url": base_url,
    }
    template = (
        "bookings/reschedule.html#picker"
        if wants_fragment(request, "picker")
        else "bookings/reschedule.html"
    )
    return render(request, template, context, status=status)


def _sequence(value: str | None) -> int | None:
    """The booking version a confirm form was shown with (absent: the current one)."""
    if value is None or value == "":
        return None
    if not value.isdigit() or len(value) > 9:
        raise BadParameter(_("The form is out of date. Pick the new time again."))
    return int(value)


@login_required
@require_GET
def booking_ics(request, pk):
    from bookings import ics

    booking = selectors.booking_get_for_user(user=request.user, pk=pk)
    for_pro = viewer_role(booking, request.user) == lifecycle.PRO
    response = HttpResponse(
        ics.booking_ics(booking, for_pro=for_pro), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="timz-booking-{booking.pk}.ics"'
    return response
