"""Real concurrent requests (committed transactions, threads): one checkout per booking, one
event row per Stripe event id."""

import threading

import pytest
from django.db import connection

from conftest import book
from payments import services, webhooks
from payments.models import Payment, StripeEvent
from payments.tests.stripe_standin import make_event

pytestmark = pytest.mark.django_db(transaction=True)


def run_in_threads(fn, n=4):
    errors, results = [], []
    barrier = threading.Barrier(n)

    def target():
        try:
            barrier.wait()
            results.append(fn())
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=target) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


def test_simultaneous_pay_clicks_create_one_session(
    stripe_account, paid_service, client_user, stripe_backend
):
    booking = book(client=client_user, service=paid_service)
    results, errors = run_in_threads(
        lambda: services.checkout_start(booking=booking, user=client_user).checkout_session_id
    )
    assert errors == []
    assert len(set(results)) == 1
    assert Payment.objects.filter(booking=booking).count() == 1
    sessions = [o for o in stripe_backend.objects.values() if o["object"] == "checkout.session"]
    assert len(sessions) == 1


def test_simultaneous_deliveries_of_one_event_store_it_once(stripe_backend, working_pro):
    event = make_event("customer.created", {"id": "cus_1", "object": "customer"})
    results, errors = run_in_threads(lambda: webhooks.process_event(event)[1])
    assert errors == []
    assert sorted(results) == [False, False, False, True]
    assert StripeEvent.objects.count() == 1
