"""/api/v1/me/calendars: a pro connects, lists, syncs and removes their own calendars."""

from datetime import UTC, datetime
from http import HTTPStatus

import pytest

from bookings.models import BusyInterval, ExternalCalendar
from bookings.tests.conftest import RADICALE_PASSWORD, RADICALE_USER
from bookings.tests.test_calendar_sync import PARIS_MONDAYS, ics
from conftest import login, make_calendar, make_open_pro, make_user

pytestmark = [pytest.mark.django_db]

URL = "/api/v1/me/calendars"


@pytest.fixture
def pro(travel):
    travel(datetime(2027, 3, 1, 8, tzinfo=UTC))
    return make_open_pro()


@pytest.fixture
def http(pro):
    return login(pro.user)


def post(http, url, body=None):
    return http.post(url, body or {}, content_type="application/json")


def test_adding_an_ics_link_answers_201_with_the_calendar(http, pro, ics_server, private_hosts):
    url = ics_server.serve("/a.ics", ics(PARIS_MONDAYS))
    response = post(http, URL, {"name": "Personal", "url": url})
    assert response.status_code == HTTPStatus.CREATED
    calendar = ExternalCalendar.objects.get()
    assert response.json() == {
        "id": calendar.pk,
        "name": "Personal",
        "kind": "ics",
        "last_synced_at": "2027-03-01T08:00:00+00:00",
        "status": "ok",
        "last_error": "",
    }
    assert BusyInterval.objects.filter(calendar=calendar).exists()


def test_adding_a_caldav_account_answers_201(http, radicale, private_hosts):
    calendar_url = radicale.new_calendar()
    radicale.put(calendar_url, ics(PARIS_MONDAYS))
    body = {
        "name": "Work",
        "caldav_url": calendar_url,
        "username": RADICALE_USER,
        "password": RADICALE_PASSWORD,
    }
    response = post(http, URL, body)
    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["kind"] == "caldav" and response.json()["status"] == "ok"
    assert RADICALE_PASSWORD not in response.content.decode()


def test_listing_the_calendars(http, pro, ics_server, private_hosts, travel):
    post(http, URL, {"name": "B", "url": ics_server.serve("/b.ics", ics(PARIS_MONDAYS))})
    post(http, URL, {"name": "A", "url": ics_server.base + "/missing.ics"})
    travel(datetime(2027, 3, 1, 9, tzinfo=UTC))
    response = http.get(URL)
    assert response.status_code == HTTPStatus.OK
    assert [(c["name"], c["status"], c["last_error"]) for c in response.json()] == [
        ("A", "error", "There is no calendar at this address (404)."),
        ("B", "stale", ""),
    ]


def test_sync_now_answers_200_with_the_calendar(http, pro, ics_server, private_hosts, travel):
    created = post(http, URL, {"name": "P", "url": ics_server.serve("/p.ics", ics(PARIS_MONDAYS))})
    travel(datetime(2027, 3, 1, 9, 30, tzinfo=UTC))
    response = post(http, f"{URL}/{created.json()['id']}/sync")
    assert response.status_code == HTTPStatus.OK
    assert response.json()["last_synced_at"] == "2027-03-01T09:30:00+00:00"
    assert response.json()["status"] == "ok"


def test_removing_a_calendar_answers_204(http, pro, ics_server, private_hosts):
    created = post(http, URL, {"name": "P", "url": ics_server.serve("/p.ics", ics(PARIS_MONDAYS))})
    response = http.delete(f"{URL}/{created.json()['id']}")
    assert response.status_code == HTTPStatus.NO_CONTENT
    assert not ExternalCalendar.objects.exists() and not BusyInterval.objects.exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": "Local", "url": "http://127.0.0.1:8000/x.ics"}, "loopback address"),
        ({"name": "Meta", "url": "http://169.254.169.254/latest/"}, "link-local address"),
        ({"name": "F", "url": "file:///etc/passwd"}, "https://"),
        ({"name": "N", "caldav_url": "https://dav.example/", "username": "u"}, "app password"),
        ({"name": "", "url": "https://a.example/a.ics"}, "name"),
        ({"name": "X"}, "either an ICS link or a CalDAV address"),
    ],
)
def test_bad_calendars_answer_400_with_a_message(http, body, message):
    response = post(http, URL, body)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in response.json()["detail"]
    assert not ExternalCalendar.objects.exists()


def test_a_client_gets_403(db, travel):
    mine = make_calendar(pro=make_open_pro(), name="A pro's", url="https://a.example/secret.ics")
    http = login(make_user())
    assert http.get(URL).status_code == HTTPStatus.FORBIDDEN
    response = post(http, URL, {"name": "P", "url": "https://a.example/a.ics"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert post(http, f"{URL}/{mine.pk}/sync").status_code == HTTPStatus.FORBIDDEN
    assert http.delete(f"{URL}/{mine.pk}").status_code == HTTPStatus.FORBIDDEN
    assert ExternalCalendar.objects.count() == 1


def test_another_pros_calendar_is_404(http, pro):
    other = make_calendar(pro=make_open_pro(), name="Theirs", url="https://a.example/secret.ics")
    assert post(http, f"{URL}/{other.pk}/sync").status_code == HTTPStatus.NOT_FOUND
    assert http.delete(f"{URL}/{other.pk}").status_code == HTTPStatus.NOT_FOUND
    assert ExternalCalendar.objects.filter(pk=other.pk).exists()
    assert http.get(URL).json() == []


def test_anonymous_gets_401():
    from django.test import Client

    assert Client().get(URL).status_code == HTTPStatus.UNAUTHORIZED
