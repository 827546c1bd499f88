"""iCalendar output, parsed back with the icalendar package."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.http import parse_http_date
from icalendar import Calendar

from bookings import services
from bookings.ics import FEED_PAST_DAYS, booking_ics, calendar_feed_for_pro
from bookings.models import Booking
from conftest import local_at, make_booking

pytestmark = pytest.mark.django_db


def events(content: bytes):
    return Calendar.from_ical(content).walk("VEVENT")


def test_booking_ics_has_uid_utc_times_summary_location_and_status(
    working_pro, service, client_user
):
    working_pro.address_line = "12 rue de la Paix"
    working_pro.save()
    booking = make_booking(client=client_user, service=service, starts_at=local_at(4, 10))

    cal = Calendar.from_ical(booking_ics(booking))
    (event,) = cal.walk("VEVENT")

    assert str(cal["VERSION"]) == "2.0"
    assert str(event["UID"]) == f"booking-{booking.pk}@127.0.0.1"
    assert event.decoded("DTSTART") == booking.starts_at
    assert event.decoded("DTSTART").utcoffset() == timedelta(0)
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=45)
    assert str(event["SUMMARY"]) == "Haircut with Paula Pro"
    assert str(event["LOCATION"]) == "12 rue de la Paix, Paris"
    assert "Price: €35.00" in str(event["DESCRIPTION"])
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event["SEQUENCE"] == 0
    assert b"DTSTART:" in booking_ics(booking) and b"Z\r\n" in booking_ics(booking)


def test_uid_is_stable_and_sequence_bumps_on_reschedule(working_pro, service, client_user):
    booking = make_booking(client=client_user, service=service, starts_at=local_at(4, 10))
    before = events(booking_ics(booking))[0]
    moved = services.booking_transition(
        booking=booking, action="reschedule", by=client_user, starts_at=local_at(5, 11)
    )
    after = events(booking_ics(moved))[0]
    assert str(after["UID"]) == str(before["UID"])
    assert after["SEQUENCE"] == 1
    assert after.decoded("DTSTART") == local_at(5, 11)


def test_cancelled_booking_is_status_cancelled(working_pro, service, client_user):
    booking = make_booking(client=client_user, service=service, starts_at=local_at(4, 10))
    cancelled = services.booking_transition(booking=booking, action="cancel", by=client_user)
    cal = Calendar.from_ical(booking_ics(cancelled))
    assert str(cal["METHOD"]) == "CANCEL"
    assert str(cal.walk("VEVENT")[0]["STATUS"]) == "CANCELLED"
    assert cal.walk("VEVENT")[0]["SEQUENCE"] == 1


def test_feed_lists_active_and_recent_bookings_of_the_pro_only(
    working_pro, other_pro, service, client_user, other_client
):
    upcoming = make_booking(client=client_user, service=service, starts_at=local_at(4, 10))
    recent = make_booking(
        client=other_client,
        service=service,
        starts_at=timezone.now() - timedelta(days=3),
        status=Booking.Status.COMPLETED,
    )
    make_booking(  # too old for the feed
        client=other_client,
        service=service,
        starts_at=timezone.now() - timedelta(days=90),
        status=Booking.Status.COMPLETED,
    )
    make_booking(  # expired requests never held time
        client=other_client,
        service=service,
        starts_at=local_at(6, 10),
        status=Booking.Status.EXPIRED,
    )
    from conftest import make_service

    elsewhere = make_service(pro=other_pro)
    make_booking(client=client_user, service=elsewhere, starts_at=local_at(4, 15))

    found = events(calendar_feed_for_pro(working_pro))

    assert {str(e["UID"]).split("@")[0] for e in found} == {
        f"booking-{upcoming.pk}",
        f"booking-{recent.pk}",
    }
    # The pro's feed names the client.
    assert any("Chloé Client" in str(e["SUMMARY"]) for e in found)


def test_empty_feed_is_a_valid_calendar(working_pro):
    cal = Calendar.from_ical(calendar_feed_for_pro(working_pro))
    assert cal.walk("VEVENT") == []
    assert "Paula Pro" in str(cal["X-WR-CALNAME"])


# The feed over HTTP: validators, 304s, refresh interval ---------------------------------------


@pytest.fixture
def feed_url(working_pro):
    token = services.calendar_token_regenerate(pro=working_pro)
    return reverse("bookings:calendar_feed", kwargs={"token": token})


def test_feed_declares_its_refresh_interval_in_the_calendar_and_in_cache_control(
    client, feed_url, service, client_user
):
    make_booking(client=client_user, service=service, starts_at=local_at(4, 10))
    response = client.get(feed_url)
    assert response.status_code == HTTPStatus.OK
    cal = Calendar.from_ical(response.content)
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT15M\r\n" in response.content
    assert b"X-PUBLISHED-TTL:PT15M\r\n" in response.content
    assert cal.decoded("REFRESH-INTERVAL") == timedelta(minutes=15)
    assert response["Cache-Control"] == "private, max-age=900"
    assert response["ETag"].startswith('"') and not response["ETag"].startswith("W/")


def test_feed_answers_304_without_a_body_while_nothing_changed(
    client, feed_url, service, client_user, django_assert_max_num_queries
):
    booking = make_booking(client=client_user, service=service, starts_at=local_at(4, 10))
    first = client.get(feed_url)
    etag = first["ETag"]

    with django_assert_max_num_queries(3):
        again = client.get(feed_url, headers={"if-none-match": etag})
    assert again.status_code == HTTPStatus.NOT_MODIFIED
    assert again.content == b""
    assert again["ETag"] == etag
    assert again["Cache-Control"] == "private, max-age=900"

    services.booking_transition(booking=booking, action="cancel", by=client_user)
    changed = client.get(feed_url, headers={"if-none-match": etag})
    assert changed.status_code == HTTPStatus.OK
    assert changed["ETag"] != etag
    assert b"STATUS:CANCELLED" in changed.content


def test_feed_etag_is_the_same_for_the_same_content(client, feed_url, service, client_user):
    make_booking(client=client_user, service=service, starts_at=local_at(4, 10))
    assert client.get(feed_url)["ETag"] == client.get(feed_url)["ETag"]


def test_feed_answers_if_modified_since_from_the_newest_change(
    client, feed_url, service, client_user, travel
):
    booking = make_booking(client=client_user, service=service, starts_at=local_at(4, 10))
    first = client.get(feed_url)
    last_modified = first["Last-Modified"]
    assert parse_http_date(last_modified) == int(booking.updated_at.timestamp())

    unchanged = client.get(feed_url, headers={"if-modified-since": last_modified})
    assert unchanged.status_code == HTTPStatus.NOT_MODIFIED

    travel(timezone.now() + timedelta(minutes=5))
    services.booking_transition(
        booking=booking, action="reschedule", by=client_user, starts_at=local_at(5, 11)
    )
    moved = client.get(feed_url, headers={"if-modified-since": last_modified})
    assert moved.status_code == HTTPStatus.OK
    assert parse_http_date(moved["Last-Modified"]) > parse_http_date(last_modified)


def test_feed_changes_when_a_booking_leaves_the_window(
    client, feed_url, service, client_user, travel
):
    make_booking(client=client_user, service=service, starts_at=local_at(1, 10))
    first = client.get(feed_url)
    travel(timezone.now() + timedelta(days=FEED_PAST_DAYS + 3))
    later = client.get(
        feed_url,
        headers={"if-none-match": first["ETag"], "if-modified-since": first["Last-Modified"]},
    )
    assert later.status_code == HTTPStatus.OK
    assert events(later.content) == []
    # Without the ETag, the date alone also says the feed changed (the booking left it).
    by_date = client.get(feed_url, headers={"if-modified-since": first["Last-Modified"]})
    assert by_date.status_code == HTTPStatus.OK


def test_feed_query_count_does_not_grow_with_bookings(
    client, feed_url, service, client_user, other_client, django_assert_max_num_queries
):
    for day in range(1, 6):
        make_booking(client=client_user, service=service, starts_at=local_at(day, 10))
        make_booking(client=other_client, service=service, starts_at=local_at(day, 14))
    with django_assert_max_num_queries(3):
        response = client.get(feed_url)
    assert len(events(response.content)) == 10
