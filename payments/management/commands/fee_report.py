"""manage.py fee_report --month YYYY-MM: gross volume, fees, refunds, net fee revenue."""

from django.core.management.base import BaseCommand, CommandError

from payments.reports import fee_report, parse_month
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
        self.stdout.write(f"Fee report for {start:%B %Y} (UTC)")
        if not lines:
            self.stdout.write("No payments or refunds in this month.")
            return
        header = (
            "Currency",
            "Payments",
            "Gross volume",
            "Platform fees",
            "Refunds",
            "Fees refunded",
            "Net fee revenue",
        )
        rows = [header]
        for line in lines:
            c = line.currency
            rows.append(
                (
                    c,
                    str(line.payments),
                    format_money(line.gross, c),
                    format_money(line.fees, c),
                    format_money(line.refunds, c),
                    format_money(line.fee_refunds, c),
                    format_money(line.net_fee_revenue, c),
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        for row in rows:
            self.stdout.write(
                "  ".join(
                    cell.ljust(w) if i == 0 else cell.rjust(w)
                    for i, (cell, w) in enumerate(zip(row, widths, strict=True))
                )
            )
