"""Fixtures of the payments tests: both backends, the Stripe stand-in, paid bookings."""

import json
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from bookings import attribution
from bookings.models import Booking, Service
from conftest import book, local_at, login, make_service
from payments.models import ConnectedAccount, Payment
from payments.services import connected_account_enable_simulated
from payments.tests.stripe_standin import StripeStandin, sign_webhook_payload

API_KEY = "sk_test_timz"
WEBHOOK_SECRET = "whsec_test_timz"
CONNECT_WEBHOOK_SECRET = "whsec_test_connect"


@pytest.fixture
def offline(offline_payments):
    """The offline backend (the root conftest's `offline_payments`)."""
    return offline_payments


@pytest.fixture
def standin():
    with StripeStandin() as server:
        yield server


@pytest.fixture
def stripe_backend(settings, standin):
    settings.STRIPE_SECRET_KEY = API_KEY
    settings.STRIPE_API_BASE = standin.url
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = CONNECT_WEBHOOK_SECRET
    settings.PLATFORM_FEE_PERCENT = "10"
    settings.PLATFORM_FEE_FIXED = 0
    settings.PLATFORM_FEE_MIN = 0
    settings.SITE_URL = "https://timz.test"
    return standin


@pytest.fixture
def paid_service(working_pro):
    return make_service(
        pro=working_pro,
        name="Colour",
        duration_minutes=60,
        price_amount=5000,
        payment_mode=Service.PaymentMode.ONLINE,
    )


@pytest.fixture
def card_service(working_pro):
    """A service protected by a card on file: a 40 % no-show fee on €50.00."""
    return make_service(
        pro=working_pro,
        name="Colour",
        price_amount=5000,
        protection=Service.Protection.CARD,
        no_show_fee_percent=40,
    )


@pytest.fixture
def offline_account(offline, working_pro):
    return connected_account_enable_simulated(pro=working_pro)


@pytest.fixture
def stripe_account(stripe_backend, working_pro):
    """An enabled Express account that exists in the stand-in."""
    import stripe

    client = stripe.StripeClient(API_KEY, base_addresses={"api": stripe_backend.url})
    acct = client.v1.accounts.create({"type": "express"})
    stripe_backend.set_account(acct.id)
    return ConnectedAccount.objects.create(
        pro=working_pro, stripe_account_id=acct.id, charges_enabled=True, payouts_enabled=True
    )


def pay_offline(*, http: Client, booking: Booking) -> Payment:
    """The client's clicks: Pay now, then Pay on the test page."""
    response = http.post(reverse("payments:checkout", args=[booking.pk]))
    assert response.status_code == 303, response.content
    test_url = response["Location"]
    response = http.post(test_url, {"outcome": "pay"})
    assert response.status_code == 302
    return Payment.objects.get(booking=booking, status__in=Payment.PAID_STATUSES)


def arrive_through_link(http: Client, pro) -> None:
    """The visitor follows the pro's share link (/go/<slug>/): a signed cookie, the pro page."""
    response = http.get(reverse("share_link", kwargs={"slug": pro.slug}))
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("accounts:pro_detail", kwargs={"slug": pro.slug})
    assert attribution.COOKIE in response.cookies


def book_through_page(http: Client, service, *, days=3, hour=10) -> Booking:
    """The booking page's Confirm, as a client does."""
    url = reverse("bookings:confirm", args=[service.pro.slug, service.pk])
    start = local_at(days, hour).isoformat()
    response = http.post(url, {"start": start, "note": ""})
    assert response.status_code == HTTPStatus.FOUND, response.content[:500]
    return Booking.objects.filter(client_id=http.session["_auth_user_id"]).latest("id")


def post_event(http: Client, event: dict, *, secret=WEBHOOK_SECRET, timestamp=None, body=None):
    payload = body if body is not None else json.dumps(event)
    signature = sign_webhook_payload(payload, secret, timestamp)
    return http.post(
        reverse("payments:stripe_webhook"),
        data=payload,
        content_type="application/json",
        headers={"Stripe-Signature": signature},
    )


def session_event(standin, session_id: str, type_: str = "checkout.session.completed"):
    """The newest `type_` event the stand-in emitted for the session."""
    return standin.last_event(type_, session_id)


@pytest.fixture
def pending(stripe_account, paid_service, client_user, stripe_backend):
    """A booking awaiting payment, its checkout session paid on Stripe's side."""
    booking = book(client=client_user, service=paid_service)
    login(client_user).post(reverse("payments:checkout", args=[booking.pk]))
    payment = booking.payments.get()
    stripe_backend.complete_checkout(payment.checkout_session_id)
    return booking, payment


@pytest.fixture
def stripe_paid(pending, stripe_backend, commit):
    """`pending`'s payment once its checkout.session.completed has been delivered."""
    booking, payment = pending
    with commit():
        post_event(Client(), session_event(stripe_backend, payment.checkout_session_id))
    payment.refresh_from_db()
    return payment


@pytest.fixture
def stripe_client(stripe_backend):
    """The SDK pointed at the stand-in: what someone does in the Stripe dashboard, or another
    product on the same Stripe account."""
    import stripe

    return stripe.StripeClient(API_KEY, base_addresses={"api": stripe_backend.url})
