"""GET /api/v1/availability: free start times across pros, through the Django test client."""

from datetime import datetime, time, timedelta
from decimal import Decimal
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from accounts import geo
from bookings import services
from bookings.models import Booking
from conftest import make_booking, make_category, make_open_pro, make_service, make_user

pytestmark = pytest.mark.django_db

URL = "/api/v1/availability"
PARIS = ZoneInfo("Europe/Paris")
WEDNESDAY_NOON = datetime(2027, 6, 9, 12, tzinfo=PARIS)


@pytest.fixture
def paris_barber(db):
    pro = make_open_pro(
        name="Karim",
        category=make_category(name="Barbers", slug="barbers"),
        latitude=Decimal("48.8566"),
        longitude=Decimal("2.3522"),
        travel_km=8,
    )
    make_service(pro=pro, name="Haircut", duration_minutes=60, price_amount=2800)
    return pro


def test_answers_pros_with_their_free_times_in_the_window(client, paris_barber, travel):
    travel(WEDNESDAY_NOON)

    response = client.get(
        URL,
        {
            "q": "haircut",
            "category": "barbers",
            "date": "2027-06-12",
            "from": "10:00",
            "to": "12:00",
            "tz": "Europe/Paris",
            "near": "48.85,2.35",
            "km": 3,
        },
    )

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert (body["count"], body["timezone"]) == (1, "Europe/Paris")
    (result,) = body["results"]
    assert result["pro"]["slug"] == paris_barber.slug
    assert result["pro"]["location"] == {
        "city": "Paris",
        "lat": 48.8566,
        "lng": 2.3522,
        "travel_km": 8,
    }
    assert result["service"]["name"] == "Haircut"
    assert result["service"]["price"] == {"amount": 2800, "currency": "EUR"}
    assert result["distance_km"] == round(geo.haversine_km(48.85, 2.35, 48.8566, 2.3522), 2)
    assert result["slots"] == [
        "2027-06-12T10:00:00+02:00",
        "2027-06-12T10:15:00+02:00",
        "2027-06-12T10:30:00+02:00",
        "2027-06-12T10:45:00+02:00",
        "2027-06-12T11:00:00+02:00",
        "2027-06-12T11:15:00+02:00",
        "2027-06-12T11:30:00+02:00",
        "2027-06-12T11:45:00+02:00",
    ]


def test_times_are_written_in_the_zone_asked_for(client, paris_barber, travel):
    travel(WEDNESDAY_NOON)

    body = client.get(URL, {"date": "2027-06-12", "tz": "America/New_York"}).json()

    # 09:00 in Paris is 03:00 in New York; the New York date is asked for.
    assert body["results"][0]["slots"][0] == "2027-06-12T03:00:00-04:00"
    assert body["results"][0]["distance_km"] is None


def test_without_a_zone_a_known_city_gives_its_own(client, paris_barber, travel):
    travel(WEDNESDAY_NOON)

    body = client.get(URL, {"date": "tomorrow", "near": "Paris"}).json()

    assert body["timezone"] == "Europe/Paris"
    assert body["results"][0]["slots"][0] == "2027-06-10T09:00:00+02:00"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"date": "2027-06-01"}, "in the past"),
        ({"date": "soon"}, "YYYY-MM-DD"),
        ({"from": "12:00", "to": "10:00"}, "must end after it starts"),
        ({"from": "25:00"}, "HH:MM"),
        ({"tz": "Mars/Olympus_Mons"}, "not a known time zone"),
        ({"near": "Atlantis"}, "do not know the place"),
        ({"near": "95,2"}, "latitude from -90 to 90"),
        ({"near": "48.85,2.35", "km": 0}, "more than 0"),
        ({"near": "48.85,2.35", "km": 5000}, "at most 500"),
        ({"sort": "distance"}, "needs a place"),
        ({"sort": "cheapest"}, "sort"),
        ({"category": "astronauts"}, "Unknown category"),
        ({"page": 9}, "Page 9 does not exist"),
    ],
)
def test_bad_input_answers_400_with_a_message(client, paris_barber, travel, query, message):
    travel(WEDNESDAY_NOON)

    response = client.get(URL, query)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in response.json()["detail"]


