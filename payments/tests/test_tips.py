"""Tips after a completed visit paid online: the pro gets all of it (fee 0, no application fee
on Stripe), one per booking, only by the booking's client; on the page, in the API, and on both
backends (the offline test page; the Stripe stand-in with signed webhooks)."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from bookings import services as booking_services
from bookings.models import Booking
from conftest import book, login
from payments import services
from payments.models import Payment, Refund
from payments.tests.conftest import pay_offline, post_event, session_event

pytestmark = pytest.mark.django_db

S = Booking.Status
TIP = Payment.Kind.TIP


def complete(booking: Booking, travel) -> Booking:
    travel(booking.ends_at + timedelta(minutes=5))
    return booking_services.booking_transition(
        booking=booking, action="complete", by=booking.pro.user
    )


@pytest.fixture
def visited(offline_account, paid_service, client_user, commit, travel):
    """A completed visit its client paid online (offline backend)."""
    booking = book(client=client_user, service=paid_service)
    with commit():
        pay_offline(http=login(client_user), booking=booking)
    return complete(booking, travel)


def tip_api(http: Client, booking, amount):
    return http.post(
        f"/api/v1/bookings/{booking.pk}/tip", {"amount": amount}, content_type="application/json"
    )


def pay_tip_offline(http: Client, checkout_url: str, outcome="pay"):
    return http.post(checkout_url, {"outcome": outcome})


# -- The page ---------------------------------------------------------------------------------


def test_the_client_sees_add_a_tip_with_presets_of_the_price(visited, client_user):
    page = login(client_user).get(reverse("bookings:detail", args=[visited.pk]))
    assert "Add a tip" in page.text
    for text in ("10%", "€5.00", "15%", "€7.50", "20%", "€10.00", "Up to €50.00"):
        assert text in page.text


def test_the_pro_sees_no_tip_form(visited):
    page = login(visited.pro.user).get(reverse("bookings:detail", args=[visited.pk]))
    assert page.status_code == HTTPStatus.OK
    assert "Add a tip" not in page.text


def test_offline_tip_journey_pro_gets_all_and_a_receipt_is_sent(visited, client_user, commit):
    http = login(client_user)
    response = http.post(reverse("payments:tip", args=[visited.pk]), {"percent": "15"})
    assert response.status_code == HTTPStatus.SEE_OTHER
    tip = visited.payments.get(kind=TIP)
    assert (tip.status, tip.amount, tip.fee, tip.backend) == ("pending", 750, 0, "offline")
    assert response["Location"] == tip.checkout_url
    with commit():
        done = pay_tip_offline(http, tip.checkout_url)
    assert done.status_code == HTTPStatus.FOUND
    assert done["Location"] == reverse("bookings:detail", args=[visited.pk]) + "?tip=thanks"
    tip.refresh_from_db()
    assert (tip.status, tip.fee, tip.net) == (Payment.Status.SUCCEEDED, 0, 750)
    visited.refresh_from_db()
    assert visited.status == S.COMPLETED  # nothing about the booking moves
    receipts = [m for m in mail.outbox if "Receipt: tip for" in m.subject]
    assert len(receipts) == 1 and "€7.50" in receipts[0].body
    assert reverse("payments:receipt", args=[tip.pk]) in receipts[0].body
    page = http.get(done["Location"])
    assert "Thank you!" in page.text and "€7.50" in page.text
    assert "Add a tip" not in page.text


def test_a_custom_amount_is_read_in_the_bookings_currency(visited, client_user):
    http = login(client_user)
    http.post(reverse("payments:tip", args=[visited.pk]), {"percent": "custom", "custom": "12.50"})
    assert visited.payments.get(kind=TIP).amount == 1250


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"percent": "custom", "custom": ""}, "Enter the amount of your tip."),
        ({"percent": "custom", "custom": "abc"}, "Enter an amount such as"),
        ({"percent": "custom", "custom": "0"}, "Enter a tip of more than 0."),
        ({"percent": "custom", "custom": "5000"}, "A tip can be at most €50.00"),
        ({"percent": "custom", "custom": "0.10"}, "must be at least €0.50"),
        ({"percent": "33"}, "Select a valid choice"),
    ],
)
def test_bad_tips_on_the_page_are_form_errors(visited, client_user, data, message):
    http = login(client_user)
    response = http.post(reverse("payments:tip", args=[visited.pk]), data, follow=True)
    assert response.status_code == HTTPStatus.OK
    assert message in response.text, response.text[:3000]
    assert not visited.payments.filter(kind=TIP).exists()


def test_a_second_click_reuses_the_pending_tip_and_another_amount_replaces_it(visited, client_user):
    http = login(client_user)
    http.post(reverse("payments:tip", args=[visited.pk]), {"percent": "10"})
    http.post(reverse("payments:tip", args=[visited.pk]), {"percent": "10"})
    assert visited.payments.filter(kind=TIP).count() == 1
    http.post(reverse("payments:tip", args=[visited.pk]), {"percent": "20"})
    tips = list(visited.payments.filter(kind=TIP).order_by("attempt"))
    assert [(t.amount, t.status) for t in tips] == [(500, "expired"), (1000, "pending")]


def test_another_client_cannot_tip_on_the_page(visited, other_client):
    response = login(other_client).post(
        reverse("payments:tip", args=[visited.pk]), {"percent": "10"}
    )
    assert response.status_code == HTTPStatus.NOT_FOUND


# -- The API ----------------------------------------------------------------------------------


def test_api_tip_returns_the_booking_with_its_tip(visited, client_user):
    response = tip_api(login(client_user), visited, 800)
    assert response.status_code == HTTPStatus.OK, response.content
    body = response.json()
    assert body["id"] == visited.pk and body["status"] == "completed"
    tip = visited.payments.get(kind=TIP)
    assert body["tip"] == {
        "amount": 800,
        "currency": "EUR",
        "status": "pending",
        "refunded": 0,
        "checkout_url": "http://testserver" + tip.checkout_url,
    }
    assert body["payment"]["amount"] == 5000  # the booking's own payment, not the tip


def test_api_tip_is_shown_to_the_pro_without_the_checkout_link(visited, client_user):
    tip_api(login(client_user), visited, 800)
    body = login(visited.pro.user).get(f"/api/v1/bookings/{visited.pk}").json()
    assert body["tip"]["amount"] == 800 and body["tip"]["checkout_url"] is None


@pytest.mark.parametrize(
    ("amount", "status"),
    [(0, 400), (-100, 400), (5001, 400), (10**30, 400), ("500", 400), (5.0, 400), (None, 400)],
)
def test_api_refuses_bad_amounts(visited, client_user, amount, status):
    response = tip_api(login(client_user), visited, amount)
    assert response.status_code == status, response.content
    assert "detail" in response.json()
    assert not visited.payments.filter(kind=TIP).exists()


def test_api_refuses_the_pro_403_and_another_client_404(visited, other_client):
    assert tip_api(login(visited.pro.user), visited, 500).status_code == HTTPStatus.FORBIDDEN
    assert tip_api(login(other_client), visited, 500).status_code == HTTPStatus.NOT_FOUND
    assert tip_api(Client(), visited, 500).status_code == HTTPStatus.UNAUTHORIZED


def test_api_refuses_a_visit_not_completed(offline_account, paid_service, client_user, commit):
    booking = book(client=client_user, service=paid_service)
    with commit():
        pay_offline(http=login(client_user), booking=booking)
    response = tip_api(login(client_user), booking, 500)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "once the visit is completed" in response.json()["detail"]


def test_api_refuses_a_visit_not_paid_online(offline_account, service, client_user, travel):
    booking = book(client=client_user, service=service)
    complete(booking, travel)
    response = tip_api(login(client_user), booking, 500)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "paid online" in response.json()["detail"]


def test_api_refuses_a_second_tip(visited, client_user, commit):
    http = login(client_user)
    tip_api(http, visited, 500)
    with commit():
        pay_tip_offline(http, visited.payments.get(kind=TIP).checkout_url)
    response = tip_api(http, visited, 500)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "already added a tip" in response.json()["detail"]
    assert visited.payments.filter(kind=TIP).count() == 1


def test_declined_tip_can_be_tried_again(visited, client_user, commit):
    http = login(client_user)
    tip_api(http, visited, 500)
    pay_tip_offline(http, visited.payments.get(kind=TIP).checkout_url, outcome="decline")
    assert visited.payments.get(kind=TIP).status == Payment.Status.FAILED
    assert tip_api(http, visited, 600).status_code == HTTPStatus.OK
    assert visited.payments.get(kind=TIP, status="pending").amount == 600


def test_staff_refund_a_tip_in_full_with_no_fee_to_return(visited, client_user, commit, staff_user):
    http = login(client_user)
    tip_api(http, visited, 700)
    with commit():
        pay_tip_offline(http, visited.payments.get(kind=TIP).checkout_url)
    tip = visited.payments.get(kind=TIP)
    admin = login(staff_user)
    with commit():
        response = admin.post(
            reverse("admin:payments_payment_changelist"),
            {
                "action": "refund_payments",
                "_selected_action": [tip.pk],
                "apply": "1",
                "amount": "",
                "reason": "Tipped by mistake",
            },
        )
    assert response.status_code == HTTPStatus.FOUND
    tip.refresh_from_db()
    (refund,) = tip.refunds.all()
    assert (tip.status, refund.amount, refund.application_fee_refunded) == ("refunded", 700, 0)
    assert refund.status == Refund.Status.SUCCEEDED
    # The booking's own payment is untouched.
    assert visited.payments.get(kind="full").status == "succeeded"


# -- Stripe (the stand-in, signed webhooks) ---------------------------------------------------


@pytest.fixture
def stripe_visited(stripe_paid, travel):
    return complete(stripe_paid.booking, travel)


def test_stripe_tip_journey_has_no_application_fee_and_transfers_all_to_the_pro(
    stripe_visited, client_user, stripe_backend, stripe_account, commit
):
    http = login(client_user)
    response = tip_api(http, stripe_visited, 900)
    assert response.status_code == HTTPStatus.OK, response.content
    tip = stripe_visited.payments.get(kind=TIP)
    request = stripe_backend.requests_for("/v1/checkout/sessions", "POST")[-1]
    assert request.idempotency_key.startswith(f"booking-{stripe_visited.pk}-tip-2-")
    params = request.params
    assert params["mode"] == "payment"
    assert params["line_items"][0]["price_data"]["unit_amount"] == "900"
    assert params["line_items"][0]["price_data"]["product_data"]["name"] == "Tip: Colour"
    intent_data = params["payment_intent_data"]
    assert "application_fee_amount" not in intent_data
    assert intent_data["transfer_data"] == {"destination": stripe_account.stripe_account_id}
    assert intent_data["metadata"] == {
        "booking_id": str(stripe_visited.pk),
        "payment_kind": "tip",
    }
    assert response.json()["tip"]["checkout_url"] == tip.checkout_url

    stripe_backend.complete_checkout(tip.checkout_session_id)
    event = session_event(stripe_backend, tip.checkout_session_id)
    with commit():
        assert post_event(Client(), event).status_code == HTTPStatus.OK
        # Stripe delivers again: nothing changes.
        assert post_event(Client(), event).json()["duplicate"] is True
    tip.refresh_from_db()
    assert (tip.status, tip.fee) == (Payment.Status.SUCCEEDED, 0)
    intent = stripe_backend.objects[tip.payment_intent_id]
    assert intent["application_fee_amount"] is None
    charge = stripe_backend.objects[intent["latest_charge"]]
    assert charge["application_fee"] is None
    assert stripe_backend.objects[charge["transfer"]]["amount"] == 900
    stripe_visited.refresh_from_db()
    assert stripe_visited.status == S.COMPLETED
    assert stripe_visited.payments.get(kind="full").status == "succeeded"


def test_tip_service_refuses_a_user_who_is_not_the_client(visited, other_client):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.tip_start(booking=visited, user=other_client, amount=500)
