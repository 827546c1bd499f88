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


@pytest.fixture
def destination(client):
    """A connected account that exists in the stand-in (destination charges name one)."""
    return client.v1.accounts.create({"type": "express"}).id


def session_params(destination, **overrides):
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


def test_checkout_session_params_and_idempotent_retry(standin, client, destination):
    options = {"idempotency_key": "booking-5-checkout"}
    session = client.v1.checkout.sessions.create(session_params(destination), options)
    assert session.id.startswith("cs_test_")
    assert session.object == "checkout.session"
    assert (session.status, session.payment_status) == ("open", "unpaid")
    assert (session.amount_total, session.currency) == (5000, "eur")
    assert session.client_reference_id == "booking-5"
    assert session.metadata.to_dict() == {"booking_id": "5"}
    assert session.payment_intent is None
    assert session.url.startswith(standin.url)
    assert session.expires_at > session.created

    (request,) = standin.requests_for("/v1/checkout/sessions", "POST")
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
            "transfer_data": {"destination": destination},
            "metadata": {"booking_id": "5"},
        },
        "metadata": {"booking_id": "5"},
        "client_reference_id": "booking-5",
        "success_url": "https://timz.test/ok",
        "cancel_url": "https://timz.test/cancel",
    }

    retry = client.v1.checkout.sessions.create(session_params(destination), options)
    assert retry.id == session.id
    assert retry.last_response.headers["Idempotent-Replayed"] == "true"
    assert len(standin.requests_for("/v1/checkout/sessions", "POST")) == 2
    sessions = [o for o in standin.objects.values() if o["object"] == "checkout.session"]
    assert len(sessions) == 1

    # Same key, different params: Stripe refuses instead of replaying.
    with pytest.raises(stripe.IdempotencyError):
        client.v1.checkout.sessions.create(
            session_params(destination, client_reference_id="other"), options
        )
    # Without a key the SDK still sends a fresh random one, so this creates a new session.
    other = client.v1.checkout.sessions.create(session_params(destination))
    assert other.id != session.id
    assert standin.requests[-1].idempotency_key not in (None, "booking-5-checkout")


def test_legacy_api_idempotency_key_and_stripe_account(standin, legacy, destination):
    first = legacy.checkout.Session.create(idempotency_key="k1", **session_params(destination))
    again = legacy.checkout.Session.create(idempotency_key="k1", **session_params(destination))
    assert first.id == again.id
    legacy.checkout.Session.retrieve(first.id, stripe_account=destination)
    assert [r.idempotency_key for r in standin.requests[1:]] == ["k1", "k1", None]
    assert standin.requests[-1].stripe_account == destination


def test_concurrent_retries_with_one_key_create_one_session(standin, client, destination):
    ids = []

    def create():
        params, options = session_params(destination), {"idempotency_key": "same"}
        session = client.v1.checkout.sessions.create(params, options)
        ids.append(session.id)

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(ids) == 8 and len(set(ids)) == 1
    sessions = [o for o in standin.objects.values() if o["object"] == "checkout.session"]
    assert len(sessions) == 1


def test_complete_checkout_then_retrieve(standin, client, destination):
    session = client.v1.checkout.sessions.create(session_params(destination))
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
    assert intent.transfer_data.destination == destination
    assert intent.metadata.to_dict() == {"booking_id": "5"}
    with pytest.raises(ValueError):
        standin.complete_checkout(session.id)


def test_expire_session(client, destination):
    session = client.v1.checkout.sessions.create(session_params(destination))
    expired = client.v1.checkout.sessions.expire(session.id)
    assert (expired.id, expired.status) == (session.id, "expired")
    assert client.v1.checkout.sessions.retrieve(session.id).status == "expired"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.expire(session.id)


def test_refunds(standin, client, destination):
    session = client.v1.checkout.sessions.create(session_params(destination))
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
        client.v1.products.create({"name": "Gift card"})  # endpoint the stand-in lacks
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


