"""manage.py fee_report --month YYYY-MM."""

from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from bookings.models import Booking
from conftest import book, local_at, make_booking
from payments.models import Payment, Refund

pytestmark = pytest.mark.django_db


def report(month):
    out = StringIO()
    call_command("fee_report", "--month", month, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("month", ["2026-13", "26-11", "november", "2026-11-01", ""])
def test_bad_month_is_a_clear_error(month):
    with pytest.raises(CommandError, match="use YYYY-MM"):
        report(month)


def test_empty_month(db):
    assert "No payments or refunds" in report("2026-01")


def test_gross_fees_refunds_and_net_per_currency(working_pro, service, client_user):
    # The payments are written by hand: the service is paid at the appointment, so booking it
    # opens no checkout of its own.
    booking = book(client=client_user, service=service)
    nov = datetime(2026, 11, 10, tzinfo=UTC)
    eur = Payment.objects.create(
        booking=booking,
        backend="offline",
        amount=5000,
        fee=500,
        currency="EUR",
        status="partially_refunded",
        paid_at=nov,
    )
    Refund.objects.create(
        payment=eur,
        amount=2000,
        application_fee_refunded=200,
        reason="x",
        status="succeeded",
        completed_at=nov,
    )
    Refund.objects.create(payment=eur, amount=100, reason="failed", status="failed")
    other = book(client=client_user, service=service, days=4)
    Payment.objects.create(
        booking=other,
        backend="offline",
        amount=3000,
        fee=300,
        currency="USD",
        status="succeeded",
        paid_at=datetime(2026, 11, 30, 23, 59, tzinfo=UTC),
    )
    later = book(client=client_user, service=service, days=5)
    Payment.objects.create(
        booking=later,
        backend="offline",
        amount=9999,
        fee=999,
        currency="EUR",
        status="succeeded",
        paid_at=datetime(2026, 12, 1, tzinfo=UTC),
    )
    text = report("2026-11")
    lines = {line.split()[0]: line.split() for line in text.splitlines()[2:]}
    assert lines["EUR"] == ["EUR", "1", "€50.00", "€5.00", "€20.00", "€2.00", "€3.00"]
    assert lines["USD"] == ["USD", "1", "$30.00", "$3.00", "$0.00", "$0.00", "$3.00"]
    assert "November 2026" in text


def test_an_unknown_pro_is_a_clear_error(db):
    with pytest.raises(CommandError, match="No pro with the slug or email “nobody”"):
        call_command("fee_report", "--month", "2026-11", "--pro", "nobody", stdout=StringIO())


def test_a_pros_report_reads_the_month_on_the_pros_clock(
    offline_account, paid_service, client_user
):
    # A booking row with no checkout of its own (booking a paid service would open one).
    booking = make_booking(client=client_user, service=paid_service, starts_at=local_at(3, 10))
    # 23:30 UTC on 31 October is 00:30 on 1 November in Paris.
    Payment.objects.create(
        booking=booking,
        backend="offline",
        amount=5000,
        fee=500,
        currency="EUR",
        status="succeeded",
        paid_at=datetime(2026, 10, 31, 23, 30, tzinfo=UTC),
    )
    out = StringIO()
    call_command("fee_report", "--month", "2026-11", "--pro", "pro@example.com", stdout=out)

    text = out.getvalue()
    assert "November 2026 (Europe/Paris)" in text
    row = next(line.split() for line in text.splitlines() if line.startswith("EUR"))
    assert row == ["EUR", "1", "€50.00", "€0.00", "€5.00", "€0.00", "€0.00", "€45.00"]
    assert "EUR" not in report("2026-11")  # the platform's November is UTC's


def test_marketplace_and_pro_link_bookings_and_tips_are_shown_apart(
    offline_account, paid_service, client_user, other_client
):
    nov = datetime(2026, 11, 10, tzinfo=UTC)
    # Booking rows with no checkout of their own: the payments are written by hand.
    market = make_booking(client=client_user, service=paid_service, starts_at=local_at(3, 10))
    linked = make_booking(client=other_client, service=paid_service, starts_at=local_at(4, 10))
    Booking.objects.filter(pk=linked.pk).update(source=Booking.Source.PRO_LINK)
    for booking, amount, fee in ((market, 5000, 500), (linked, 5000, 0)):
        Payment.objects.create(
            booking=booking,
            backend="offline",
            amount=amount,
            fee=fee,
            currency="EUR",
            status="succeeded",
            paid_at=nov,
        )
    for booking, amount in ((market, 750), (linked, 500)):
        Payment.objects.create(
            booking=booking,
            kind="tip",
            attempt=2,
            backend="offline",
            amount=amount,
            fee=0,
            currency="EUR",
            status="succeeded",
            paid_at=nov,
        )
    text = report("2026-11")
    rows = {line.split()[0]: line.split() for line in text.splitlines() if line.strip()}
    # The totals keep their format: every payment taken, tips included.
    assert rows["EUR"] == ["EUR", "4", "€112.50", "€5.00", "€0.00", "€0.00", "€5.00"]
    assert "By source" in text
    assert rows["Marketplace"] == ["Marketplace", "EUR", "1", "€50.00", "€5.00"]
    assert rows["Pro-link"] == ["Pro-link", "EUR", "1", "€50.00", "€0.00"]
    assert rows["Tips"] == ["Tips", "EUR", "2", "€12.50", "€0.00"]
