"""Card on file with the Stripe backend, through the official SDK against the stand-in: the
exact requests, the signed webhooks, authentication_required -> link -> paid, a decline, and the
stand-in refusing what Stripe refuses."""

from datetime import timedelta
from http import HTTPStatus

import pytest
import stripe
from django.core import mail
from django.test import Client
from django.urls import reverse

from bookings import services as booking_services
from bookings.models import Booking
from conftest import PASSWORD, book, login
from payments import card_on_file
from payments.models import Payment, SavedCard, StripeCustomer, StripeEvent
from payments.tests.conftest import API_KEY, post_event

pytestmark = pytest.mark.django_db

S = Booking.Status
AUTHENTICATE = "4000002500003155"
AUTHENTICATE_ALWAYS = "4000002760003184"
INSUFFICIENT_FUNDS = "4000000000009995"
LINE = {"currency": "eur", "unit_amount": 500, "product_data": {"name": "Fee"}}


@pytest.fixture(autouse=True)
def _stripe(stripe_account):
    """The Stripe backend with the pro's enabled account in the stand-in."""


def start_setup(http: Client, booking: Booking) -> SavedCard:
    response = http.post(reverse("payments:card_setup", args=[booking.pk]))
    assert response.status_code == HTTPStatus.SEE_OTHER, response.content
    card = SavedCard.objects.get(booking=booking)
    assert response["Location"] == card.checkout_url
    return card


def save_card(standin, http: Client, booking: Booking, commit, *, card: str = "4242424242424242"):
    """Save a card, the customer enters `card` on Stripe, the signed webhook arrives."""
    saved = start_setup(http, booking)
    standin.complete_setup(saved.checkout_session_id, card=card)
    event = standin.last_event("checkout.session.completed", saved.checkout_session_id)
    with commit():
        assert post_event(Client(), event).status_code == HTTPStatus.OK
    saved.refresh_from_db()
    return saved


@pytest.fixture
def charge_ready(card_service, client_user, stripe_backend, commit, travel):
    """A no-show booking whose card is saved; `card` is set by the test through `use_card`."""

    def make(card: str = "4242424242424242") -> Booking:
        booking = book(client=client_user, service=card_service)
        save_card(stripe_backend, login(client_user), booking, commit, card=card)
        booking.refresh_from_db()
        travel(booking.starts_at + timedelta(minutes=20))
        return booking_services.booking_transition(
            booking=booking, action="no_show", by=booking.pro.user
        )

    return make


# -- Saving the card ------------------------------------------------------------------------------


def test_setup_session_parameters(card_service, client_user, stripe_backend):
    booking = book(client=client_user, service=card_service)
    card = start_setup(login(client_user), booking)

    (customer_call,) = stripe_backend.requests_for("/v1/customers", "POST")
    assert customer_call.params == {
        "email": client_user.email,
        "metadata": {"user_id": str(client_user.pk)},
    }
    assert customer_call.idempotency_key.startswith(f"user-{client_user.pk}-customer-")
    (request,) = stripe_backend.requests_for("/v1/checkout/sessions", "POST")
    params = dict(request.params)
    params.pop("expires_at")
    customer = StripeCustomer.objects.get(user=client_user).stripe_customer_id
    metadata = {"booking_id": str(booking.pk), "purpose": "card_on_file"}
    assert params == {
        "mode": "setup",
        "currency": "eur",
        "customer": customer,
        "setup_intent_data": {"metadata": metadata},
        "metadata": metadata,
        "client_reference_id": str(booking.pk),
        "success_url": f"https://timz.test/payments/cards/{booking.pk}/done/",
        "cancel_url": f"https://timz.test/payments/cards/{booking.pk}/?cancelled=1",
    }
    assert request.idempotency_key.startswith(f"booking-{booking.pk}-card-1-")
    assert (card.status, card.customer_id, card.backend) == ("pending", customer, "stripe")


def test_the_customer_is_created_once_per_client(card_service, client_user, stripe_backend):
    for days in (3, 4):
        booking = book(client=client_user, service=card_service, days=days)
        start_setup(login(client_user), booking)
    assert len(stripe_backend.requests_for("/v1/customers", "POST")) == 1
    customers = {c.customer_id for c in SavedCard.objects.all()}
    assert len(customers) == 1


def test_the_signed_webhook_saves_the_card_and_confirms_the_booking(
    card_service, client_user, stripe_backend, commit
):
    booking = book(client=client_user, service=card_service)
    card = save_card(stripe_backend, login(client_user), booking, commit)

    booking.refresh_from_db()
    assert booking.status == S.CONFIRMED
    assert (card.status, card.label, card.exp_month) == ("saved", "Visa ending 4242", 12)
    pm = stripe_backend.objects[card.payment_method_id]
    assert pm["customer"] == card.customer_id
    assert card.setup_intent_id == stripe_backend.objects[card.checkout_session_id]["setup_intent"]
    # Stripe delivers it again: nothing changes.
    event = stripe_backend.last_event("checkout.session.completed", card.checkout_session_id)
    event["id"] = "evt_again"
    assert post_event(Client(), event).status_code == HTTPStatus.OK
    assert booking.events.filter(action="card_saved").count() == 1