def test_webhook_signature_round_trip(standin, client, destination):
    session = client.v1.checkout.sessions.create(session_params(destination))
    standin.complete_checkout(session.id)
    event = standin.last_event("checkout.session.completed")
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


# -- As strict as Stripe ------------------------------------------------------------------


def refused(call, *args) -> stripe.StripeError:
    with pytest.raises(stripe.StripeError) as excinfo:
        call(*args)
    return excinfo.value


# A minute past 24 hours: the stand-in reads its clock when the request arrives, which may be a
# second after `now()` here (one second over could then be exactly 24 hours, which is allowed).
@pytest.mark.parametrize("lifetime", [30 * 60 - 1, 24 * 3600 + 60])
def test_session_expires_at_must_be_30_minutes_to_24_hours_away(
    standin, client, destination, lifetime
):
    params = session_params(destination, expires_at=standin.now() + lifetime)

    error = refused(client.v1.checkout.sessions.create, params)

    assert (error.http_status, error.param) == (400, "expires_at")


def test_session_expires_at_30_minutes_away_is_accepted(standin, client, destination):
    params = session_params(destination, expires_at=standin.now() + 30 * 60 + 5)

    assert client.v1.checkout.sessions.create(params).status == "open"


@pytest.mark.parametrize(
    "currency, unit_amount, code",
    [
        ("eur", 49, "amount_too_small"),
        ("gbp", 29, "amount_too_small"),
        ("jpy", 49, "amount_too_small"),
        ("isk", 50050, "invalid_charge_amount"),  # whole krónur only, two decimals in the API
        ("kwd", 1235, "invalid_charge_amount"),  # three decimals, the last one 0
    ],
)
def test_a_charge_stripe_cannot_take_is_refused(client, destination, currency, unit_amount, code):
    params = session_params(destination)
    params["line_items"][0] |= {"quantity": 1}
    params["line_items"][0]["price_data"] |= {"currency": currency, "unit_amount": unit_amount}
    params["payment_intent_data"]["application_fee_amount"] = 0

    error = refused(client.v1.checkout.sessions.create, params)

    assert error.code == code


def test_an_application_fee_needs_a_destination(client, destination):
    params = session_params(destination)
    del params["payment_intent_data"]["transfer_data"]

    error = refused(client.v1.checkout.sessions.create, params)

    assert error.param == "payment_intent_data[application_fee_amount]"


def test_the_destination_must_be_an_existing_account(client):
    error = refused(client.v1.checkout.sessions.create, session_params("acct_nobody"))

    assert (error.code, error.param) == (
        "resource_missing",
        "payment_intent_data[transfer_data][destination]",
    )


def test_an_idempotency_key_is_remembered_for_24_hours_only(standin, client, destination):
    options = {"idempotency_key": "k"}
    first = client.v1.checkout.sessions.create(session_params(destination), options)
    standin.advance(24 * 3600 - 60)
    with pytest.raises(stripe.IdempotencyError):
        client.v1.checkout.sessions.create(session_params(destination, mode="setup"), options)
    standin.advance(60)

    again = client.v1.checkout.sessions.create(session_params(destination), options)

    assert again.id != first.id


def test_an_error_of_an_executed_request_is_replayed_for_its_key(standin, client, destination):
    session = client.v1.checkout.sessions.create(session_params(destination))
    client.v1.checkout.sessions.expire(session.id)
    options = {"idempotency_key": "expire-again"}
    refused(client.v1.checkout.sessions.expire, session.id, None, options)

    again = refused(client.v1.checkout.sessions.expire, session.id, None, options)

    assert again.headers["Idempotent-Replayed"] == "true"


def test_a_request_refused_by_validation_caches_nothing(client, destination):
    options = {"idempotency_key": "k"}
    bad = session_params(destination, expires_at=1)
    refused(client.v1.checkout.sessions.create, bad, options)

    session = client.v1.checkout.sessions.create(session_params(destination), options)

    assert session.status == "open"


