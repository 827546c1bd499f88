"""A pro is paid in their own currency, and the directory never compares across currencies."""

from datetime import timedelta
from http import HTTPStatus
from importlib import import_module

import pytest
from django.apps import apps
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts import geo, selectors, services
from accounts.models import ProProfile
from accounts.tests.conftest import pro_form
from bookings.models import Booking, Service
from conftest import book, login, make_booking, make_pro, make_service, make_user, set_every_day
from payments.models import Payment

pytestmark = pytest.mark.django_db

API = "/api/v1"
migration = import_module("accounts.migrations.0006_pro_currency_from_city")


def slugs(qs):
    return [p.slug for p in qs]


# --- countries and currencies ------------------------------------------------------------------


def test_every_known_city_has_a_country_whose_pros_can_be_paid():
    for place in geo.CITIES.values():
        assert geo.city_currency(place.name), place.name


@pytest.mark.parametrize(
    ("city", "currency"),
    [("Manchester", "GBP"), ("London", "GBP"), ("New York", "USD"), ("Paris", "EUR")],
)
def test_a_city_gives_its_country_currency(city, currency):
    assert geo.city_currency(city) == currency


def test_a_city_of_unknown_country_gives_no_currency():
    assert geo.city_currency("Atlantis") is None
    assert geo.city_currency("") is None


def test_a_manchester_pro_chooses_among_the_uk_settlement_currencies_gbp_first():
    assert services.pro_currency_choices(city="Manchester") == [
        "GBP", "EUR", "USD", "CHF", "DKK", "NOK", "SEK",
    ]  # fmt: skip
    assert services.pro_currency_choices(city="New York") == ["USD"]


# --- the pro's currency: onboarding / profile page ---------------------------------------------


def test_a_new_pro_who_says_they_work_in_manchester_is_priced_in_gbp(category):
    pro = make_pro(city="", category=category)
    assert pro.currency == "EUR"  # the platform default until the city is known
    http = login(pro.user)

    response = http.post(reverse("accounts:pro_profile_edit"), pro_form(pro, city="Manchester"))

    assert response.status_code == HTTPStatus.FOUND
    pro.refresh_from_db()
    assert pro.currency == "GBP"
    assert "Your prices are now in GBP." in [str(m) for m in get_messages(response.wsgi_request)]


def test_the_profile_select_offers_only_the_currencies_of_the_pros_country(category):
    pro = make_pro(city="Manchester", currency="GBP", category=category)

    page = login(pro.user).get(reverse("accounts:pro_profile_edit")).content.decode()

    start = page.index('name="currency"')
    select = page[start : page.index("</select>", start)]
    assert select.count("<option") == 7
    assert '<option value="GBP" selected>GBP · British pound (£)</option>' in select
    assert 'value="CAD"' not in select and 'value="JPY"' not in select


def test_a_manchester_pro_may_pick_usd(category):
    pro = make_pro(city="Manchester", currency="GBP", category=category)

    response = login(pro.user).post(
        reverse("accounts:pro_profile_edit"), pro_form(pro, currency="USD")
    )

    assert response.status_code == HTTPStatus.FOUND
    pro.refresh_from_db()
    assert pro.currency == "USD"


@pytest.mark.parametrize("code", ["CAD", "JPY", "XYZ", "gbx"])
def test_a_currency_the_pros_country_cannot_settle_is_refused_and_nothing_saved(category, code):
    pro = make_pro(city="Manchester", currency="GBP", category=category)

    response = login(pro.user).post(
        reverse("accounts:pro_profile_edit"),
        pro_form(pro, currency=code, headline="New headline"),
    )

    assert response.status_code == HTTPStatus.OK
    assert "Prices in Manchester can be in GBP, EUR, USD" in response.content.decode()
    pro.refresh_from_db()
    assert (pro.currency, pro.headline) == ("GBP", "")


def test_changing_currency_relabels_the_services_and_keeps_the_amounts(category):
    pro = make_pro(city="Manchester", currency="EUR", category=category)
    cut = make_service(pro=pro, price_amount=3000)
    old = make_service(pro=pro, price_amount=2000, is_active=False)

    response = login(pro.user).post(
        reverse("accounts:pro_profile_edit"), pro_form(pro, currency="GBP")
    )

    assert response.status_code == HTTPStatus.FOUND
    prices = Service.objects.filter(pk__in=[cut.pk, old.pk]).order_by("pk")
    assert list(prices.values_list("price_amount", "currency")) == [(3000, "GBP"), (2000, "GBP")]
    assert "Your prices are now in GBP: 2 services relabelled, amounts unchanged." in " ".join(
        str(m) for m in get_messages(response.wsgi_request)
    )


