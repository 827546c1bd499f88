"""The client's "My bookings" page: Upcoming, Past and Cancelled tabs (``?scope=``).

The scope rule is bookings.selectors.bookings_in_scope, shared with ``GET /api/v1/bookings``.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET

from accounts.timezones import viewer_zone
from bookings import selectors
from bookings.views.common import Card, bad_request

# Past and cancelled lists show the newest ones; upcoming bookings are few by nature.
LIST_LIMIT = 50

# (scope, the tab's name, the empty list's text, the list's name for screen readers). The tabs
# name lists of bookings ("Cancelled" bookings, not a booking's status).
TABS = (
    (
        "upcoming",
        pgettext_lazy("bookings tab", "Upcoming"),
        gettext_lazy("No upcoming bookings."),
        gettext_lazy("Upcoming bookings"),
    ),
    (
        "past",
        pgettext_lazy("bookings tab", "Past"),
        gettext_lazy("No past bookings yet."),
        gettext_lazy("Past bookings"),
    ),
    (
        "cancelled",
        pgettext_lazy("bookings tab", "Cancelled"),
        gettext_lazy("No cancelled, declined or expired bookings."),
        gettext_lazy("Cancelled bookings"),
    ),
)


def _with_joins(queryset):
    """Join what the cards need (rules for the actions, the review) so lists stay O(1) queries."""
    return queryset.select_related(
        "pro", "pro__user", "pro__booking_rules", "service", "review", "client"
    )


def booking_tabs(user, *, scope: str | None, now) -> list[dict]:
    """The tabs over the client's pages: each booking list with its count (one query);
    `scope` is the current one (None on the waitlist page)."""
    counts = selectors.scope_counts(selectors.bookings_for_client(user=user), now=now)
    return [
        {"scope": key, "label": label, "count": counts[key], "current": key == scope}
        for key, label, _empty, _name in TABS
    ]


@login_required
@require_GET
def my_bookings(request):
    scope = request.GET.get("scope") or "upcoming"
    if scope not in selectors.SCOPES:
        return bad_request(
            request,
            _("There is no such list of bookings: choose Upcoming, Past or Cancelled."),
            back=request.path,
        )
    now = timezone.now()
    mine = selectors.bookings_for_client(user=request.user)
    rows = selectors.bookings_in_scope(_with_joins(mine), scope=scope, now=now)
    return render(
        request,
        "bookings/my_bookings.html",
        {
            "cards": [Card(b, user=request.user, now=now) for b in rows[:LIST_LIMIT]],
            "scope": scope,
            "tabs": booking_tabs(request.user, scope=scope, now=now),
            "empty": next(empty for key, _label, empty, _name in TABS if key == scope),
            "list_label": next(name for key, _label, _empty, name in TABS if key == scope),
            "zone": viewer_zone(request.user),
            "now": now,
        },
    )