def test_a_session_loses_its_url_once_complete(standin, client, destination):
    session = client.v1.checkout.sessions.create(session_params(destination))
    standin.complete_checkout(session.id)

    assert client.v1.checkout.sessions.retrieve(session.id).url is None


def test_an_open_session_expires_when_the_clock_passes_its_expires_at(standin, client, destination):
    params = session_params(destination, expires_at=standin.now() + 31 * 60)
    session = client.v1.checkout.sessions.create(params)

    standin.advance(31 * 60)

    fetched = client.v1.checkout.sessions.retrieve(session.id)
    assert (fetched.status, fetched.url) == ("expired", None)
    assert (
        standin.last_event("checkout.session.expired", session.id)["data"]["object"]["url"] is None
    )


def paid_intent(standin, client, destination) -> stripe.PaymentIntent:
    session = client.v1.checkout.sessions.create(session_params(destination))
    intent_id = standin.complete_checkout(session.id)["payment_intent"]
    return client.v1.payment_intents.retrieve(
        intent_id, {"expand": ["latest_charge.application_fee", "latest_charge.transfer"]}
    )


def test_paying_a_destination_charge_transfers_the_amount_less_the_fee(
    standin, client, destination
):
    charge = paid_intent(standin, client, destination).latest_charge

    assert (charge.amount, charge.application_fee.amount) == (5000, 500)
    assert (charge.transfer.destination, charge.transfer.amount) == (destination, 4500)


def test_a_partial_refund_refunds_the_fee_in_proportion_rounded_down(standin, client, destination):
    intent = paid_intent(standin, client, destination)
    params = {"payment_intent": intent.id, "amount": 1235}
    client.v1.refunds.create(params | {"refund_application_fee": True, "reverse_transfer": True})

    fee = client.v1.application_fees.retrieve(intent.latest_charge.application_fee.id)
    transfer = client.v1.transfers.retrieve(intent.latest_charge.transfer.id)
    assert fee.amount_refunded == 123  # 123.5 rounded down
    assert transfer.amount_reversed == 1111  # 1235 * 4500 / 5000, rounded down
    assert standin.last_event("application_fee.refunded")["data"]["object"]["id"] == fee.id


def test_a_refund_emits_its_events_from_the_stand_ins_state(standin, client, destination):
    intent = paid_intent(standin, client, destination)
    standin.refund_status = "pending"
    refund = client.v1.refunds.create({"payment_intent": intent.id, "amount": 1000})

    standin.set_refund_status(refund.id, "failed")

    types = [e["type"] for e in standin.events if e["data"]["object"]["id"] == refund.id]
    assert types == ["refund.created", "refund.failed"]
    assert standin.last_event("refund.failed")["data"]["object"]["status"] == "failed"


def test_a_dispute_emits_created_updated_and_closed(standin, client, destination):
    charge = paid_intent(standin, client, destination).latest_charge
    dispute = standin.open_dispute(charge.id)
    standin.update_dispute(dispute["id"])
    standin.close_dispute(dispute["id"], won=False)

    events = [e for e in standin.events if e["data"]["object"]["id"] == dispute["id"]]

    assert [(e["type"], e["data"]["object"]["status"]) for e in events] == [
        ("charge.dispute.created", "needs_response"),
        ("charge.dispute.updated", "under_review"),
        ("charge.dispute.closed", "lost"),
    ]
    assert events[0]["data"]["object"]["amount"] == 5000


def test_a_transfer_reversal_is_checked_against_the_unreversed_amount(standin, client, destination):
    transfer = paid_intent(standin, client, destination).latest_charge.transfer
    reversal = client.v1.transfers.reversals.create(transfer.id, {"amount": 4000})

    error = refused(client.v1.transfers.reversals.create, transfer.id, {"amount": 501})

    assert reversal.amount == 4000
    assert error.param == "amount"


