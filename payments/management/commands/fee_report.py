"""manage.py fee_report --month YYYY-MM: gross volume, fees, refunds, net fee revenue; the same
payments by source (marketplace, the pro's own link) with tips apart; the month's disputes."""

from django.core.management.base import BaseCommand, CommandError

from payments.reports import dispute_report, fee_report, parse_month, source_report
from timz.money import format_money


class Command(BaseCommand):
    help = "Gross volume, platform fees, refunds and net fee revenue per currency for a month."

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="The month, as YYYY-MM (UTC).")

    def handle(self, *args, month, **options):
        try:
            start, end = parse_month(month)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
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
                    (
                        line.currency,
                        str(line.payments),
                        *(
                            format_money(value, line.currency)
                            for value in (
                                line.gross,
                                line.fees,
                                line.refunds,
                                line.fee_refunds,
                                line.net_fee_revenue,
                            )
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
                    (
                        line.currency,
                        str(line.opened),
                        str(line.lost),
                        *(
                            format_money(value, line.currency)
                            for value in (line.lost_amount, line.recovered, line.platform_loss)
                        ),
                    )
                    for line in disputes
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
