"""The figures staff see on top of the admin index: today's bookings, pending requests, this
month's gross volume and platform fees, and open refunds.

`admin_stats(now)` reads them with at most three aggregate queries (bookings, payments of the
month, open refunds). "Today" and "this month" are calendar periods in the platform's zone
(settings.TIME_ZONE, UTC). Amounts are integer minor units, one row per currency: they are never
added across currencies.

Each card links to the admin changelist of exactly the rows it counts: the filters of the link
are built from the same statuses and bounds as the count.

`install(site)` wraps the admin site's index view so that the template receives the figures as
`timz_stats` (each block only for staff allowed to view that model). timz/urls.py calls it
before it mounts `admin.site.urls`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.contrib import admin
from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import timezone

from bookings.models import Booking
from payments.models import Payment, Refund

# Bookings that count as "today's bookings": still happening or happened, not called off.
_HELD_OR_DONE = (*Booking.ACTIVE_STATUSES, Booking.Status.COMPLETED, Booking.Status.NO_SHOW)


def _platform_local(now: datetime) -> datetime:
    # The platform zone, not whatever zone a middleware activated for the staff member: the
    # figures must match `manage.py fee_report` and be the same for every member of staff.
    return timezone.localtime(now, timezone.get_default_timezone())


def _aware(naive: datetime) -> datetime:
    return timezone.make_aware(naive, timezone.get_default_timezone())


def day_bounds(now: datetime) -> tuple[datetime, datetime]:
    """[midnight, next midnight) of `now`'s calendar day in the platform zone, aware."""
    start = _platform_local(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return start, _aware(start.replace(tzinfo=None) + timedelta(days=1))


def month_bounds(now: datetime) -> tuple[datetime, datetime]:
    """[first of the month, first of the next month) of `now` in the platform zone, aware."""
    first = _platform_local(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    naive = first.replace(tzinfo=None)
    if naive.month == 12:
        following = naive.replace(year=naive.year + 1, month=1)
    else:
        following = naive.replace(month=naive.month + 1)
    return first, _aware(following)


def _booking_stats(now: datetime) -> dict:
    day_start, day_end = day_bounds(now)
    today = Q(starts_at__gte=day_start, starts_at__lt=day_end)
    return Booking.objects.aggregate(
        today=Count("id", filter=today & Q(status__in=_HELD_OR_DONE)),
        today_confirmed=Count("id", filter=today & Q(status=Booking.Status.CONFIRMED)),
        pending_requests=Count("id", filter=Q(status=Booking.Status.REQUESTED)),
        awaiting_payment=Count("id", filter=Q(status=Booking.Status.PENDING_PAYMENT)),
    )


def _volume(now: datetime) -> list[dict]:
    """Money taken this month (by paid_at), per currency: gross, platform fees, refunded."""
    month_start, month_end = month_bounds(now)
    rows = (
        Payment.objects.filter(
            status__in=Payment.PAID_STATUSES, paid_at__gte=month_start, paid_at__lt=month_end
        )
        .values("currency")
        .annotate(
            payments=Count("id"),
            gross=Sum("amount"),
            fees=Sum("fee"),
            refunded=Sum("amount_refunded"),
            fees_refunded=Sum("fee_refunded"),
        )
        .order_by("currency")
    )
    return [
        {**row, "net_fees": row["fees"] - row["fees_refunded"]}
        for row in rows  # one query
    ]


def _open_refunds() -> dict:
    """Refunds asked for and not settled yet (Stripe status pending), per currency."""
    rows = list(
        Refund.objects.filter(status=Refund.Status.PENDING)
        .values("payment__currency")
        .annotate(count=Count("id"), amount=Sum("amount"))
        .order_by("payment__currency")
    )
    return {
        "count": sum(row["count"] for row in rows),
        "by_currency": [
            {"currency": row["payment__currency"], "count": row["count"], "amount": row["amount"]}
            for row in rows
        ],
    }


def admin_stats(now: datetime) -> dict:
    """The dashboard figures at `now` (aware). At most three queries.

    Keys: today, month_start, month_end, bookings {today, today_confirmed, pending_requests,
    awaiting_payment}, volume [{currency, payments, gross, fees, refunded, fees_refunded,
    net_fees}], open_refunds {count, by_currency [{currency, count, amount}]}.
    """
    month_start, month_end = month_bounds(now)
    return {
        "today": _platform_local(now).date(),
        "month_start": month_start,
        "month_end": month_end,
        "bookings": _booking_stats(now),
        "volume": _volume(now),
        "open_refunds": _open_refunds(),
    }


def _changelist(model, **filters: str) -> str:
    """The admin changelist URL of `model` with `filters` as its query string (the admin reads
    an `__in` filter's values separated by commas)."""
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    return f"{url}?{urlencode(filters)}"


def dashboard_context(request, now: datetime) -> dict:
    """`admin_stats` plus links, keeping only what this staff member may view."""
    user = request.user
    show_bookings = user.has_perm("bookings.view_booking")
    show_payments = user.has_perm("payments.view_payment")
    show_refunds = user.has_perm("payments.view_refund")
    if not (show_bookings or show_payments or show_refunds):
        return {}
    stats = admin_stats(now)
    day_start, day_end = day_bounds(now)
    stats["show_bookings"] = show_bookings
    stats["show_volume"] = show_payments
    stats["show_refunds"] = show_refunds
    stats["links"] = {
        "today": _changelist(
            Booking,
            status__in=",".join(_HELD_OR_DONE),
            starts_at__gte=day_start.isoformat(),
            starts_at__lt=day_end.isoformat(),
        ),
        "pending_requests": _changelist(Booking, status=Booking.Status.REQUESTED),
        "volume": _changelist(
            Payment,
            status__in=",".join(Payment.PAID_STATUSES),
            paid_at__gte=stats["month_start"].isoformat(),
            paid_at__lt=stats["month_end"].isoformat(),
        ),
        "open_refunds": _changelist(Refund, status=Refund.Status.PENDING),
    }
    return stats


def install(site: admin.AdminSite = admin.site) -> None:
    """Make `site.index` pass `timz_stats` to templates/admin/index.html. Idempotent; must run
    before `site.urls` is read (the URL patterns capture the index view)."""
    if getattr(site.index, "_timz_dashboard", False):
        return
    original = site.index

    def index(request, extra_context=None):
        context = {"timz_stats": dashboard_context(request, timezone.now())}
        context.update(extra_context or {})
        return original(request, extra_context=context)

    index._timz_dashboard = True
    site.index = index
