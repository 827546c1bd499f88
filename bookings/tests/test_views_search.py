"""The "Find a free time" page (bookings:search) and its form on the home page."""

from datetime import datetime
from decimal import Decimal
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from bookings.models import Booking
from conftest import login, make_booking, make_open_pro, make_service, make_user

pytestmark = pytest.mark.django_db

FIND = reverse("bookings:search")
PARIS = ZoneInfo("Europe/Paris")
WEDNESDAY_NOON = datetime(2027, 6, 9, 12, tzinfo=PARIS)
PAGE_MAX_QUERIES = 5  # categories, then the search's four
# A logged-in visitor adds the session, the user, their profile (zone) and the header's badges.
LOGGED_IN_EXTRA = 5


def open_pro(**extra):
    return make_open_pro(latitude=Decimal("48.86"), longitude=Decimal("2.35"), **extra)


@pytest.fixture
def barber(db):
    pro = open_pro(name="Karim Barber")
    make_service(pro=pro, name="Skin fade", duration_minutes=45, price_amount=3500)
    return pro


def test_each_free_time_links_to_the_confirm_step_with_that_start(client, barber, travel):
    travel(WEDNESDAY_NOON)

    response = client.get(
        FIND,
        {
            "q": "fade",
            "when": "date",
            "date": "2027-06-12",
            "start": "10:00",
            "end": "11:00",
            "tz": "Europe/Paris",
        },
    )

    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "Karim Barber" in html and "Skin fade" in html
    assert "Paris time" in html  # the zone the times are written in
    (row,) = response.context["rows"]
    assert [f"{t:%H:%M}" for t in row["times"]] == ["10:00", "10:15", "10:30", "10:45"]
    link = urlsplit(
        reverse("bookings:confirm", args=[barber.slug, row["offer"].service.pk])
        + "?start="
        + row["times"][0].isoformat()
    )
    assert f'href="{link.path}?start=2027-06-12T10%3A00%3A00%2B02%3A00"' in html
    assert parse_qs(link.query)["start"] == ["2027-06-12T10:00:00 02:00"]


def test_a_time_from_the_page_is_bookable_on_the_confirm_step(barber, travel):
    travel(WEDNESDAY_NOON)
    customer = make_user()
    http = login(customer)
    rows = http.get(FIND, {"when": "tomorrow", "tz": "Europe/Paris"}).context["rows"]
    offer, start = rows[0]["offer"], rows[0]["times"][3]
    confirm = reverse("bookings:confirm", args=[barber.slug, offer.service.pk])

    assert http.get(confirm, {"start": start.isoformat()}).status_code == HTTPStatus.OK
    response = http.post(confirm, {"start": start.isoformat(), "note": ""})

    assert response.status_code == HTTPStatus.FOUND
    assert Booking.objects.get().starts_at == start


def test_more_times_than_shown_link_to_the_pros_booking_page(client, barber, travel):
    travel(WEDNESDAY_NOON)

    response = client.get(FIND, {"when": "tomorrow", "tz": "Europe/Paris"})

    (row,) = response.context["rows"]
    assert len(row["times"]) == 8 and row["more"] == len(row["offer"].slots) - 8
    assert f"{row['more']} more times with Karim Barber" in response.content.decode()


def test_nobody_free_shows_the_empty_state(client, barber, travel):
    travel(WEDNESDAY_NOON)

    response = client.get(FIND, {"when": "today", "period": "evening"})

    assert response.status_code == HTTPStatus.OK
    assert "Nobody is free then" in response.content.decode()
    assert "bookings/includes/_search_empty.html" in [t.name for t in response.templates]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"when": "date", "date": "2020-01-01"}, "date", "in the past"),
        ({"start": "18:00", "end": "09:00"}, "end", "must end after it starts"),
        ({"near": "Atlantis"}, "near", "do not know the place"),
        ({"km": "0", "near": "Paris"}, "km", "greater than or equal to 1"),
        ({"sort": "distance"}, "near", "Choose a place to sort by distance"),
    ],
)
def test_bad_input_is_a_400_with_the_message_on_its_field(
    client, barber, travel, query, field, message
):
    travel(WEDNESDAY_NOON)

    response = client.get(FIND, query)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in " ".join(response.context["form"].errors[field])
    assert response.context["rows"] is None


def test_near_a_city_shows_the_distance(client, barber, travel):
    travel(WEDNESDAY_NOON)

    response = client.get(
        FIND, {"when": "tomorrow", "near": "Paris", "km": "5", "sort": "distance"}
    )

    assert "km away" in response.content.decode()
    assert response.context["rows"][0]["offer"].distance_km == pytest.approx(0.38, abs=0.05)


def test_the_price_sort_near_a_city_compares_in_that_citys_currency_first(client, travel):
    travel(WEDNESDAY_NOON)
    for name, currency, price in [("Euro Cuts", "EUR", 1500), ("Pound Cuts", "GBP", 2800)]:
        pro = make_open_pro(
            name=name,
            currency=currency,
            latitude=Decimal("51.5072"),
            longitude=Decimal("-0.1276"),
        )
        make_service(pro=pro, name="Cut", duration_minutes=30, price_amount=price)

    response = client.get(
        FIND, {"when": "tomorrow", "near": "London", "sort": "price"}, HTTP_ACCEPT_LANGUAGE="en-US"
    )

    assert [r["offer"].service.currency for r in response.context["rows"]] == ["GBP", "EUR"]


@pytest.mark.parametrize("pros", [1, 10])
def test_page_query_count_does_not_grow_with_pros(
    client, travel, django_assert_max_num_queries, pros
):
    travel(WEDNESDAY_NOON)
    for n in range(pros):
        cut = make_service(pro=open_pro(), name="Haircut", duration_minutes=30)
        # A client each: one person cannot hold two bookings at once (PostgreSQL refuses it).
        make_booking(
            client=make_user(),
            service=cut,
            starts_at=datetime(2027, 6, 10, 9 + n % 7, tzinfo=PARIS),
        )
    query = {"when": "tomorrow", "q": "hair", "near": "Paris", "km": "10"}

    with django_assert_max_num_queries(PAGE_MAX_QUERIES):
        response = client.get(FIND, query)
    assert len(response.context["rows"]) == pros

    client.force_login(make_user())
    with django_assert_max_num_queries(PAGE_MAX_QUERIES + LOGGED_IN_EXTRA):
        client.get(FIND, query)


def test_the_home_page_offers_the_free_time_form(client, barber):
    html = client.get(reverse("home")).content.decode()

    assert f'action="{FIND}"' in html
    assert "Find a free time" in html
    assert "data-locate" in html  # "Use my location", shown once JavaScript runs
