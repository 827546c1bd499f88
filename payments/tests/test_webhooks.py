"""POST /payments/stripe/webhook/: payloads signed exactly as Stripe signs them."""

import json
import time
from http import HTTPStatus

import pytest
import stripe
from django.test import Client
from django.urls import reverse

from bookings.models import Booking, BookingEvent
from conftest import book, login
from payments.models import ConnectedAccount, Payment, StripeEvent
from payments.tests.conftest import post_event, session_event
from payments.tests.stripe_standin import StripeStandin, make_event, sign_webhook_payload

pytestmark = pytest.mark.django_db

S = Booking.Status
URL = "/payments/stripe/webhook/"


def completed_event(standin, payment, type_="checkout.session.completed"):
    return session_event(standin, payment.checkout_session_id, type_)


def test_the_webhook_url_is_stable():
    assert reverse("payments:stripe_webhook") == URL


def test_valid_completed_event_marks_paid_and_confirms(pending, stripe_backend, commit):
    booking, payment = pending
    with commit():
        response = Client(enforce_csrf_checks=True).post(
            URL,
            data=json.dumps(event := completed_event(stripe_backend, payment)),
            content_type="application/json",
            headers={
                "Stripe-Signature": sign_webhook_payload(json.dumps(event), "whsec_test_timz")
            },
        )
    assert response.status_code == HTTPStatus.OK  # CSRF-exempt: the signature authenticates
    payment.refresh_from_db()
    booking.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    assert booking.status == S.CONFIRMED
    stored = StripeEvent.objects.get()
    assert (stored.event_id, stored.type, stored.error) == (
        event["id"],
        "checkout.session.completed",
        "",
    )
    assert stored.processed_at is not None


def test_bad_signature_is_refused_and_changes_nothing(pending, stripe_backend):
    booking, payment = pending
    response = post_event(Client(), completed_event(stripe_backend, payment), secret="whsec_wrong")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == {"detail": "Invalid or expired signature."}
    assert not StripeEvent.objects.exists()
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING


def test_stale_timestamp_is_refused(pending, stripe_backend):
    booking, payment = pending
    event = completed_event(stripe_backend, payment)
    response = post_event(Client(), event, timestamp=int(time.time()) - 600)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not StripeEvent.objects.exists()


