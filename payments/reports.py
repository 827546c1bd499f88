"""Monthly fee and dispute figures per currency (``manage.py fee_report``). Reads only.

Besides the totals, ``source_report`` splits the month's payments by who brought the client
(``Booking.Source``: the marketplace, whose bookings pay the fee, or the pro's own link, whose
bookings by new clients pay none) and shows tips apart (the pro gets all of a tip)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import Count, Sum

from bookings.models import Booking
from payments.models import Dispute, Payment, Refund


@dataclass(frozen=True)
class FeeLine:
    currency: str
    payments: int
    gross: int
    fees: int
    refunds: int
    fee_refunds: int

    @property
    def net_fee_revenue(self) -> int:
        return self.fees - self.fee_refunds


def parse_month(text: str) -> tuple[datetime, datetime]:
    """ "2026-11" -> [start, end) in UTC; ValueError with a readable message otherwise."""
    try:
        start = datetime.strptime(text.strip(), "%Y-%m").replace(tzinfo=UTC)
    except (ValueError, AttributeError):
        raise ValueError(f"“{text}” is not a month: use YYYY-MM, e.g. 2026-11.") from None
    end = (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )
    return start, end


def fee_report(*, start: datetime, end: datetime) -> list[FeeLine]:
    """Payments taken in [start, end) and refunds completed in it, per currency."""
    paid = (
        Payment.objects.filter(
            status__in=Payment.PAID_STATUSES, paid_at__gte=start, paid_at__lt=end
        )
        .values("currency")
        .annotate(gross=Sum("amount"), fees=Sum("fee"), n=Count("id"))
        .order_by()
    )
    counts: dict[str, Mapping[str, Any]] = {row["currency"]: row for row in paid}
    refunds: dict[str, Mapping[str, Any]] = {
        row["payment__currency"]: row
        for row in Refund.objects.filter(
            status=Refund.Status.SUCCEEDED, completed_at__gte=start, completed_at__lt=end
        )
        .values("payment__currency")
        .annotate(amount=Sum("amount"), fee=Sum("application_fee_refunded"))
        .order_by()
    }
    lines = []
    for currency in sorted(set(counts) | set(refunds)):
        p, r = counts.get(currency, {}), refunds.get(currency, {})
        lines.append(
            FeeLine(
                currency=currency,
                payments=p.get("n") or 0,
                gross=p.get("gross") or 0,
                fees=p.get("fees") or 0,
                refunds=r.get("amount") or 0,
                fee_refunds=r.get("fee") or 0,
            )
        )
    return lines


@dataclass(frozen=True)
class SourceLine:
    kind: str  # "Marketplace", "Pro-link", "Tips"
    currency: str
    payments: int
    gross: int
    fees: int


SOURCE_LABELS = {
    Booking.Source.MARKETPLACE: "Marketplace",
    Booking.Source.PRO_LINK: "Pro-link",
}
TIPS_LABEL = "Tips"


def source_report(*, start: datetime, end: datetime) -> list[SourceLine]:
    """Payments taken in [start, end) by source (marketplace bookings, pro-link bookings) and
    tips apart, per currency; each with its count, gross and fees (before refunds)."""
    paid = Payment.objects.filter(
        status__in=Payment.PAID_STATUSES, paid_at__gte=start, paid_at__lt=end
    )
    rows = (
        paid.exclude(kind=Payment.Kind.TIP)
        .values("booking__source", "currency")
        .annotate(gross=Sum("amount"), fees=Sum("fee"), n=Count("id"))
        .order_by()
    )
    lines = [
        SourceLine(
            kind=SOURCE_LABELS.get(row["booking__source"], row["booking__source"]),
            currency=row["currency"],
            payments=row["n"],
            gross=row["gross"] or 0,
            fees=row["fees"] or 0,
        )
        for row in rows
    ]
    tips = (
        paid.filter(kind=Payment.Kind.TIP)
        .values("currency")
        .annotate(gross=Sum("amount"), fees=Sum("fee"), n=Count("id"))
        .order_by()
    )
    lines += [
        SourceLine(
            kind=TIPS_LABEL,
            currency=row["currency"],
            payments=row["n"],
            gross=row["gross"] or 0,
            fees=row["fees"] or 0,
        )
        for row in tips
    ]
    order = [*SOURCE_LABELS.values(), TIPS_LABEL]
    return sorted(
        lines, key=lambda line: (order.index(line.kind) if line.kind in order else 9, line.currency)
    )


@dataclass(frozen=True)
class DisputeLine:
    currency: str
    opened: int
    lost: int
    lost_amount: int
    recovered: int

    @property
    def platform_loss(self) -> int:
        """What lost disputes cost the platform beyond what the pros gave back (Stripe's
        dispute fees come on top)."""
        return self.lost_amount - self.recovered


def dispute_report(*, start: datetime, end: datetime) -> list[DisputeLine]:
    """Disputes opened in [start, end), and disputes lost in it (by their closing date), per
    currency."""
    opened = dict(
        Dispute.objects.filter(opened_at__gte=start, opened_at__lt=end)
        .values("currency")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("currency", "n")
    )
    lost: dict[str, Mapping[str, Any]] = {
        row["currency"]: row
        for row in Dispute.objects.filter(
            status=Dispute.Status.LOST, closed_at__gte=start, closed_at__lt=end
        )
        .values("currency")
        .annotate(n=Count("id"), amount=Sum("amount"), recovered=Sum("funds_recovered"))
        .order_by()
    }
    return [
        DisputeLine(
            currency=currency,
            opened=opened.get(currency, 0),
            lost=lost.get(currency, {}).get("n") or 0,
            lost_amount=lost.get(currency, {}).get("amount") or 0,
            recovered=lost.get(currency, {}).get("recovered") or 0,
        )
        for currency in sorted(set(opened) | set(lost))
    ]
