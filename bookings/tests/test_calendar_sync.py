"""A pro's own calendars block their free time: syncing from a local ICS server and a real
CalDAV server (Radicale), recurring events across the 2027 DST changes of Paris and New York,
the booking check, stale calendars turning bookings into requests, the accept re-check,
process_due, account deletion and export."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from accounts.models import User
from bookings import calendar_fetch, selectors, services
from bookings.lifecycle import SlotUnavailable
from bookings.models import Booking, BookingEvent, BusyInterval, ExternalCalendar
from bookings.services.booking import CALENDAR_BUSY_MESSAGE, UNCHECKED_CALENDAR_REASON
from conftest import make_booking, make_open_pro, make_service, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_hosts")]

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")

# Every Monday 10:00-11:00 in Paris, and every Wednesday 09:00-10:00 in New York, all of 2027.
PARIS_MONDAYS = """BEGIN:VEVENT
UID:paris-mondays@timz.test
DTSTAMP:20270101T000000Z
DTSTART;TZID=Europe/Paris:20270104T100000
DTEND;TZID=Europe/Paris:20270104T110000
RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20271231T235959Z
SUMMARY:Pilates
END:VEVENT
"""
NEW_YORK_WEDNESDAYS = """BEGIN:VEVENT
UID:ny-wednesdays@timz.test
DTSTAMP:20270101T000000Z
DTSTART;TZID=America/New_York:20270106T090000
DTEND;TZID=America/New_York:20270106T100000
RRULE:FREQ=WEEKLY;BYDAY=WE;UNTIL=20271231T235959Z
SUMMARY:Call with New York
END:VEVENT
"""
VTIMEZONES = ""  # TZIDs are IANA names: no VTIMEZONE needed by icalendar


def ics(*events: str) -> str:
    return (
        (
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Timz tests//EN\r\n"
            + VTIMEZONES
            + "".join(events)
            + "END:VCALENDAR\r\n"
        )
        .replace("\r\n", "\n")
        .replace("\n", "\r\n")
    )


def one_off(uid: str, start: datetime, minutes: int = 60) -> str:
    end = start + timedelta(minutes=minutes)
    stamp = "%Y%m%dT%H%M%SZ"
    return (
        f"BEGIN:VEVENT\nUID:{uid}\nDTSTAMP:20270101T000000Z\n"
        f"DTSTART:{start.astimezone(UTC):{stamp}}\nDTEND:{end.astimezone(UTC):{stamp}}\n"
        "END:VEVENT\n"
    )


def paris(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS)


def local_slots(pro, service, day: date) -> list[str]:
    found = selectors.free_slots(pro=pro, service=service, start=day, days=1)
    return [s.astimezone(PARIS).strftime("%H:%M") for s in found]


@pytest.fixture
def pro(travel):
    travel(datetime(2027, 3, 1, 8, tzinfo=UTC))
    return make_open_pro(
        hours=(datetime.min.time().replace(hour=9), datetime.min.time().replace(hour=17))
    )


@pytest.fixture
def service(pro):
    return make_service(pro=pro, duration_minutes=60)


# The ICS link ----------------------------------------------------------------------------------


def test_adding_an_ics_link_stores_its_busy_times_and_nothing_else(pro, ics_server):
    url = ics_server.serve("/secret/basic.ics", ics(PARIS_MONDAYS))
    calendar = services.calendar_add(pro=pro, name="Personal", url=url)
    assert calendar.status == ExternalCalendar.Status.OK
    assert calendar.last_synced_at == datetime(2027, 3, 1, 8, tzinfo=UTC)
    assert calendar.next_sync_at == calendar.last_synced_at + timedelta(minutes=15)
    first = BusyInterval.objects.filter(calendar=calendar).order_by("starts_at").first()
    # 1 March 2027 is a Monday: 10:00-11:00 in Paris (CET) is 09:00-10:00 UTC.
    assert (first.starts_at, first.ends_at) == (
        datetime(2027, 3, 1, 9, tzinfo=UTC),
        datetime(2027, 3, 1, 10, tzinfo=UTC),
    )
    # The horizon (365 days, make_open_pro) and a week: every Monday left in 2027.
    assert BusyInterval.objects.filter(calendar=calendar).count() == 44
    assert "Pilates" not in str(list(BusyInterval.objects.values()))


def test_the_secret_link_is_stored_encrypted_and_only_its_host_in_clear(pro, ics_server):
    from timz import crypto

    url = ics_server.serve("/private-4f2a/basic.ics", ics(PARIS_MONDAYS))
    calendar = services.calendar_add(pro=pro, name="Personal", url=url)
    stored = ExternalCalendar.objects.values().get(pk=calendar.pk)
    assert "private-4f2a" not in str(stored)
    assert stored["host"] == "127.0.0.1"
    assert crypto.decrypt(stored["url_encrypted"]) == url


def test_a_feed_that_has_not_changed_is_answered_304_and_keeps_its_busy_times(
    pro, ics_server, travel
):
    url = ics_server.serve("/f.ics", ics(PARIS_MONDAYS))
    calendar = services.calendar_add(pro=pro, name="Personal", url=url)
    etag = ics_server.feeds["/f.ics"].etag
    assert "If-None-Match" not in ics_server.requests[0][1]
    before = list(BusyInterval.objects.values_list("starts_at", "ends_at"))

    later = travel(datetime(2027, 3, 1, 9, tzinfo=UTC))
    calendar = services.calendar_sync(calendar=calendar)
    path, headers = ics_server.requests[-1]
    assert headers["If-None-Match"] == etag
    assert headers["If-Modified-Since"] == ics_server.feeds["/f.ics"].last_modified
    assert calendar.status == ExternalCalendar.Status.OK
    assert calendar.last_synced_at == later
    assert list(BusyInterval.objects.values_list("starts_at", "ends_at")) == before


def test_a_changed_feed_replaces_the_busy_times(pro, service, ics_server, travel):
    url = ics_server.serve("/f.ics", ics(PARIS_MONDAYS))
    calendar = services.calendar_add(pro=pro, name="Personal", url=url)
    monday = date(2027, 3, 8)
    assert "10:00" not in local_slots(pro, service, monday)

    ics_server.serve("/f.ics", ics(one_off("dentist", paris(monday, 14))))
    services.calendar_sync(calendar=calendar)
    slots = local_slots(pro, service, monday)
    assert "10:00" in slots and "14:00" not in slots
    assert BusyInterval.objects.count() == 1


def test_the_window_moves_on_even_for_a_feed_that_never_changes(pro, ics_server, travel):
    url = ics_server.serve("/f.ics", ics(PARIS_MONDAYS))
    calendar = services.calendar_add(pro=pro, name="Personal", url=url)
    travel(datetime(2027, 3, 9, 8, tzinfo=UTC))  # eight days on: the stored window is short
    calendar = services.calendar_sync(calendar=calendar)
    assert "If-None-Match" not in ics_server.requests[-1][1]
    assert calendar.synced_until == datetime(2027, 3, 9, 8, tzinfo=UTC) + timedelta(days=373)


def test_a_feed_that_cannot_be_read_is_recorded_and_keeps_the_last_busy_times(pro, ics_server):
    url = ics_server.serve("/f.ics", ics(PARIS_MONDAYS))
    calendar = services.calendar_add(pro=pro, name="Personal", url=url)
    count = BusyInterval.objects.count()
    del ics_server.feeds["/f.ics"]
    calendar = services.calendar_sync(calendar=calendar)
    assert calendar.status == ExternalCalendar.Status.ERROR
    assert calendar.last_error == "There is no calendar at this address (404)."
    assert BusyInterval.objects.count() == count
    ics_server.serve("/f.ics", "<html>Please sign in</html>")
    calendar = services.calendar_sync(calendar=calendar)
    assert calendar.last_error == "This is not an iCalendar (.ics) file."


def test_a_feed_larger_than_the_limit_is_refused(pro, ics_server, settings):
    settings.CALENDAR_MAX_BYTES = 1024 * 1024
    url = ics_server.serve("/big.ics", ics(PARIS_MONDAYS) + " " * (1024 * 1024))
    calendar = services.calendar_add(pro=pro, name="Huge", url=url)
    assert calendar.status == ExternalCalendar.Status.ERROR
    assert calendar.last_error == "The calendar is larger than 1 MB."


def test_redirects_are_followed_and_each_is_checked(pro, ics_server, settings):
    target = ics_server.serve("/real.ics", ics(PARIS_MONDAYS))
    url = ics_server.redirect("/moved.ics", target)
    assert services.calendar_add(pro=pro, name="Moved", url=url).status == "ok"

    settings.CALENDAR_ALLOW_PRIVATE_HOSTS = False  # now the redirect target is refused
    calendar = ExternalCalendar.objects.get()
    calendar = services.calendar_sync(calendar=calendar)
    assert calendar.status == ExternalCalendar.Status.ERROR
    assert "loopback" in calendar.last_error


def test_a_private_address_is_refused_when_adding(pro, settings):
    settings.CALENDAR_ALLOW_PRIVATE_HOSTS = False
    with pytest.raises(Exception, match="loopback address") as caught:
        services.calendar_add(pro=pro, name="Local", url="http://127.0.0.1:9/a.ics")
    assert caught.value.code == "url_refused"
    assert not ExternalCalendar.objects.exists()


def test_a_caldav_address_on_the_internet_must_be_https(pro):
    """An app password over plain http could be read on the way: refused before any request
    (an IP literal, so nothing is looked up or fetched)."""
    with pytest.raises(ValidationError, match="https://") as caught:
        services.calendar_add(
            pro=pro, name="Work", caldav_url="http://93.184.216.34/dav/", username="u", password="p"
        )
    assert caught.value.code == "url_refused"
    assert not ExternalCalendar.objects.exists()


@pytest.mark.parametrize(
    ("scheme", "address", "may"),
    [
        ("https", "93.184.216.34", True),
        ("http", "93.184.216.34", False),
        ("http", "2606:2800:220:1:248:1893:25c8:1946", False),
        ("http", "127.0.0.1", True),  # reachable only where private hosts are allowed (tests)
        ("http", "10.1.2.3", True),
    ],
)
def test_a_password_travels_over_https_or_to_a_private_address_only(scheme, address, may):
    assert calendar_fetch.password_may_travel(scheme, address) is may


# CalDAV (Radicale) -----------------------------------------------------------------------------


@pytest.fixture
def caldav_calendar(radicale):
    url = radicale.new_calendar()
    radicale.put(url, ics(PARIS_MONDAYS))
    radicale.put(url, ics(NEW_YORK_WEDNESDAYS))
    return url


def caldav_add(pro, url, **extra):
    from bookings.tests.conftest import RADICALE_PASSWORD, RADICALE_USER

    return services.calendar_add(
        pro=pro,
        name="Work",
        caldav_url=url,
        username=RADICALE_USER,
        password=RADICALE_PASSWORD,
        **extra,
    )


def assert_refused(pro, service, start: datetime) -> None:
    """The booking check refuses `start` (a client booking it as the booking flow would)."""
    with pytest.raises(SlotUnavailable):
        services.booking_create(
            client=make_user(), service=service, starts_at=start, enforce_rate_limit=False
        )


def assert_blocked_across_dst(pro, service):
    """The slots PARIS_MONDAYS and NEW_YORK_WEDNESDAYS cover are not offered, on both sides of
    each 2027 DST change of Paris and New York, and the booking check refuses them too; the
    hours beside them are offered."""
    # Paris Mondays 10:00: before and after Paris springs forward (28 March) and falls back
    # (31 October), the same wall-clock hour is taken.
    for monday in (date(2027, 3, 22), date(2027, 3, 29), date(2027, 10, 25), date(2027, 11, 1)):
        slots = local_slots(pro, service, monday)
        assert "10:00" not in slots and "09:15" not in slots, monday
        assert "09:00" in slots and "11:00" in slots, monday
        assert_refused(pro, service, paris(monday, 10))

    # New York Wednesdays 09:00 seen from Paris: 15:00, except in the weeks when only one of
    # the two zones is on summer time (14:00).
    expected = {
        date(2027, 3, 10): "15:00",  # both on winter time
        date(2027, 3, 17): "14:00",  # New York on DST since 14 March, Paris not yet
        date(2027, 3, 31): "15:00",  # both on summer time
        date(2027, 10, 27): "15:00",
        date(2027, 11, 3): "14:00",  # Paris back on winter time 31 October, New York not yet
        date(2027, 11, 10): "15:00",
    }
    for wednesday, taken in expected.items():
        slots = local_slots(pro, service, wednesday)
        free = "14:00" if taken == "15:00" else "15:00"
        assert taken not in slots and free in slots, wednesday
        assert_refused(pro, service, paris(wednesday, int(taken[:2])))
    assert not Booking.objects.exists()


def test_caldav_recurring_events_block_their_slots_across_both_2027_dst_changes(
    pro, service, caldav_calendar
):
    calendar = caldav_add(pro, caldav_calendar)
    assert calendar.status == ExternalCalendar.Status.OK, calendar.last_error
    assert calendar.password_encrypted and "timz-radicale-pass" not in calendar.password_encrypted
    assert_blocked_across_dst(pro, service)


def test_ics_recurring_events_block_their_slots_across_both_2027_dst_changes(
    pro, service, ics_server
):
    url = ics_server.serve("/both.ics", ics(PARIS_MONDAYS, NEW_YORK_WEDNESDAYS))
    assert services.calendar_add(pro=pro, name="Both", url=url).status == "ok"
    assert_blocked_across_dst(pro, service)


def test_an_unchanged_caldav_calendar_is_not_read_again(
    pro, service, radicale, caldav_calendar, travel, monkeypatch
):
    from bookings import calendar_fetch

    calendar = caldav_add(pro, caldav_calendar)
    assert calendar.etag.startswith("caldav:")
    before = list(BusyInterval.objects.values_list("starts_at", "ends_at"))
    methods = []
    real = calendar_fetch._dav
    monkeypatch.setattr(
        calendar_fetch,
        "_dav",
        lambda method, *a, **kw: methods.append(method) or real(method, *a, **kw),
    )
    later = travel(datetime(2027, 3, 1, 9, tzinfo=UTC))
    calendar = services.calendar_sync(calendar=calendar)
    assert methods == ["PROPFIND"]  # the version only: no REPORT
    assert calendar.status == "ok" and calendar.last_synced_at == later
    assert list(BusyInterval.objects.values_list("starts_at", "ends_at")) == before

    radicale.put(caldav_calendar, ics(one_off("dentist", paris(date(2027, 3, 3), 14))))
    calendar = services.calendar_sync(calendar=calendar)
    assert methods[1:] == ["PROPFIND", "REPORT"]
    assert "14:00" not in local_slots(pro, service, date(2027, 3, 3))


def test_caldav_account_url_finds_the_calendars_under_it(pro, service, radicale, caldav_calendar):
    calendar = caldav_add(pro, radicale.url)  # the server root: principal -> home -> calendars
    assert calendar.status == ExternalCalendar.Status.OK, calendar.last_error
    assert "10:00" not in local_slots(pro, service, date(2027, 3, 29))


def test_caldav_wrong_password_is_an_error_the_pro_can_read(pro, caldav_calendar):
    calendar = services.calendar_add(
        pro=pro, name="Work", caldav_url=caldav_calendar, username="timz", password="wrong"
    )
    assert calendar.status == ExternalCalendar.Status.ERROR
    assert calendar.last_error == "The calendar server refused the user name or password."


def test_a_password_encrypted_with_another_key_asks_to_add_the_calendar_again(
    pro, caldav_calendar, settings
):
    calendar = caldav_add(pro, caldav_calendar, sync=False)
    settings.CALENDAR_SECRET_KEY = "another key"
    calendar = services.calendar_sync(calendar=calendar)
    assert calendar.status == ExternalCalendar.Status.ERROR
    assert calendar.last_error == (
        "The stored address or password can no longer be read: remove this calendar and add it "
        "again."
    )


# The booking check -----------------------------------------------------------------------------


def test_a_booking_over_an_imported_busy_time_is_refused(pro, service, ics_server):
    services.calendar_add(pro=pro, name="P", url=ics_server.serve("/f.ics", ics(PARIS_MONDAYS)))
    client = make_user()
    with pytest.raises(SlotUnavailable, match="no longer available"):
        services.booking_create(
            client=client, service=service, starts_at=paris(date(2027, 3, 29), 10, 30)
        )
    booking = services.booking_create(
        client=client, service=service, starts_at=paris(date(2027, 3, 29), 11)
    )
    assert booking.status == Booking.Status.CONFIRMED


def test_timz_bookings_echoed_back_by_the_pros_calendar_do_not_block_themselves(
    pro, service, ics_server, travel
):
    """The pro added their Timz booking to the calendar Timz reads (the .ics of the booking
    email): that copy must not stop the pro from moving or confirming the booking itself."""
    from bookings.ics import booking_uid

    client = make_user()
    wednesday = date(2027, 3, 3)
    booking = services.booking_create(
        client=client, service=service, starts_at=paris(wednesday, 12)
    )
    echo = one_off(booking_uid(booking), paris(wednesday, 12))
    stranger = one_off("booking-1@elsewhere.example", paris(wednesday, 15))
    services.calendar_add(pro=pro, name="P", url=ics_server.serve("/p.ics", ics(echo, stranger)))
    assert [(b.starts_at, b.ends_at) for b in BusyInterval.objects.all()] == [
        (paris(wednesday, 15), paris(wednesday, 16))
    ]
    moved = services.booking_transition(
        booking=booking, action="reschedule", by=pro.user, starts_at=paris(wednesday, 12, 30)
    )
    assert moved.starts_at == paris(wednesday, 12, 30)


def test_the_many_pros_loader_gives_each_pro_their_own_busy_times(pro, ics_server):
    other = make_open_pro()
    services.calendar_add(pro=pro, name="P", url=ics_server.serve("/p.ics", ics(PARIS_MONDAYS)))
    start = paris(date(2027, 3, 29), 0)
    inputs = selectors.load_engine_inputs(
        pros=[pro, other],
        window_start=start,
        window_end=start + timedelta(days=1),
        duration_minutes=60,
    )
    assert [(b.start, b.end) for b in inputs[pro.pk].busy] == [
        (paris(date(2027, 3, 29), 10), paris(date(2027, 3, 29), 11))
    ]
    assert inputs[other.pk].busy == []


def test_slot_queries_stay_bounded_with_calendars(
    pro, service, ics_server, django_assert_max_num_queries
):
    services.calendar_add(pro=pro, name="P", url=ics_server.serve("/f.ics", ics(PARIS_MONDAYS)))
    services.calendar_add(
        pro=pro, name="Q", url=ics_server.serve("/g.ics", ics(NEW_YORK_WEDNESDAYS))
    )
    pro = type(pro).objects.select_related("booking_rules").get(pk=pro.pk)
    with django_assert_max_num_queries(2):
        selectors.free_slots(pro=pro, service=service, start=date(2027, 3, 1), days=60)


def test_a_series_months_ahead_meets_the_pros_calendar_beyond_their_horizon(ics_server, travel):
    """A standing appointment may reach a year ahead, past the pro's booking horizon (60 days
    by default): the busy times of the pro's calendars reach as far, so an occurrence in five
    months that their calendar covers is a conflict, in the preview and when booking."""
    travel(datetime(2027, 3, 1, 8, tzinfo=UTC))
    pro = make_open_pro(
        hours=(datetime.min.time().replace(hour=9), datetime.min.time().replace(hour=17))
    )
    services.booking_rules_update(pro=pro, horizon_days=60)
    service = make_service(pro=pro, duration_minutes=60)
    august = one_off("holiday-call", paris(date(2027, 8, 2), 10))  # Monday 2 August, 10:00
    services.calendar_add(pro=pro, name="P", url=ics_server.serve("/f.ics", ics(august)))
    client = make_user()
    first = paris(date(2027, 3, 8), 10)  # every 3 weeks from Monday 8 March: the 8th is 2 August
    preview = selectors.series_preview(
        client=client, service=service, first_start=first, every_weeks=3, count=8
    )
    assert [slot.local_date for slot in preview if slot.conflict] == [date(2027, 8, 2)]
    row, bookings, conflicts = services.booking_series_create(
        by=client,
        client=client,
        service=service,
        starts_at=first,
        every_weeks=3,
        count=8,
        skip_conflicts=True,
    )
    assert [o.local_date for o in conflicts] == [date(2027, 8, 2)]
    assert len(bookings) == 7


def test_a_booking_past_the_reach_of_a_calendars_busy_times_becomes_a_request(
    pro, service, ics_server
):
    calendar = services.calendar_add(
        pro=pro, name="P", url=ics_server.serve("/f.ics", ics(PARIS_MONDAYS))
    )
    # Busy times known up to 10 March only (as after a sync with a shorter window).
    ExternalCalendar.objects.filter(pk=calendar.pk).update(
        synced_until=datetime(2027, 3, 10, tzinfo=UTC)
    )
    client = make_user()
    inside = services.booking_create(
        client=client, service=service, starts_at=paris(date(2027, 3, 3), 9)
    )
    beyond = services.booking_create(
        client=client, service=service, starts_at=paris(date(2027, 3, 17), 9)
    )
    assert (inside.status, beyond.status) == (Booking.Status.CONFIRMED, Booking.Status.REQUESTED)
    assert BookingEvent.objects.get(booking=beyond).reason == UNCHECKED_CALENDAR_REASON


# Stale or failing calendars: requests, and the accept re-checks --------------------------------


def test_while_a_calendar_is_stale_bookings_become_requests(pro, service, ics_server, travel):
    services.calendar_add(pro=pro, name="P", url=ics_server.serve("/f.ics", ics(PARIS_MONDAYS)))
    client = make_user()
    fresh = services.booking_create(
        client=client, service=service, starts_at=paris(date(2027, 3, 3), 9)
    )
    assert fresh.status == Booking.Status.CONFIRMED

    travel(datetime(2027, 3, 1, 8, 31, tzinfo=UTC))  # 31 minutes without a sync: stale
    late = services.booking_create(
        client=client, service=service, starts_at=paris(date(2027, 3, 3), 12)
    )
    assert late.status == Booking.Status.REQUESTED
    assert late.expires_at == datetime(2027, 3, 2, 8, 31, tzinfo=UTC)
    event = BookingEvent.objects.get(booking=late)
    assert event.reason == UNCHECKED_CALENDAR_REASON


def test_while_a_calendar_fails_bookings_become_requests(pro, service, ics_server):
    services.calendar_add(pro=pro, name="Gone", url=ics_server.base + "/missing.ics")
    booking = services.booking_create(
        client=make_user(), service=service, starts_at=paris(date(2027, 3, 3), 9)
    )
    assert booking.status == Booking.Status.REQUESTED


def test_a_clients_reschedule_waits_for_the_pro_while_a_calendar_is_stale(
    pro, service, ics_server, travel
):
    services.calendar_add(pro=pro, name="P", url=ics_server.serve("/f.ics", ics(PARIS_MONDAYS)))
    client = make_user()
    mine, theirs = (
        services.booking_create(client=client, service=service, starts_at=paris(day, 9))
        for day in (date(2027, 3, 3), date(2027, 3, 5))
    )
    assert mine.status == theirs.status == Booking.Status.CONFIRMED
    travel(datetime(2027, 3, 1, 9, tzinfo=UTC))  # stale
    moved = services.booking_transition(
        booking=mine, action="reschedule", by=client, starts_at=paris(date(2027, 3, 4), 9)
    )
    assert moved.status == Booking.Status.REQUESTED
    assert moved.expires_at == datetime(2027, 3, 2, 9, tzinfo=UTC)
    event = BookingEvent.objects.filter(booking=mine).latest("pk")
    assert UNCHECKED_CALENDAR_REASON in event.reason
    # The pro moving a booking has checked their own calendar: it stays confirmed.
    by_pro = services.booking_transition(
        booking=theirs, action="reschedule", by=pro.user, starts_at=paris(date(2027, 3, 5), 10)
    )
    assert by_pro.status == Booking.Status.CONFIRMED


def test_a_paid_booking_waits_for_the_pro_while_a_calendar_is_stale(
    pro, service, ics_server, travel
):
    services.calendar_add(pro=pro, name="P", url=ics_server.serve("/f.ics", ics(PARIS_MONDAYS)))
    travel(datetime(2027, 3, 1, 9, tzinfo=UTC))
    booking = make_booking(
        client=make_user(),
        service=service,
        starts_at=paris(date(2027, 3, 3), 9),
        status=Booking.Status.PENDING_PAYMENT,
        expires_at=datetime(2027, 3, 1, 9, 20, tzinfo=UTC),
    )
    done = services.booking_transition(booking=booking, action="payment_received", by=None)
    assert done.status == Booking.Status.REQUESTED


def test_accepting_a_request_syncs_the_calendars_and_refuses_a_time_now_busy(
    pro, service, ics_server, travel
):
    services.calendar_add(pro=pro, name="P", url=ics_server.serve("/f.ics", ics(PARIS_MONDAYS)))
    travel(datetime(2027, 3, 1, 9, tzinfo=UTC))  # stale
    wednesday = date(2027, 3, 3)
    booking = services.booking_create(
        client=make_user(), service=service, starts_at=paris(wednesday, 12)
    )
    assert booking.status == Booking.Status.REQUESTED
    # Meanwhile the pro put a lunch in their own calendar at that very time.
    ics_server.serve("/f.ics", ics(PARIS_MONDAYS, one_off("lunch", paris(wednesday, 12, 30))))
    with pytest.raises(SlotUnavailable) as refused:
        services.booking_transition(booking=booking, action="confirm", by=pro.user)
    assert refused.value.messages == [CALENDAR_BUSY_MESSAGE]
    booking.refresh_from_db()
    assert booking.status == Booking.Status.REQUESTED
    calendar = ExternalCalendar.objects.get()
    assert calendar.last_synced_at == datetime(2027, 3, 1, 9, tzinfo=UTC)  # synced by the accept

    ics_server.serve("/f.ics", ics(PARIS_MONDAYS))  # the lunch moved away
    done = services.booking_transition(booking=booking, action="confirm", by=pro.user)
    assert done.status == Booking.Status.CONFIRMED


def test_accepting_a_series_syncs_the_calendars_once_and_names_a_date_now_busy(
    pro, service, ics_server, travel
):
    services.calendar_add(pro=pro, name="P", url=ics_server.serve("/f.ics", ics(PARIS_MONDAYS)))
    travel(datetime(2027, 3, 1, 9, tzinfo=UTC))  # stale: the series is made of requests
    client = make_user()
    _, bookings, _ = services.booking_series_create(
        by=client,
        client=client,
        service=service,
        starts_at=paris(date(2027, 3, 3), 12),
        every_weeks=1,
        count=4,
    )
    assert {b.status for b in bookings} == {Booking.Status.REQUESTED}
    # Meanwhile the pro put a lunch in their own calendar on the third Wednesday.
    lunch = one_off("lunch", paris(date(2027, 3, 17), 12, 30))
    ics_server.serve("/f.ics", ics(PARIS_MONDAYS, lunch))
    fetches = len(ics_server.requests)
    with pytest.raises(SlotUnavailable) as refused:
        services.booking_series_confirm(booking=bookings[0], by=pro.user)
    assert refused.value.messages[0].startswith("17 Mar 2027: Your own calendar shows you busy")
    assert refused.value.messages[0].endswith("Nothing was accepted.")
    assert len(ics_server.requests) == fetches + 1  # one sync for the whole series
    assert set(Booking.objects.values_list("status", flat=True)) == {Booking.Status.REQUESTED}

    ics_server.serve("/f.ics", ics(PARIS_MONDAYS))  # the lunch moved away
    accepted = services.booking_series_confirm(booking=bookings[2], by=pro.user)
    assert [b.status for b in accepted] == [Booking.Status.CONFIRMED] * 4
    assert len(ics_server.requests) == fetches + 2


def test_a_client_trying_to_confirm_does_not_make_timz_fetch_the_pros_calendars(
    pro, service, ics_server, travel
):
    services.calendar_add(pro=pro, name="P", url=ics_server.serve("/f.ics", ics(PARIS_MONDAYS)))
    travel(datetime(2027, 3, 1, 9, tzinfo=UTC))
    client = make_user()
    booking = services.booking_create(
        client=client, service=service, starts_at=paris(date(2027, 3, 3), 12)
    )
    fetches = len(ics_server.requests)
    with pytest.raises(Exception):  # noqa: B017 (the lifecycle's refusal)
        services.booking_transition(booking=booking, action="confirm", by=client)
    assert len(ics_server.requests) == fetches


# process_due -----------------------------------------------------------------------------------


def test_process_due_syncs_due_calendars_and_records_failures(pro, ics_server, travel):
    good = services.calendar_add(
        pro=pro, name="Good", url=ics_server.serve("/f.ics", ics(PARIS_MONDAYS))
    )
    bad = services.calendar_add(
        pro=pro, name="Bad", url=ics_server.serve("/b.ics", ics(PARIS_MONDAYS))
    )
    other = make_open_pro()
    later = services.calendar_add(
        pro=other, name="Later", url=ics_server.serve("/l.ics", ics(PARIS_MONDAYS))
    )
    ExternalCalendar.objects.filter(pk=later.pk).update(
        next_sync_at=datetime(2027, 3, 1, 9, tzinfo=UTC)
    )
    del ics_server.feeds["/b.ics"]
    now = travel(datetime(2027, 3, 1, 8, 20, tzinfo=UTC))
    call_command("process_due", "--quiet")
    good.refresh_from_db(), bad.refresh_from_db(), later.refresh_from_db()
    assert good.status == "ok" and good.last_synced_at == now
    assert bad.status == "error" and bad.last_attempt_at == now
    assert bad.next_sync_at == now + timedelta(minutes=15)
    assert later.last_synced_at == datetime(2027, 3, 1, 8, tzinfo=UTC)  # not due yet


def test_a_surprise_in_one_calendar_does_not_stop_the_others(pro, ics_server, monkeypatch):
    services.calendar_add(pro=pro, name="A", url=ics_server.serve("/a.ics", ics(PARIS_MONDAYS)))
    services.calendar_add(pro=pro, name="B", url=ics_server.serve("/b.ics", ics(PARIS_MONDAYS)))
    from bookings import calendar_fetch

    real = calendar_fetch.fetch_ics
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("library bug")
        return real(*args, **kwargs)

    monkeypatch.setattr(calendar_fetch, "fetch_ics", flaky)
    synced, failed = services.calendars_sync_due(now=datetime(2027, 3, 1, 9, tzinfo=UTC))
    assert (synced, failed) == (1, 1)
    assert (
        ExternalCalendar.objects.get(status="error").last_error == "The calendar could not be read."
    )


# Limits, removal, account data -----------------------------------------------------------------


def test_removing_a_calendar_frees_its_busy_times(pro, service, ics_server):
    calendar = services.calendar_add(
        pro=pro, name="P", url=ics_server.serve("/f.ics", ics(PARIS_MONDAYS))
    )
    services.calendar_remove(calendar=calendar)
    assert not BusyInterval.objects.exists()
    assert "10:00" in local_slots(pro, service, date(2027, 3, 29))


def test_a_pro_connects_at_most_ten_calendars(pro, ics_server):
    url = ics_server.serve("/f.ics", ics())
    for n in range(ExternalCalendar.MAX_PER_PRO):
        services.calendar_add(pro=pro, name=f"C{n}", url=url, sync=False)
    with pytest.raises(Exception, match="at most 10 calendars"):
        services.calendar_add(pro=pro, name="One more", url=url)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": " ", "url": "https://a.example/x.ics"}, "Give the calendar a name"),
        ({"name": "A"}, "either an ICS link or a CalDAV address"),
        (
            {"name": "A", "url": "https://a.example/x.ics", "caldav_url": "https://b.example/"},
            "either",
        ),
        ({"name": "A", "caldav_url": "https://b.example/", "username": "u"}, "app password"),
        ({"name": "A", "url": "gopher://a.example/"}, "https://"),
    ],
)
def test_bad_input_is_refused_with_a_message(pro, fields, message):
    with pytest.raises(Exception, match=message):
        services.calendar_add(pro=pro, **fields)


def test_deleting_a_pros_account_deletes_their_calendars_and_passwords(pro, caldav_calendar):
    from accounts.services import account_delete
    from conftest import PASSWORD

    caldav_add(pro, caldav_calendar)
    account_delete(user=User.objects.get(pk=pro.user_id), password=PASSWORD)
    assert not ExternalCalendar.objects.exists()
    assert not BusyInterval.objects.exists()


def test_the_export_lists_calendars_without_passwords(pro, caldav_calendar):
    from bookings.account_data import export_user_data

    caldav_add(pro, caldav_calendar)
    user = User.objects.select_related("pro_profile").get(pk=pro.user_id)
    (exported,) = export_user_data(None, user=user)["calendars"]
    assert exported["name"] == "Work" and exported["url"] == caldav_calendar
    assert exported["username"] == "timz"
    assert "password" not in str(exported) and "timz-radicale-pass" not in str(exported)


# The connection itself -------------------------------------------------------------------------


def test_a_server_that_refuses_the_connection_is_unreachable(pro, ics_server):
    port = ics_server.httpd.server_address[1]
    ics_server.close()
    calendar = services.calendar_add(pro=pro, name="Off", url=f"http://127.0.0.1:{port}/a.ics")
    assert calendar.last_error == "The calendar server cannot be reached."


def test_a_certificate_nobody_vouches_for_is_refused(pro, tmp_path):
    """TLS is verified (against the host name typed, while connecting to the checked address):
    a self-signed certificate for localhost fails."""
    import ssl
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    import time_machine
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    # OpenSSL checks validity against the real clock, not the test's 2027.
    now = datetime.fromtimestamp(time_machine.escape_hatch.time.time(), UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(ics(PARIS_MONDAYS).encode())

        def log_message(self, *args):
            pass

    httpd = HTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.handle_request, daemon=True)
    thread.start()
    try:
        url = f"https://localhost:{httpd.server_address[1]}/a.ics"
        calendar = services.calendar_add(pro=pro, name="Self-signed", url=url)
    finally:
        httpd.server_close()
    assert calendar.status == "error"
    assert calendar.last_error == "The calendar server's certificate is not valid."