def test_the_success_page_saves_the_card_before_the_webhook(
    card_service, client_user, stripe_backend, commit
):
    booking = book(client=client_user, service=card_service)
    http = login(client_user)
    card = start_setup(http, booking)
    stripe_backend.complete_setup(card.checkout_session_id)

    response = http.get(reverse("payments:card_setup_return", args=[booking.pk]))

    assert response["Location"] == reverse("bookings:done", args=[booking.pk])
    card.refresh_from_db()
    booking.refresh_from_db()
    assert card.is_saved and booking.status == S.CONFIRMED
    event = stripe_backend.last_event("checkout.session.completed", card.checkout_session_id)
    with commit():
        post_event(Client(), event)
    assert booking.events.filter(action="card_saved").count() == 1
    assert StripeEvent.objects.get(event_id=event["id"]).error == ""


def test_the_success_page_waits_while_the_session_is_open(
    card_service, client_user, stripe_backend
):
    booking = book(client=client_user, service=card_service)
    http = login(client_user)
    start_setup(http, booking)
    response = http.get(reverse("payments:card_setup_return", args=[booking.pk]))
    assert response.status_code == HTTPStatus.OK
    assert "Your card is still being confirmed" in response.text


def test_an_expired_setup_session_marks_the_card_not_saved(
    card_service, client_user, stripe_backend, commit
):
    booking = book(client=client_user, service=card_service)
    card = start_setup(login(client_user), booking)
    stripe_backend.advance(32 * 60)  # Stripe expires the session and says so
    event = stripe_backend.last_event("checkout.session.expired", card.checkout_session_id)
    with commit():
        post_event(Client(), event)
    card.refresh_from_db()
    assert card.status == SavedCard.Status.EXPIRED


# -- The fee ------------------------------------------------------------------------------------


def test_the_fee_is_an_off_session_destination_charge(charge_ready, stripe_backend, commit):
    booking = charge_ready()
    mail.outbox.clear()
    with commit():
        response = login(booking.pro.user).post(
            reverse("payments:fee_charge", args=[booking.pk]), follow=True
        )
    assert "The fee was charged" in response.text

    fee = booking.payments.get()
    (request,) = stripe_backend.requests_for("/v1/payment_intents", "POST")
    card = booking.saved_card
    assert request.params == {
        "amount": "2000",
        "currency": "eur",
        "customer": card.customer_id,
        "payment_method": card.payment_method_id,
        "off_session": "true",
        "confirm": "true",
        "application_fee_amount": "200",
        "transfer_data": {"destination": booking.pro.connected_account.stripe_account_id},
        "description": "No-show fee: Colour",
        "metadata": {
            "booking_id": str(booking.pk),
            "payment_id": str(fee.pk),
            "kind": "no_show_fee",
        },
    }
    assert request.idempotency_key.startswith(f"booking-{booking.pk}-fee-1-")
    assert (fee.status, fee.amount, fee.fee) == (Payment.Status.SUCCEEDED, 2000, 200)
    assert stripe_backend.objects[fee.payment_intent_id]["status"] == "succeeded"
    assert [m.to for m in mail.outbox] == [[booking.client.email]]
    # payment_intent.succeeded arrives afterwards: nothing changes.
    event = stripe_backend.last_event("payment_intent.succeeded", fee.payment_intent_id)
    with commit():
        assert post_event(Client(), event).status_code == HTTPStatus.OK
    assert len(mail.outbox) == 1 and booking.payments.count() == 1