def test_currency_cannot_change_while_a_booking_is_upcoming(category, client_user):
    pro = make_pro(city="Manchester", currency="EUR", category=category)
    set_every_day(pro)
    cut = make_service(pro=pro, price_amount=3000)
    book(client=client_user, service=cut)

    with pytest.raises(ValidationError) as refused:
        services.pro_currency_change(pro=pro, currency="GBP")

    assert refused.value.message_dict["currency"] == [
        "You have 1 upcoming booking priced in EUR. Your currency can change once it is over "
        "or cancelled."
    ]
    pro.refresh_from_db()
    cut.refresh_from_db()
    assert (pro.currency, cut.currency) == ("EUR", "EUR")


def test_past_and_cancelled_bookings_do_not_block_a_new_currency(category, client_user, now):
    pro = make_pro(city="Manchester", currency="EUR", category=category)
    cut = make_service(pro=pro, price_amount=3000)
    make_booking(client=client_user, service=cut, starts_at=now - timedelta(days=2))
    make_booking(
        client=client_user,
        service=cut,
        starts_at=now + timedelta(days=2),
        status=Booking.Status.CANCELLED,
    )

    change = services.pro_currency_change(pro=pro, currency="GBP")

    assert (change.old, change.new, change.summary) == ("EUR", "GBP", {"services_relabelled": 1})
    cut.refresh_from_db()
    assert cut.currency == "GBP"
    assert Booking.objects.filter(service=cut).first().currency == "EUR"  # the snapshot stays


def test_currency_cannot_change_while_a_payment_is_pending(category, client_user, now):
    pro = make_pro(city="Manchester", currency="EUR", category=category)
    cut = make_service(pro=pro, price_amount=3000)
    past = make_booking(client=client_user, service=cut, starts_at=now - timedelta(days=1))
    Payment.objects.create(
        booking=past, backend="offline", amount=3000, fee=300, currency="EUR", status="pending"
    )

    with pytest.raises(ValidationError) as refused:
        services.pro_currency_change(pro=pro, currency="GBP")

    assert "1 payment is still pending in EUR" in refused.value.message_dict["currency"][0]
    assert Service.objects.get(pk=cut.pk).currency == "EUR"


def test_a_refused_change_on_the_profile_page_saves_nothing(category, client_user):
    pro = make_pro(city="Manchester", currency="EUR", category=category)
    set_every_day(pro)
    book(client=client_user, service=make_service(pro=pro))

    response = login(pro.user).post(
        reverse("accounts:pro_profile_edit"),
        pro_form(pro, currency="GBP", headline="Renamed"),
    )

    assert response.status_code == HTTPStatus.OK
    assert "You have 1 upcoming booking priced in EUR." in response.content.decode()
    pro.refresh_from_db()
    assert (pro.currency, pro.headline) == ("EUR", "")


def test_services_are_created_in_the_pros_currency_and_the_form_offers_no_other(category):
    pro = make_pro(city="Manchester", currency="GBP", category=category)
    http = login(pro.user)

    page = http.get(reverse("bookings:service_create")).content.decode()
    response = http.post(
        reverse("bookings:service_create"),
        {
            "name": "Skin fade",
            "duration_minutes": 30,
            "price": "25",
            "payment_mode": "at_appointment",
            "is_active": "on",
            "currency": "EUR",  # ignored: there is no such field
        },
    )

    assert 'name="currency"' not in page
    assert "Price (GBP)" in page
    assert response.status_code == HTTPStatus.FOUND
    assert Service.objects.get(pro=pro, name="Skin fade").currency == "GBP"


def test_editing_a_service_priced_in_an_old_currency_moves_it_to_the_pros(category):
    pro = make_pro(city="London", currency="GBP", category=category)
    legacy = make_service(pro=pro, name="Cut", price_amount=3000, currency="EUR")

    response = login(pro.user).post(
        reverse("bookings:service_edit", args=[legacy.pk]),
        {"name": "Cut", "duration_minutes": 60, "price": "30", "payment_mode": "at_appointment",
         "is_active": "on"},
    )  # fmt: skip

    assert response.status_code == HTTPStatus.FOUND
    legacy.refresh_from_db()
    assert (legacy.price_amount, legacy.currency) == (3000, "GBP")


