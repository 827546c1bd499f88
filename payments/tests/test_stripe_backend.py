"""The Stripe backend through the official SDK against the local stand-in: the exact parameters
and idempotency keys sent, and whole journeys driven by signed webhooks."""

import time
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bookings import services as booking_services
from bookings.models import Booking, Service
from conftest import book, login, make_service
from payments import services
from payments.models import ConnectedAccount, Payment, Refund
from payments.tests.conftest import post_event, session_event

pytestmark = pytest.mark.django_db

S = Booking.Status


@pytest.fixture
def setup(stripe_account, paid_service):
    return paid_service


def start_checkout(http, booking):
    response = http.post(reverse("payments:checkout", args=[booking.pk]))
    assert response.status_code == HTTPStatus.SEE_OTHER, response.content
    return response


def pay(standin, http, booking, commit):
    """Checkout, the customer pays on Stripe, Stripe sends checkout.session.completed."""
    start_checkout(http, booking)
    payment = booking.payments.get()
    standin.complete_checkout(payment.checkout_session_id)
    with commit():
        response = post_event(http, session_event(standin, payment.checkout_session_id))
    assert response.status_code == HTTPStatus.OK
    payment.refresh_from_db()
    return payment


def test_checkout_session_parameters_and_idempotency_key(setup, stripe_backend, client_user):
    booking = book(client=client_user, service=setup)
    response = start_checkout(login(client_user), booking)
    (request,) = stripe_backend.requests_for("/v1/checkout/sessions", "POST")
    payment = booking.payments.get()
    assert response["Location"] == payment.checkout_url
    assert payment.checkout_url.startswith(stripe_backend.url + "/checkout/pay/")
    assert request.idempotency_key.startswith(f"booking-{booking.pk}-checkout-1-")
    params = dict(request.params)
    expires_at = int(params.pop("expires_at"))
    # 31 minutes from the request (Stripe refuses under 30), rounded up to a whole minute.
    assert expires_at % 60 == 0
    assert -5 < expires_at - (time.time() + 31 * 60) < 60  # the test reads the clock later
    assert params == {
        "mode": "payment",
        "line_items": [
            {
                "quantity": "1",
                "price_data": {
                    "currency": "eur",
                    "unit_amount": "5000",
                    "product_data": {"name": "Colour"},
                },
            }
        ],
        "payment_intent_data": {
            "application_fee_amount": "500",
            "transfer_data": {"destination": setup.pro.connected_account.stripe_account_id},
            "metadata": {"booking_id": str(booking.pk)},
        },
        "metadata": {"booking_id": str(booking.pk)},
        "client_reference_id": str(booking.pk),
        "success_url": f"https://timz.test/payments/checkout/{booking.pk}/done/",
        "cancel_url": f"https://timz.test/payments/checkout/{booking.pk}/?cancelled=1",
        "customer_email": client_user.email,
    }
    assert request.header("Authorization") == "Bearer sk_test_timz"
    assert (payment.amount, payment.fee, payment.status) == (5000, 500, Payment.Status.PENDING)


def test_checkout_session_is_accepted_when_stripe_receives_the_request_late(
    setup, stripe_backend, client_user
):
    """Stripe counts the 30-minute minimum from its own clock when the request arrives."""
    booking = book(client=client_user, service=setup)
    stripe_backend.advance(20)  # a slow network, a retry, or Stripe's clock a little ahead

    payment = services.checkout_start(booking=booking, user=client_user)

    assert stripe_backend.objects[payment.checkout_session_id]["status"] == "open"


def test_a_stripe_refusal_shows_a_plain_sentence_and_logs_stripes_words(
    setup, stripe_backend, client_user, caplog
):
    ConnectedAccount.objects.filter(pro=setup.pro).update(stripe_account_id="acct_closed")
    booking = book(client=client_user, service=setup)

    response = login(client_user).post(reverse("payments:checkout", args=[booking.pk]), follow=True)

    assert "The payment could not be started. The payment provider could not" in response.text
    assert "acct_closed" not in response.text and "destination" not in response.text
    assert "No such destination: 'acct_closed'" in caplog.text