def test_account_updates_are_connect_events(standin, destination):
    standin.set_account(destination)

    event = standin.last_event("account.updated", destination)

    assert event["account"] == destination
    assert event["data"]["object"]["charges_enabled"] is True


def test_a_live_stand_in_takes_live_keys_and_marks_its_objects_live():
    with StripeStandin(livemode=True) as live:
        client = stripe.StripeClient("sk_live_x", base_addresses={"api": live.url})
        account = client.v1.accounts.create({"type": "express"})
        live.set_account(account.id)
        test_client = stripe.StripeClient("sk_test_x", base_addresses={"api": live.url})
        error = refused(test_client.v1.accounts.create, {"type": "express"})

    assert account.livemode is True
    assert live.last_event("account.updated")["livemode"] is True
    assert error.http_status == 401


# -- GET /v1/payouts: pagination, filters, and what Stripe refuses (the money page's payouts) ---

DAY = 86_400


@pytest.fixture
def account(client):
    """A connected account of the platform."""
    return client.v1.accounts.create({"type": "express"}).id


def test_a_list_is_newest_first_and_pages_with_has_more_and_starting_after(
    standin, client, account
):
    made = [
        standin.add_payout(account, amount=100 * n, arrival_date=n * DAY, created=n * DAY)["id"]
        for n in range(1, 6)
    ]
    options = {"stripe_account": account}

    first = client.v1.payouts.list({"limit": 2}, options)
    second = client.v1.payouts.list({"limit": 2, "starting_after": first.data[-1].id}, options)
    last = client.v1.payouts.list({"limit": 2, "starting_after": second.data[-1].id}, options)

    assert [p.id for p in first.data] == [made[4], made[3]] and first.has_more
    assert [p.id for p in second.data] == [made[2], made[1]] and second.has_more
    assert [p.id for p in last.data] == [made[0]] and not last.has_more
    assert first.data[0].amount == 500 and first.data[0].status == "paid"
    before = client.v1.payouts.list({"limit": 2, "ending_before": made[1]}, options)
    assert [p.id for p in before.data] == [made[3], made[2]] and before.has_more


def test_created_and_arrival_date_ranges_filter_the_list(standin, client, account):
    for n in range(1, 6):
        standin.add_payout(account, amount=n, arrival_date=n * DAY + 7, created=n * DAY)
    options = {"stripe_account": account}

    by_created = client.v1.payouts.list({"created": {"gte": 2 * DAY, "lt": 4 * DAY}}, options)
    by_arrival = client.v1.payouts.list({"arrival_date": {"gt": 3 * DAY + 7}}, options)
    exact = client.v1.payouts.list({"created": 5 * DAY}, options)

    assert [p.amount for p in by_created.data] == [3, 2]
    assert [p.amount for p in by_arrival.data] == [5, 4]
    assert [p.amount for p in exact.data] == [5]


def test_each_account_sees_only_its_own_payouts_and_the_platform_its_own(standin, client, account):
    other = client.v1.accounts.create({"type": "express"}).id
    standin.add_payout(account, amount=100, arrival_date=DAY)
    standin.add_payout(other, amount=200, arrival_date=DAY)

    mine = client.v1.payouts.list({}, {"stripe_account": account})
    # Without the Stripe-Account header the list is the platform's own payouts.
    platform = client.v1.payouts.list()

    assert [p.amount for p in mine.data] == [100]
    assert platform.data == [] and not platform.has_more


