"""The hour that repeats when clocks fall back: both real instants are offered, told apart by
their UTC offset, and either can be booked (Paris, night of 30 to 31 October 2027)."""

import json
from datetime import UTC, datetime, time
from http import HTTPStatus

import pytest
from django.urls import reverse

from bookings import services
from bookings.models import Booking
from bookings.templatetags.bookings_tags import clock
from conftest import make_pro, make_service

pytestmark = pytest.mark.django_db

NIGHT = "2027-10-31"
# A week before, at noon in Paris: the night is inside the default 60-day horizon.
A_WEEK_BEFORE = datetime(2027, 10, 24, 10, 0, tzinfo=UTC)


@pytest.fixture
def night_pro(time_machine):
    time_machine.move_to(A_WEEK_BEFORE, tick=False)
    pro = make_pro(slug="night-owl")
    services.weekly_hours_set(pro=pro, weekday=6, intervals=[(time(0), time(4))])
    service = make_service(pro=pro, duration_minutes=45)
    return pro, service


@pytest.mark.parametrize(
    "instant, shown",
    [
        ("2027-10-31T00:00:00+00:00", "02:00 (UTC+2)"),
        ("2027-10-31T01:00:00+00:00", "02:00 (UTC+1)"),
        ("2027-10-31T02:30:00+00:00", "03:30"),
        ("2027-07-01T08:15:00+00:00", "10:15"),
        ("2027-11-07T05:30:00+00:00", "01:30 (UTC-4)"),
    ],
)
def test_clock_names_the_offset_only_in_a_repeated_hour(instant, shown):
    zone = "America/New_York" if instant.startswith("2027-11-07") else "Europe/Paris"

    assert clock(datetime.fromisoformat(instant), zone) == shown


def test_the_api_offers_both_two_oclocks(client, night_pro):
    pro, service = night_pro

    response = client.get(
        f"/api/v1/pros/{pro.slug}/slots", {"service": service.pk, "start": NIGHT, "days": 1}
    )

    slots = response.json()["slots"]
    assert f"{NIGHT}T02:00:00+02:00" in slots
    assert f"{NIGHT}T02:00:00+01:00" in slots
    assert slots.index(f"{NIGHT}T02:00:00+01:00") > slots.index(f"{NIGHT}T02:45:00+02:00")


def test_the_picker_labels_each_two_oclock_with_its_offset(client, night_pro):
    pro, service = night_pro

    response = client.get(reverse("bookings:book", args=[pro.slug, service.pk]), {"date": NIGHT})

    html = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert "02:00 (UTC+2)" in html
    assert "02:00 (UTC+1)" in html


def test_the_second_two_oclock_can_be_booked(client, client_user, night_pro):
    pro, service = night_pro
    client.force_login(client_user)

    response = client.post(
        "/api/v1/bookings",
        json.dumps({"service": service.pk, "starts_at": f"{NIGHT}T02:00:00+01:00"}),
        content_type="application/json",
    )

    assert response.status_code == HTTPStatus.CREATED, response.json()
    assert Booking.objects.get().starts_at == datetime(2027, 10, 31, 1, 0, tzinfo=UTC)
