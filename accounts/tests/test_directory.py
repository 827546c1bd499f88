"""The directory: pro_search and the home page with its search form, chips and pages."""

from datetime import timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import selectors
from accounts.models import ProProfile
from conftest import make_category, make_pro, make_service

pytestmark = pytest.mark.django_db


def slugs(qs):
    return [p.slug for p in qs]


@pytest.fixture
def trainers(db):
    return make_category(name="Personal trainers", slug="personal-trainers")


@pytest.fixture
def barbers(db):
    return make_category(name="Barbers", slug="barbers")


# --- pro_search --------------------------------------------------------------------------------


def test_search_without_filters_lists_only_listed_pros(barbers):
    shown = make_pro(slug="shown", category=barbers)
    make_pro(slug="hidden", category=barbers, is_listed=False)

    assert slugs(selectors.pro_search()) == [shown.slug]


def test_free_text_matches_name_headline_and_service_names(barbers):
    by_name = make_pro(slug="by-name", name="Fade Master")
    by_headline = make_pro(slug="by-headline", headline="Classic fades and beard work")
    by_service = make_pro(slug="by-service")
    make_service(pro=by_service, name="Skin fade")
    make_pro(slug="unrelated", headline="Yoga at home")

    assert set(slugs(selectors.pro_search(q="FADE"))) == {
        by_name.slug,
        by_headline.slug,
        by_service.slug,
    }


def test_relevance_ranks_name_over_headline_over_service_then_rating(barbers):
    by_service = make_pro(slug="by-service", rating_avg=Decimal("5.00"), review_count=9)
    make_service(pro=by_service, name="Yoga flow")
    by_headline = make_pro(slug="by-headline", headline="Gentle yoga", rating_avg=Decimal("4.90"))
    by_name_low = make_pro(slug="by-name-low", name="Yoga Yann", rating_avg=Decimal("3.00"))
    by_name_high = make_pro(slug="by-name-high", name="Yoga Yara", rating_avg=Decimal("4.50"))

    assert slugs(selectors.pro_search(q="yoga")) == [
        by_name_high.slug,
        by_name_low.slug,
        by_headline.slug,
        by_service.slug,
    ]


def test_every_word_of_the_query_must_match_somewhere(barbers):
    both = make_pro(slug="both", name="Mia", headline="Beard specialist")
    make_service(pro=both, name="Hot towel shave")
    make_pro(slug="only-beard", headline="Beard trims")

    assert slugs(selectors.pro_search(q="beard shave")) == [both.slug]


def test_inactive_services_neither_match_nor_show(barbers):
    pro = make_pro(slug="p")
    make_service(pro=pro, name="Retired massage", is_active=False)
    active = make_service(pro=pro, name="Haircut")

    assert slugs(selectors.pro_search(q="massage")) == []
    [found] = selectors.pro_search()
    assert found.active_services == [active]


def test_category_filter_uses_the_slug(barbers, trainers):
    barber = make_pro(slug="barber", category=barbers)
    make_pro(slug="trainer", category=trainers)

    assert slugs(selectors.pro_search(category="barbers")) == [barber.slug]


def test_city_filter_is_case_insensitive_and_exact(barbers):
    paris = make_pro(slug="paris", city="Paris")
    make_pro(slug="paris-tx", city="Paris Texas")

    assert slugs(selectors.pro_search(city="pARIS ")) == [paris.slug]


def test_max_price_keeps_pros_with_an_active_service_at_or_below_it(barbers):
    cheap = make_pro(slug="cheap")
    make_service(pro=cheap, price_amount=9000)
    make_service(pro=cheap, price_amount=3000)
    exact = make_pro(slug="exact")
    make_service(pro=exact, price_amount=3500)
    pricey = make_pro(slug="pricey")
    make_service(pro=pricey, price_amount=3600)
    make_service(pro=pricey, price_amount=1000, is_active=False)

    found = selectors.pro_search(currency="EUR", max_price=3500)
    assert set(slugs(found)) == {cheap.slug, exact.slug}


def test_min_price_is_the_cheapest_active_service_with_its_currency(barbers):
    pro = make_pro(slug="p")
    make_service(pro=pro, price_amount=4000, currency="GBP")
    make_service(pro=pro, price_amount=2500, currency="GBP")
    make_service(pro=pro, price_amount=100, currency="GBP", is_active=False)

    [found] = selectors.pro_search()
    assert (found.min_price, found.min_price_currency) == (2500, "GBP")


