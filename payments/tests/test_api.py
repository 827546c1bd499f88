"""POST /api/v1/bookings/{id}/pay: the booking's client gets a checkout URL."""

from http import HTTPStatus

import pytest
from django.test import Client

from bookings import services as booking_services
from conftest import book, login
from payments.models import Payment
from payments.selectors import payment_summary_for
from payments.tests.conftest import pay_offline

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking(offline_account, paid_service, client_user):
    return book(client=client_user, service=paid_service)


def pay_url(booking):
    return f"/api/v1/bookings/{booking.pk}/pay"


def test_client_gets_a_checkout_url(booking, client_user):
    response = login(client_user).post(pay_url(booking))
    assert response.status_code == HTTPStatus.OK
    payment = booking.payments.get()
    assert response.json() == {"checkout_url": "http://testserver" + payment.checkout_url}


def test_calling_twice_returns_the_same_checkout(booking, client_user):
    http = login(client_user)
    assert http.post(pay_url(booking)).json() == http.post(pay_url(booking)).json()
    assert booking.payments.count() == 1


def test_another_client_gets_404(booking, other_client):
    response = login(other_client).post(pay_url(booking))
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json() == {"detail": "No such booking."}
    assert Payment.objects.count() == 1  # the booking's own checkout, opened when booking


def test_unknown_booking_gets_404(client_user):
    assert login(client_user).post("/api/v1/bookings/999999/pay").status_code == 404


def test_booking_not_awaiting_payment_is_400(booking, client_user):
    booking_services.booking_transition(booking=booking, action="cancel", by=client_user)
    response = login(client_user).post(pay_url(booking))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == {"detail": "This booking is not awaiting payment."}


def test_csrf_is_enforced_for_session_auth(booking, client_user):
    http = Client(enforce_csrf_checks=True)
    http.force_login(client_user)
    assert http.post(pay_url(booking)).status_code == HTTPStatus.FORBIDDEN


def test_payment_summary_hides_the_fee_from_the_client(
    booking, client_user, paid_service, staff_user, commit
):
    http = login(client_user)
    http.post(pay_url(booking))
    pending = payment_summary_for(booking=booking, viewer=client_user)
    assert pending["status"] == "due"
    assert pending["checkout_url"] == "http://testserver" + booking.payments.get().checkout_url
    assert (
        payment_summary_for(booking=booking, viewer=paid_service.pro.user)["checkout_url"] is None
    )
    with commit():
        pay_offline(http=http, booking=booking)
    assert payment_summary_for(booking=booking, viewer=client_user) == {
        "status": "succeeded",
        "amount": 5000,
        "fee": None,
        "refunded": 0,
        "currency": "EUR",
        "checkout_url": None,
    }
    assert payment_summary_for(booking=booking, viewer=paid_service.pro.user)["fee"] == 500
    assert payment_summary_for(booking=booking, viewer=staff_user)["fee"] == 500


def test_booking_json_carries_the_payment(booking, client_user, paid_service, commit):
    http = login(client_user)
    due = http.get(f"/api/v1/bookings/{booking.pk}").json()["payment"]
    assert due == {
        "status": "due",
        "amount": 5000,
        "fee": None,
        "refunded": 0,
        "currency": "EUR",
        "checkout_url": "http://testserver" + booking.payments.get().checkout_url,
        "deposit": None,
        "balance": None,
    }
    with commit():
        pay_offline(http=http, booking=booking)
    as_client = http.get(f"/api/v1/bookings/{booking.pk}").json()["payment"]
    assert as_client == {
        "status": "succeeded",
        "amount": 5000,
        "fee": None,
        "refunded": 0,
        "currency": "EUR",
        "checkout_url": None,
        "deposit": None,
        "balance": None,
    }
    as_pro = login(paid_service.pro.user).get(f"/api/v1/bookings/{booking.pk}").json()
    assert as_pro["payment"]["fee"] == 500


def test_booking_list_shows_payments_and_pending_checkout(booking, client_user, commit):
    http = login(client_user)
    http.post(pay_url(booking))
    (row,) = http.get("/api/v1/bookings").json()
    assert row["payment"]["status"] == "due"
    assert row["payment"]["checkout_url"].startswith("http://testserver/payments/test-payment/")