@pytest.mark.parametrize("test_card", [AUTHENTICATE, AUTHENTICATE_ALWAYS])
def test_authentication_required_sends_the_client_a_link_to_pay(
    charge_ready, stripe_backend, commit, test_card
):
    booking = charge_ready(test_card)
    mail.outbox.clear()
    pro = login(booking.pro.user)
    with commit():
        response = pro.post(reverse("payments:fee_charge", args=[booking.pk]), follow=True)
    assert "bank wants the client to confirm" in response.text

    fee = booking.payments.get()
    assert fee.status == Payment.Status.PENDING and fee.payment_intent_id.startswith("pi_")
    intent = stripe_backend.objects[fee.payment_intent_id]
    assert intent["status"] == "requires_payment_method"
    (email,) = mail.outbox
    assert email.to == [booking.client.email] and "Please confirm a fee of €20.00" in email.subject
    assert reverse("bookings:detail", args=[booking.pk]) in email.body
    assert (
        "Waiting for the client to authenticate"
        in pro.get(reverse("bookings:detail", args=[booking.pk])).text
    )
    # Stripe's payment_intent.payment_failed (authentication_required) leaves it waiting.
    failed = stripe_backend.last_event("payment_intent.payment_failed", fee.payment_intent_id)
    with commit():
        post_event(Client(), failed)
    fee.refresh_from_db()
    assert fee.status == Payment.Status.PENDING

    client = login(booking.client)
    page = client.get(reverse("bookings:detail", args=[booking.pk])).text
    assert "Pay the fee €20.00" in page
    response = client.post(reverse("payments:fee_pay", args=[booking.pk]))
    assert response.status_code == HTTPStatus.SEE_OTHER
    fee.refresh_from_db()
    assert response["Location"] == fee.checkout_url
    (link,) = [
        r
        for r in stripe_backend.requests_for("/v1/checkout/sessions", "POST")
        if r.params["mode"] == "payment"
    ]
    assert link.params["line_items"][0]["price_data"]["unit_amount"] == "2000"
    assert link.params["payment_intent_data"]["application_fee_amount"] == "200"
    # A second click reuses the session.
    again = client.post(reverse("payments:fee_pay", args=[booking.pk]))
    assert again["Location"] == fee.checkout_url

    stripe_backend.complete_checkout(fee.checkout_session_id)
    event = stripe_backend.last_event("checkout.session.completed", fee.checkout_session_id)
    mail.outbox.clear()
    with commit():
        assert post_event(Client(), event).status_code == HTTPStatus.OK
    fee.refresh_from_db()
    booking.refresh_from_db()
    assert fee.status == Payment.Status.SUCCEEDED and booking.status == S.NO_SHOW
    assert not fee.refunds.exists()
    (receipt,) = mail.outbox
    assert "Receipt" in receipt.subject
    assert "Fee paid" in pro.get(reverse("bookings:detail", args=[booking.pk])).text


def test_a_declined_card_fails_the_fee_and_allows_one_more_try(
    charge_ready, stripe_backend, commit
):
    booking = charge_ready(INSUFFICIENT_FUNDS)
    pro = login(booking.pro.user)
    with commit():
        response = pro.post(reverse("payments:fee_charge", args=[booking.pk]), follow=True)
    assert "The card was declined: Your card has insufficient funds." in response.text
    fee = booking.payments.get()
    assert (fee.status, fee.failure_message) == (
        Payment.Status.FAILED,
        "Your card has insufficient funds.",
    )
    failed = stripe_backend.last_event("payment_intent.payment_failed", fee.payment_intent_id)
    with commit():
        post_event(Client(), failed)
    assert "Fee declined" in pro.get(reverse("bookings:detail", args=[booking.pk])).text

    with commit():
        second = card_on_file.no_show_fee_charge(booking=booking, by=booking.pro.user)
    assert second.status == Payment.Status.FAILED and second.attempt == 2
    with pytest.raises(Exception, match="declined twice"):
        card_on_file.no_show_fee_charge(booking=booking, by=booking.pro.user)
    assert booking.payments.count() == 2


def test_a_deleted_account_forgets_the_card_and_its_customer(charge_ready, stripe_backend, commit):
    from accounts.services import account_delete

    booking = charge_ready()
    card = booking.saved_card
    customer_id, pm_id = card.customer_id, card.payment_method_id
    with commit():
        account_delete(user=booking.client, password=PASSWORD)
    card.refresh_from_db()
    assert (card.status, card.payment_method_id, card.customer_id) == ("removed", "", "")
    assert card.label == "Visa ending 4242"  # the pro's history keeps the digits
    assert not StripeCustomer.objects.exists()
    assert stripe_backend.objects[customer_id]["deleted"] is True
    assert stripe_backend.objects[pm_id]["customer"] is None


# -- The stand-in refuses what Stripe refuses ------------------------------------------------------


@pytest.fixture
def sdk(standin):
    return stripe.StripeClient(API_KEY, base_addresses={"api": standin.url})


@pytest.fixture
def customer(sdk):
    return sdk.v1.customers.create({"email": "c@timz.test"})


def _setup(sdk, who, **extra):
    params = {
        "mode": "setup",
        "currency": "eur",
        "customer": who.id,
        "success_url": "https://timz.test/ok",
        "cancel_url": "https://timz.test/no",
        **extra,
    }
    return sdk.v1.checkout.sessions.create(params)