def test_the_migration_gives_each_pro_their_citys_currency(category):
    pros = {
        city: make_pro(city=city, category=category)
        for city in ("London", "New York", "Paris", "Lyon", "Berlin", "Madrid", "Atlantis")
    }
    ProProfile.objects.update(currency="EUR")

    migration.currency_from_city(apps, None)

    assert {city: ProProfile.objects.get(pk=p.pk).currency for city, p in pros.items()} == {
        "London": "GBP",
        "New York": "USD",
        "Paris": "EUR",
        "Lyon": "EUR",
        "Berlin": "EUR",
        "Madrid": "EUR",
        "Atlantis": "EUR",
    }


def test_the_demo_pros_are_priced_in_their_citys_currency():
    from accounts import demo

    for city, (_zone, currency) in demo.CITIES.items():
        assert geo.city_currency(city) == currency


# --- the directory -----------------------------------------------------------------------------


@pytest.fixture
def priced(category):
    """Pros in three currencies: EUR 20 and 40, USD 25, GBP 28."""
    rows = {}
    for slug, city, currency, price in [
        ("eur-40", "Paris", "EUR", 4000),
        ("usd-25", "New York", "USD", 2500),
        ("eur-20", "Lyon", "EUR", 2000),
        ("gbp-28", "London", "GBP", 2800),
    ]:
        pro = make_pro(slug=slug, name=slug, city=city, currency=currency, category=category)
        make_service(pro=pro, price_amount=price)
        rows[slug] = pro
    return rows


def test_up_to_30_euros_never_returns_a_25_dollar_pro(priced):
    assert slugs(selectors.pro_search(currency="EUR", max_price=3000)) == ["eur-20"]
    assert slugs(selectors.pro_search(currency="USD", max_price=3000)) == ["usd-25"]


def test_a_max_price_without_a_currency_is_refused():
    with pytest.raises(ValueError, match="needs the currency"):
        selectors.pro_search(max_price=3000)


def test_the_price_sort_orders_within_the_currency_and_lists_the_others_after(priced):
    found = list(selectors.pro_search(currency="EUR", sort="price"))

    assert slugs(found) == ["eur-20", "eur-40", "gbp-28", "usd-25"]
    assert [p.other_currency for p in found] == [False, False, True, True]


def test_the_others_come_after_whatever_the_sort(priced):
    for sort in ("relevance", "rating", "newest"):
        found = slugs(selectors.pro_search(currency="USD", sort=sort))
        assert found[0] == "usd-25", sort


def test_the_directory_filters_and_shows_every_amount_in_its_own_currency(client, priced):
    response = client.get(reverse("home"), {"max_price": "30", "currency": "EUR"})
    page = response.content.decode()

    assert slugs(response.context["pros"]) == ["eur-20"]
    assert "up to €30.00" in page
    assert "$25.00" not in page


def test_the_directory_lists_other_currencies_under_their_own_heading(client, priced):
    response = client.get(reverse("home"), {"currency": "GBP", "sort": "price"})
    page = response.content.decode()

    assert slugs(response.context["pros_in_currency"]) == ["gbp-28"]
    assert slugs(response.context["pros_other_currency"]) == ["eur-20", "eur-40", "usd-25"]
    assert page.index("£28.00") < page.index("Priced in other currencies") < page.index("$25.00")
    assert '<option value="GBP" selected>' in page


def test_the_sort_form_keeps_the_currency(client, priced):
    page = client.get(reverse("home"), {"currency": "USD", "q": "usd"}).content.decode()

    assert '<input type="hidden" name="currency" value="USD">' in page


def test_an_unknown_currency_in_the_directory_is_an_error_not_a_500(client, priced):
    response = client.get(reverse("home"), {"currency": "XXX", "max_price": "30"})

    assert response.status_code == HTTPStatus.OK
    assert "Choose a currency from the list." in response.content.decode()


@pytest.mark.parametrize(
    ("header", "currency"),
    [("en-GB,en;q=0.8", "GBP"), ("en-US", "USD"), ("fr-FR,fr;q=0.9", "EUR"), ("en", "EUR")],
)
def test_the_currency_defaults_from_the_browsers_region(client, priced, header, currency):
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE=header)

    assert response.context["filters"]["currency"] == currency
    assert f'<option value="{currency}" selected>' in response.content.decode()
    assert "Accept-Language" in response["Vary"]


def test_a_max_price_applies_in_the_browsers_currency(client, priced):
    response = client.get(reverse("home"), {"max_price": "30"}, HTTP_ACCEPT_LANGUAGE="en-US")

    assert slugs(response.context["pros"]) == ["usd-25"]