def test_the_answer_runs_a_bounded_number_of_queries(client, travel, django_assert_max_num_queries):
    travel(WEDNESDAY_NOON)
    for n in range(15):
        pro = make_open_pro(latitude=Decimal("48.85"), longitude=Decimal("2.35"))
        cut = make_service(pro=pro, name="Haircut")
        # A client each: one person cannot hold two bookings at once (PostgreSQL refuses it).
        make_booking(
            client=make_user(),
            service=cut,
            starts_at=datetime(2027, 6, 10, 9 + n % 6, tzinfo=PARIS),
        )

    with django_assert_max_num_queries(5):
        response = client.get(URL, {"date": "tomorrow", "q": "hair", "near": "Paris", "km": 5})

    assert response.json()["count"] == 15


# --- any time offered can be booked at once -----------------------------------------------------


@pytest.fixture
def market(db):
    """Three pros in three zones with different steps, buffers and notice, and some bookings
    (by `customers`: one person cannot hold two bookings at once). Returns the customers."""
    customers = []
    specs = [
        ("Europe/Paris", 15, 0, 0, (time(8), time(20))),
        ("America/New_York", 30, 15, 90, (time(7), time(15))),
        ("Asia/Kolkata", 20, 5, 30, (time(22), time(6))),  # overnight hours
    ]
    for zone, step, buffer, notice, hours in specs:
        pro = make_open_pro(timezone=zone, hours=hours)
        services.booking_rules_update(
            pro=pro, slot_step_minutes=step, buffer_minutes=buffer, min_notice_minutes=notice
        )
        for minutes in (30, 50, 90):
            make_service(pro=pro, duration_minutes=minutes)
        customers.append(make_user())
        make_booking(
            client=customers[-1],
            service=pro.services.first(),
            starts_at=timezone.now().replace(microsecond=0, second=0, minute=0)
            + timedelta(days=1, hours=3),
        )
    return customers


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    when=st.sampled_from(["today", "tomorrow", "weekend"]),
    zone=st.sampled_from(["Europe/Paris", "America/New_York", "Pacific/Auckland", "UTC"]),
    hours=st.tuples(st.integers(0, 23), st.integers(1, 24)).filter(lambda h: h[0] < h[1]),
    pick=st.integers(0, 10_000),
)
def test_any_time_offered_booked_at_once_answers_201(client, market, when, zone, hours, pick):
    Booking.objects.exclude(client__in=market).delete()
    window = {"date": when, "tz": zone, "from": f"{hours[0]:02d}:00", "to": f"{hours[1]:02d}:00"}
    body = client.get(URL, window).json()
    offered = [(r["service"]["id"], s) for r in body["results"] for s in r["slots"]]
    assume(offered)
    service_id, start = offered[pick % len(offered)]
    booker = make_user()
    client.force_login(booker)

    response = client.post(
        "/api/v1/bookings",
        {"service": service_id, "starts_at": start},
        content_type="application/json",
    )

    client.logout()
    assert response.status_code == HTTPStatus.CREATED, response.json()


def test_the_price_sort_near_a_city_compares_in_that_citys_currency_first(client, travel):
    travel(WEDNESDAY_NOON)
    for name, currency, price in [("Euro", "EUR", 1500), ("Pound", "GBP", 2800)]:
        pro = make_open_pro(
            name=name,
            city="London",
            currency=currency,
            latitude=Decimal("51.5072"),
            longitude=Decimal("-0.1276"),
        )
        make_service(pro=pro, name="Haircut", duration_minutes=60, price_amount=price)

    # An American browser: in dollars, neither would come first; London's pros price in pounds.
    response = client.get(
        URL, {"date": "2027-06-10", "near": "London", "sort": "price"}, HTTP_ACCEPT_LANGUAGE="en-US"
    )

    assert response.status_code == HTTPStatus.OK, response.content
    assert [r["service"]["price"]["currency"] for r in response.json()["results"]] == [
        "GBP",
        "EUR",
    ]
