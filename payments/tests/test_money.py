"""The pro's money: a month's figures and lines (``payments.reports``), the money page and
its CSV, payouts (offline records, Stripe's list), and ``GET /api/v1/me/earnings``."""

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from http import HTTPStatus
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from conftest import login, make_booking, make_pro, make_service, make_user
from payments import selectors
from payments.models import Dispute, Payment, Payout, Refund
from payments.reports import fee_report
from payments.services import payouts_offline_run

pytestmark = pytest.mark.django_db

MONEY = reverse("payments:money")
API = "/api/v1/me/earnings"
NOW = datetime(2026, 12, 15, 11, tzinfo=UTC)


@pytest.fixture
def december(travel):
    """The clock in mid-December 2026 (Paris)."""
    return travel(NOW)


def paid(booking, *, amount, fee, at, kind="full", currency="EUR", status="succeeded"):
    return Payment.objects.create(
        booking=booking,
        kind=kind,
        attempt=booking.payments.count() + 1,
        backend="offline",
        amount=amount,
        fee=fee,
        currency=currency,
        status=status,
        paid_at=at,
    )


def refunded(payment, *, amount, fee, at):
    return Refund.objects.create(
        payment=payment,
        amount=amount,
        application_fee_refunded=fee,
        reason="Cancelled",
        status="succeeded",
        completed_at=at,
    )


def lost(payment, *, recovered, opened, closed):
    return Dispute.objects.create(
        payment=payment,
        stripe_dispute_id=f"dp_{payment.pk}",
        amount=payment.amount,
        currency=payment.currency,
        status="lost",
        funds_recovered=recovered,
        opened_at=opened,
        closed_at=closed,
    )


def dec(day, hour=10, minute=0):
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def a_month(december, pro, client_user, service):
    """Every kind of money in December for `pro`, plus what must stay out of it."""
    visit = make_booking(client=client_user, service=service, starts_at=dec(2))
    full = paid(visit, amount=5000, fee=500, at=dec(3), status="partially_refunded")
    refunded(full, amount=2000, fee=200, at=dec(5))
    deposit_visit = make_booking(client=client_user, service=service, starts_at=dec(9))
    paid(deposit_visit, amount=1000, fee=100, at=dec(4), kind="deposit")
    paid(deposit_visit, amount=4000, fee=400, at=dec(10), kind="balance")
    paid(deposit_visit, amount=800, fee=0, at=dec(10, 12), kind="tip")
    no_show = make_booking(client=client_user, service=service, starts_at=dec(6))
    paid(no_show, amount=1500, fee=150, at=dec(6, 11), kind="no_show_fee")
    # November's payment, disputed and lost in December: the loss is December's.
    november = make_booking(client=client_user, service=service, starts_at=dec(1) - timedelta(10))
    old = paid(november, amount=3000, fee=300, at=dec(1) - timedelta(days=9))
    lost(old, recovered=2700, opened=dec(1) - timedelta(days=2), closed=dec(8))
    # Another pro's payment, a failed attempt and a pending refund: none of them count.
    other = make_pro(name="Otto")
    theirs = make_booking(client=client_user, service=make_service(pro=other), starts_at=dec(7))
    paid(theirs, amount=9000, fee=900, at=dec(7))
    failed = make_booking(client=client_user, service=service, starts_at=dec(11))
    paid(failed, amount=7000, fee=700, at=dec(11), status="failed")
    Refund.objects.create(payment=full, amount=500, reason="pending", status="pending")
    return pro


def december_of(pro):
    return selectors.pro_month(pro=pro, month="2026-12")


# The month's computation ----------------------------------------------------------------------


def test_a_month_adds_every_kind_less_fees_refunds_and_lost_disputes(a_month):
    [eur] = selectors.figures_for_month(pro=a_month, month=december_of(a_month))

    assert (eur.currency, eur.payments) == ("EUR", 5)
    assert eur.gross == 5000 + 1000 + 4000 + 1500  # full, deposit, balance, no-show fee
    assert eur.tips == 800
    assert eur.net_fee_revenue == 500 + 100 + 400 + 150 - 200
    assert eur.refunds == 2000
    assert eur.disputes == 2700
    assert eur.net == 11500 + 800 - 950 - 2000 - 2700 == 6650


