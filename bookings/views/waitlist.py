"""The waitlist pages: join (from a pro's booking page or an empty search), my waitlist
(list, leave), and the offer page (the held time, its countdown, book or decline)."""

from __future__ import annotations

from http import HTTPStatus

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Category
from accounts.timezones import viewer_zone
from bookings import selectors, services
from bookings.forms import WaitlistJoinForm
from bookings.views.common import first_message
from bookings.views.my_bookings import booking_tabs

# Query parameters the join page takes over from the page that links to it.
CARRIED = ("pro", "service", "category", "q", "lat", "lng", "km", "date", "from_time", "to_time")


def _offered_service(*, pro_slug: str, service_id: int | None):
    """(the bookable service, the pro's active services) for a pro's entry; else Http404."""
    if not service_id:
        raise Http404("Pick one of this pro's services.")
    service = selectors.service_get_bookable(service_id=service_id, pro_slug=pro_slug)
    return service, list(selectors.services_for_pro(pro=service.pro))


def _search_summary(form) -> str:
    data = form.cleaned_data if form.is_bound and hasattr(form, "cleaned_data") else form.initial
    parts = []
    if data.get("q"):
        # Translators: the words a person searched for, in quotation marks.
        parts.append(_("“%(words)s”") % {"words": data["q"]})
    if data.get("category"):
        category = Category.objects.filter(slug=data["category"]).first()
        if category is not None:
            parts.append(category.name)
    if data.get("km") and data.get("lat") is not None:
        parts.append(_("within %(km)s km") % {"km": data["km"]})
    return " · ".join(parts)


@login_required
@require_http_methods(["GET", "POST"])
def join(request):
    zone = viewer_zone(request.user)
    if request.method == "POST":
        form = WaitlistJoinForm(request.POST)
    else:
        initial = {key: request.GET[key] for key in CARRIED if request.GET.get(key)}
        initial.setdefault("date", timezone.now().astimezone(zone).date())
        form = WaitlistJoinForm(initial=initial)
    params = request.POST if request.method == "POST" else request.GET
    pro_slug = params.get("pro") or ""
    service = offered = None
    if pro_slug:
        try:
            service_id = int(params.get("service") or 0)
        except ValueError:
            service_id = 0
        service, offered = _offered_service(pro_slug=pro_slug, service_id=service_id)

    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        category = None
        if data["category"]:
            category = Category.objects.filter(slug=data["category"]).first()
            if category is None:
                form.add_error(None, _("No such category."))
        if not form.errors:
            try:
                services.waitlist_join(
                    client=request.user,
                    day=data["date"],
                    from_time=data["from_time"],
                    to_time=data["to_time"],
                    zone=zone.key,
                    pro=service.pro if service else None,
                    service=service,
                    category=category,
                    q=data["q"],
                    latitude=data["lat"],
                    longitude=data["lng"],
                    km=data["km"],
                )
            except ValidationError as exc:
                form.add_error(None, first_message(exc))
            else:
                messages.success(
                    request,
                    _("You are on the waitlist. We will email you as soon as a time frees up."),
                )
                return redirect("bookings:waitlist")
    context = {
        "form": form,
        "zone": zone,
        "service": service,
        "pro": service.pro if service else None,
        "offered": offered,
        "search_summary": "" if service else _search_summary(form),
        "search_url": reverse("home")
        + "?"
        + urlencode({k: params[k] for k in ("q", "category") if params.get(k)}),
    }
    status = HTTPStatus.BAD_REQUEST if form.is_bound else HTTPStatus.OK
    return render(request, "bookings/waitlist_join.html", context, status=status)


@login_required
@require_GET
def my_waitlist(request):
    now = timezone.now()
    entries = list(selectors.waitlist_for_client(user=request.user)[:100])
    for entry in entries:
        entry.live_offer = next((o for o in entry.offers.all() if o.is_live(now)), None)
    return render(
        request,
        "bookings/waitlist.html",
        {
            "entries": entries,
            "tabs": booking_tabs(request.user, scope=None, now=now),
            "zone": viewer_zone(request.user),
            "now": now,
        },
    )


@login_required
@require_POST
def leave(request, pk):
    entry = selectors.waitlist_entry_get_for_user(user=request.user, pk=pk)
    services.waitlist_leave(entry=entry)
    messages.success(request, _("You left that waitlist."))
    return redirect("bookings:waitlist")


@login_required
@require_GET
def offer(request, token):
    found = selectors.waitlist_offer_get_for_user(user=request.user, token=token)
    now = timezone.now()
    zone = viewer_zone(request.user, fallback=found.pro.timezone)
    confirm_url = reverse(
        "bookings:confirm", kwargs={"slug": found.pro.slug, "service_id": found.service_id}
    )
    return render(
        request,
        "bookings/waitlist_offer.html",
        {
            "offer": found,
            "live": found.is_live(now),
            "seconds_left": max(0, int((found.expires_at - now).total_seconds())),
            "zone": zone,
            "book_url": f"{confirm_url}?{urlencode({'start': found.starts_at.isoformat()})}",
        },
    )


@login_required
@require_POST
def decline(request, token):
    found = selectors.waitlist_offer_get_for_user(user=request.user, token=token)
    try:
        services.waitlist_offer_decline(offer=found)
    except ValidationError as exc:
        messages.error(request, first_message(exc))
        return redirect("bookings:waitlist_offer", token=token)
    messages.success(request, _("Time released. You stay on the waitlist for other times."))
    return redirect("bookings:waitlist")
