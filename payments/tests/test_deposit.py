"""Deposits: a service asks for part of its price when booking, the rest at the visit or online.

Journeys on both backends (offline test page; Stripe through the SDK against the stand-in, with
signed webhooks), the refund rules on cancellation, the booking JSON's ``payment`` block.
"""

from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from bookings import services as booking_services
from bookings.models import Booking, Protection
from conftest import book, login, make_service
from payments.fees import cancellation_refund, deposit_fee
from payments.models import Payment, Refund
from payments.tests.conftest import post_event, session_event

pytestmark = pytest.mark.django_db

S = Booking.Status
K = Payment.Kind


# -- The arithmetic (payments/fees.py, pure) ---------------------------------------------------


@pytest.mark.parametrize(
    ("price", "fee", "deposit", "expected"),
    [(6000, 600, 1500, 150), (5000, 500, 1, 0), (5000, 500, 5, 1), (999, 100, 333, 33)],
)
def test_a_deposit_carries_the_fee_in_proportion(price, fee, deposit, expected):
    carried = deposit_fee(price=price, fee=fee, deposit=deposit)
    assert carried == expected
    assert 0 <= fee - carried <= fee  # the balance carries the rest


def refund_of(kind, amount, fee, late, keep=50):
    return cancellation_refund(kind=kind, amount=amount, fee=fee, late=late, keep_percent=keep)


def test_cancellation_refund_by_kind():
    # A deposit comes back in time, and is kept after a late cancellation.
    assert refund_of("deposit", 1500, 150, late=False) == (1500, 150)
    assert refund_of("deposit", 1500, 150, late=True) == (0, 0)
    # A paid balance always comes back in full.
    assert refund_of("balance", 4500, 450, late=True) == (4500, 450)
    # A full payment keeps the pro's late-cancellation percent.
    assert refund_of("full", 5000, 500, late=True, keep=25) == (3750, 375)
    assert refund_of("full", 5000, 500, late=False, keep=25) == (5000, 500)
    with pytest.raises(ValueError):
        refund_of("tip", 100, 0, late=False)
    with pytest.raises(ValueError):
        refund_of("deposit", 100, 101, late=False)


# -- Fixtures ------------------------------------------------------------------------------------


def _deposit_service(pro, **extra):
    fields = {"deposit_amount": 1500, **extra}
    return make_service(
        pro=pro, name="Balayage", price_amount=6000, protection=Protection.DEPOSIT, **fields
    )


@pytest.fixture
def deposit_service(offline_account, working_pro):
    return _deposit_service(working_pro)


@pytest.fixture
def stripe_deposit_service(stripe_account, working_pro):
    return _deposit_service(working_pro)


def pay_test_page(http, payment, outcome="pay"):
    return http.post(
        reverse("payments:test_checkout", args=[payment.checkout_session_id]),
        {"outcome": outcome},
    )


def pay_deposit_and_balance(client_user, booking, commit):
    """The client pays the deposit, then the balance from the booking page (test pages)."""
    http = login(client_user)
    with commit():
        pay_test_page(http, booking.payments.get())
    http.post(reverse("payments:checkout", args=[booking.pk]))
    with commit():
        pay_test_page(http, booking.payments.get(kind=K.BALANCE))
    return http


# -- Booking a deposit service -----------------------------------------------------------------


def test_booking_opens_the_deposit_checkout_at_once(deposit_service, client_user):
    booking = book(client=client_user, service=deposit_service)
    assert booking.status == S.PENDING_PAYMENT
    assert (booking.protection, booking.deposit_amount) == (Protection.DEPOSIT, 1500)
    (payment,) = booking.payments.all()
    # 10 % of the price is 600; the deposit carries a quarter of it.
    assert (payment.kind, payment.amount, payment.fee, payment.status) == (
        K.DEPOSIT,
        1500,
        150,
        Payment.Status.PENDING,
    )
    assert payment.checkout_url.startswith("/payments/test-payment/")