def test_the_lines_add_up_to_the_figures(a_month):
    earnings = selectors.earnings_for_month(pro=a_month, month=december_of(a_month))
    [eur] = earnings.figures

    kinds = [line.kind for line in earnings.lines]
    assert kinds == ["full", "deposit", "refund", "no_show_fee", "dispute", "balance", "tip"]
    assert sum(line.net for line in earnings.lines) == eur.net
    assert sum(line.fee for line in earnings.lines) == eur.net_fee_revenue
    assert [line.client_name for line in earnings.lines] == ["Chloé Client"] * 7


def test_the_month_is_the_pros_own_a_payment_at_2330_utc_on_the_last_day_is_next_month_in_paris(
    december, pro, client_user, service
):
    booking = make_booking(client=client_user, service=service, starts_at=dec(1, 9))
    paid(booking, amount=5000, fee=500, at=datetime(2026, 11, 30, 23, 30, tzinfo=UTC))

    november = selectors.pro_month(pro=pro, month="2026-11")
    december_ = selectors.pro_month(pro=pro, month="2026-12")

    assert selectors.figures_for_month(pro=pro, month=november) == []
    [eur] = selectors.figures_for_month(pro=pro, month=december_)
    assert eur.gross == 5000
    # The platform's report stays in UTC: there it is November's.
    [utc] = fee_report(start=dec(1) - timedelta(days=30), end=dec(1))
    assert utc.gross == 5000


def test_currencies_are_never_added_together(december, pro, client_user, service):
    usd = make_service(pro=pro, currency="USD", price_amount=2000)
    paid(
        make_booking(client=client_user, service=service, starts_at=dec(2)),
        amount=5000,
        fee=500,
        at=dec(2),
    )
    paid(
        make_booking(client=client_user, service=usd, starts_at=dec(3)),
        amount=2000,
        fee=200,
        at=dec(3),
        currency="USD",
    )

    earnings = selectors.earnings_for_month(pro=pro, month=december_of(pro))

    assert [(f.currency, f.net) for f in earnings.figures] == [("EUR", 4500), ("USD", 1800)]
    assert earnings.main.currency == "EUR"


# The page -----------------------------------------------------------------------------------


def test_the_money_page_figures_are_fee_reports_for_the_pro_and_month(a_month):
    response = login(a_month.user).get(MONEY, {"month": "2026-12"})

    assert response.status_code == HTTPStatus.OK
    month = december_of(a_month)
    assert response.context["earnings"].figures == fee_report(
        start=month.start, end=month.end, pro=a_month
    )
    out = StringIO()
    call_command("fee_report", "--month", "2026-12", "--pro", a_month.slug, stdout=out)
    row = next(line.split() for line in out.getvalue().splitlines() if line.startswith("EUR"))
    assert row == ["EUR", "5", "€115.00", "€8.00", "€9.50", "€20.00", "€27.00", "€66.50"]
    html = response.content.decode()
    for figure in ("€115.00", "€8.00", "−€9.50", "−€20.00", "−€27.00", "€66.50"):
        assert figure in html
    # A refund's line gives back its fee: the same minus sign as the figures' deductions.
    assert "−€2.00" in html and "-€" not in html
    assert html.count('data-testid="money-line"') == 7
    booking_url = reverse("bookings:detail", args=[Payment.objects.get(paid_at=dec(3)).booking_id])
    assert f'href="{booking_url}"' in html


def test_the_page_shows_this_month_by_default_with_links_to_the_months_around(a_month):
    html = login(a_month.user).get(MONEY).content.decode()

    assert "December 2026" in html
    assert 'href="?month=2026-11"' in html and 'href="?month=2027-01"' in html
    assert "Nov 2026" in html and "Jan 2027" in html


def test_a_month_in_the_future_is_empty(december, pro):
    response = login(pro.user).get(MONEY, {"month": "2027-03"})

    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "This month has not started yet." in html
    assert 'data-figure="refunds">€0.00' not in html  # no figures at all, not zeros
    assert 'href="?month=2027-02"' in html and "Feb 2027" in html


def test_a_january_links_back_to_the_previous_december(december, pro):
    html = login(pro.user).get(MONEY, {"month": "2026-01"}).content.decode()

    assert 'href="?month=2025-12"' in html and "Dec 2025" in html


