"""iCalendar output, parsed back with the icalendar package."""

from datetime import timedelta

import pytest
from django.utils import timezone
from icalendar import Calendar

from bookings import services
from bookings.ics import booking_ics, calendar_feed_for_pro
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