def test_amount_comes_from_the_booking_snapshot(setup, stripe_backend, client_user):
    booking = book(client=client_user, service=setup)
    setup.price_amount = 100
    setup.save()
    start_checkout(login(client_user), booking)
    (request,) = stripe_backend.requests_for("/v1/checkout/sessions", "POST")
    assert request.params["line_items"][0]["price_data"]["unit_amount"] == "5000"


def test_a_second_click_reuses_the_open_session(setup, stripe_backend, client_user):
    booking = book(client=client_user, service=setup)
    http = login(client_user)
    first = start_checkout(http, booking)
    second = start_checkout(http, booking)
    assert first["Location"] == second["Location"]
    assert len(stripe_backend.requests_for("/v1/checkout/sessions", "POST")) == 1


@pytest.fixture
def start_of_a_minute(time_machine):
    """The clock one second into the next minute (ticking), so a test has a minute's room."""
    now = timezone.now()
    time_machine.move_to(now.replace(second=1, microsecond=0) + timedelta(minutes=1), tick=True)
    return time_machine


def test_a_retried_request_after_a_lost_row_gets_the_same_session(
    setup, stripe_backend, client_user, start_of_a_minute
):
    """If our transaction rolled back after Stripe answered, the retry sends the same key."""
    booking = book(client=client_user, service=setup)
    first = services.checkout_start(booking=booking, user=client_user)
    Payment.objects.filter(pk=first.pk).delete()  # as if the transaction had rolled back
    again = services.checkout_start(booking=booking, user=client_user)
    assert again.checkout_session_id == first.checkout_session_id
    requests = stripe_backend.requests_for("/v1/checkout/sessions", "POST")
    assert len({r.idempotency_key for r in requests}) == 1
    sessions = [o for o in stripe_backend.objects.values() if o["object"] == "checkout.session"]
    assert len(sessions) == 1


def test_a_request_retried_a_minute_later_gets_a_new_session_not_an_idempotency_error(
    setup, stripe_backend, client_user, start_of_a_minute
):
    booking = book(client=client_user, service=setup)
    first = services.checkout_start(booking=booking, user=client_user)
    Payment.objects.filter(pk=first.pk).delete()  # as if the transaction had rolled back
    start_of_a_minute.shift(timedelta(minutes=1))

    again = services.checkout_start(booking=booking, user=client_user)

    assert again.checkout_session_id != first.checkout_session_id
    assert stripe_backend.objects[again.checkout_session_id]["status"] == "open"
    first_key, second_key = (
        r.idempotency_key for r in stripe_backend.requests_for("/v1/checkout/sessions", "POST")
    )
    assert first_key != second_key


def test_the_session_expires_on_a_whole_minute_at_least_31_minutes_ahead(
    setup, stripe_backend, client_user
):
    booking = book(client=client_user, service=setup)
    before = time.time()

    payment = services.checkout_start(booking=booking, user=client_user)

    expires_at = stripe_backend.objects[payment.checkout_session_id]["expires_at"]
    assert expires_at % 60 == 0
    assert before + 31 * 60 <= expires_at < time.time() + 32 * 60


def test_pro_without_charges_enabled_cannot_take_payment(setup, stripe_backend, client_user):
    booking = book(client=client_user, service=setup)
    opened = len(stripe_backend.requests_for("/v1/checkout/sessions"))  # with the booking
    ConnectedAccount.objects.filter(pro=setup.pro).update(charges_enabled=False)
    response = login(client_user).post(reverse("payments:checkout", args=[booking.pk]), follow=True)
    assert "cannot take online payments" in response.text
    assert len(stripe_backend.requests_for("/v1/checkout/sessions")) == opened == 1