def test_an_account_the_platform_does_not_have_is_refused_with_403(client):
    with pytest.raises(stripe.PermissionError) as refused:
        client.v1.payouts.list({}, {"stripe_account": "acct_nobody"})

    assert refused.value.http_status == 403
    assert "does not have access to account 'acct_nobody'" in str(refused.value)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": 0}, "between 1 and 100"),
        ({"limit": 101}, "between 1 and 100"),
        ({"limit": "ten"}, "Invalid integer"),
        ({"starting_after": "po_a", "ending_before": "po_b"}, "only specify one"),
        ({"created": {"since": 1}}, "unknown parameter: created[since]"),
        ({"destination_bank": "x"}, "unknown parameter: destination_bank"),
    ],
)
def test_bad_list_parameters_are_refused_with_400(client, account, params, message):
    with pytest.raises(stripe.InvalidRequestError, match=message.replace("[", r"\[")) as bad:
        client.v1.payouts.list(params, {"stripe_account": account})

    assert bad.value.http_status == 400


def test_a_cursor_that_is_not_a_payout_of_the_account_is_a_404(standin, client, account):
    other = client.v1.accounts.create({"type": "express"}).id
    foreign = standin.add_payout(other, amount=1, arrival_date=DAY)["id"]

    for cursor in ("po_missing", foreign, account):
        with pytest.raises(stripe.InvalidRequestError, match="No such payout") as missing:
            client.v1.payouts.list({"starting_after": cursor}, {"stripe_account": account})
        assert missing.value.http_status == 404


# -- GET /v1/balance_transactions: a connected account's balance (the money page's payouts) ----


def test_a_payout_takes_its_amount_out_of_the_balance_and_expands_to_the_payout(
    standin, client, account
):
    payout = standin.add_payout(account, amount=4200, arrival_date=3 * DAY, created=DAY)

    listed = client.v1.balance_transactions.list(
        {"type": "payout", "expand": ["data.source"]}, {"stripe_account": account}
    )

    [transaction] = listed.data
    assert transaction.id.startswith("txn_") and transaction.object == "balance_transaction"
    assert (transaction.type, transaction.amount, transaction.net) == ("payout", -4200, -4200)
    assert (transaction.currency, transaction.created) == ("eur", DAY)
    assert transaction.available_on == 3 * DAY
    assert transaction.source.id == payout["id"] and transaction.source.object == "payout"
    assert (transaction.source.arrival_date, transaction.source.status) == (3 * DAY, "paid")
    plain = client.v1.balance_transactions.list({}, {"stripe_account": account})
    assert plain.data[0].source == payout["id"]  # an id unless expanded


def test_a_failed_payout_comes_back_as_a_payout_failure(standin, client, account):
    payout = standin.add_payout(account, amount=900, arrival_date=DAY, status="failed")
    options = {"stripe_account": account}

    everything = client.v1.balance_transactions.list({}, options)
    payouts = client.v1.balance_transactions.list({"type": "payout"}, options)
    failures = client.v1.balance_transactions.list({"type": "payout_failure"}, options)

    assert sorted(t.amount for t in everything.data) == [-900, 900]
    assert [(t.amount, t.source) for t in payouts.data] == [(-900, payout["id"])]
    assert [(t.amount, t.source) for t in failures.data] == [(900, payout["id"])]


