"""Commission like the leading marketplaces: bookings through the pro's own share link by a
client new to Timz carry no platform fee; staff set the marketplace fee in the admin, and a
change applies to the next bookings only."""

from datetime import timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bookings import attribution
from bookings.models import Booking
from conftest import book, local_at, login, make_booking, make_user
from payments import services
from payments.models import FeeRate, Payment
from payments.tests.conftest import (
    arrive_through_link,
    book_through_page,
    pay_offline,
    post_event,
    session_event,
)

pytestmark = pytest.mark.django_db

SOURCE = Booking.Source


@pytest.fixture
def setup(offline_account, paid_service):
    return paid_service


def test_share_link_sets_a_signed_cookie_for_thirty_days_and_lands_on_the_pro_page(setup):
    http = Client()
    response = http.get(reverse("share_link", kwargs={"slug": setup.pro.slug}))
    cookie = response.cookies[attribution.COOKIE]
    assert cookie["max-age"] == 30 * 24 * 3600
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert str(setup.pro.pk) in cookie.value and cookie.value != str(setup.pro.pk)  # signed


def test_share_link_of_an_unknown_pro_is_404_and_sets_nothing():
    response = Client().get(reverse("share_link", kwargs={"slug": "nobody-here"}))
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert attribution.COOKIE not in response.cookies


def test_new_client_through_the_pros_link_pays_no_platform_fee(setup, client_user, commit):
    http = login(client_user)
    arrive_through_link(http, setup.pro)
    booking = book_through_page(http, setup)
    assert booking.source == SOURCE.PRO_LINK
    with commit():
        payment = pay_offline(http=http, booking=booking)
    assert (payment.amount, payment.fee, payment.net) == (5000, 0, 5000)


def test_the_pro_sees_why_the_fee_is_nothing_and_no_minus_sign_before_it(
    setup, client_user, commit
):
    http = login(client_user)
    arrive_through_link(http, setup.pro)
    booking = book_through_page(http, setup)
    with commit():
        pay_offline(http=http, booking=booking)

    page = login(setup.pro.user).get(reverse("bookings:detail", args=[booking.pk])).text
    fee = page.split("(booked through your share link)")[1].split("</div>")[0]
    assert "<dd>€0.00</dd>" in fee


def test_new_client_booking_through_the_api_after_the_link_is_pro_link_too(setup, client_user):
    http = login(client_user)
    arrive_through_link(http, setup.pro)
    response = http.post(
        "/api/v1/bookings",
        {"service": setup.pk, "starts_at": local_at(3, 10).isoformat()},
        content_type="application/json",
    )
    assert response.status_code == HTTPStatus.CREATED, response.content
    assert Booking.objects.get(pk=response.json()["id"]).source == SOURCE.PRO_LINK


def test_returning_client_through_the_link_pays_the_normal_fee(
    setup, client_user, other_pro, commit
):
    # Any earlier booking counts, with any pro and in any status: this one was cancelled.
    other = setup.__class__.objects.create(
        pro=other_pro, name="Other", duration_minutes=30, price_amount=1000, currency="EUR"
    )
    make_booking(
        client=client_user,
        service=other,
        starts_at=timezone.now() - timedelta(days=40),
        status=Booking.Status.CANCELLED,
    )
    http = login(client_user)
    arrive_through_link(http, setup.pro)
    booking = book_through_page(http, setup)
    assert booking.source == SOURCE.MARKETPLACE
    with commit():
        payment = pay_offline(http=http, booking=booking)
    assert payment.fee == 500


def test_the_link_of_another_pro_does_not_waive_the_fee(setup, client_user, other_pro):
    http = login(client_user)
    arrive_through_link(http, other_pro)
    assert book_through_page(http, setup).source == SOURCE.MARKETPLACE


def test_no_link_tampered_or_expired_cookie_is_marketplace(setup, client_user, travel):
    http = login(client_user)
    http.cookies[attribution.COOKIE] = str(setup.pro.pk)  # unsigned: forged
    assert book_through_page(http, setup, days=3).source == SOURCE.MARKETPLACE
    Payment.objects.filter(booking__client=client_user).delete()  # its checkout, opened at once
    Booking.objects.filter(client=client_user).delete()

    arrive_through_link(http, setup.pro)
    travel(timezone.now() + timedelta(days=31))
    fresh = login(client_user)  # the session has lapsed; the link's cookie is still sent
    fresh.cookies[attribution.COOKIE] = http.cookies[attribution.COOKIE].value
    assert book_through_page(fresh, setup, days=3).source == SOURCE.MARKETPLACE


def test_the_source_is_decided_once_and_kept(setup, client_user, commit):
    http = login(client_user)
    arrive_through_link(http, setup.pro)
    booking = book_through_page(http, setup)
    # A second booking by the same client is no longer "new to the platform".
    second = book_through_page(http, setup, days=4)
    assert (booking.source, second.source) == (SOURCE.PRO_LINK, SOURCE.MARKETPLACE)
    booking.refresh_from_db()
    assert booking.source == SOURCE.PRO_LINK