def test_a_percentage_deposit_is_rounded_half_up(offline_account, working_pro, client_user):
    service = _deposit_service(working_pro, deposit_amount=None, deposit_percent=25)
    service.price_amount = 4999  # 25 % is 1249.75
    service.save()
    booking = book(client=client_user, service=service)
    assert booking.deposit_amount == 1250
    assert booking.payments.get().amount == 1250


def test_a_pro_who_cannot_take_payments_is_booked_without_deposit(working_pro, client_user):
    service = _deposit_service(working_pro)  # no connected account
    booking = book(client=client_user, service=service)
    assert booking.status == S.CONFIRMED
    assert (booking.protection, booking.deposit_amount) == (Protection.NONE, 0)
    assert not booking.payments.exists()


def test_offline_journey_deposit_then_balance_online_then_completed(
    deposit_service, client_user, commit, travel, mailoutbox
):
    booking = book(client=client_user, service=deposit_service, days=5)
    http = login(client_user)
    deposit = booking.payments.get()
    with commit():
        response = pay_test_page(http, deposit)
    assert response.status_code == HTTPStatus.FOUND
    booking.refresh_from_db()
    deposit.refresh_from_db()
    assert booking.status == S.CONFIRMED
    assert deposit.status == Payment.Status.SUCCEEDED
    confirmation = next(m for m in mailoutbox if "confirmed" in m.subject.lower())
    assert "A deposit of €15.00 is paid when booking; the remaining €45.00" in confirmation.body

    page = http.get(reverse("bookings:detail", args=[booking.pk]))
    assert "Pay the balance now (€45.00)" in page.text
    # The booking page's button starts the balance checkout: no hold, back to the booking.
    response = http.post(reverse("payments:checkout", args=[booking.pk]))
    assert response.status_code == HTTPStatus.SEE_OTHER
    balance = booking.payments.get(kind=K.BALANCE)
    assert (balance.amount, balance.fee, balance.attempt) == (4500, 450, 2)
    with commit():
        response = pay_test_page(http, balance)
    assert response["Location"] == reverse("bookings:detail", args=[booking.pk])
    balance.refresh_from_db()
    booking.refresh_from_db()
    assert balance.status == Payment.Status.SUCCEEDED
    assert booking.status == S.CONFIRMED
    page = http.get(reverse("bookings:detail", args=[booking.pk]))
    assert "Pay the balance" not in page.text and "Balance, paid online" in page.text
    # Paying twice is refused.
    response = login(client_user).post(f"/api/v1/bookings/{booking.pk}/pay")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == {"detail": "The balance is already paid."}

    travel(booking.starts_at + (booking.ends_at - booking.starts_at))
    booking_services.booking_transition(
        booking=booking, action="complete", by=deposit_service.pro.user
    )
    booking.refresh_from_db()
    assert booking.status == S.COMPLETED


def test_balance_left_unpaid_is_due_at_the_visit(deposit_service, client_user, commit):
    booking = book(client=client_user, service=deposit_service, days=5)
    with commit():
        pay_test_page(login(client_user), booking.payments.get())
    pro_page = login(deposit_service.pro.user).get(reverse("bookings:detail", args=[booking.pk]))
    assert "Collect €45.00 at the visit" in pro_page.text
    # A declined balance card changes nothing: still confirmed, still due.
    http = login(client_user)
    http.post(reverse("payments:checkout", args=[booking.pk]))
    balance = booking.payments.get(kind=K.BALANCE)
    response = pay_test_page(http, balance, "decline")
    assert response["Location"] == reverse("bookings:detail", args=[booking.pk])
    booking.refresh_from_db()
    assert booking.status == S.CONFIRMED
    block = http.get(f"/api/v1/bookings/{booking.pk}").json()["payment"]
    assert block["balance"] == {"amount": 4500, "status": "due", "checkout_url": None}


