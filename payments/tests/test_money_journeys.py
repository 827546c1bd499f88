"""Issue 11's four money journeys in one pro's month, once on the offline backend and once on
the Stripe stand-in (the official SDK, signed webhooks): a deposit booking, a card-on-file
no-show fee, a tip, and a commission-free booking through the pro's own link. Then every reader
of that month agrees: ``fee_report`` for the pro, the money page, ``GET /api/v1/me/earnings``,
``manage.py fee_report --pro`` and the platform's split by source; and the month's payouts on
the money page (Timz's own records offline, the account's Stripe balance transactions on the
stand-in) pay out the net.

Each journey is tested in detail in its own file (test_deposit, test_card_on_file[_stripe],
test_tips, test_commission); this one shows they add up."""

from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bookings import services as booking_services
from bookings.models import Booking, Protection, Service
from conftest import book, login, make_service
from payments import selectors
from payments.models import Payment, SavedCard
from payments.reports import fee_report, source_report
from payments.services import payouts_offline_run
from payments.tests.conftest import (
    arrive_through_link,
    book_through_page,
    post_event,
    session_event,
)

pytestmark = pytest.mark.django_db

S = Booking.Status
K = Payment.Kind
TUESDAY_1_DECEMBER = datetime(2026, 12, 1, 8, tzinfo=UTC)
SATURDAY_5_DECEMBER = datetime(2026, 12, 5, 12, tzinfo=UTC)


class Offline:
    """The client's clicks on the offline backend's test pages."""

    def pay(self, http: Client, payment: Payment) -> None:
        response = http.post(payment.checkout_url, {"outcome": "pay"})
        assert response.status_code == HTTPStatus.FOUND, response.content[:300]

    def save_card(self, http: Client, booking: Booking) -> None:
        response = http.post(reverse("payments:card_setup", args=[booking.pk]))
        assert response.status_code == HTTPStatus.SEE_OTHER
        response = http.post(response["Location"], {"outcome": "save"})
        assert response.status_code == HTTPStatus.FOUND

    def pay_out(self, pro) -> None:
        """The weekly run of ``process_due``: Timz's own payout records."""
        assert payouts_offline_run(now=timezone.now()) == 1


class OnStripe:
    """The client pays (or saves a card) on Stripe's page; Stripe's signed webhook arrives."""

    def __init__(self, standin):
        self.standin = standin

    def pay(self, http: Client, payment: Payment) -> None:
        self.standin.complete_checkout(payment.checkout_session_id)
        event = session_event(self.standin, payment.checkout_session_id)
        assert post_event(Client(), event).status_code == HTTPStatus.OK

    def save_card(self, http: Client, booking: Booking) -> None:
        response = http.post(reverse("payments:card_setup", args=[booking.pk]))
        assert response.status_code == HTTPStatus.SEE_OTHER
        card = SavedCard.objects.get(booking=booking)
        assert response["Location"] == card.checkout_url.replace("http://testserver", "")
        self.standin.complete_setup(card.checkout_session_id)
        event = session_event(self.standin, card.checkout_session_id)
        assert post_event(Client(), event).status_code == HTTPStatus.OK

    def pay_out(self, pro) -> None:
        """Stripe pays the account's balance out by itself, arriving two days later; Timz reads
        it back from the account's balance transactions."""
        arrival = (timezone.now() + timedelta(days=2)).replace(hour=0, minute=0, second=0)
        account = pro.connected_account.stripe_account_id
        [payout] = self.standin.pay_out(account, arrival_date=int(arrival.timestamp()))
        assert payout["currency"] == "eur"


@pytest.fixture(params=["offline", "stripe"])
def backend(request, working_pro):
    if request.param == "offline":
        request.getfixturevalue("offline_account")
        return Offline()
    request.getfixturevalue("stripe_account")
    return OnStripe(request.getfixturevalue("stripe_backend"))