def test_onboarding_creates_one_express_account_and_fresh_links(stripe_backend, working_pro):
    http = login(working_pro.user)
    response = http.post(reverse("payments:get_paid"))
    account = ConnectedAccount.objects.get(pro=working_pro)
    assert response.status_code == HTTPStatus.FOUND
    assert (
        response["Location"] == f"{stripe_backend.url}/connect/onboard/{account.stripe_account_id}"
    )
    (create,) = stripe_backend.requests_for("/v1/accounts", "POST")
    assert create.idempotency_key.startswith(f"pro-{working_pro.pk}-account-")
    assert create.params == {
        "type": "express",
        "email": working_pro.user.email,
        "capabilities": {
            "card_payments": {"requested": "true"},
            "transfers": {"requested": "true"},
        },
        "metadata": {"pro_id": str(working_pro.pk)},
    }
    (link,) = stripe_backend.requests_for("/v1/account_links", "POST")
    assert link.params == {
        "account": account.stripe_account_id,
        "type": "account_onboarding",
        "refresh_url": "https://timz.test/payments/get-paid/refresh/",
        "return_url": "https://timz.test/payments/get-paid/return/",
    }
    assert not account.charges_enabled and "external_account" in account.requirements_due
    # The refresh page (an expired link) asks first; its button makes a new link for the
    # same account.
    http.get(reverse("payments:onboarding_refresh"))
    assert len(stripe_backend.requests_for("/v1/account_links", "POST")) == 1
    again = http.post(reverse("payments:get_paid"))
    assert again["Location"].endswith(account.stripe_account_id)
    assert len(stripe_backend.requests_for("/v1/accounts", "POST")) == 1
    assert len(stripe_backend.requests_for("/v1/account_links", "POST")) == 2


def test_return_page_shows_the_status_read_from_stripe(stripe_backend, working_pro):
    http = login(working_pro.user)
    http.post(reverse("payments:get_paid"))
    account = ConnectedAccount.objects.get(pro=working_pro)
    page = http.get(reverse("payments:onboarding_return"))
    assert "Almost there" in page.text
    stripe_backend.set_account(account.stripe_account_id)
    page = http.get(reverse("payments:onboarding_return"))
    assert "You can take online payments" in page.text
    account.refresh_from_db()
    assert account.charges_enabled and account.payouts_enabled and account.requirements_due == []


def test_journey_pay_confirm_then_cancel_early_full_refund(
    setup, stripe_backend, client_user, commit
):
    booking = book(client=client_user, service=setup, days=5)
    http = login(client_user)
    payment = pay(stripe_backend, http, booking, commit)
    booking.refresh_from_db()
    assert booking.status == S.CONFIRMED
    assert payment.status == Payment.Status.SUCCEEDED
    assert payment.payment_intent_id.startswith("pi_")
    with commit():
        response = http.post(reverse("bookings:act", args=[booking.pk, "cancel"]))
    assert response.status_code in (HTTPStatus.FOUND, HTTPStatus.SEE_OTHER, HTTPStatus.OK)
    booking.refresh_from_db()
    assert booking.status == S.CANCELLED
    refund = payment.refunds.get()
    (request,) = stripe_backend.requests_for("/v1/refunds", "POST")
    assert request.idempotency_key.startswith(f"refund-{refund.pk}-")
    assert request.params == {
        "payment_intent": payment.payment_intent_id,
        "amount": "5000",
        "reverse_transfer": "true",
        "refund_application_fee": "true",
        "metadata": {"booking_id": str(booking.pk), "refund_id": str(refund.pk)},
    }
    assert refund.status == Refund.Status.SUCCEEDED and refund.stripe_refund_id.startswith("re_")
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUNDED


def test_journey_late_cancellation_partial_refund(setup, stripe_backend, client_user, commit):
    booking_services.booking_rules_update(
        pro=setup.pro, cancellation_window_hours=72, late_cancellation_fee_percent=25
    )
    booking = book(client=client_user, service=setup, days=1, hour=15)
    http = login(client_user)
    payment = pay(stripe_backend, http, booking, commit)
    with commit():
        booking_services.booking_transition(booking=booking, action="cancel", by=client_user)
    (request,) = stripe_backend.requests_for("/v1/refunds", "POST")
    assert request.params["amount"] == "3750"
    assert request.params["reverse_transfer"] == "true"
    assert request.params["refund_application_fee"] == "true"
    refund = payment.refunds.get()
    assert (refund.amount, refund.application_fee_refunded) == (3750, 375)
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PARTIALLY_REFUNDED