def test_destination_charges_fill_the_balance_and_a_payout_empties_it(standin, client, destination):
    session = client.v1.checkout.sessions.create(session_params(destination))
    intent_id = standin.complete_checkout(session.id)["payment_intent"]
    client.v1.refunds.create(
        {"payment_intent": intent_id, "amount": 3000, "reverse_transfer": True}
    )
    options = {"stripe_account": destination}

    [payment] = client.v1.balance_transactions.list({"type": "payment"}, options).data
    [refund] = client.v1.balance_transactions.list({"type": "payment_refund"}, options).data
    [payout] = standin.pay_out(destination, arrival_date=standin.now() + 2 * DAY)
    in_payout = client.v1.balance_transactions.list({"payout": payout["id"]}, options)

    assert payment.amount == 5000 - 500 and payment.source.startswith("py_")
    assert refund.amount == -(3000 * 4500 // 5000) and refund.source.startswith("pyr_")
    assert (payout["amount"], payout["currency"]) == (4500 - 2700, "eur")
    assert {t.type for t in in_payout.data} == {"payment", "payment_refund", "payout"}
    assert standin.pay_out(destination, arrival_date=standin.now()) == []  # nothing left
    # The platform's own balance is not the account's.
    assert client.v1.balance_transactions.list().data == []


def test_balance_transactions_page_newest_first_and_filter_by_created(standin, client, account):
    made = [
        standin.add_payout(account, amount=n, arrival_date=n * DAY, created=n * DAY)
        for n in range(1, 6)
    ]
    transactions = [standin.objects[p["balance_transaction"]]["id"] for p in made]
    options = {"stripe_account": account}

    first = client.v1.balance_transactions.list({"limit": 2}, options)
    second = client.v1.balance_transactions.list(
        {"limit": 2, "starting_after": first.data[-1].id}, options
    )
    before = client.v1.balance_transactions.list(
        {"limit": 2, "ending_before": transactions[1]}, options
    )
    by_created = client.v1.balance_transactions.list(
        {"created": {"gte": 2 * DAY, "lt": 4 * DAY}}, options
    )

    assert [t.id for t in first.data] == [transactions[4], transactions[3]] and first.has_more
    assert [t.id for t in second.data] == [transactions[2], transactions[1]] and second.has_more
    assert [t.id for t in before.data] == [transactions[3], transactions[2]] and before.has_more
    assert [t.amount for t in by_created.data] == [-3, -2]


def test_an_unknown_balance_transaction_type_is_refused_like_stripe(client, account):
    with pytest.raises(stripe.InvalidRequestError) as bad:
        client.v1.balance_transactions.list({"type": "payouts"}, {"stripe_account": account})

    assert bad.value.http_status == 400
    assert bad.value.param == "type" and bad.value.error.type == "invalid_request_error"
    assert str(bad.value.user_message).startswith("Invalid type: must be one of adjustment,")
    assert "payout, payout_cancel, payout_failure" in bad.value.user_message


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": 0}, "between 1 and 100"),
        ({"limit": 101}, "between 1 and 100"),
        ({"starting_after": "txn_a", "ending_before": "txn_b"}, "only specify one"),
        ({"created": {"after": 1}}, "unknown parameter: created[after]"),
        ({"arrival_date": {"gte": 1}}, "unknown parameter: arrival_date"),
        ({"expand": ["source"]}, r"cannot be expanded \(source\)"),
        ({"expand": ["data.payout"]}, r"cannot be expanded \(data.payout\)"),
    ],
)
def test_bad_balance_transaction_list_parameters_are_refused_with_400(
    client, account, params, message
):
    with pytest.raises(stripe.InvalidRequestError, match=message.replace("[", r"\[")) as bad:
        client.v1.balance_transactions.list(params, {"stripe_account": account})

    assert bad.value.http_status == 400


def test_only_the_accounts_own_balance_transactions_are_listed_or_used_as_cursors(
    standin, client, account
):
    other = client.v1.accounts.create({"type": "express"}).id
    mine = standin.add_payout(account, amount=1, arrival_date=DAY)
    foreign = standin.add_payout(other, amount=2, arrival_date=DAY)

    listed = client.v1.balance_transactions.list({}, {"stripe_account": account})

    assert [t.source for t in listed.data] == [mine["id"]]
    for cursor in ("txn_missing", foreign["balance_transaction"], mine["id"]):
        with pytest.raises(stripe.InvalidRequestError, match="No such balance transaction"):
            client.v1.balance_transactions.list(
                {"starting_after": cursor}, {"stripe_account": account}
            )
    with pytest.raises(stripe.PermissionError) as refused_account:
        client.v1.balance_transactions.list({}, {"stripe_account": "acct_nobody"})
    assert refused_account.value.http_status == 403
    for payout in ("po_missing", foreign["id"]):
        with pytest.raises(stripe.InvalidRequestError, match="No such payout"):
            client.v1.balance_transactions.list({"payout": payout}, {"stripe_account": account})