def test_pro_link_checkout_on_stripe_sends_no_application_fee(
    stripe_account, paid_service, client_user, stripe_backend, commit
):
    http = login(client_user)
    arrive_through_link(http, paid_service.pro)
    booking = book_through_page(http, paid_service)
    http.post(reverse("payments:checkout", args=[booking.pk]))
    payment = booking.payments.get()
    (request,) = stripe_backend.requests_for("/v1/checkout/sessions", "POST")
    intent_data = request.params["payment_intent_data"]
    assert "application_fee_amount" not in intent_data
    assert intent_data["transfer_data"]["destination"] == stripe_account.stripe_account_id
    stripe_backend.complete_checkout(payment.checkout_session_id)
    with commit():
        post_event(Client(), session_event(stripe_backend, payment.checkout_session_id))
    payment.refresh_from_db()
    assert (payment.status, payment.fee) == (Payment.Status.SUCCEEDED, 0)
    intent = stripe_backend.objects[payment.payment_intent_id]
    assert intent["application_fee_amount"] is None
    charge = stripe_backend.objects[intent["latest_charge"]]
    assert charge["application_fee"] is None
    assert stripe_backend.objects[charge["transfer"]]["amount"] == 5000


# -- The fee staff set in the admin -----------------------------------------------------------


def test_without_any_rate_the_settings_apply(setup, client_user):
    booking = book(client=client_user, service=setup)
    assert services.fee_policy(booking=booking).percent == Decimal("10")


def test_a_rate_change_applies_to_the_next_booking_only(setup, client_user, other_client, commit):
    http = login(client_user)
    before = book(client=client_user, service=setup)
    FeeRate.objects.create(percent=Decimal("7.5"), fixed=30, minimum=0)
    after = book(client=other_client, service=setup, days=4)
    with commit():
        first = pay_offline(http=http, booking=before)
        second = pay_offline(http=login(other_client), booking=after)
    assert first.fee == 500  # the rate in force when it was booked (the settings' 10 %)
    assert second.fee == 375 + 30


def test_a_rate_set_to_start_later_waits_for_its_moment(setup, client_user, travel):
    start = timezone.now() + timedelta(days=1)
    FeeRate.objects.create(percent=Decimal("20"), effective_from=start)
    booking = book(client=client_user, service=setup)
    assert services.fee_policy(booking=booking).percent == Decimal("10")
    travel(start + timedelta(minutes=1))
    later = book(client=make_user(email="later@example.com"), service=setup, days=4)
    assert services.fee_policy(booking=later).percent == Decimal("20")


def test_pro_link_bookings_pay_nothing_whatever_the_rate(setup, client_user):
    FeeRate.objects.create(percent=Decimal("15"), fixed=50, minimum=100)
    http = login(client_user)
    arrive_through_link(http, setup.pro)
    booking = book_through_page(http, setup)
    policy = services.fee_policy(booking=booking)
    assert (policy.percent, policy.fixed, policy.minimum) == (0, 0, 0)


def test_rates_are_cached_and_a_saved_rate_is_read_at_once(
    setup, client_user, django_assert_num_queries
):
    from payments.selectors import fee_rate_at

    FeeRate.objects.create(percent=Decimal("12"))
    fee_rate_at(timezone.now())
    with django_assert_num_queries(0):
        assert fee_rate_at(timezone.now()).percent == Decimal("12")
    FeeRate.objects.create(percent=Decimal("9"))
    assert fee_rate_at(timezone.now()).percent == Decimal("9")


def test_staff_add_a_rate_in_the_admin_and_cannot_edit_one_in_force(staff_user, client_user):
    http = login(staff_user)
    response = http.post(
        reverse("admin:payments_feerate_add"),
        {
            "percent": "8",
            "fixed": "0",
            "minimum": "0",
            "effective_from_0": timezone.now().strftime("%Y-%m-%d"),
            "effective_from_1": timezone.now().strftime("%H:%M:%S"),
            "note": "Autumn offer",
        },
    )
    assert response.status_code in (HTTPStatus.FOUND, HTTPStatus.OK), response.content[:300]
    rate = FeeRate.objects.get()
    assert (rate.percent, rate.created_by) == (Decimal("8"), staff_user)
    page = http.get(reverse("admin:payments_feerate_change", args=[rate.pk]))
    assert page.status_code == HTTPStatus.OK
    assert b'name="percent"' not in page.content  # read only once in force
    response = http.post(reverse("admin:payments_feerate_delete", args=[rate.pk]), {"post": "yes"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert FeeRate.objects.filter(pk=rate.pk).exists()


def test_the_admin_refuses_a_percent_above_100(staff_user):
    http = login(staff_user)
    response = http.post(
        reverse("admin:payments_feerate_add"),
        {
            "percent": "150",
            "fixed": "0",
            "minimum": "0",
            "effective_from_0": "2026-01-01",
            "effective_from_1": "00:00:00",
        },
    )
    assert response.status_code == HTTPStatus.OK
    assert not FeeRate.objects.exists()


def test_the_pro_sees_their_share_link_with_a_copy_button(setup):
    http = Client()
    http.force_login(setup.pro.user)
    response = http.get(reverse("accounts:pro_profile_edit"))
    link = "http://testserver" + reverse("share_link", kwargs={"slug": setup.pro.slug})
    assert link.encode() in response.content
    assert b"data-copy" in response.content