def test_sort_by_price_puts_pros_without_services_last(barbers):
    none = make_pro(slug="none", name="A none")
    high = make_pro(slug="high", name="B high")
    make_service(pro=high, price_amount=8000)
    low = make_pro(slug="low", name="C low")
    make_service(pro=low, price_amount=2000)

    assert slugs(selectors.pro_search(sort="price")) == [low.slug, high.slug, none.slug]


def test_sort_by_rating_puts_unrated_last_then_review_count(barbers):
    unrated = make_pro(slug="unrated", name="A")
    few = make_pro(slug="few", name="B", rating_avg=Decimal("4.80"), review_count=2)
    many = make_pro(slug="many", name="C", rating_avg=Decimal("4.80"), review_count=30)
    best = make_pro(slug="best", name="D", rating_avg=Decimal("5.00"), review_count=1)

    assert slugs(selectors.pro_search(sort="rating")) == [
        best.slug,
        many.slug,
        few.slug,
        unrated.slug,
    ]


def test_sort_newest_first(barbers):
    old = make_pro(slug="old")
    new = make_pro(slug="new")
    ProProfile.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))

    assert slugs(selectors.pro_search(sort="newest")) == [new.slug, old.slug]


def test_cities_all_lists_each_city_of_listed_pros_once(barbers):
    make_pro(city="Paris")
    make_pro(city="Paris")
    make_pro(city="Berlin")
    make_pro(city="")
    make_pro(city="Oslo", is_listed=False)

    assert selectors.cities_all() == ["Berlin", "Paris"]


# --- home page --------------------------------------------------------------------------------


def test_home_shows_cards_with_name_category_city_and_from_price(client, barbers):
    pro = make_pro(name="Paula Pro", slug="paula", category=barbers, city="Lyon")
    make_service(pro=pro, name="Beard trim", price_amount=1800, duration_minutes=20)
    make_service(pro=pro, name="Haircut", price_amount=3500)

    response = client.get(reverse("home"))

    assert response.status_code == HTTPStatus.OK
    body = response.content.decode()
    assert "Paula Pro" in body
    assert reverse("accounts:pro_detail", kwargs={"slug": "paula"}) in body
    assert "Barbers" in body and "Lyon" in body
    assert "from <strong>€18.00</strong>" in body
    assert "Beard trim" in body and "20 min" in body


def test_home_card_shows_initials_without_avatar_and_rating_when_reviewed(client, barbers):
    make_pro(name="Zoe Quinn", slug="zq", rating_avg=Decimal("4.60"), review_count=12)

    body = client.get(reverse("home")).content.decode()

    assert ">ZQ</span>" in body
    assert "★★★★★" in body and "(12)" in body


def test_home_search_form_filters_results(client, barbers, trainers):
    barber = make_pro(name="Bob Barber", category=barbers, city="Paris")
    make_pro(name="Tina Trainer", category=trainers, city="Paris")

    response = client.get(reverse("home"), {"category": "barbers", "city": "paris"})

    assert list(response.context["pros"]) == [barber]
    assert "1 pro found" in response.content.decode()


def test_max_price_is_typed_in_major_units(client, barbers):
    cheap = make_pro(name="Cheap")
    make_service(pro=cheap, price_amount=3550)
    pricey = make_pro(name="Pricey")
    make_service(pro=pricey, price_amount=3551)

    response = client.get(reverse("home"), {"max_price": "35.50"})

    assert response.context["filters"]["max_price"] == 3550
    assert list(response.context["pros"]) == [cheap]


def test_max_price_with_more_decimals_than_the_site_currency_is_refused(client, barbers, settings):
    settings.DEFAULT_CURRENCY = "JPY"

    response = client.get(reverse("home"), {"max_price": "40.5"})

    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors["max_price"] == ["Amounts in JPY take no decimals."]


@pytest.mark.parametrize(
    ("params", "field", "msg"),
    [
        ({"max_price": "cheap"}, "max_price", "Enter the maximum price as a number"),
        ({"max_price": "-5"}, "max_price", "greater than or equal to 0"),
        ({"category": "no-such-thing"}, "category", "Select a valid choice"),
        ({"sort": "random"}, "sort", "Select a valid choice"),
        ({"q": "x" * 101}, "q", "at most 100 characters"),
    ],
)
def test_bad_search_values_get_a_clear_message_not_an_error(client, barbers, params, field, msg):
    make_pro(name="Still Listed")

    response = client.get(reverse("home"), params)

    assert response.status_code == HTTPStatus.OK
    assert msg in " ".join(response.context["form"].errors[field])
    assert msg in response.content.decode()
    # The invalid filter is ignored; the page still lists pros.
    assert [p.display_name for p in response.context["pros"]] == ["Still Listed"]


