"""Monthly fee and dispute figures per currency (``manage.py fee_report``). Reads only.

Besides the totals, ``source_report`` splits the month's payments by who brought the client
(``Booking.Source``: the marketplace, whose bookings pay the fee, or the pro's own link, whose
bookings by new clients pay none) and shows tips apart (the pro gets all of a tip)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import ProProfile
from bookings.models import Booking
from payments.models import Dispute, Payment, Refund
from timz import money


@dataclass(frozen=True)
class FeeLine:
    """One currency's money for a month: the platform's figures (``fee_report``) and, for one
    pro, what the pro made (the money page, ``GET /api/v1/me/earnings``).

    ``gross`` is what clients paid for bookings (full payments, deposits, balances, no-show
    fees), ``tips`` what they tipped; ``fees`` the platform fees taken on them and
    ``fee_refunds`` the part of those fees given back with refunds; ``refunds`` the money sent
    back to clients; ``disputes`` what lost disputes took back from the pro.
    """

    currency: str
    payments: int
    gross: int
    fees: int
    refunds: int
    fee_refunds: int
    tips: int = 0
    disputes: int = 0

    @property
    def volume(self) -> int:
        """Everything clients paid: bookings and tips."""
        return self.gross + self.tips

    @property
    def net_fee_revenue(self) -> int:
        return self.fees - self.fee_refunds

    @property
    def net(self) -> int:
        """What the pro keeps: all they were paid, less the platform's fees (net of fee
        refunds), refunds and lost disputes."""
        return self.volume - self.net_fee_revenue - self.refunds - self.disputes


def parse_month(text: str) -> tuple[datetime, datetime]:
    """ "2026-11" -> [start, end) in UTC; ValueError with a readable message otherwise."""
    try:
        start = datetime.strptime(text.strip(), "%Y-%m").replace(tzinfo=UTC)
    except (ValueError, AttributeError):
        raise ValueError(
            gettext("“%(text)s” is not a month: use YYYY-MM, e.g. 2026-11.") % {"text": text}
        ) from None
    end = (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )
    return start, end


def month_in_zone(text: str, zone: tzinfo) -> tuple[datetime, datetime]:
    """ "2026-11" -> [start, end) of that calendar month on the wall clock of `zone` (a pro's
    month: the first at 00:00 there to the next first at 00:00 there)."""
    start, end = parse_month(text)
    return start.replace(tzinfo=zone), end.replace(tzinfo=zone)


def fee_report(*, start: datetime, end: datetime, pro: ProProfile | None = None) -> list[FeeLine]:
    """The month's money per currency, for the platform or for one `pro`'s bookings.

    What belongs to [start, end): a payment (of any kind) by its ``paid_at``, a succeeded
    refund by its ``completed_at``, a lost dispute by its ``closed_at`` (the day the money is
    gone; its amount is what was taken back from the pro). Three grouped queries.
    """
    payments = Payment.objects.filter(
        status__in=Payment.PAID_STATUSES, paid_at__gte=start, paid_at__lt=end
    )
    refunds = Refund.objects.filter(
        status=Refund.Status.SUCCEEDED, completed_at__gte=start, completed_at__lt=end
    )
    disputes = Dispute.objects.filter(
        status=Dispute.Status.LOST, closed_at__gte=start, closed_at__lt=end
    )
    if pro is not None:
        payments = payments.filter(booking__pro=pro)
        refunds = refunds.filter(payment__booking__pro=pro)
        disputes = disputes.filter(payment__booking__pro=pro)
    tip = Q(kind=Payment.Kind.TIP)
    paid: dict[str, Mapping[str, Any]] = {
        row["currency"]: row
        for row in payments.values("currency")
        .annotate(
            gross=Sum("amount", filter=~tip),
            tips=Sum("amount", filter=tip),
            fees=Sum("fee"),
            n=Count("id"),
        )
        .order_by()
    }
    refunded: dict[str, Mapping[str, Any]] = {
        row["payment__currency"]: row
        for row in refunds.values("payment__currency")
        .annotate(amount=Sum("amount"), fee=Sum("application_fee_refunded"))
        .order_by()
    }
    lost = dict(
        disputes.values("currency")
        .annotate(recovered=Sum("funds_recovered"))
        .order_by()
        .values_list("currency", "recovered")
    )
    lines = []
    for currency in sorted(set(paid) | set(refunded) | set(lost)):
        p, r = paid.get(currency, {}), refunded.get(currency, {})
        lines.append(
            FeeLine(
                currency=currency,
                payments=p.get("n") or 0,
                gross=p.get("gross") or 0,
                tips=p.get("tips") or 0,
                fees=p.get("fees") or 0,
                refunds=r.get("amount") or 0,
                fee_refunds=r.get("fee") or 0,
                disputes=lost.get(currency) or 0,
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


SOURCE_LABELS: dict[str, str] = {
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
            kind=SOURCE_LABELS.get(row["booking__source"], str(row["booking__source"])),
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


# A pro's month, line by line (the money page, its CSV and the earnings API) ------------------


@dataclass(frozen=True)
class EarningLine:
    """One movement of a pro's money: a payment taken, a refund completed or a dispute lost.

    The signs follow the figures: ``fee`` is negative on a refund that gave fees back, so
    that the lines of a month add up to ``fee_report(pro=...)`` exactly.
    """

    when: datetime
    booking_id: int
    client_name: str
    service_name: str
    kind: str  # a Payment.Kind value, "refund" or "dispute"
    kind_label: str
    currency: str
    amount: int = 0
    fee: int = 0
    refunded: int = 0
    disputed: int = 0

    @property
    def net(self) -> int:
        return self.amount - self.fee - self.refunded - self.disputed


def _line_booking(payment: Payment) -> dict[str, Any]:
    booking = payment.booking
    return {
        "booking_id": booking.pk,
        "client_name": booking.client.display_name,
        "service_name": booking.service_name,
        "currency": payment.currency,
    }


def earning_lines(*, pro: ProProfile, start: datetime, end: datetime) -> list[EarningLine]:
    """`pro`'s payments, refunds and lost disputes in [start, end) (the months of
    ``fee_report``), oldest first. Three queries whatever their number."""
    booking = ("booking__client__client_profile", "booking__client__pro_profile")
    payments = Payment.objects.filter(
        booking__pro=pro, status__in=Payment.PAID_STATUSES, paid_at__gte=start, paid_at__lt=end
    ).select_related(*booking)
    after_payment = ("payment", *(f"payment__{path}" for path in booking))
    refunds = Refund.objects.filter(
        payment__booking__pro=pro,
        status=Refund.Status.SUCCEEDED,
        completed_at__gte=start,
        completed_at__lt=end,
    )
    disputes = Dispute.objects.filter(
        payment__booking__pro=pro,
        status=Dispute.Status.LOST,
        closed_at__gte=start,
        closed_at__lt=end,
    )
    lines = [
        EarningLine(
            when=p.paid_at,  # type: ignore[arg-type]  # filtered on: never None here
            kind=p.kind,
            kind_label=p.get_kind_display(),
            amount=p.amount,
            fee=p.fee,
            **_line_booking(p),
        )
        for p in payments
    ]
    lines += [
        EarningLine(
            when=r.completed_at,  # type: ignore[arg-type]
            kind="refund",
            kind_label=pgettext("payment kind", "Refund"),
            refunded=r.amount,
            fee=-r.application_fee_refunded,
            **_line_booking(r.payment),
        )
        for r in refunds.select_related(*after_payment)
    ]
    lines += [
        EarningLine(
            when=d.closed_at,  # type: ignore[arg-type]
            kind="dispute",
            kind_label=pgettext("payment kind", "Dispute lost"),
            disputed=d.funds_recovered,
            **_line_booking(d.payment),
        )
        for d in disputes.select_related(*after_payment)
    ]
    return sorted(lines, key=lambda line: (line.when, line.booking_id))


# The money CSV's columns, in the language of the pro who downloads it (``csv_header``).
CSV_HEADER = (
    _("Date"),
    pgettext_lazy("money column", "Booking"),
    _("Client"),
    _("Service"),
    pgettext_lazy("money column", "Kind"),
    _("Currency"),
    _("Amount"),
    pgettext_lazy("money column", "Fee"),
    pgettext_lazy("money column", "Refunded"),
    pgettext_lazy("money column", "Dispute"),
    pgettext_lazy("money column", "Net"),
)
CSV_NUMERIC = frozenset({1, 6, 7, 8, 9, 10})


def csv_header() -> list[str]:
    """``CSV_HEADER`` in the active language."""
    return [str(title) for title in CSV_HEADER]


def earnings_csv_rows(lines: list[EarningLine], zone: tzinfo) -> list[tuple[object, ...]]:
    """The rows of the money page's CSV: the date on the pro's clock, amounts in major units
    (a plain decimal number, the currency in its own column)."""
    return [
        (
            line.when.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            line.booking_id,
            line.client_name,
            line.service_name,
            line.kind_label,
            line.currency,
            *(
                f"{money.to_major(value, line.currency):f}"
                for value in (line.amount, line.fee, line.refunded, line.disputed, line.net)
            ),
        )
        for line in lines
    ]