def test_cancelling_in_time_refunds_the_deposit_in_full(deposit_service, client_user, commit):
    booking = book(client=client_user, service=deposit_service, days=5)
    with commit():
        pay_test_page(login(client_user), booking.payments.get())
    with commit():
        booking_services.booking_transition(booking=booking, action="cancel", by=client_user)
    deposit = booking.payments.get()
    refund = deposit.refunds.get()
    assert (refund.amount, refund.application_fee_refunded) == (1500, 150)
    assert deposit.status == Payment.Status.REFUNDED  # Refund sent on commit, offline: at once


def test_a_late_cancellation_keeps_the_deposit_and_refunds_a_paid_balance(
    deposit_service, client_user, commit
):
    booking_services.booking_rules_update(
        pro=deposit_service.pro, cancellation_window_hours=72, late_cancellation_fee_percent=25
    )
    booking = book(client=client_user, service=deposit_service, days=1, hour=15)
    http = pay_deposit_and_balance(client_user, booking, commit)
    with commit():
        booking_services.booking_transition(booking=booking, action="cancel", by=client_user)
    booking.refresh_from_db()
    assert booking.is_late_cancellation
    deposit = booking.payments.get(kind=K.DEPOSIT)
    balance = booking.payments.get(kind=K.BALANCE)
    assert not deposit.refunds.exists()
    assert deposit.status == Payment.Status.SUCCEEDED
    assert list(balance.refunds.values_list("amount", flat=True)) == [4500]
    block = http.get(f"/api/v1/bookings/{booking.pk}").json()["payment"]
    assert block["deposit"] == {"amount": 1500, "status": "succeeded"}
    assert block["balance"]["status"] == "refunded"


def test_the_pro_cancelling_refunds_deposit_and_balance(deposit_service, client_user, commit):
    booking = book(client=client_user, service=deposit_service, days=1, hour=15)
    pay_deposit_and_balance(client_user, booking, commit)
    with commit():
        booking_services.booking_transition(
            booking=booking, action="cancel", by=deposit_service.pro.user, reason="Ill"
        )
    amounts = sorted(Refund.objects.values_list("amount", flat=True))
    assert amounts == [1500, 4500]


def test_a_no_show_keeps_the_deposit(deposit_service, client_user, commit, travel):
    booking = book(client=client_user, service=deposit_service, days=2)
    with commit():
        pay_test_page(login(client_user), booking.payments.get())
    travel(booking.ends_at)
    with commit():
        booking_services.booking_transition(
            booking=booking, action="no_show", by=deposit_service.pro.user
        )
    assert not Refund.objects.exists()


def test_a_request_mode_pro_declining_refunds_the_deposit(
    offline_account, request_mode, client_user, commit
):
    service = _deposit_service(request_mode)
    booking = book(client=client_user, service=service, days=4)
    with commit():
        pay_test_page(login(client_user), booking.payments.get())
    booking.refresh_from_db()
    assert booking.status == S.REQUESTED
    # No balance before the pro accepts.
    response = login(client_user).post(f"/api/v1/bookings/{booking.pk}/pay")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    with commit():
        booking_services.booking_transition(
            booking=booking, action="decline", by=service.pro.user, reason="Fully booked"
        )
    assert booking.payments.get().refunds.get().amount == 1500


def test_after_an_expired_session_pay_opens_a_new_attempt(deposit_service, client_user):
    from payments.services import payment_expired

    booking = book(client=client_user, service=deposit_service)
    first = booking.payments.get()
    payment_failed_or_expired = payment_expired(payment=first)
    assert payment_failed_or_expired.status == Payment.Status.EXPIRED
    booking.refresh_from_db()
    assert booking.status == S.PENDING_PAYMENT  # the hold runs on
    http = login(client_user)
    assert http.get(f"/api/v1/bookings/{booking.pk}").json()["payment"]["status"] == "due"
    response = http.post(f"/api/v1/bookings/{booking.pk}/pay")
    assert response.status_code == HTTPStatus.OK
    second = booking.payments.get(status=Payment.Status.PENDING)
    assert (second.kind, second.attempt, second.amount) == (K.DEPOSIT, 2, 1500)
    assert response.json()["checkout_url"].endswith(second.checkout_url)


