"""No-show protection of a service: the form's fieldset and its rule, the policy in words where
clients see it, the service JSON's ``protection`` block."""

from http import HTTPStatus

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from bookings import services
from bookings.models import Protection, Service
from bookings.selectors import protection_policy
from conftest import book, local_at, login, make_service
from payments.services import connected_account_enable_simulated

pytestmark = pytest.mark.django_db


@pytest.fixture
def paying_pro(offline_payments, working_pro):
    connected_account_enable_simulated(pro=working_pro)
    return working_pro


def form_data(**overrides):
    data = {
        "name": "Balayage",
        "duration_minutes": "90",
        "price": "60.00",
        "payment_mode": "at_appointment",
        "is_active": "on",
        "protection": "deposit",
        "deposit_kind": "amount",
        "deposit_amount": "15",
        "deposit_percent": "",
        "no_show_fee_percent": "",
    }
    data.update(overrides)
    return data


def post_new(pro, **overrides):
    return login(pro.user).post(reverse("bookings:service_create"), form_data(**overrides))


# -- The form ----------------------------------------------------------------------------------


def test_a_fixed_deposit_is_saved_in_minor_units(paying_pro):
    response = post_new(paying_pro)
    assert response.status_code == HTTPStatus.FOUND
    service = Service.objects.get(name="Balayage")
    assert (service.protection, service.deposit_amount, service.deposit_percent) == (
        "deposit",
        1500,
        None,
    )


def test_a_percentage_deposit_ignores_the_amount_box(paying_pro):
    response = post_new(paying_pro, deposit_kind="percent", deposit_percent="30")
    assert response.status_code == HTTPStatus.FOUND
    service = Service.objects.get(name="Balayage")
    assert (service.deposit_amount, service.deposit_percent, service.deposit_due()) == (
        None,
        30,
        1800,
    )


def test_a_card_on_file_saves_its_fee_and_no_deposit(paying_pro):
    response = post_new(paying_pro, protection="card", no_show_fee_percent="50")
    assert response.status_code == HTTPStatus.FOUND
    service = Service.objects.get(name="Balayage")
    assert (service.protection, service.no_show_fee_percent, service.deposit_amount) == (
        "card",
        50,
        None,
    )


def test_nothing_clears_the_other_kinds_fields(paying_pro):
    assert post_new(paying_pro, protection="none", no_show_fee_percent="40").status_code == 302
    service = Service.objects.get(name="Balayage")
    assert (service.protection, service.deposit_amount, service.no_show_fee_percent) == (
        "none",
        None,
        0,
    )


def test_a_form_without_the_fieldset_means_nothing(paying_pro):
    data = form_data()
    for name in ("protection", "deposit_kind", "deposit_amount", "deposit_percent"):
        data.pop(name)
    assert login(paying_pro.user).post(reverse("bookings:service_create"), data).status_code == 302
    assert Service.objects.get(name="Balayage").protection == "none"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"deposit_amount": "60"}, "deposit_amount", "less than the price (€60.00)"),
        ({"deposit_amount": "75"}, "deposit_amount", "less than the price"),
        ({"deposit_amount": "0"}, "deposit_amount", "more than 0"),
        ({"deposit_amount": ""}, "deposit_amount", "Enter the deposit."),
        ({"deposit_amount": "15.005"}, "deposit_amount", ""),
        ({"deposit_amount": "0.20"}, "deposit_amount", "at least €0.50"),
        ({"deposit_kind": "percent", "deposit_percent": "100"}, "deposit_percent", "1% and 99%"),
        ({"deposit_kind": "percent", "deposit_percent": "0"}, "deposit_percent", "1% and 99%"),
        ({"deposit_kind": "percent", "deposit_percent": ""}, "deposit_percent", "Enter"),
        ({"protection": "card", "no_show_fee_percent": ""}, "no_show_fee_percent", "Enter"),
        (
            {"protection": "card", "no_show_fee_percent": "101"},
            "no_show_fee_percent",
            "1% and 100%",
        ),
        ({"payment_mode": "online"}, "protection", "paid online in full"),
        ({"protection": "sometimes"}, "protection", ""),
    ],
)
def test_a_bad_protection_is_a_clear_form_error_and_nothing_is_saved(
    paying_pro, overrides, field, message
):
    response = post_new(paying_pro, **overrides)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    errors = response.context["form"].errors
    assert list(errors) == [field], errors  # one clear message, on the field at fault
    assert message in " ".join(errors[field])
    assert not Service.objects.exists()


@pytest.mark.parametrize("protection", ["deposit", "card"])
def test_protection_needs_online_payments_and_links_to_get_paid(
    offline_payments, working_pro, protection
):
    response = post_new(working_pro, protection=protection, no_show_fee_percent="50")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    (error,) = response.context["form"].errors["protection"]
    assert "needs online payments" in error
    assert f'<a href="{reverse("payments:get_paid")}">Get paid</a>' in response.text
    assert not Service.objects.exists()


def test_editing_keeps_the_protection_and_shows_it(paying_pro):
    service = make_service(
        pro=paying_pro, price_amount=6000, protection=Protection.DEPOSIT, deposit_percent=25
    )
    http = login(paying_pro.user)
    page = http.get(reverse("bookings:service_edit", args=[service.pk]))
    assert page.context["form"]["deposit_kind"].value() == "percent"
    assert 'value="deposit"' in page.text and "checked" in page.text
    response = http.post(
        reverse("bookings:service_edit", args=[service.pk]),
        form_data(name=service.name, deposit_kind="amount", deposit_amount="20.50"),
    )
    assert response.status_code == HTTPStatus.FOUND
    service.refresh_from_db()
    assert (service.deposit_amount, service.deposit_percent) == (2050, None)


