"""The Stripe stand-in, exercised through the real stripe SDK (no network beyond 127.0.0.1)."""

import json
import threading
import time
import urllib.error
import urllib.request

import pytest
import stripe

from payments.tests.stripe_standin import (
    StripeStandin,
    make_event,
    parse_form,
    sign_webhook_payload,
)

API_KEY = "sk_test_standin"
WEBHOOK_SECRET = "whsec_test_secret"


@pytest.fixture
def standin():
    with StripeStandin() as server:
        yield server


@pytest.fixture
def client(standin):
    return stripe.StripeClient(API_KEY, base_addresses={"api": standin.url}, max_network_retries=0)


@pytest.fixture
def legacy(standin, monkeypatch):
    """The module-level (global) stripe API pointed at the stand-in."""
    monkeypatch.setattr(stripe, "api_key", API_KEY)
    monkeypatch.setattr(stripe, "api_base", standin.url)
    monkeypatch.setattr(stripe, "max_network_retries", 0)
    return stripe


def session_params(destination="acct_pro1", **overrides):
    params = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 2,
                "price_data": {
                    "currency": "eur",
                    "unit_amount": 2500,
                    "product_data": {"name": "Haircut"},
                },
            }
        ],
        "payment_intent_data": {
            "application_fee_amount": 500,
            "transfer_data": {"destination": destination},
            "metadata": {"booking_id": "5"},
        },
        "metadata": {"booking_id": "5"},
        "client_reference_id": "booking-5",
        "success_url": "https://timz.test/ok",
        "cancel_url": "https://timz.test/cancel",
    }
    return params | overrides


def test_parse_form_builds_nested_dicts_and_lists():
    body = (
        "line_items[0][price_data][unit_amount]=1000&line_items[0][quantity]=1"
        "&line_items[1][price]=price_x&payment_intent_data[transfer_data][destination]=acct_x"
        "&metadata[booking_id]=5&metadata[0]=zero&expand[]=a&expand[]=b&flag=true&empty="
    )
    assert parse_form(body) == {
        "line_items": [
            {"price_data": {"unit_amount": "1000"}, "quantity": "1"},
            {"price": "price_x"},
        ],
        "payment_intent_data": {"transfer_data": {"destination": "acct_x"}},
        "metadata": {"booking_id": "5", "0": "zero"},  # metadata keys are never list indexes
        "expand": ["a", "b"],
        "flag": "true",
        "empty": "",
    }
    # Percent-encoded brackets (strict form encoding) parse the same.
    assert parse_form("metadata%5Bbooking_id%5D=5") == {"metadata": {"booking_id": "5"}}


def test_both_base_url_overrides_reach_the_standin(standin, client, legacy):
    legacy.Account.create(type="express")
    client.v1.accounts.create({"type": "express"})
    assert [r.method for r in standin.requests_for("/v1/accounts")] == ["POST", "POST"]
    auths = {r.header("authorization") for r in standin.requests}
    assert auths == {f"Bearer {API_KEY}"}


def test_create_and_retrieve_express_account(standin, client):
    account = client.v1.accounts.create(
        {
            "type": "express",
            "country": "FR",
            "email": "pro@timz.test",
            "capabilities": {
                "card_payments": {"requested": True},
                "transfers": {"requested": True},
            },
            "metadata": {"user_id": "7"},
        }
    )
    assert account.id.startswith("acct_")
    assert account.object == "account"
    assert account.livemode is False
    assert account.charges_enabled is False
    assert account.payouts_enabled is False
    assert account.requirements.currently_due
    assert account.metadata.to_dict() == {"user_id": "7"}
    (request,) = standin.requests_for("/v1/accounts", "POST")
    assert request.params["capabilities"] == {
        "card_payments": {"requested": "true"},  # booleans go over the wire as strings
        "transfers": {"requested": "true"},
    }

    standin.set_account(account.id)
    refreshed = client.v1.accounts.retrieve(account.id)
    assert refreshed.charges_enabled is True
    assert refreshed.payouts_enabled is True
    assert refreshed.details_submitted is True
    assert refreshed.requirements.currently_due == []


def test_account_link(standin, client):
    account = client.v1.accounts.create({"type": "express"})
    link = client.v1.account_links.create(
        {
            "account": account.id,
            "refresh_url": "https://timz.test/refresh",
            "return_url": "https://timz.test/return",
            "type": "account_onboarding",
        }
    )
    assert link.object == "account_link"
    assert link.url == f"{standin.url}/connect/onboard/{account.id}"
    assert link.expires_at > time.time()
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        client.v1.account_links.create({"account": "acct_unknown", "type": "account_onboarding"})
    assert excinfo.value.code == "resource_missing"


