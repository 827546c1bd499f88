"""Staff read and type money with its currency in the booking admin, and times on a 24h clock."""

from datetime import UTC, datetime
from http import HTTPStatus

import pytest
from django.urls import reverse

from conftest import make_booking, make_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, staff_user):
    client.force_login(staff_user)
    return client


def test_the_service_list_shows_prices_with_their_currency(admin_client, pro):
    make_service(pro=pro, name="Colour", price_amount=3550)
    make_service(pro=pro, name="Shave", price_amount=1500, currency="JPY")

    page = admin_client.get(reverse("admin:bookings_service_changelist")).text

    assert "€35.50" in page
    assert "¥1,500" in page
    assert "3550" not in page


def _service_form(service, price):
    return {
        "pro": service.pro_id,
        "name": service.name,
        "description": "",
        "duration_minutes": service.duration_minutes,
        "price": price,
        "currency": service.currency,
        "payment_mode": service.payment_mode,
        "is_active": "on",
        "position": 0,
    }


def test_staff_type_a_service_price_in_euros_not_cents(admin_client, service):
    url = reverse("admin:bookings_service_change", args=[service.pk])
    assert admin_client.get(url).context["adminform"].form["price"].value() == 35

    response = admin_client.post(url, _service_form(service, "42.50"))

    assert response.status_code == HTTPStatus.FOUND
    service.refresh_from_db()
    assert service.price_amount == 4250


def test_staff_price_a_service_in_its_pros_currency_whatever_is_posted(admin_client, service):
    pro = service.pro
    pro.currency = "GBP"
    pro.save()
    url = reverse("admin:bookings_service_change", args=[service.pk])

    response = admin_client.post(url, {**_service_form(service, "42.50"), "currency": "USD"})

    assert response.status_code == HTTPStatus.FOUND
    service.refresh_from_db()
    assert (service.price_amount, service.currency) == (4250, "GBP")


def test_a_price_with_too_many_decimals_is_refused_and_nothing_changes(admin_client, service):
    url = reverse("admin:bookings_service_change", args=[service.pk])

    response = admin_client.post(url, _service_form(service, "42.505"))

    assert response.status_code == HTTPStatus.OK
    assert "Amounts in EUR take at most 2 decimals." in response.text
    service.refresh_from_db()
    assert service.price_amount == 3500


def test_bookings_show_price_and_times_on_the_platform_clock(
    client, staff_user, client_user, service, travel
):
    travel(datetime(2031, 5, 1, 9, tzinfo=UTC))
    admin_client = client
    admin_client.force_login(staff_user)
    booking = make_booking(
        client=client_user, service=service, starts_at=datetime(2031, 5, 6, 21, 5, tzinfo=UTC)
    )

    listing = admin_client.get(reverse("admin:bookings_booking_changelist")).text
    detail = admin_client.get(reverse("admin:bookings_booking_change", args=[booking.pk])).text

    for page in (listing, detail):
        assert "€35.00" in page
        assert "6 May 2031, 21:05 UTC" in page
        assert "p.m." not in page