def test_journey_request_declined_is_refunded(
    stripe_account, stripe_backend, request_mode, client_user, commit
):
    service = make_service(pro=request_mode, payment_mode="online", price_amount=2000)
    booking = book(client=client_user, service=service)
    http = login(client_user)
    payment = pay(stripe_backend, http, booking, commit)
    booking.refresh_from_db()
    assert booking.status == S.REQUESTED
    with commit():
        booking_services.booking_transition(
            booking=booking, action="decline", by=request_mode.user, reason="Away"
        )
    (request,) = stripe_backend.requests_for("/v1/refunds", "POST")
    assert request.params["amount"] == "2000"
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUNDED


def test_pending_refund_follows_refund_events_forward_only(
    setup, stripe_backend, client_user, commit
):
    booking = book(client=client_user, service=setup, days=5)
    http = login(client_user)
    payment = pay(stripe_backend, http, booking, commit)
    stripe_backend.refund_status = "pending"
    with commit():
        booking_services.booking_transition(booking=booking, action="cancel", by=client_user)
    refund = payment.refunds.get()
    assert refund.status == Refund.Status.PENDING and refund.stripe_refund_id
    older = stripe_backend.last_event("refund.created", refund.stripe_refund_id)
    stripe_backend.set_refund_status(refund.stripe_refund_id, "succeeded")
    succeeded = stripe_backend.last_event("refund.updated", refund.stripe_refund_id)
    with commit():
        assert post_event(http, succeeded).status_code == HTTPStatus.OK
        assert post_event(http, older).status_code == HTTPStatus.OK
    refund.refresh_from_db()
    payment.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED
    assert payment.status == Payment.Status.REFUNDED