def test_figures_of_nothing_are_shown_without_a_minus_sign(december, pro, client_user, service):
    paid(make_booking(client=client_user, service=service, starts_at=dec(2)), amount=5000,
         fee=0, at=dec(2))  # fmt: skip

    html = login(pro.user).get(MONEY).content.decode()

    assert 'data-figure="refunds">€0.00<' in html and 'data-figure="fees">€0.00<' in html


@pytest.mark.parametrize("month", ["2026-13", "december", "2026-1x", "1999-12", "99999-01"])
def test_a_month_that_is_not_one_is_a_400_page_with_the_reason(december, pro, month):
    response = login(pro.user).get(MONEY, {"month": month})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "YYYY-MM" in response.content.decode() or "out of range" in response.content.decode()


def test_an_unknown_format_is_a_400(december, pro):
    response = login(pro.user).get(MONEY, {"format": "xlsx"})

    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_the_page_is_only_for_pros(december, client_user):
    assert login(client_user).get(MONEY).status_code == HTTPStatus.FORBIDDEN
    response = Client().get(MONEY)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("account_login"))


def test_a_pro_sees_only_their_own_money(a_month):
    other = make_pro(name="Otto")

    html = login(other.user).get(MONEY, {"month": "2026-12"}).content.decode()

    assert "No payments, refunds or disputes in December 2026." in html
    assert "Chloé Client" not in html


def _fill(pro, client_user, service, n):
    for i in range(n):
        visit = make_booking(
            client=make_user(), service=service, starts_at=dec(1 + i % 10, 8 + i // 10)
        )
        p = paid(visit, amount=5000, fee=500, at=dec(1 + i % 10, 8 + i // 10))
        refunded(p, amount=1000, fee=100, at=dec(12))
    Payout.objects.create(pro=pro, amount=1000, currency="EUR", arrival_date=date(2026, 12, 8))


# session, user, pro, unread count; 3 for the figures, 3 for the lines, payouts and the account.
MONEY_QUERIES = 12


@pytest.mark.parametrize("n", [1, 30])
def test_the_page_costs_the_same_queries_whatever_the_months_size(
    december, pro, client_user, service, n, django_assert_max_num_queries
):
    _fill(pro, client_user, service, n)
    http = login(pro.user)

    with django_assert_max_num_queries(MONEY_QUERIES):
        response = http.get(MONEY)

    assert response.content.decode().count('data-testid="money-line"') == 2 * n


# CSV ------------------------------------------------------------------------------------------


def test_the_csv_has_every_line_in_major_units_on_the_pros_clock(a_month):
    response = login(a_month.user).get(MONEY, {"month": "2026-12", "format": "csv"})

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("text/csv; charset=utf-8")
    assert response["Content-Disposition"] == (
        f'attachment; filename="timz-{a_month.slug}-2026-12.csv"'
    )
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff") and "\r\n" in body
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))
    assert rows[0] == [
        "Date", "Booking", "Client", "Service", "Kind", "Currency",
        "Amount", "Fee", "Refunded", "Dispute", "Net",
    ]  # fmt: skip
    assert len(rows) == 8
    first = rows[1]
    # Paid at 10:00 UTC on 3 December: 11:00 in Paris.
    assert first[0] == "2026-12-03 11:00"
    assert first[2:] == ["Chloé Client", "Haircut", "Booking", "EUR",
                         "50.00", "5.00", "0.00", "0.00", "45.00"]  # fmt: skip
    refund = next(row for row in rows if row[4] == "Refund")
    assert refund[6:] == ["0.00", "-2.00", "20.00", "0.00", "-18.00"]
    total = sum(float(row[10]) for row in rows[1:])
    assert round(total, 2) == 66.50


@pytest.mark.parametrize("name", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)"])
def test_csv_cells_that_a_spreadsheet_would_run_are_kept_as_text(
    december, pro, client_user, service, name
):
    client_user.client_profile.display_name = name
    client_user.client_profile.save()
    service.name = name
    service.save()
    visit = make_booking(client=client_user, service=service, starts_at=dec(2))
    paid(visit, amount=5000, fee=500, at=dec(3))

    body = login(pro.user).get(MONEY, {"month": "2026-12", "format": "csv"}).content.decode()

    row = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))[1]
    assert row[2] == row[3] == "'" + name


# Payouts: offline records --------------------------------------------------------------------