# -- The booking JSON's payment block ----------------------------------------------------------


def test_api_booking_create_returns_the_due_deposit_with_a_real_checkout(
    deposit_service, client_user, commit
):
    from conftest import local_at

    http = login(client_user)
    response = http.post(
        "/api/v1/bookings",
        {"service": deposit_service.pk, "starts_at": local_at(3, 11).isoformat()},
        content_type="application/json",
    )
    assert response.status_code == HTTPStatus.CREATED, response.content
    body = response.json()
    payment = Payment.objects.get(booking_id=body["id"])
    assert body["status"] == "pending_payment"
    assert body["payment"] == {
        "status": "due",
        "amount": 1500,
        "fee": None,
        "refunded": 0,
        "currency": "EUR",
        "checkout_url": "http://testserver" + payment.checkout_url,
        "deposit": {"amount": 1500, "status": "due"},
        "balance": {"amount": 4500, "status": "due", "checkout_url": None},
    }
    # The link works: it is the test payment page of this very payment.
    assert http.get(payment.checkout_url).status_code == HTTPStatus.OK
    as_pro = login(deposit_service.pro.user).get(f"/api/v1/bookings/{body['id']}").json()
    assert as_pro["payment"]["fee"] == 150
    assert as_pro["payment"]["checkout_url"] is None

    with commit():
        pay_test_page(http, payment)
    http.post(f"/api/v1/bookings/{body['id']}/pay")  # the balance checkout
    balance = Payment.objects.get(booking_id=body["id"], kind=K.BALANCE)
    after = http.get(f"/api/v1/bookings/{body['id']}").json()["payment"]
    assert after["status"] == "succeeded"
    assert after["deposit"] == {"amount": 1500, "status": "succeeded"}
    assert after["balance"] == {
        "amount": 4500,
        "status": "due",
        "checkout_url": "http://testserver" + balance.checkout_url,
    }


def test_a_booking_paid_at_the_appointment_has_no_payment_block(working_pro, service, client_user):
    booking = book(client=client_user, service=service)
    assert login(client_user).get(f"/api/v1/bookings/{booking.pk}").json()["payment"] is None


def test_booking_list_payment_blocks_cost_one_query(
    deposit_service, client_user, django_assert_max_num_queries
):
    for day in (3, 4, 5):
        book(client=client_user, service=deposit_service, days=day)
    http = login(client_user)
    http.get("/api/v1/bookings")
    with django_assert_max_num_queries(9):
        rows = http.get("/api/v1/bookings").json()
    assert [r["payment"]["deposit"]["status"] for r in rows] == ["due"] * 3


# -- Stripe, through the SDK against the stand-in ----------------------------------------------


