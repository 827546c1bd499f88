"""The pro's calendars page: the list with each calendar's freshness, the two ways to add one,
"Sync now" and "Remove"."""

from datetime import UTC, datetime
from http import HTTPStatus

import pytest
from django.urls import reverse

from bookings.models import ExternalCalendar
from bookings.tests.conftest import RADICALE_PASSWORD, RADICALE_USER
from bookings.tests.test_calendar_sync import PARIS_MONDAYS, ics
from conftest import login, make_open_pro

pytestmark = [pytest.mark.django_db]

PAGE = reverse("bookings:calendars")


@pytest.fixture
def pro(travel):
    travel(datetime(2027, 3, 1, 8, tzinfo=UTC))
    return make_open_pro()


@pytest.fixture
def http(pro):
    return login(pro.user)


def add_ics(http, name, url):
    return http.post(PAGE, {"kind": "ics", "ics-name": name, "ics-url": url})


def test_the_page_shows_each_calendar_with_its_last_sync_and_status(
    http, pro, ics_server, private_hosts, travel, django_assert_max_num_queries
):
    add_ics(http, "Personal", ics_server.serve("/secret-path-77.ics", ics(PARIS_MONDAYS)))
    add_ics(http, "Broken", ics_server.base + "/missing.ics")
    travel(datetime(2027, 3, 1, 8, 5, tzinfo=UTC))
    with django_assert_max_num_queries(8):
        response = http.get(PAGE)
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "Personal" in html and "Up to date" in html and "5\xa0minutes ago" in html
    assert "Broken" in html and "Cannot be read" in html
    assert "There is no calendar at this address (404)." in html
    assert "secret-path-77" not in html  # the link's path is its secret; the host is shown
    assert "127.0.0.1" in html
    assert "new bookings arrive as requests" in html


def test_the_page_says_when_a_calendar_is_out_of_date(http, pro, ics_server, private_hosts, travel):
    add_ics(http, "Personal", ics_server.serve("/p.ics", ics(PARIS_MONDAYS)))
    travel(datetime(2027, 3, 1, 9, tzinfo=UTC))
    html = http.get(PAGE).content.decode()
    assert "Out of date" in html and "an hour ago" in html


def test_adding_an_ics_link_syncs_it_and_says_so(http, pro, ics_server, private_hosts):
    response = add_ics(http, "Personal", ics_server.serve("/p.ics", ics(PARIS_MONDAYS)))
    assert response.status_code == HTTPStatus.FOUND and response.url == PAGE
    calendar = ExternalCalendar.objects.get(pro=pro)
    assert calendar.status == "ok"
    page = http.get(PAGE).content.decode()
    assert "“Personal” is connected: its busy times now block your hours." in page


def test_adding_a_caldav_account(http, pro, radicale, private_hosts):
    url = radicale.new_calendar()
    radicale.put(url, ics(PARIS_MONDAYS))
    response = http.post(
        PAGE,
        {
            "kind": "caldav",
            "caldav-name": "Work",
            "caldav-caldav_url": url,
            "caldav-username": RADICALE_USER,
            "caldav-password": RADICALE_PASSWORD,
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    calendar = ExternalCalendar.objects.get(pro=pro)
    assert (calendar.kind, calendar.status, calendar.username) == ("caldav", "ok", RADICALE_USER)


def test_a_refused_address_is_shown_on_its_field_and_nothing_is_saved(http, pro):
    response = add_ics(http, "Local", "http://10.0.0.7/cal.ics")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    html = response.content.decode()
    assert "it points to a private address" in html
    assert 'value="http://10.0.0.7/cal.ics"' in html  # what was typed stays
    assert not ExternalCalendar.objects.exists()


def test_a_caldav_form_without_password_keeps_the_other_fields(http, pro):
    response = http.post(
        PAGE,
        {"kind": "caldav", "caldav-name": "Work", "caldav-caldav_url": "https://dav.example/"},
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    html = response.content.decode()
    assert "This field is required." in html and 'value="https://dav.example/"' in html


def test_sync_now_and_remove(http, pro, ics_server, private_hosts, travel):
    add_ics(http, "Personal", ics_server.serve("/p.ics", ics(PARIS_MONDAYS)))
    calendar = ExternalCalendar.objects.get()
    travel(datetime(2027, 3, 1, 10, tzinfo=UTC))
    response = http.post(reverse("bookings:calendar_sync", args=[calendar.pk]))
    assert response.status_code == HTTPStatus.FOUND
    calendar.refresh_from_db()
    assert calendar.last_synced_at == datetime(2027, 3, 1, 10, tzinfo=UTC)

    response = http.post(reverse("bookings:calendar_remove", args=[calendar.pk]), follow=True)
    assert "“Personal” is disconnected" in response.content.decode()
    assert not ExternalCalendar.objects.exists()


def test_the_page_is_reached_from_the_dashboard_and_the_schedule(http):
    for name in ("accounts:dashboard", "bookings:schedule"):
        assert PAGE in http.get(reverse(name)).content.decode(), name


def test_clients_cannot_open_the_page(db):
    from conftest import make_user

    http = login(make_user())
    assert http.get(PAGE).status_code == HTTPStatus.FORBIDDEN
    assert http.post(PAGE, {"kind": "ics"}).status_code == HTTPStatus.FORBIDDEN


def test_a_client_whose_booking_became_a_request_reads_why(pro, ics_server, private_hosts, travel):
    from bookings import services
    from conftest import make_service, make_user

    services.calendar_add(pro=pro, name="P", url=ics_server.serve("/p.ics", ics(PARIS_MONDAYS)))
    travel(datetime(2027, 3, 1, 9, tzinfo=UTC))  # the calendar is now out of date
    client = make_user()
    booking = services.booking_create(
        client=client,
        service=make_service(pro=pro),
        starts_at=datetime(2027, 3, 3, 11, tzinfo=UTC),
    )
    html = login(client).get(reverse("bookings:done", args=[booking.pk])).content.decode()
    assert "Request sent" in html
    assert "own calendar could not be checked just now" in html