def test_a_search_in_a_city_compares_in_that_citys_currency(client, priced):
    # An American browser looking in London: comparing in dollars would leave nobody.
    response = client.get(
        reverse("home"), {"city": "London", "max_price": "30"}, HTTP_ACCEPT_LANGUAGE="en-US"
    )

    assert response.context["filters"]["currency"] == "GBP"
    assert slugs(response.context["pros"]) == ["gbp-28"]
    assert '<option value="GBP" selected>' in response.content.decode()


def test_a_chosen_currency_wins_over_the_citys_and_an_unknown_city_changes_nothing(client, priced):
    chosen = client.get(reverse("home"), {"city": "London", "currency": "USD"})
    unknown = client.get(reverse("home"), {"city": "Atlantis"}, HTTP_ACCEPT_LANGUAGE="en-US")

    assert chosen.context["filters"]["currency"] == "USD"
    assert unknown.context["filters"]["currency"] == "USD"


def test_the_cached_directory_is_kept_apart_per_default_currency(client, priced, settings):
    settings.PAGE_CACHE_SECONDS = 60
    url = reverse("home")

    gb = client.get(url, {"max_price": "30"}, HTTP_ACCEPT_LANGUAGE="en-GB")
    us = client.get(url, {"max_price": "30"}, HTTP_ACCEPT_LANGUAGE="en-US")
    gb_again = client.get(url, {"max_price": "30"}, HTTP_ACCEPT_LANGUAGE="en-GB")

    assert (gb["X-Page-Cache"], us["X-Page-Cache"], gb_again["X-Page-Cache"]) == (
        "miss",
        "miss",
        "hit",
    )
    assert "£28.00" in gb_again.content.decode() and "$25.00" not in gb_again.content.decode()
    assert "$25.00" in us.content.decode()
    assert "Accept-Language" in gb_again["Vary"]


def test_a_signed_in_client_compares_in_their_zones_currency(priced):
    londoner = make_user(email="londoner@example.com", timezone="Europe/London")

    response = login(londoner).get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US")

    assert response.context["filters"]["currency"] == "GBP"


def test_a_signed_in_pro_compares_in_their_own_currency(priced):
    response = login(priced["usd-25"].user).get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-GB")

    assert response.context["filters"]["currency"] == "USD"


# --- the API -----------------------------------------------------------------------------------


def test_the_pro_and_service_json_carry_the_currency(client, priced):
    body = client.get(f"{API}/pros/gbp-28").json()

    assert body["currency"] == "GBP"
    assert [(s["currency"], s["price"]) for s in body["services"]] == [
        ("GBP", {"amount": 2800, "currency": "GBP"})
    ]


def test_the_api_filters_a_max_price_within_its_currency(client, priced):
    eur = client.get(f"{API}/pros", {"max_price": 3000, "currency": "eur"}).json()
    usd = client.get(f"{API}/pros", {"max_price": 3000, "currency": "USD"}).json()

    assert [p["slug"] for p in eur["results"]] == ["eur-20"]
    assert [p["slug"] for p in usd["results"]] == ["usd-25"]


def test_the_api_lists_pros_of_the_currency_first(client, priced):
    body = client.get(f"{API}/pros", {"currency": "GBP", "sort": "price"}).json()

    assert [p["slug"] for p in body["results"]] == ["gbp-28", "eur-20", "eur-40", "usd-25"]


def test_the_api_takes_the_default_currency_for_a_max_price_without_one(client, priced):
    body = client.get(f"{API}/pros", {"max_price": 3000}, HTTP_ACCEPT_LANGUAGE="en-GB").json()

    assert [p["slug"] for p in body["results"]] == ["gbp-28"]


def test_the_api_takes_the_citys_currency_for_a_max_price_in_a_city(client, priced):
    body = client.get(
        f"{API}/pros", {"city": "London", "max_price": 3000}, HTTP_ACCEPT_LANGUAGE="en-US"
    ).json()

    assert [p["slug"] for p in body["results"]] == ["gbp-28"]


@pytest.mark.parametrize("code", ["XXX", "EU", "€", "XAU"])
def test_the_api_refuses_an_unknown_currency(client, priced, code):
    response = client.get(f"{API}/pros", {"max_price": 3000, "currency": code})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "currency" in response.json()["detail"]


def test_a_search_without_a_currency_shows_the_default_one_selected(client, priced):
    page = client.get(reverse("home"), {"q": "eur"}, HTTP_ACCEPT_LANGUAGE="en-GB").content
    assert '<option value="GBP" selected>' in page.decode()