def test_stripe_journey_deposit_balance_and_refunds(
    stripe_deposit_service, stripe_backend, client_user, commit
):
    booking = book(client=client_user, service=stripe_deposit_service, days=5)
    (created,) = stripe_backend.requests_for("/v1/checkout/sessions", "POST")
    params = created.params
    assert params["line_items"][0]["price_data"]["unit_amount"] == "1500"
    assert params["payment_intent_data"]["application_fee_amount"] == "150"
    assert created.idempotency_key.startswith(f"booking-{booking.pk}-checkout-1-")
    deposit = booking.payments.get()
    assert deposit.checkout_url.startswith(stripe_backend.url)

    stripe_backend.complete_checkout(deposit.checkout_session_id)
    with commit():
        response = post_event(Client(), session_event(stripe_backend, deposit.checkout_session_id))
    assert response.status_code == HTTPStatus.OK
    booking.refresh_from_db()
    deposit.refresh_from_db()
    assert (booking.status, deposit.status) == (S.CONFIRMED, Payment.Status.SUCCEEDED)

    http = login(client_user)
    response = http.post(reverse("payments:checkout", args=[booking.pk]))
    assert response.status_code == HTTPStatus.SEE_OTHER
    balance = booking.payments.get(kind=K.BALANCE)
    assert response["Location"] == balance.checkout_url
    request = stripe_backend.requests_for("/v1/checkout/sessions", "POST")[-1]
    assert request.idempotency_key.startswith(f"booking-{booking.pk}-balance-2-")
    assert request.params["line_items"][0]["price_data"]["unit_amount"] == "4500"
    assert request.params["payment_intent_data"]["application_fee_amount"] == "450"
    assert request.params["success_url"].endswith(f"/bookings/{booking.pk}/?balance=paid")
    stripe_backend.complete_checkout(balance.checkout_session_id)
    with commit():
        post_event(Client(), session_event(stripe_backend, balance.checkout_session_id))
    balance.refresh_from_db()
    assert balance.status == Payment.Status.SUCCEEDED
    booking.refresh_from_db()
    assert booking.status == S.CONFIRMED

    # Cancelled in time: both come back, each with its share of the fee.
    with commit():
        booking_services.booking_transition(booking=booking, action="cancel", by=client_user)
    refunds = stripe_backend.requests_for("/v1/refunds", "POST")
    sent = sorted((r.params["payment_intent"], r.params["amount"]) for r in refunds)
    assert sent == sorted(
        [(deposit.payment_intent_id, "1500"), (balance.payment_intent_id, "4500")]
    )
    assert {r.params["refund_application_fee"] for r in refunds} == {"true"}
    deposit.refresh_from_db()
    balance.refresh_from_db()
    assert deposit.status == balance.status == Payment.Status.REFUNDED


def test_stripe_late_cancellation_keeps_the_deposit(
    stripe_deposit_service, stripe_backend, client_user, commit
):
    booking_services.booking_rules_update(
        pro=stripe_deposit_service.pro, cancellation_window_hours=72
    )
    booking = book(client=client_user, service=stripe_deposit_service, days=1, hour=15)
    deposit = booking.payments.get()
    stripe_backend.complete_checkout(deposit.checkout_session_id)
    with commit():
        post_event(Client(), session_event(stripe_backend, deposit.checkout_session_id))
    with commit():
        booking_services.booking_transition(booking=booking, action="cancel", by=client_user)
    assert not stripe_backend.requests_for("/v1/refunds", "POST")
    deposit.refresh_from_db()
    assert deposit.status == Payment.Status.SUCCEEDED


def test_stripe_deposit_expiry_expires_the_booking(
    stripe_deposit_service, stripe_backend, client_user, commit
):
    from datetime import timedelta

    from django.utils import timezone

    booking = book(client=client_user, service=stripe_deposit_service)
    deposit = booking.payments.get()
    Booking.objects.filter(pk=booking.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    stripe_backend.advance(24 * 3600)
    with commit():
        response = post_event(
            Client(),
            session_event(stripe_backend, deposit.checkout_session_id, "checkout.session.expired"),
        )
    assert response.status_code == HTTPStatus.OK
    booking.refresh_from_db()
    assert booking.status == S.EXPIRED


def test_the_openapi_schema_documents_the_deposit_and_protection_blocks(client):
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    payment = schemas["PaymentOut"]["properties"]
    assert {"status", "amount", "currency", "checkout_url", "deposit", "balance"} <= set(payment)
    assert set(schemas["BalanceOut"]["properties"]) == {"amount", "status", "checkout_url"}
    assert set(schemas["DepositOut"]["properties"]) == {"amount", "status"}
    protection = schemas["ProtectionOut"]["properties"]
    assert set(protection) == {"kind", "deposit", "no_show_fee_percent"}
    assert protection["kind"]["enum"] == ["none", "deposit", "card"]
    # Both keys are documented; each is optional, since a deposit carries only the one that applies.
    rule = schemas["DepositRuleOut"]
    assert set(rule["properties"]) == {"amount", "percent"} and not rule.get("required")
    assert "protection" in schemas["ServiceOut"]["required"]