def test_checkout_session_params_and_idempotent_retry(standin, client):
    options = {"idempotency_key": "booking-5-checkout"}
    session = client.v1.checkout.sessions.create(session_params(), options)
    assert session.id.startswith("cs_test_")
    assert session.object == "checkout.session"
    assert (session.status, session.payment_status) == ("open", "unpaid")
    assert (session.amount_total, session.currency) == (5000, "eur")
    assert session.client_reference_id == "booking-5"
    assert session.metadata.to_dict() == {"booking_id": "5"}
    assert session.payment_intent is None
    assert session.url.startswith(standin.url)
    assert session.expires_at > session.created

    (request,) = standin.requests_for("/v1/checkout/sessions")
    assert request.idempotency_key == "booking-5-checkout"
    assert request.params == {
        "mode": "payment",
        "line_items": [
            {
                "quantity": "2",
                "price_data": {
                    "currency": "eur",
                    "unit_amount": "2500",
                    "product_data": {"name": "Haircut"},
                },
            }
        ],
        "payment_intent_data": {
            "application_fee_amount": "500",
            "transfer_data": {"destination": "acct_pro1"},
            "metadata": {"booking_id": "5"},
        },
        "metadata": {"booking_id": "5"},
        "client_reference_id": "booking-5",
        "success_url": "https://timz.test/ok",
        "cancel_url": "https://timz.test/cancel",
    }

    retry = client.v1.checkout.sessions.create(session_params(), options)
    assert retry.id == session.id
    assert retry.last_response.headers["Idempotent-Replayed"] == "true"
    assert len(standin.requests_for("/v1/checkout/sessions")) == 2
    sessions = [o for o in standin.objects.values() if o["object"] == "checkout.session"]
    assert len(sessions) == 1

    # Same key, different params: Stripe refuses instead of replaying.
    with pytest.raises(stripe.IdempotencyError):
        client.v1.checkout.sessions.create(session_params(client_reference_id="other"), options)
    # Without a key the SDK still sends a fresh random one, so this creates a new session.
    other = client.v1.checkout.sessions.create(session_params())
    assert other.id != session.id
    assert standin.requests[-1].idempotency_key not in (None, "booking-5-checkout")


def test_legacy_api_idempotency_key_and_stripe_account(standin, legacy):
    first = legacy.checkout.Session.create(idempotency_key="k1", **session_params())
    again = legacy.checkout.Session.create(idempotency_key="k1", **session_params())
    assert first.id == again.id
    legacy.checkout.Session.retrieve(first.id, stripe_account="acct_pro1")
    assert [r.idempotency_key for r in standin.requests] == ["k1", "k1", None]
    assert standin.requests[-1].stripe_account == "acct_pro1"


def test_concurrent_retries_with_one_key_create_one_session(standin, client):
    ids = []

    def create():
        session = client.v1.checkout.sessions.create(session_params(), {"idempotency_key": "same"})
        ids.append(session.id)

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(ids) == 8 and len(set(ids)) == 1
    assert len(standin.objects) == 1


def test_complete_checkout_then_retrieve(standin, client):
    session = client.v1.checkout.sessions.create(session_params())
    completed = standin.complete_checkout(session.id)
    assert (completed["status"], completed["payment_status"]) == ("complete", "paid")
    assert completed["payment_intent"].startswith("pi_")

    fetched = client.v1.checkout.sessions.retrieve(session.id)
    assert fetched.payment_intent == completed["payment_intent"]
    expanded = client.v1.checkout.sessions.retrieve(session.id, {"expand": ["payment_intent"]})
    assert isinstance(expanded.payment_intent, stripe.PaymentIntent)
    assert standin.requests[-1].params == {"expand": ["payment_intent"]}  # GET query string
    intent = client.v1.payment_intents.retrieve(fetched.payment_intent)
    assert (intent.amount, intent.currency, intent.status) == (5000, "eur", "succeeded")
    assert intent.application_fee_amount == 500
    assert intent.transfer_data.destination == "acct_pro1"
    assert intent.metadata.to_dict() == {"booking_id": "5"}
    with pytest.raises(ValueError):
        standin.complete_checkout(session.id)