def test_the_offline_backend_pays_each_pro_out_weekly_what_they_earned(
    offline_payments, a_month, travel
):
    assert payouts_offline_run(now=NOW) == 2  # `a_month`'s pro, and the other pro there
    [payout] = Payout.objects.filter(pro=a_month)
    # Everything kept so far: December's net and November's payment (its loss is in it).
    assert (payout.amount, payout.currency) == (6650 + 2700, "EUR")
    assert payout.arrival_date == date(2026, 12, 15) and payout.status == "paid"
    assert payouts_offline_run(now=NOW + timedelta(days=3)) == 0  # once a week

    visit = make_booking(client=make_user(), service=a_month.services.first(), starts_at=dec(16))
    paid(visit, amount=2000, fee=200, at=dec(16))
    travel(NOW + timedelta(days=7, minutes=1))
    assert payouts_offline_run(now=NOW + timedelta(days=7, minutes=1)) == 1
    assert Payout.objects.filter(pro=a_month).order_by("id").last().amount == 1800


def test_process_due_makes_the_offline_payouts(offline_payments, a_month):
    call_command("process_due", "--quiet")

    assert Payout.objects.filter(pro=a_month).count() == 1


def test_no_offline_payout_with_stripe(stripe_backend, a_month):
    assert payouts_offline_run(now=NOW) == 0
    assert not Payout.objects.exists()


def test_the_money_page_lists_the_months_payouts(offline_payments, a_month):
    payouts_offline_run(now=NOW)
    Payout.objects.create(pro=a_month, amount=999, currency="EUR", arrival_date=date(2026, 11, 3))

    html = login(a_month.user).get(MONEY, {"month": "2026-12"}).content.decode()

    assert "15 Dec 2026" in html and "€93.50" in html
    assert "€9.99" not in html  # November's


# Payouts: Stripe's balance transactions -------------------------------------------------------

BALANCE = "/v1/balance_transactions"


def midnight(day: date) -> int:
    return int(datetime.combine(day, datetime.min.time(), UTC).timestamp())


def _stripe_payouts(standin, account, n, day=date(2026, 12, 9), made=None, **fields):
    for i in range(n):
        created = midnight(made or day) - i
        standin.add_payout(
            account, amount=100, arrival_date=midnight(day), created=created, **fields
        )


def test_stripe_payouts_come_from_the_accounts_balance_transactions_every_page_cached(
    december, stripe_account, standin
):
    pro = stripe_account.pro
    _stripe_payouts(standin, stripe_account.stripe_account_id, 105)
    _stripe_payouts(standin, stripe_account.stripe_account_id, 1, day=date(2026, 11, 30))
    http = login(pro.user)

    html = http.get(MONEY, {"month": "2026-12"}).content.decode()
    http.get(MONEY, {"month": "2026-12"})

    assert "Paid out: €105.00" in html  # November's payout made the list, not the page
    assert not standin.requests_for("/v1/payouts")
    calls = standin.requests_for(BALANCE, "GET")
    assert len(calls) == 2  # two pages of 100, then the cache
    assert {call.stripe_account for call in calls} == {stripe_account.stripe_account_id}
    assert calls[1].params["starting_after"].startswith("txn_")
    first = calls[0].params
    assert (first["type"], first["limit"], first["expand"]) == ("payout", "100", ["data.source"])
    assert first["created"] == {  # made from two weeks before the month, arriving in it
        "gte": str(int(datetime(2026, 11, 17, tzinfo=UTC).timestamp())),
        "lt": str(int(datetime(2027, 1, 1, tzinfo=UTC).timestamp())),
    }


def test_stripe_payouts_count_in_the_month_they_arrive_and_failed_ones_add_nothing(
    december, stripe_account, standin
):
    account = stripe_account.stripe_account_id
    # Made on 29 November, arriving on 2 December: December's.
    _stripe_payouts(standin, account, 1, day=date(2026, 12, 2), made=date(2026, 11, 29))
    # Made on 31 December, arriving on 4 January: January's.
    _stripe_payouts(standin, account, 1, day=date(2027, 1, 4), made=date(2026, 12, 31))
    _stripe_payouts(standin, account, 1, day=date(2026, 12, 10), status="failed")
    standin.add_payout(account, amount=4000, arrival_date=midnight(date(2026, 12, 16)))

    payouts = selectors.payouts_for_month(
        pro=stripe_account.pro, month=december_of(stripe_account.pro)
    )

    assert [(p.amount, p.arrival_date.day, p.status) for p in payouts.items] == [
        (4000, 16, "paid"),
        (100, 10, "failed"),
        (100, 2, "paid"),
    ]
    assert all(p.id.startswith("po_") for p in payouts.items)
    assert payouts.totals() == {"EUR": 4100}