def test_tampered_body_is_refused(pending, stripe_backend):
    booking, payment = pending
    event = completed_event(stripe_backend, payment)
    signature = sign_webhook_payload(json.dumps(event), "whsec_test_timz")
    event["data"]["object"]["amount_total"] = 1
    response = Client().post(
        URL,
        data=json.dumps(event),
        content_type="application/json",
        headers={"Stripe-Signature": signature},
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_missing_signature_is_refused(stripe_backend):
    response = Client().post(URL, data="{}", content_type="application/json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "signature" in response.json()["detail"]


def test_signed_garbage_is_a_bad_payload(stripe_backend):
    response = post_event(Client(), {}, body="not json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == {"detail": "Invalid payload."}


def test_signed_json_without_an_event_shape_is_a_bad_payload(stripe_backend):
    response = post_event(Client(), {}, body=json.dumps({"hello": "world"}))
    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_webhook_without_a_configured_secret_refuses_everything(settings, offline):
    response = post_event(Client(), make_event("account.updated", {"id": "acct_x"}), secret="")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not StripeEvent.objects.exists()


def test_get_is_not_allowed(stripe_backend):
    assert Client().get(URL).status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_repeated_delivery_answers_200_and_changes_nothing(pending, stripe_backend, commit):
    booking, payment = pending
    event = completed_event(stripe_backend, payment)
    http = Client()
    with commit():
        first = post_event(http, event)
        second = post_event(http, event)
        third = post_event(http, event)
    assert [r.status_code for r in (first, second, third)] == [200, 200, 200]
    assert [r.json()["duplicate"] for r in (first, second, third)] == [False, True, True]
    assert StripeEvent.objects.count() == 1
    assert BookingEvent.objects.filter(booking=booking, to_status=S.CONFIRMED).count() == 1


def test_same_fact_in_two_events_is_applied_once(pending, stripe_backend, commit):
    """Stripe may send a new event id for the same object (e.g. a resent event)."""
    booking, payment = pending
    first = completed_event(stripe_backend, payment)
    again = stripe_backend.emit("checkout.session.completed", payment.checkout_session_id)
    with commit():
        post_event(Client(), first)
        post_event(Client(), again)
    assert StripeEvent.objects.count() == 2
    assert BookingEvent.objects.filter(booking=booking, to_status=S.CONFIRMED).count() == 1
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED


def test_expired_after_completed_leaves_it_paid(pending, stripe_backend, commit):
    booking, payment = pending
    completed = completed_event(stripe_backend, payment)
    expired = make_event(
        "checkout.session.expired", {**completed["data"]["object"], "status": "expired"}
    )
    with commit():
        post_event(Client(), completed)
        post_event(Client(), expired)
    payment.refresh_from_db()
    booking.refresh_from_db()
    assert (payment.status, booking.status) == (Payment.Status.SUCCEEDED, S.CONFIRMED)


def test_expired_session_expires_the_payment_and_the_lapsed_booking(
    stripe_account, paid_service, client_user, stripe_backend, other_client
):
    from datetime import timedelta

    from django.utils import timezone

    booking = book(client=client_user, service=paid_service)
    login(client_user).post(reverse("payments:checkout", args=[booking.pk]))
    payment = booking.payments.get()
    Booking.objects.filter(pk=booking.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    stripe_backend.advance(24 * 3600)  # past the session's expires_at
    response = post_event(
        Client(),
        session_event(stripe_backend, payment.checkout_session_id, "checkout.session.expired"),
    )
    assert response.status_code == HTTPStatus.OK
    payment.refresh_from_db()
    booking.refresh_from_db()
    assert (payment.status, booking.status) == (Payment.Status.EXPIRED, S.EXPIRED)
    assert book(client=other_client, service=paid_service).starts_at == booking.starts_at


def test_amount_mismatch_is_recorded_and_not_applied(pending, stripe_backend):
    booking, payment = pending
    event = completed_event(stripe_backend, payment)
    event["data"]["object"]["amount_total"] = 100
    response = post_event(Client(), event)
    assert response.status_code == HTTPStatus.OK
    assert "Paid 100 EUR but the booking costs 5000 EUR" in StripeEvent.objects.get().error
    payment.refresh_from_db()
    booking.refresh_from_db()
    assert (payment.status, booking.status) == (Payment.Status.PENDING, S.PENDING_PAYMENT)


def test_unpaid_completion_waits_for_the_async_payment(
    stripe_account, paid_service, client_user, stripe_backend, commit
):
    booking = book(client=client_user, service=paid_service)
    login(client_user).post(reverse("payments:checkout", args=[booking.pk]))
    payment = booking.payments.get()
    stripe_backend.complete_checkout(payment.checkout_session_id, delayed=True)
    with commit():
        post_event(Client(), completed_event(stripe_backend, payment))
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING
    stripe_backend.settle_delayed_payment(payment.checkout_session_id)
    succeeded = completed_event(stripe_backend, payment, "checkout.session.async_payment_succeeded")
    with commit():
        post_event(Client(), succeeded)
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED


def test_unknown_session_is_recorded_with_an_error(stripe_backend):
    event = make_event(
        "checkout.session.completed",
        {"id": "cs_test_unknown", "payment_status": "paid", "amount_total": 1, "currency": "eur"},
    )
    assert post_event(Client(), event).status_code == HTTPStatus.OK
    assert "No payment for checkout session cs_test_unknown" in StripeEvent.objects.get().error


def test_unknown_event_type_is_recorded_and_answered_200(stripe_backend):
    event = make_event("customer.created", {"id": "cus_1", "object": "customer"})
    response = post_event(Client(), event)
    assert response.status_code == HTTPStatus.OK
    stored = StripeEvent.objects.get()
    assert (stored.type, stored.error, stored.payload["id"]) == (
        "customer.created",
        "",
        event["id"],
    )


def _account_event(account_id, *, created, charges, payouts, due):
    event = make_event(
        "account.updated",
        {
            "id": account_id,
            "object": "account",
            "charges_enabled": charges,
            "payouts_enabled": payouts,
            "details_submitted": True,
            "requirements": {"currently_due": due, "past_due": []},
        },
        account=account_id,
    )
    event["created"] = created
    return event


@pytest.mark.parametrize("order", ["in_order", "reversed"])
def test_account_updates_out_of_order_end_in_the_newest_state(stripe_backend, working_pro, order):
    account = ConnectedAccount.objects.create(pro=working_pro, stripe_account_id="acct_123")
    now = int(time.time())
    older = _account_event(
        "acct_123", created=now - 60, charges=False, payouts=False, due=["external_account"]
    )
    newer = _account_event(
        "acct_123",
        created=now,
        charges=True,
        payouts=False,
        due=["individual.verification.document"],
    )
    events = [older, newer] if order == "in_order" else [newer, older]
    for event in events:
        assert post_event(Client(), event).status_code == HTTPStatus.OK
    account.refresh_from_db()
    assert account.charges_enabled and not account.payouts_enabled
    assert account.requirements_due == ["individual.verification.document"]


@pytest.mark.parametrize("order", ["updated_first", "refunded_first"])
def test_refund_events_out_of_order_end_in_the_same_state(pending, stripe_backend, commit, order):
    from bookings import services as booking_services
    from payments.models import Refund

    booking, payment = pending
    with commit():
        post_event(Client(), completed_event(stripe_backend, payment))
    stripe_backend.refund_status = "pending"
    with commit():
        booking_services.booking_transition(booking=booking, action="cancel", by=booking.client)
    refund = Refund.objects.get()
    charge = stripe_backend.last_event("charge.refunded")
    stripe_backend.set_refund_status(refund.stripe_refund_id, "succeeded")
    updated = stripe_backend.last_event("refund.updated", refund.stripe_refund_id)
    events = [updated, charge] if order == "updated_first" else [charge, updated]
    with commit():
        for event in events + events:
            assert post_event(Client(), event).status_code == HTTPStatus.OK
    refund.refresh_from_db()
    payment.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED
    assert (payment.status, payment.amount_refunded) == (Payment.Status.REFUNDED, 5000)
    assert Refund.objects.count() == 1


def test_refund_made_in_the_stripe_dashboard_is_recorded(
    stripe_paid, stripe_backend, stripe_client, commit
):
    payment = stripe_paid
    dashboard = stripe_client.v1.refunds.create(
        {"payment_intent": payment.payment_intent_id, "amount": 1000}
    )
    created = stripe_backend.last_event("refund.created", dashboard.id)
    again = stripe_backend.emit("refund.updated", dashboard.id)
    with commit():
        post_event(Client(), created)
        post_event(Client(), again)
    refund = payment.refunds.get()
    # Refunded without refund_application_fee: Stripe kept the whole fee, and so does Timz.
    assert (refund.amount, refund.application_fee_refunded, refund.status) == (
        1000,
        0,
        "succeeded",
    )
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PARTIALLY_REFUNDED


def test_a_dashboard_refund_that_refunds_the_fee_records_stripes_fee_refund(
    stripe_paid, stripe_backend, stripe_client, commit
):
    payment = stripe_paid
    dashboard = stripe_client.v1.refunds.create(
        {
            "payment_intent": payment.payment_intent_id,
            "amount": 1000,
            "refund_application_fee": True,
        }
    )
    with commit():
        post_event(Client(), stripe_backend.last_event("refund.created", dashboard.id))
    assert payment.refunds.get().application_fee_refunded == 100


def test_connect_endpoint_secret_is_accepted_too(stripe_backend, working_pro):
    from payments.tests.conftest import CONNECT_WEBHOOK_SECRET

    ConnectedAccount.objects.create(pro=working_pro, stripe_account_id="acct_9")
    event = _account_event("acct_9", created=int(time.time()), charges=True, payouts=True, due=[])
    response = post_event(Client(), event, secret=CONNECT_WEBHOOK_SECRET)
    assert response.status_code == HTTPStatus.OK
    assert ConnectedAccount.objects.get(stripe_account_id="acct_9").charges_enabled


def test_completed_event_query_budget(pending, stripe_backend, django_assert_max_num_queries):
    booking, payment = pending
    event = completed_event(stripe_backend, payment)
    # Store the event, lock booking and payment, mark paid, move the booking (rules, event row,
    # signal: close other payments), savepoints. Emails run on commit, outside this count.
    with django_assert_max_num_queries(25) as captured:
        assert post_event(Client(), event).status_code == HTTPStatus.OK
    assert len(captured) >= 5  # it did the work (measured: 23, half of them savepoints)
    with django_assert_max_num_queries(3):
        assert post_event(Client(), event).json()["duplicate"] is True


def test_the_webhook_is_the_only_csrf_exempt_page():
    """django-ninja marks its views exempt and checks CSRF itself (see test_api), and the API's
    JSON 404 changes nothing; no other view of the project may skip CSRF, but for the language
    switcher, which checks it itself for a signed-in user (accounts/tests/test_languages.py) and
    otherwise only sets the visitor's own language cookie."""
    from django.urls import URLResolver, get_resolver

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            else:
                yield prefix + str(p.pattern), p.callback

    exempt = [
        path
        for path, view in walk(get_resolver().url_patterns)
        if getattr(view, "csrf_exempt", False)
        and not view.__module__.startswith("ninja")
        and not path.lstrip("^").startswith("api/")
    ]
    assert exempt == ["language/", "payments/stripe/webhook/"]


def test_a_refund_that_fails_later_gives_the_amount_back_to_the_payment(
    pending, stripe_backend, commit
):
    from payments import services
    from payments.models import Refund

    booking, payment = pending
    with commit():
        post_event(Client(), completed_event(stripe_backend, payment))
        services.refund_create(payment=payment, amount=2000, reason="Goodwill")
    refund = Refund.objects.get()
    payment.refresh_from_db()
    assert (refund.status, payment.status) == ("succeeded", Payment.Status.PARTIALLY_REFUNDED)
    late_success = stripe_backend.last_event("refund.created", refund.stripe_refund_id)
    stripe_backend.set_refund_status(refund.stripe_refund_id, "failed")
    failed = stripe_backend.last_event("refund.failed", refund.stripe_refund_id)
    with commit():
        post_event(Client(), failed)
        post_event(Client(), late_success)  # older news: ignored
    refund.refresh_from_db()
    payment.refresh_from_db()
    assert refund.status == Refund.Status.FAILED
    assert (payment.status, payment.amount_refunded) == (Payment.Status.SUCCEEDED, 0)
    # The whole amount is refundable again (and no more).
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="at most 5000"):
        services.refund_create(payment=payment, amount=5001, reason="Too much")


def test_refund_event_before_the_payment_is_known_is_retried_later(
    pending, stripe_backend, stripe_client, commit
):
    booking, payment = pending
    pi = stripe_backend.objects[payment.checkout_session_id]["payment_intent"]
    early = stripe_client.v1.refunds.create({"payment_intent": pi, "amount": 500})
    refund = stripe_backend.last_event("refund.created", early.id)
    response = post_event(Client(), refund)
    assert response.status_code == HTTPStatus.CONFLICT
    assert "yet" in response.json()["detail"]
    assert not StripeEvent.objects.exists()  # so the redelivery is processed
    with commit():
        post_event(Client(), completed_event(stripe_backend, payment))
        assert post_event(Client(), refund).status_code == HTTPStatus.OK
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == (Payment.Status.PARTIALLY_REFUNDED, 500)


def test_a_refund_of_a_payment_timz_did_not_take_is_acknowledged_and_logged(
    stripe_backend, stripe_client, caplog
):
    other_product = stripe_backend.create_payment(amount=2000)
    refund = stripe_client.v1.refunds.create({"payment_intent": other_product["id"]})

    response = post_event(Client(), stripe_backend.last_event("refund.created", refund.id))

    assert response.status_code == HTTPStatus.OK
    assert StripeEvent.objects.get().error == ""
    assert f"Refund {refund.id} is not of a Timz payment" in caplog.text


def test_every_delivery_order_with_duplicates_ends_in_the_same_state(
    pending, stripe_backend, stripe_client, django_capture_on_commit_callbacks
):
    """Like Stripe: events arrive in any order, some twice; a non-2xx answer is retried later."""
    import itertools

    from django.db import transaction

    from payments.models import Refund

    booking, payment = pending
    completed = completed_event(stripe_backend, payment)
    session = completed["data"]["object"]
    stripe_backend.refund_status = "pending"
    refund = stripe_client.v1.refunds.create(
        {"payment_intent": session["payment_intent"], "amount": 1500}
    )
    stripe_backend.set_refund_status(refund.id, "succeeded")
    events = {
        "completed": completed,
        # Stripe never expires a completed session; Timz must not be moved back if it did.
        "expired": make_event("checkout.session.expired", {**session, "status": "expired"}),
        "refund_pending": stripe_backend.last_event("refund.created", refund.id),
        "refund_done": stripe_backend.last_event("refund.updated", refund.id),
    }
    end_states = set()
    for order in itertools.permutations(events):
        queue = [events[name] for name in order] + [events[order[0]]]  # one duplicate
        with transaction.atomic():
            with django_capture_on_commit_callbacks(execute=False):
                for _ in range(20):
                    if not queue:
                        break
                    event = queue.pop(0)
                    if post_event(Client(), event).status_code != HTTPStatus.OK:
                        queue.append(event)  # Stripe retries later
                assert not queue, order
            payment.refresh_from_db()
            booking.refresh_from_db()
            refunds = tuple(Refund.objects.values_list("stripe_refund_id", "amount", "status"))
            end_states.add((payment.status, payment.amount_refunded, booking.status, refunds))
            transaction.set_rollback(True)
    assert end_states == {
        ("partially_refunded", 1500, "confirmed", ((refund.id, 1500, "succeeded"),))
    }


@pytest.mark.parametrize("body", ["[1, 2]", '"an event"', "42", "null", "true"])
def test_a_signed_body_that_is_not_a_json_object_is_a_400_and_stores_nothing(stripe_backend, body):
    response = post_event(Client(), {}, body=body)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == {"detail": "Invalid payload: an event is a JSON object."}
    assert not StripeEvent.objects.exists()


@pytest.mark.parametrize(
    "change, where",
    [
        (lambda e: e.update(id=42), "id"),
        (lambda e: e.update(type=["checkout.session.completed"]), "type"),
        (lambda e: e.update(created="yesterday"), "created"),
        (lambda e: e.update(data=[]), "data"),
        (lambda e: e["data"].update(object="cs_1"), "data.object"),
        (lambda e: e["data"]["object"].update(amount_total="5000"), "data.object.amount_total"),
        (lambda e: e["data"]["object"].update(currency=978), "data.object.currency"),
        (lambda e: e["data"]["object"].update(payment_intent=7), "data.object.payment_intent"),
    ],
)
def test_a_signed_event_with_a_field_of_the_wrong_type_is_a_400_and_changes_nothing(
    pending, stripe_backend, change, where
):
    booking, payment = pending
    event = completed_event(stripe_backend, payment)
    change(event)

    response = post_event(Client(), event)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["detail"].startswith(f"Invalid payload: {where}")
    assert not StripeEvent.objects.exists()
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING


@pytest.mark.parametrize(
    "account",
    [
        {"id": "acct_1", "charges_enabled": "yes"},
        {"id": "acct_1", "requirements": {"currently_due": "external_account"}},
        {"id": None},
    ],
)
def test_an_account_event_with_wrong_types_is_a_400(stripe_backend, account):
    response = post_event(Client(), make_event("account.updated", account))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not StripeEvent.objects.exists()


def test_a_refund_event_with_a_non_text_metadata_value_is_a_400(stripe_backend):
    refund = {"id": "re_1", "status": "succeeded", "metadata": {"refund_id": 5}}

    response = post_event(Client(), make_event("refund.updated", refund))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["detail"].startswith("Invalid payload: data.object.metadata")


def test_a_test_mode_event_is_refused_with_a_live_key_and_stores_nothing(
    pending, stripe_backend, settings
):
    booking, payment = pending
    settings.STRIPE_SECRET_KEY = "sk_live_timz"

    response = post_event(Client(), completed_event(stripe_backend, payment))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "livemode" in response.json()["detail"]
    assert not StripeEvent.objects.exists()
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING


def test_a_live_event_is_refused_with_a_test_key_and_stores_nothing(stripe_backend):
    with StripeStandin(livemode=True) as live:
        client = stripe.StripeClient("sk_live_other", base_addresses={"api": live.url})
        account = client.v1.accounts.create({"type": "express"})
        live.set_account(account.id)

    response = post_event(Client(), live.last_event("account.updated"))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not StripeEvent.objects.exists()
