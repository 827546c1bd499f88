"""The client's "My bookings" page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.timezones import viewer_zone
from bookings import selectors
from bookings.views.common import Card

PAST_LIMIT = 50


def _with_joins(queryset):
    """Join what the cards need (rules for the actions, the review) so lists stay O(1) queries."""
    return queryset.select_related(
        "pro", "pro__user", "pro__booking_rules", "service", "review", "client"
    )


@login_required
@require_GET
def my_bookings(request):
    now = timezone.now()
    zone = viewer_zone(request.user)
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
