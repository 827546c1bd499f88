"""API v1: POST/GET /api/v1/waitlist and DELETE /api/v1/waitlist/{id}, through the test client."""

from http import HTTPStatus

import pytest
from django.test import Client

from bookings.models import WaitlistEntry
from conftest import local_at, make_booking

pytestmark = pytest.mark.django_db

URL = "/api/v1/waitlist"


@pytest.fixture
def logged_in(client, client_user):
    client.force_login(client_user)
    return client


def body(offered, **change):
    return {
        "pro": offered.pro.slug,
        "service": offered.pk,
        "date": local_at(3, 12).date().isoformat(),
        "from": "10:00",
        "to": "10:15",
        **change,
    }


def join(http, data):
    return http.post(URL, data, content_type="application/json")


def test_joining_answers_201_with_the_id_and_status(logged_in, working_pro, service, other_client):
    make_booking(client=other_client, service=service, starts_at=local_at(3, 10))

    response = join(logged_in, body(service))

    assert response.status_code == HTTPStatus.CREATED
    answer = response.json()
    entry = WaitlistEntry.objects.get()
    assert (answer["id"], answer["status"]) == (entry.pk, "waiting")
    assert (answer["from"], answer["to"], answer["timezone"]) == ("10:00", "10:15", "Europe/Paris")
    assert answer["offer"] is None


def test_a_search_wide_entry_needs_a_category_or_words(logged_in, category):
    wide = {"date": local_at(3, 12).date().isoformat(), "from": "10:00", "to": "12:00"}

    assert join(logged_in, wide).status_code == HTTPStatus.BAD_REQUEST
    response = join(logged_in, {**wide, "category": category.slug, "q": "beard"})
    assert response.status_code == HTTPStatus.CREATED
    assert (response.json()["pro"], response.json()["category"]) == (None, "barbers")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"from": "12:00", "to": "10:00"}, "end after it starts"),
        ({"date": "2001-01-01"}, "in the past"),
        ({"date": "not a date"}, "date"),
        ({"timezone": "Mars/Olympus"}, "time zone"),
        ({"from": "10:00+05:00"}, "without an offset"),
        ({"service": None}, "both the pro and the service"),
        ({"pro": "nobody-here"}, "cannot be booked"),
    ],
)
def test_a_bad_window_date_zone_or_reference_is_a_400_with_the_reason(
    logged_in, working_pro, service, change, message
):
    response = join(logged_in, body(service, **change))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in response.json()["detail"]
    assert not WaitlistEntry.objects.exists()


def test_the_list_holds_the_callers_entries_only(logged_in, working_pro, service, other_client):
    join(logged_in, body(service))
    other = Client()
    other.force_login(other_client)
    join(other, body(service, **{"from": "15:00", "to": "16:00"}))

    listed = logged_in.get(URL).json()

    assert [e["from"] for e in listed] == ["10:00"]


def test_deleting_leaves_the_waitlist_and_another_clients_entry_is_a_404(
    logged_in, working_pro, service, other_client
):
    mine = join(logged_in, body(service)).json()["id"]
    other = Client()
    other.force_login(other_client)

    assert other.delete(f"{URL}/{mine}").status_code == HTTPStatus.NOT_FOUND
    assert WaitlistEntry.objects.get(pk=mine).status == "waiting"
    assert logged_in.delete(f"{URL}/{mine}").status_code == HTTPStatus.NO_CONTENT
    assert WaitlistEntry.objects.get(pk=mine).status == "cancelled"


def test_anonymous_callers_get_401(client, working_pro, service):
    assert client.get(URL).status_code == HTTPStatus.UNAUTHORIZED
    assert join(client, body(service)).status_code == HTTPStatus.UNAUTHORIZED
    assert client.delete(f"{URL}/1").status_code == HTTPStatus.UNAUTHORIZED


def test_a_write_without_the_csrf_token_is_a_403(client_user, working_pro, service):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(client_user)

    assert join(browser, body(service)).status_code == HTTPStatus.FORBIDDEN
    assert not WaitlistEntry.objects.exists()