def test_when_stripe_cannot_be_reached_the_page_still_shows_the_figures(
    a_month, stripe_account, settings
):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there

    response = login(a_month.user).get(MONEY, {"month": "2026-12"})

    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "Payouts could not be loaded" in html
    assert "€66.50" in html


def test_a_refusal_from_stripe_is_shown_and_not_cached(december, stripe_account, standin):
    from payments.models import ConnectedAccount

    ConnectedAccount.objects.filter(pk=stripe_account.pk).update(stripe_account_id="acct_gone")
    http = login(stripe_account.pro.user)

    for _ in range(2):
        response = http.get(MONEY, {"month": "2026-12"})
        assert response.status_code == HTTPStatus.OK
        assert "Payouts could not be loaded" in response.content.decode()

    calls = standin.requests_for(BALANCE, "GET")
    assert len(calls) == 2  # each view asked again (a 403 is not retried)
    assert {call.stripe_account for call in calls} == {"acct_gone"}


def test_offline_records_and_stripes_list_are_shown_together_once(
    december, stripe_account, standin
):
    pro = stripe_account.pro
    _stripe_payouts(standin, stripe_account.stripe_account_id, 1)
    [remote] = [p for p in standin.objects.values() if p["object"] == "payout"]
    Payout.objects.create(
        pro=pro,
        amount=100,
        currency="EUR",
        arrival_date=date(2026, 12, 9),
        stripe_payout_id=remote["id"],
    )
    Payout.objects.create(pro=pro, amount=5000, currency="EUR", arrival_date=date(2026, 12, 2))

    payouts = selectors.payouts_for_month(pro=pro, month=december_of(pro))

    assert [(p.amount, p.arrival_date.day) for p in payouts.items] == [(100, 9), (5000, 2)]
    assert payouts.totals() == {"EUR": 5100}


# The API --------------------------------------------------------------------------------------


def test_the_api_returns_the_months_figures_and_lines(a_month):
    response = login(a_month.user).get(API, {"month": "2026-12"})

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    figures = {k: body[k] for k in ("currency", "gross", "fees", "refunds", "disputes", "tips")}
    assert figures == {
        "currency": "EUR", "gross": 11500, "fees": 950, "refunds": 2000, "disputes": 2700,
        "tips": 800,
    }  # fmt: skip
    assert body["net"] == 6650 and body["month"] == "2026-12"
    assert body["other_currencies"] == []
    assert len(body["lines"]) == 7
    assert body["lines"][0] == {
        "at": "2026-12-03T10:00:00Z",
        "booking_id": Payment.objects.get(paid_at=dec(3)).booking_id,
        "client_name": "Chloé Client",
        "service_name": "Haircut",
        "kind": "full",
        "currency": "EUR",
        "amount": 5000,
        "fee": 500,
        "refunded": 0,
        "disputed": 0,
        "net": 4500,
    }
    assert sum(line["net"] for line in body["lines"]) == body["net"]


def test_the_api_defaults_to_this_month_on_the_pros_clock(a_month):
    body = login(a_month.user).get(API).json()

    assert body["month"] == "2026-12" and body["net"] == 6650


def test_the_api_answers_a_quiet_month_with_zeros(december, pro):
    body = login(pro.user).get(API, {"month": "2027-02"}).json()

    assert body["gross"] == body["net"] == 0 and body["lines"] == []


@pytest.mark.parametrize("month", ["2026-13", "nope", "2026-12-01"])
def test_the_api_refuses_a_bad_month_with_400(december, pro, month):
    response = login(pro.user).get(API, {"month": month})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["detail"]


def test_the_api_is_403_for_clients_and_401_for_anonymous(december, client_user):
    assert login(client_user).get(API).status_code == HTTPStatus.FORBIDDEN
    assert Client().get(API).status_code == HTTPStatus.UNAUTHORIZED


def test_the_api_costs_the_same_queries_whatever_the_months_size(
    december, pro, client_user, service, django_assert_max_num_queries
):
    _fill(pro, client_user, service, 20)
    http = login(pro.user)

    with django_assert_max_num_queries(9):
        response = http.get(API)

    assert len(json.loads(response.content)["lines"]) == 40