@pytest.mark.parametrize(
    "extra, param",
    [
        ({"line_items": [{"quantity": 1, "price_data": LINE}]}, "line_items"),
        ({"payment_intent_data": {"application_fee_amount": 10}}, "payment_intent_data"),
        ({"currency": ""}, "currency"),
        ({"customer_email": "c@timz.test"}, "customer_email"),
        ({"customer": "cus_missing"}, "customer"),
        ({"mode": "rent"}, "mode"),
    ],
)
def test_setup_mode_refuses_what_stripe_refuses(sdk, customer, extra, param):
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        _setup(sdk, customer, **extra)
    assert excinfo.value.param == param


def test_setup_mode_takes_the_currency_from_payment_method_types_instead(sdk, customer):
    session = _setup(sdk, customer, currency="", payment_method_types=["card"])
    assert session.mode == "setup" and session.setup_intent.startswith("seti_")


def _saved_method(standin, sdk, customer, card="4242424242424242"):
    session = _setup(sdk, customer)
    standin.complete_setup(session.id, card=card)
    return sdk.v1.setup_intents.retrieve(session.setup_intent).payment_method


def _charge_params(customer, method, **extra) -> dict:
    return {
        "amount": 1000,
        "currency": "eur",
        "customer": customer.id,
        "payment_method": method,
        "off_session": True,
        "confirm": True,
        **extra,
    }


def _charge(sdk, customer, method, **extra):
    return sdk.v1.payment_intents.create(_charge_params(customer, method, **extra))


def test_off_session_needs_confirm(standin, sdk, customer):
    method = _saved_method(standin, sdk, customer)
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        _charge(sdk, customer, method, confirm=False)
    assert excinfo.value.param == "off_session"


def test_a_fee_needs_a_destination_and_a_saved_card_its_customer(standin, sdk, customer):
    method = _saved_method(standin, sdk, customer)
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        _charge(sdk, customer, method, application_fee_amount=100)
    assert excinfo.value.param == "application_fee_amount"
    other = sdk.v1.customers.create({"email": "o@timz.test"})
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        _charge(sdk, other, method)
    assert excinfo.value.param == "payment_method"
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        _charge(sdk, customer, "pm_missing")
    assert excinfo.value.code == "resource_missing"


def test_test_cards_succeed_ask_for_authentication_or_decline(standin, sdk, customer):
    assert _charge(sdk, customer, _saved_method(standin, sdk, customer)).status == "succeeded"
    for card, code in ((AUTHENTICATE, "authentication_required"), (INSUFFICIENT_FUNDS, None)):
        with pytest.raises(stripe.CardError) as excinfo:
            _charge(sdk, customer, _saved_method(standin, sdk, customer, card))
        error = excinfo.value
        assert error.http_status == 402
        assert error.code == (code or "card_declined")
        assert error.error.payment_intent.status == "requires_payment_method"
    assert error.error.decline_code == "insufficient_funds"


def test_a_reused_idempotency_key_with_other_parameters_is_refused(standin, sdk, customer):
    params = _charge_params(customer, _saved_method(standin, sdk, customer))
    first = sdk.v1.payment_intents.create(params, {"idempotency_key": "fee-1"})
    replay = sdk.v1.payment_intents.create(params, {"idempotency_key": "fee-1"})
    assert replay.id == first.id
    with pytest.raises(stripe.IdempotencyError):
        sdk.v1.payment_intents.create({**params, "amount": 900}, {"idempotency_key": "fee-1"})


@pytest.mark.django_db(transaction=True)
def test_two_parallel_charge_posts_charge_the_fee_once(charge_ready, stripe_backend):
    from payments.tests.test_concurrency import run_in_threads

    booking = charge_ready()
    url = reverse("payments:fee_charge", args=[booking.pk])
    clients = [login(booking.pro.user) for _ in range(2)]
    results, errors = run_in_threads(lambda: clients.pop().post(url).status_code, n=2)

    assert errors == [] and results == [HTTPStatus.FOUND, HTTPStatus.FOUND]
    assert Payment.objects.filter(booking=booking, kind=Payment.Kind.NO_SHOW_FEE).count() == 1
    assert len(stripe_backend.requests_for("/v1/payment_intents", "POST")) == 1


def test_the_client_is_told_in_the_app_when_the_bank_wants_them(
    charge_ready, stripe_backend, commit, monkeypatch
):
    from chat import notifications

    booking = charge_ready(AUTHENTICATE)
    pushed = []
    monkeypatch.setattr(notifications, "group_send_now", lambda g, e: pushed.append((g, e)))
    with commit():
        card_on_file.no_show_fee_charge(booking=booking, by=booking.pro.user)
    notices = [(g, e["payload"]) for g, e in pushed if e["payload"].get("type") == "notice"]
    assert [group for group, _ in notices] == [f"user.{booking.client_id}"]
    assert [payload for _, payload in notices] == [
        {
            "type": "notice",
            "message": "Paula Pro charged a fee of €20.00: please confirm it.",
            "url": reverse("bookings:detail", args=[booking.pk]),
        }
    ]