def test_the_four_journeys_add_up_and_every_reader_of_the_month_agrees(
    backend, working_pro, client_user, other_client, travel, commit
):
    travel(TUESDAY_1_DECEMBER)
    pro = working_pro
    balayage = make_service(
        pro=pro,
        name="Balayage",
        price_amount=6000,
        protection=Protection.DEPOSIT,
        deposit_amount=1500,
    )
    colour = make_service(
        pro=pro,
        name="Colour",
        price_amount=5000,
        protection=Protection.CARD,
        no_show_fee_percent=40,
    )
    cut = make_service(
        pro=pro, name="Cut", price_amount=5000, payment_mode=Service.PaymentMode.ONLINE
    )
    client = login(client_user)

    # A deposit booking: the deposit is paid when booking; the balance is left for the visit.
    with_deposit = book(client=client_user, service=balayage, days=2, hour=10)
    deposit = with_deposit.payments.get()
    assert (deposit.kind, deposit.amount, deposit.fee) == (K.DEPOSIT, 1500, 150)
    with commit():
        backend.pay(client, deposit)
    with_deposit.refresh_from_db()
    assert with_deposit.status == S.CONFIRMED

    # A card on file: saved when booking, nothing charged yet.
    with_card = book(client=client_user, service=colour, days=2, hour=14)
    assert with_card.status == S.PENDING_PAYMENT
    with commit():
        backend.save_card(client, with_card)
    with_card.refresh_from_db()
    assert with_card.status == S.CONFIRMED and with_card.saved_card.status == "saved"
    assert not with_card.payments.exists()

    # A visit paid online in full, through the marketplace: the platform fee applies.
    visit = book(client=client_user, service=cut, days=3, hour=10)
    with commit():
        backend.pay(client, visit.payments.get())

    # A client new to Timz books through the pro's own link: no platform fee.
    newcomer = login(other_client)
    arrive_through_link(newcomer, pro)
    through_link = book_through_page(newcomer, cut, days=3, hour=14)
    assert through_link.source == Booking.Source.PRO_LINK
    with commit():
        backend.pay(newcomer, through_link.payments.get())
    link_payment = through_link.payments.get()
    assert (link_payment.status, link_payment.amount, link_payment.fee) == ("succeeded", 5000, 0)

    # After the visits: a no-show charged to the saved card, a completed visit tipped.
    travel(SATURDAY_5_DECEMBER)
    booking_services.booking_transition(booking=with_card, action="no_show", by=pro.user)
    booking_services.booking_transition(booking=visit, action="complete", by=pro.user)
    pro_http = login(pro.user)
    with commit():
        response = pro_http.post(reverse("payments:fee_charge", args=[with_card.pk]), follow=True)
    assert "The fee was charged" in response.text
    fee = with_card.payments.get(kind=K.NO_SHOW_FEE)
    assert (fee.status, fee.amount, fee.fee) == ("succeeded", 2000, 200)

    client = login(client_user)
    response = client.post(
        f"/api/v1/bookings/{visit.pk}/tip", {"amount": 700}, content_type="application/json"
    )
    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()["id"] == visit.pk and response.json()["tip"]["status"] == "pending"
    tip = visit.payments.get(kind=K.TIP)
    with commit():
        backend.pay(client, tip)
    tip.refresh_from_db()
    assert (tip.status, tip.amount, tip.fee) == ("succeeded", 700, 0)

    # The pro is paid out what they kept (offline: Timz's weekly payout; on Stripe: the
    # account's balance, which the transfers of the destination charges filled).
    backend.pay_out(pro)

    # Every reader of December. Five payments: for bookings the deposit, the fee and two
    # visits; and the tip. The month's payouts are its net.
    gross, tips, fees = 1500 + 2000 + 5000 + 5000, 700, 150 + 200 + 500 + 0
    net = gross + tips - fees
    month = selectors.pro_month(pro=pro, month="2026-12")
    [eur] = fee_report(start=month.start, end=month.end, pro=pro)
    assert (eur.currency, eur.payments, eur.gross, eur.tips) == ("EUR", 5, gross, tips)
    assert (eur.net_fee_revenue, eur.refunds, eur.disputes, eur.net) == (fees, 0, 0, net)

    page = pro_http.get(reverse("payments:money"), {"month": "2026-12"})
    assert page.status_code == HTTPStatus.OK
    assert page.context["earnings"].figures == [eur]
    html = page.content.decode()
    for figure in ("€135.00", "€7.00", "−€8.50", "€133.50"):
        assert figure in html, figure
    assert html.count('data-testid="money-line"') == 5
    assert page.context["payouts"].totals() == {"EUR": net}
    assert "Paid out: €133.50" in html

    api = pro_http.get("/api/v1/me/earnings", {"month": "2026-12"}).json()
    figures = {k: api[k] for k in ("currency", "gross", "fees", "refunds", "disputes", "tips")}
    assert figures == {
        "currency": "EUR",
        "gross": gross,
        "fees": fees,
        "refunds": 0,
        "disputes": 0,
        "tips": tips,
    }
    assert api["net"] == net and api["other_currencies"] == []
    assert sorted((line["kind"], line["fee"]) for line in api["lines"]) == [
        ("deposit", 150),
        ("full", 0),
        ("full", 500),
        ("no_show_fee", 200),
        ("tip", 0),
    ]
    assert sum(line["net"] for line in api["lines"]) == net
    assert login(client_user).get("/api/v1/me/earnings").status_code == HTTPStatus.FORBIDDEN

    out = StringIO()
    call_command("fee_report", "--month", "2026-12", "--pro", pro.slug, stdout=out)
    row = next(line.split() for line in out.getvalue().splitlines() if line.startswith("EUR"))
    assert row == ["EUR", "5", "€135.00", "€7.00", "€8.50", "€0.00", "€0.00", "€133.50"]

    by_source = {
        (line.kind, line.payments, line.gross, line.fees)
        for line in source_report(start=month.start, end=month.end)
    }
    assert by_source == {
        ("Marketplace", 3, 1500 + 2000 + 5000, 150 + 200 + 500),
        ("Pro-link", 1, 5000, 0),
        ("Tips", 1, 700, 0),
    }