def test_empty_search_shows_a_helpful_empty_state(client, barbers):
    make_pro(name="Somebody")

    response = client.get(reverse("home"), {"q": "underwater basket weaving"})

    body = response.content.decode()
    assert "0 pros found" in body
    assert "No pros match your search" in body
    assert "Clear filters" in body


def test_home_pages_by_twelve_and_keeps_filters_in_page_links(client, barbers):
    for n in range(14):
        make_pro(name=f"Barber {n:02}", category=barbers)

    first = client.get(reverse("home"), {"category": "barbers"})
    second = client.get(reverse("home"), {"category": "barbers", "page": "2"})

    assert len(first.context["pros"]) == 12
    assert len(second.context["pros"]) == 2
    assert "?category=barbers&amp;page=2" in first.content.decode()


@pytest.mark.parametrize("page", ["abc", "0", "-1", "999", ""])
def test_bad_page_numbers_show_a_page_instead_of_failing(client, barbers, page):
    for n in range(14):
        make_pro(name=f"Pro {n:02}")

    response = client.get(reverse("home"), {"page": page})

    assert response.status_code == HTTPStatus.OK
    assert len(response.context["pros"]) in (12, 2)


def test_category_chips_link_to_the_filtered_directory(client, barbers, trainers):
    response = client.get(reverse("home"), {"q": "cut"})

    body = response.content.decode()
    assert 'href="?q=cut&amp;category=barbers"' in body
    assert 'href="?q=cut&amp;category=personal-trainers"' in body


def test_sort_form_keeps_the_other_filters(client, barbers):
    pro = make_pro(name="Some Barber", category=barbers)
    make_service(pro=pro, price_amount=1000)

    body = client.get(
        reverse("home"), {"q": "barber", "category": "barbers", "max_price": "20"}
    ).content.decode()

    assert '<input type="hidden" name="q" value="barber">' in body
    assert '<input type="hidden" name="category" value="barbers">' in body
    assert '<input type="hidden" name="max_price" value="20">' in body


def test_cards_list_the_services_matching_the_search_first(client, barbers):
    pro = make_pro(name="Many Services")
    for name in ("Colour", "Gloss", "Blow-dry", "Beard trim"):
        make_service(pro=pro, name=name)

    response = client.get(reverse("home"), {"q": "beard"})

    [found] = response.context["pros"]
    assert [s.name for s in found.active_services][:2] == ["Beard trim", "Colour"]
    assert "Beard trim" in response.content.decode()


def test_search_text_is_escaped_in_the_page(client, barbers):
    body = client.get(reverse("home"), {"q": "<script>alert(1)</script>"}).content.decode()

    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body


def _populate(n_pros, category):
    for n in range(n_pros):
        pro = make_pro(name=f"Pro {n}", category=category, city=["Paris", "Lyon"][n % 2])
        for s in range(3):
            make_service(pro=pro, name=f"Cut {s}", price_amount=1000 + s)


# Measured: 5 for an anonymous visitor (categories, cities, count, pros, services).
HOME_MAX_QUERIES = 6
# A logged-in visitor adds the session, the user and the navigation's per-user badges.
LOGGED_IN_EXTRA = 6


@pytest.mark.parametrize("n_pros", [3, 40])
def test_home_query_count_does_not_grow_with_pros_or_services(
    client, django_assert_max_num_queries, barbers, n_pros
):
    _populate(n_pros, barbers)

    with django_assert_max_num_queries(HOME_MAX_QUERIES):
        response = client.get(reverse("home"))
    assert len(response.context["pros"]) == min(n_pros, 12)


@pytest.mark.parametrize("n_pros", [3, 40])
def test_filtered_search_query_count_does_not_grow(
    client, django_assert_max_num_queries, barbers, n_pros, client_user
):
    _populate(n_pros, barbers)
    client.force_login(client_user)

    with django_assert_max_num_queries(HOME_MAX_QUERIES + LOGGED_IN_EXTRA):
        response = client.get(
            reverse("home"),
            {"q": "cut", "category": "barbers", "city": "paris", "max_price": "50", "page": "2"},
        )
    assert response.status_code == HTTPStatus.OK
