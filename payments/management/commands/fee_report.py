"""manage.py fee_report --month YYYY-MM [--pro SLUG]: gross volume, fees, refunds, net fee
revenue; the same payments by source (marketplace, the pro's own link) with tips apart; the
month's disputes; with --pro, one pro's month as their money page shows it (the same function,
``payments.reports.fee_report``)."""

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from accounts.models import ProProfile
from accounts.timezones import zone_of
from payments.reports import dispute_report, fee_report, month_in_zone, parse_month, source_report
from timz.money import format_money


def _row(currency: str, counts: tuple[int, ...], amounts: tuple[int, ...]) -> tuple[str, ...]:
    """A table row: the currency, counts, then amounts formatted in the currency."""
    return (
        currency,
        *(str(n) for n in counts),
        *(format_money(value, currency) for value in amounts),
    )


class Command(BaseCommand):
    help = "Gross volume, platform fees, refunds and net fee revenue per currency for a month."

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="The month, as YYYY-MM (UTC).")
        parser.add_argument(
            "--pro",
            help="One pro (slug or email): their month on their own clock, as their money "
            "page shows it.",
        )

    def handle(self, *args, month, pro=None, **options):
        try:
            start, end = parse_month(month)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if pro is not None:
            self._pro_report(pro, month)
            return
        lines = fee_report(start=start, end=end)
        disputes = dispute_report(start=start, end=end)
        self.stdout.write(f"Fee report for {start:%B %Y} (UTC)")
        if not lines:
            self.stdout.write("No payments or refunds in this month.")
        else:
            self._table(
                (
                    "Currency",
                    "Payments",
                    "Gross volume",
                    "Platform fees",
                    "Refunds",
                    "Fees refunded",
                    "Net fee revenue",
                ),
                [
                    _row(
                        line.currency,
                        (line.payments,),
                        (
                            line.volume,
                            line.fees,
                            line.refunds,
                            line.fee_refunds,
                            line.net_fee_revenue,
                        ),
                    )
                    for line in lines
                ],
            )
        sources = source_report(start=start, end=end)
        if sources:
            # No blank line before it: readers of the totals take every line after the title.
            self.stdout.write("By source (payments taken, before refunds; tips carry no fee)")
            self._table(
                ("Source", "Currency", "Payments", "Gross volume", "Platform fees"),
                [
                    (
                        line.kind,
                        line.currency,
                        str(line.payments),
                        format_money(line.gross, line.currency),
                        format_money(line.fees, line.currency),
                    )
                    for line in sources
                ],
            )
        if disputes:
            self.stdout.write("")
            self.stdout.write("Disputes (lost: by closing date; without Stripe's dispute fees)")
            self._table(
                ("Currency", "Opened", "Lost", "Lost amount", "Recovered", "Platform loss"),
                [
                    _row(
                        line.currency,
                        (line.opened, line.lost),
                        (line.lost_amount, line.recovered, line.platform_loss),
                    )
                    for line in disputes
                ],
            )

    def _pro_report(self, who: str, month: str) -> None:
        profile = ProProfile.objects.filter(Q(slug=who) | Q(user__email__iexact=who)).first()
        if profile is None:
            raise CommandError(f"No pro with the slug or email “{who}”.")
        zone = zone_of(profile.timezone)
        start, end = month_in_zone(month, zone)
        lines = fee_report(start=start, end=end, pro=profile)
        self.stdout.write(f"Fee report for {profile} ({profile.slug}), {start:%B %Y} ({zone})")
        if not lines:
            self.stdout.write("No payments, refunds or lost disputes in this month.")
            return
        self._table(
            ("Currency", "Payments", "Gross", "Tips", "Fees", "Refunds", "Disputes", "Net"),
            [
                _row(
                    line.currency,
                    (line.payments,),
                    (
                        line.gross,
                        line.tips,
                        line.net_fee_revenue,
                        line.refunds,
                        line.disputes,
                        line.net,
                    ),
                )
                for line in lines
            ],
        )

    def _table(self, header: tuple[str, ...], body: list[tuple[str, ...]]) -> None:
        """Columns padded to their widest cell: the first left-aligned, the rest right."""
        rows = [header, *body]
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        for row in rows:
            self.stdout.write(
                "  ".join(
                    cell.ljust(w) if i == 0 else cell.rjust(w)
                    for i, (cell, w) in enumerate(zip(row, widths, strict=True))
                )
            )