def test_an_edit_with_a_bad_deposit_changes_nothing(paying_pro):
    service = make_service(
        pro=paying_pro, price_amount=6000, protection=Protection.DEPOSIT, deposit_amount=1000
    )
    response = login(paying_pro.user).post(
        reverse("bookings:service_edit", args=[service.pk]),
        form_data(name="Renamed", price="5.00"),  # the deposit is now above the price
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    service.refresh_from_db()
    assert (service.name, service.price_amount, service.deposit_amount) == (
        service.name,
        6000,
        1000,
    )


def test_the_service_functions_apply_the_same_rule(paying_pro):
    with pytest.raises(ValidationError) as caught:
        services.service_create(
            pro=paying_pro,
            name="Cut",
            duration_minutes=30,
            price_amount=3000,
            currency="EUR",
            protection=Protection.DEPOSIT,
            deposit_amount=3000,
        )
    assert "deposit_amount" in caught.value.error_dict
    service = services.service_create(
        pro=paying_pro,
        name="Cut",
        duration_minutes=30,
        price_amount=3000,
        currency="EUR",
        protection=Protection.DEPOSIT,
        deposit_amount=1000,
    )
    with pytest.raises(ValidationError):
        services.service_update(service=service, price_amount=900)
    service.refresh_from_db()
    assert service.price_amount == 3000


# -- The policy in words -----------------------------------------------------------------------


def test_policy_texts(paying_pro):
    services.booking_rules_update(pro=paying_pro, cancellation_window_hours=24)
    deposit = make_service(
        pro=paying_pro, price_amount=6000, protection=Protection.DEPOSIT, deposit_amount=1500
    )
    assert protection_policy(deposit) == (
        "A deposit of €15.00 is paid when booking; the remaining €45.00 is paid at the visit or "
        "online. Cancel until 24 hours before to get the deposit back."
    )
    card = make_service(
        pro=paying_pro, price_amount=6000, protection=Protection.CARD, no_show_fee_percent=50
    )
    assert protection_policy(card) == (
        "Your card is saved when booking; if you miss the appointment or cancel later than 24 "
        "hours before, the pro may charge 50% (€30.00)."
    )
    assert protection_policy(make_service(pro=paying_pro)) == ""
    services.booking_rules_update(pro=paying_pro, cancellation_window_hours=0)
    paying_pro.refresh_from_db()
    deposit.refresh_from_db()
    assert protection_policy(deposit).endswith("Cancel before the start to get the deposit back.")


def test_the_policy_is_shown_on_the_pro_page_and_the_confirm_step(paying_pro, client_user):
    service = make_service(
        pro=paying_pro,
        name="Balayage",
        price_amount=6000,
        protection=Protection.DEPOSIT,
        deposit_amount=1500,
    )
    pro_page = login(client_user).get(paying_pro.get_absolute_url())
    assert "A deposit of €15.00 is paid when booking" in pro_page.text
    confirm = login(client_user).get(
        reverse("bookings:confirm", kwargs={"slug": paying_pro.slug, "service_id": service.pk}),
        {"start": local_at(3, 10).isoformat()},
    )
    assert confirm.status_code == HTTPStatus.OK
    assert "A deposit of €15.00 is paid when booking" in confirm.text
    assert "Pay a deposit of €15.00 now" in confirm.text


def test_the_booking_page_shows_the_policy_and_the_split(paying_pro, client_user):
    service = make_service(
        pro=paying_pro, price_amount=6000, protection=Protection.DEPOSIT, deposit_amount=1500
    )
    booking = book(client=client_user, service=service)
    page = login(client_user).get(reverse("bookings:detail", args=[booking.pk]))
    assert 'data-testid="deposit-summary"' in page.text
    assert "A deposit of €15.00 is paid when booking" in page.text
    assert "Pay now €15.00" in page.text


def test_booking_page_query_count_with_a_deposit(
    paying_pro, client_user, django_assert_max_num_queries
):
    service = make_service(
        pro=paying_pro, price_amount=6000, protection=Protection.DEPOSIT, deposit_amount=1500
    )
    booking = book(client=client_user, service=service)
    http = login(client_user)
    http.get(reverse("bookings:detail", args=[booking.pk]))
    with django_assert_max_num_queries(14):
        http.get(reverse("bookings:detail", args=[booking.pk]))


# -- The service JSON --------------------------------------------------------------------------


def test_service_json_carries_the_protection(paying_pro, client):
    make_service(pro=paying_pro, name="A", protection=Protection.DEPOSIT, deposit_amount=1500)
    make_service(pro=paying_pro, name="B", protection=Protection.DEPOSIT, deposit_percent=30)
    make_service(pro=paying_pro, name="C", protection=Protection.CARD, no_show_fee_percent=50)
    make_service(pro=paying_pro, name="D")
    body = client.get(f"/api/v1/pros/{paying_pro.slug}").json()
    by_name = {s["name"]: s["protection"] for s in body["services"]}
    assert by_name == {
        "A": {
            "kind": "deposit",
            "deposit": {"amount": 1500},
            "no_show_fee_percent": 0,
        },
        "B": {
            "kind": "deposit",
            "deposit": {"percent": 30},
            "no_show_fee_percent": 0,
        },
        "C": {"kind": "card", "deposit": None, "no_show_fee_percent": 50},
        "D": {"kind": "none", "deposit": None, "no_show_fee_percent": 0},
    }