def test_hold_expiry_expires_the_stripe_session(setup, stripe_backend, client_user, commit):
    booking = book(client=client_user, service=setup)
    start_checkout(login(client_user), booking)
    payment = booking.payments.get()
    Booking.objects.filter(pk=booking.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    booking.refresh_from_db()
    with commit():
        booking_services.booking_transition(booking=booking, action="expire", by=None)
    assert stripe_backend.objects[payment.checkout_session_id]["status"] == "expired"
    payment.refresh_from_db()
    assert payment.status == Payment.Status.EXPIRED


def test_payment_landing_after_the_hold_expired_is_refunded_at_once(
    setup, stripe_backend, client_user, commit
):
    booking = book(client=client_user, service=setup)
    http = login(client_user)
    start_checkout(http, booking)
    payment = booking.payments.get()
    stripe_backend.complete_checkout(payment.checkout_session_id)  # paid at the last second
    Booking.objects.filter(pk=booking.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    booking.refresh_from_db()
    with commit():
        booking_services.booking_transition(booking=booking, action="expire", by=None)
        post_event(http, session_event(stripe_backend, payment.checkout_session_id))
    booking.refresh_from_db()
    payment.refresh_from_db()
    assert booking.status == S.EXPIRED
    assert payment.status == Payment.Status.REFUNDED
    assert payment.refunds.get().reason == "The time was no longer held when the payment arrived."


def test_refund_that_cannot_reach_stripe_stays_pending_and_is_retried_once(
    setup, stripe_backend, client_user, commit, settings
):
    booking = book(client=client_user, service=setup, days=5)
    payment = pay(stripe_backend, login(client_user), booking, commit)
    real_base = settings.STRIPE_API_BASE
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    with commit():
        booking_services.booking_transition(booking=booking, action="cancel", by=client_user)
    refund = payment.refunds.get()
    assert refund.status == Refund.Status.PENDING and refund.last_error
    booking.refresh_from_db()
    assert booking.status == S.CANCELLED  # the cancellation did not wait for Stripe
    settings.STRIPE_API_BASE = real_base
    with commit():
        call_command("payments_retry", stdout=open("/dev/null", "w"))  # noqa: SIM115
        call_command("payments_retry", stdout=open("/dev/null", "w"))  # noqa: SIM115
    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED and refund.last_error == ""
    assert len(stripe_backend.requests_for("/v1/refunds", "POST")) == 1


def staff_refund(standin, commit, *, service, client, staff, amount):
    """A booking of `service` paid through Stripe, then `amount` refunded by staff: the payment
    and the refund request Stripe received."""
    booking = book(client=client, service=service, days=5)
    payment = pay(standin, login(client), booking, commit)
    with commit():
        services.refund_create(payment=payment, amount=amount, reason="Goodwill", by=staff)
    (request,) = standin.requests_for("/v1/refunds", "POST")
    return payment, request


def test_staff_partial_refund_sends_the_amount(
    setup, stripe_backend, client_user, staff_user, commit
):
    payment, request = staff_refund(
        stripe_backend, commit, service=setup, client=client_user, staff=staff_user, amount=1234
    )
    assert request.params["amount"] == "1234"
    assert request.params["refund_application_fee"] == "true"
    refund = payment.refunds.get()
    assert refund.application_fee_refunded == 123


def test_the_fee_refunded_is_stripes_figure_not_timzs_rounding(
    setup, stripe_backend, client_user, staff_user, commit
):
    # 10% of 1235 is 123.5: Timz would round it up to 124, the stand-in (as Stripe may) to 123.
    payment, _ = staff_refund(
        stripe_backend, commit, service=setup, client=client_user, staff=staff_user, amount=1235
    )
    refund = payment.refunds.get()
    payment.refresh_from_db()
    assert refund.application_fee_refunded == 123
    assert payment.fee_refunded == 123


def test_the_fee_refunded_is_read_back_when_a_pending_refund_succeeds_by_webhook(
    setup, stripe_backend, client_user, staff_user, commit
):
    stripe_backend.refund_status = "pending"
    payment, _ = staff_refund(
        stripe_backend, commit, service=setup, client=client_user, staff=staff_user, amount=1235
    )
    refund = payment.refunds.get()
    assert refund.application_fee_refunded == 124  # Timz's own figure while it is pending
    stripe_backend.set_refund_status(refund.stripe_refund_id, "succeeded")
    with commit():
        response = post_event(
            Client(), stripe_backend.last_event("refund.updated", refund.stripe_refund_id)
        )
    assert response.status_code == HTTPStatus.OK
    refund.refresh_from_db()
    payment.refresh_from_db()
    assert (refund.status, refund.application_fee_refunded) == (Refund.Status.SUCCEEDED, 123)
    assert payment.fee_refunded == 123


def test_fee_refunds_of_two_partial_refunds_add_up_to_stripes_total(
    setup, stripe_backend, client_user, staff_user, commit
):
    payment, _ = staff_refund(
        stripe_backend, commit, service=setup, client=client_user, staff=staff_user, amount=1235
    )
    with commit():
        services.refund_create(payment=payment, amount=1235, reason="Goodwill", by=staff_user)
    fee_refunds = list(payment.refunds.values_list("application_fee_refunded", flat=True))
    payment.refresh_from_db()
    # The stand-in refunds 500 * 1235 // 5000 = 123 of the fee each time; Timz would say 124.
    assert fee_refunds == [123, 123]
    assert payment.fee_refunded == 246


def test_process_due_expires_the_hold_and_the_stripe_session(
    setup, stripe_backend, client_user, commit
):
    from io import StringIO

    booking = book(client=client_user, service=setup)
    start_checkout(login(client_user), booking)
    payment = booking.payments.get()
    Booking.objects.filter(pk=booking.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    with commit():
        call_command("process_due", stdout=StringIO())
    booking.refresh_from_db()
    assert booking.status == S.EXPIRED
    (expire,) = stripe_backend.requests_for(
        f"/v1/checkout/sessions/{payment.checkout_session_id}/expire", "POST"
    )
    assert stripe_backend.objects[payment.checkout_session_id]["status"] == "expired"


@pytest.fixture
def isk_service(stripe_account, working_pro):
    """5,000 krónur (ISK has no decimals in ISO 4217; Stripe's API keeps two)."""
    return make_service(
        pro=working_pro,
        name="Klipping",
        price_amount=5000,
        currency="ISK",
        payment_mode=Service.PaymentMode.ONLINE,
    )


def test_isk_checkout_sends_the_price_and_fee_in_stripes_two_decimal_units(
    isk_service, stripe_backend, client_user
):
    booking = book(client=client_user, service=isk_service)
    start_checkout(login(client_user), booking)
    (request,) = stripe_backend.requests_for("/v1/checkout/sessions", "POST")
    assert request.params["line_items"][0]["price_data"]["unit_amount"] == "500000"
    assert request.params["payment_intent_data"]["application_fee_amount"] == "50000"


def test_isk_payment_reported_in_stripes_units_is_paid_in_kronur(
    isk_service, stripe_backend, client_user, commit
):
    booking = book(client=client_user, service=isk_service)
    payment = pay(stripe_backend, login(client_user), booking, commit)
    assert (payment.status, payment.amount) == (Payment.Status.SUCCEEDED, 5000)


def test_isk_refund_is_sent_in_stripes_two_decimal_units(
    isk_service, stripe_backend, client_user, staff_user, commit
):
    payment, request = staff_refund(
        stripe_backend,
        commit,
        service=isk_service,
        client=client_user,
        staff=staff_user,
        amount=1200,
    )
    assert request.params["amount"] == "120000"
    assert payment.refunds.get().status == Refund.Status.SUCCEEDED


def test_a_price_stripe_cannot_charge_is_refused_before_checkout(
    stripe_account, working_pro, stripe_backend, client_user
):
    service = make_service(
        pro=working_pro, price_amount=1235, currency="KWD", payment_mode=Service.PaymentMode.ONLINE
    )
    booking = book(client=client_user, service=service)
    response = login(client_user).post(reverse("payments:checkout", args=[booking.pk]), follow=True)
    assert "Online payments in KWD must be a multiple of KWD" in response.text
    assert not stripe_backend.requests_for("/v1/checkout/sessions", "POST")
    assert not booking.payments.exists()


def test_a_price_below_stripes_minimum_is_refused_before_checkout(
    stripe_account, working_pro, stripe_backend, client_user
):
    service = make_service(
        pro=working_pro, price_amount=40, currency="EUR", payment_mode=Service.PaymentMode.ONLINE
    )
    booking = book(client=client_user, service=service)

    response = login(client_user).post(reverse("payments:checkout", args=[booking.pk]), follow=True)

    assert "Online payments in EUR must be at least €0.50." in response.text
    assert not stripe_backend.requests_for("/v1/checkout/sessions", "POST")


def test_a_pro_priced_in_pounds_is_charged_in_pounds(
    stripe_account, working_pro, stripe_backend, client_user
):
    """The booking's currency goes to Stripe as it is (Stripe settles GBP for a UK account);
    the stand-in, like Stripe, takes any presentment currency it can convert."""
    working_pro.city, working_pro.currency = "Manchester", "GBP"
    working_pro.save()
    service = make_service(
        pro=working_pro, price_amount=2800, payment_mode=Service.PaymentMode.ONLINE
    )
    booking = book(client=client_user, service=service)

    start_checkout(login(client_user), booking)

    (request,) = stripe_backend.requests_for("/v1/checkout/sessions", "POST")
    price = request.params["line_items"][0]["price_data"]
    assert (price["currency"], price["unit_amount"]) == ("gbp", "2800")
    assert booking.payments.get().currency == "GBP"