def test_expire_session(client):
    session = client.v1.checkout.sessions.create(session_params())
    expired = client.v1.checkout.sessions.expire(session.id)
    assert (expired.id, expired.status) == (session.id, "expired")
    assert client.v1.checkout.sessions.retrieve(session.id).status == "expired"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.expire(session.id)


def test_refunds(standin, client):
    session = client.v1.checkout.sessions.create(session_params())
    intent_id = standin.complete_checkout(session.id)["payment_intent"]
    refund = client.v1.refunds.create(
        {
            "payment_intent": intent_id,
            "amount": 3000,
            "reverse_transfer": True,
            "refund_application_fee": True,
            "metadata": {"booking_id": "5"},
        },
        {"idempotency_key": "refund-5"},
    )
    assert refund.id.startswith("re_")
    assert (refund.object, refund.status, refund.amount) == ("refund", "succeeded", 3000)
    assert refund.payment_intent == intent_id
    assert refund.charge.startswith("ch_")
    (request,) = standin.requests_for("/v1/refunds")
    assert request.params == {
        "payment_intent": intent_id,
        "amount": "3000",
        "reverse_transfer": "true",
        "refund_application_fee": "true",
        "metadata": {"booking_id": "5"},
    }
    assert client.v1.refunds.retrieve(refund.id).amount == 3000

    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        client.v1.refunds.create({"payment_intent": intent_id, "amount": 2001})
    assert excinfo.value.param == "amount"

    standin.refund_status = "pending"
    rest = client.v1.refunds.create({"charge": refund.charge})  # no amount: the remainder
    assert (rest.amount, rest.status) == (2000, "pending")
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        client.v1.refunds.create({"payment_intent": intent_id})
    assert excinfo.value.code == "charge_already_refunded"


def test_not_found_is_an_invalid_request_error(standin, client):
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        client.v1.checkout.sessions.retrieve("cs_test_missing")
    assert excinfo.value.http_status == 404
    assert excinfo.value.code == "resource_missing"
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        client.v1.customers.create({"email": "x@timz.test"})  # endpoint the stand-in lacks
    assert excinfo.value.http_status == 404
    assert excinfo.value.json_body["error"]["type"] == "invalid_request_error"
    assert "Unrecognized request URL" in excinfo.value.user_message


def test_bad_or_missing_api_key_is_401(standin):
    live = stripe.StripeClient("sk_live_oops", base_addresses={"api": standin.url})
    with pytest.raises(stripe.AuthenticationError) as excinfo:
        live.v1.accounts.create({"type": "express"})
    assert excinfo.value.http_status == 401
    with pytest.raises(urllib.error.HTTPError) as raw:
        urllib.request.urlopen(f"{standin.url}/v1/accounts/acct_x")
    assert raw.value.code == 401
    assert json.load(raw.value)["error"]["type"] == "invalid_request_error"
    assert standin.objects == {}


def test_webhook_signature_round_trip(standin, client):
    session = client.v1.checkout.sessions.create(session_params())
    event = make_event("checkout.session.completed", standin.complete_checkout(session.id))
    payload = json.dumps(event).encode()
    header = sign_webhook_payload(payload, WEBHOOK_SECRET)

    constructed = stripe.Webhook.construct_event(payload, header, WEBHOOK_SECRET)
    assert constructed.id.startswith("evt_")
    assert constructed.type == "checkout.session.completed"
    assert constructed.livemode is False
    assert constructed.data.object.id == session.id
    assert constructed.data.object.payment_status == "paid"

    # Byte-for-byte what the SDK's own test helper produces.
    ts = int(time.time())
    assert sign_webhook_payload(payload, WEBHOOK_SECRET, ts) == (
        stripe.WebhookSignature.generate_signature_header(payload.decode(), WEBHOOK_SECRET, ts)
    )

    tampered = payload.replace(b'"paid"', b'"unpaid"')
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(tampered, header, WEBHOOK_SECRET)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, header, "whsec_other")
    stale = sign_webhook_payload(payload, WEBHOOK_SECRET, timestamp=int(time.time()) - 301)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, stale, WEBHOOK_SECRET)


def test_make_event_envelope():
    event = make_event(
        "account.updated", {"id": "acct_1", "object": "account"}, "evt_1", account="acct_1"
    )
    assert event["id"] == "evt_1"
    assert event["object"] == "event"
    assert event["type"] == "account.updated"
    assert event["data"] == {"object": {"id": "acct_1", "object": "account"}}
    assert event["livemode"] is False
    assert event["api_version"] == stripe.api_version
    assert event["account"] == "acct_1"
    assert isinstance(event["created"], int)
