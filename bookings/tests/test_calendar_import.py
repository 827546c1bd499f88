"""The pure half of calendar sync: iCalendar to busy times, CalDAV answers, the address rule.
No database, no network."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bookings import calendar_fetch, calendar_import
from bookings.calendar_import import Busy, CalendarError, busy_times

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")


def cal(*events: str, extra: str = "") -> str:
    body = "".join(
        f"BEGIN:VEVENT\r\nDTSTAMP:20270101T000000Z\r\n{e.strip()}\r\nEND:VEVENT\r\n" for e in events
    )
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Timz tests//EN\r\n"
        f"{extra}{body}END:VCALENDAR\r\n"
    ).replace("\n    ", "\n")


def busy(ics: str, *, start=datetime(2027, 1, 1, tzinfo=UTC), end=None, zone=PARIS):
    end = end or datetime(2027, 12, 31, tzinfo=UTC)
    return busy_times([ics], window_start=start, window_end=end, zone=zone)


def local(items: list[Busy], zone=PARIS) -> list[tuple[str, str]]:
    fmt = "%Y-%m-%d %H:%M"
    return [
        (b.starts_at.astimezone(zone).strftime(fmt), b.ends_at.astimezone(zone).strftime(fmt))
        for b in items
    ]


WEEKLY_PARIS = """UID:weekly-paris
DTSTART;TZID=Europe/Paris:20270322T100000
DTEND;TZID=Europe/Paris:20270322T110000
RRULE:FREQ=WEEKLY;COUNT=3
SUMMARY:Private"""


def test_weekly_event_keeps_its_paris_wall_clock_across_the_spring_change():
    assert local(busy(cal(WEEKLY_PARIS))) == [
        ("2027-03-22 10:00", "2027-03-22 11:00"),
        ("2027-03-29 10:00", "2027-03-29 11:00"),
        ("2027-04-05 10:00", "2027-04-05 11:00"),
    ]
    # In UTC the hour moved: that is what a server expanding in UTC gets wrong.
    found = busy(cal(WEEKLY_PARIS))
    assert [b.starts_at.hour for b in found] == [9, 8, 8]
    assert all(b.starts_at.tzinfo == UTC for b in found)


def test_weekly_new_york_event_is_placed_in_new_york_time_for_a_paris_pro():
    ics = cal(
        """UID:weekly-ny
DTSTART;TZID=America/New_York:20271027T090000
DTEND;TZID=America/New_York:20271027T100000
RRULE:FREQ=WEEKLY;COUNT=3"""
    )
    # New York leaves DST on 7 November, Paris on 31 October: the week between differs.
    assert local(busy(ics)) == [
        ("2027-10-27 15:00", "2027-10-27 16:00"),
        ("2027-11-03 14:00", "2027-11-03 15:00"),
        ("2027-11-10 15:00", "2027-11-10 16:00"),
    ]
    assert local(busy(ics), NEW_YORK)[1] == ("2027-11-03 09:00", "2027-11-03 10:00")


def test_exdate_removes_one_occurrence():
    ics = cal(WEEKLY_PARIS + "\nEXDATE;TZID=Europe/Paris:20270329T100000")
    assert [s for s, _ in local(busy(ics))] == ["2027-03-22 10:00", "2027-04-05 10:00"]


def test_recurrence_id_moves_one_occurrence():
    moved = """UID:weekly-paris
RECURRENCE-ID;TZID=Europe/Paris:20270329T100000
DTSTART;TZID=Europe/Paris:20270329T150000
DTEND;TZID=Europe/Paris:20270329T163000"""
    assert local(busy(cal(WEEKLY_PARIS, moved))) == [
        ("2027-03-22 10:00", "2027-03-22 11:00"),
        ("2027-03-29 15:00", "2027-03-29 16:30"),
        ("2027-04-05 10:00", "2027-04-05 11:00"),
    ]


def test_one_cancelled_occurrence_blocks_nothing():
    cancelled = """UID:weekly-paris
RECURRENCE-ID;TZID=Europe/Paris:20270329T100000
DTSTART;TZID=Europe/Paris:20270329T100000
DTEND;TZID=Europe/Paris:20270329T110000
STATUS:CANCELLED"""
    assert [s for s, _ in local(busy(cal(WEEKLY_PARIS, cancelled)))] == [
        "2027-03-22 10:00",
        "2027-04-05 10:00",
    ]


def test_cancelled_and_free_events_block_nothing():
    ics = cal(
        """UID:c
DTSTART:20270310T100000Z
DTEND:20270310T110000Z
STATUS:CANCELLED""",
        """UID:t
DTSTART:20270311T100000Z
DTEND:20270311T110000Z
TRANSP:TRANSPARENT""",
        """UID:o
DTSTART:20270312T100000Z
DTEND:20270312T110000Z
TRANSP:OPAQUE""",
    )
    assert local(busy(ics), UTC) == [("2027-03-12 10:00", "2027-03-12 11:00")]


def test_all_day_events_cover_the_pros_local_days():
    ics = cal(
        """UID:a
DTSTART;VALUE=DATE:20270330
DTEND;VALUE=DATE:20270401""",
        """UID:b
DTSTART;VALUE=DATE:20270405""",
    )
    assert local(busy(ics)) == [
        ("2027-03-30 00:00", "2027-04-01 00:00"),
        ("2027-04-05 00:00", "2027-04-06 00:00"),
    ]
    assert local(busy(ics, zone=NEW_YORK), NEW_YORK)[0] == ("2027-03-30 00:00", "2027-04-01 00:00")


def test_floating_times_are_read_in_the_pros_zone():
    ics = cal("UID:f\nDTSTART:20270315T090000\nDTEND:20270315T093000")
    assert local(busy(ics, zone=NEW_YORK), NEW_YORK) == [("2027-03-15 09:00", "2027-03-15 09:30")]
    assert local(busy(ics)) == [("2027-03-15 09:00", "2027-03-15 09:30")]


def test_duration_and_missing_end():
    ics = cal(
        "UID:d\nDTSTART:20270315T090000Z\nDURATION:PT45M",
        "UID:z\nDTSTART:20270316T090000Z",  # a moment, not a span: blocks nothing
    )
    assert local(busy(ics), UTC) == [("2027-03-15 09:00", "2027-03-15 09:45")]


def test_overlapping_events_are_merged_and_clipped_to_the_window():
    ics = cal(
        "UID:1\nDTSTART:20270315T090000Z\nDTEND:20270315T100000Z",
        "UID:2\nDTSTART:20270315T093000Z\nDTEND:20270315T110000Z",
        "UID:3\nDTSTART:20270315T110000Z\nDTEND:20270315T113000Z",
        "UID:4\nDTSTART:20270320T220000Z\nDTEND:20270321T020000Z",
    )
    found = busy(ics, end=datetime(2027, 3, 21, tzinfo=UTC))
    assert local(found, UTC) == [
        ("2027-03-15 09:00", "2027-03-15 11:30"),
        ("2027-03-20 22:00", "2027-03-21 00:00"),
    ]


def test_events_outside_the_window_are_left_out():
    ics = cal(WEEKLY_PARIS)
    found = busy(ics, start=datetime(2027, 3, 25, tzinfo=UTC), end=datetime(2027, 4, 1, tzinfo=UTC))
    assert local(found) == [("2027-03-29 10:00", "2027-03-29 11:00")]


def test_no_title_or_place_is_kept():
    (item,) = busy(
        cal(
            "UID:s\nSUMMARY:Doctor\nLOCATION:Clinic\nDTSTART:20270315T090000Z"
            "\nDTEND:20270315T100000Z"
        )
    )
    assert set(Busy.__slots__) == {"starts_at", "ends_at"}
    assert item == Busy(datetime(2027, 3, 15, 9, tzinfo=UTC), datetime(2027, 3, 15, 10, tzinfo=UTC))


def test_google_x_wr_timezone_feeds_are_read_in_their_zone():
    ics = cal(
        "UID:g\nDTSTART:20270315T080000Z\nDTEND:20270315T090000Z\nRRULE:FREQ=DAILY;COUNT=2",
        extra="X-WR-TIMEZONE:America/New_York\r\n",
    )
    assert local(busy(ics), UTC) == [
        ("2027-03-15 08:00", "2027-03-15 09:00"),
        ("2027-03-16 08:00", "2027-03-16 09:00"),
    ]


def test_a_long_event_read_in_several_spans_is_one_busy_time():
    """busy_times asks the library a few days at a time: a ten-day holiday crosses several of
    those spans and still comes out whole, once."""
    ics = cal("UID:h\nDTSTART;VALUE=DATE:20270320\nDTEND;VALUE=DATE:20270330")
    assert local(busy(ics, start=datetime(2027, 3, 15, tzinfo=UTC))) == [
        ("2027-03-20 00:00", "2027-03-30 00:00")
    ]


def test_a_calendar_that_expands_to_too_many_events_is_refused(monkeypatch):
    monkeypatch.setattr(calendar_import, "MAX_INTERVALS", 50)
    ics = cal("UID:m\nDTSTART:20270315T090000Z\nDTEND:20270315T090100Z\nRRULE:FREQ=MINUTELY")
    with pytest.raises(CalendarError, match="more than 50 events"):
        busy(ics, start=datetime(2027, 3, 15, tzinfo=UTC), end=datetime(2028, 3, 15, tzinfo=UTC))


def test_text_that_is_not_icalendar_is_refused():
    with pytest.raises(CalendarError, match="not an iCalendar"):
        busy("<html>Sign in</html>")


# CalDAV answers ------------------------------------------------------------------------------

MULTISTATUS = b"""<?xml version="1.0"?>
<d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"
 xmlns:cs="http://calendarserver.org/ns/">
 <d:response><d:href>/u/</d:href>
  <d:propstat><d:prop><d:resourcetype><d:collection/></d:resourcetype>
   <d:current-user-principal><d:href>/principals/u/</d:href></d:current-user-principal>
  </d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>
  <d:propstat><d:prop><c:calendar-home-set/></d:prop>
   <d:status>HTTP/1.1 404 Not Found</d:status></d:propstat>
 </d:response>
 <d:response><d:href>/u/work/</d:href>
  <d:propstat><d:prop><d:resourcetype><d:collection/><c:calendar/></d:resourcetype>
  <cs:getctag>ctag-7</cs:getctag>
  <c:calendar-data>BEGIN:VCALENDAR&#13;
END:VCALENDAR</c:calendar-data>
  </d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>
 </d:response>
 <d:response><d:href>/u/contacts/</d:href>
  <d:propstat><d:prop><d:resourcetype><d:collection/></d:resourcetype></d:prop>
  <d:status>HTTP/1.1 200 OK</d:status></d:propstat>
 </d:response>
</d:multistatus>"""


def test_caldav_discovery_and_listing_are_read():
    found = calendar_import.read_discovery(MULTISTATUS, base="https://dav.example/u/")
    assert found == calendar_import.Discovery(False, None, "https://dav.example/principals/u/")
    assert calendar_import.read_calendar_urls(MULTISTATUS, base="https://dav.example/u/") == [
        ("https://dav.example/u/work/", "ctag-7")
    ]
    assert calendar_import.read_calendar_data(MULTISTATUS) == ["BEGIN:VCALENDAR\r\nEND:VCALENDAR"]


def test_a_set_of_calendars_has_one_version_that_any_change_moves():
    version = calendar_import.collection_version
    one = version([("https://d/a/", "t1"), ("https://d/b/", "x")])
    assert one == version([("https://d/b/", "x"), ("https://d/a/", "t1")])  # any order
    assert one != version([("https://d/a/", "t2"), ("https://d/b/", "x")])
    assert one != version([("https://d/a/", "t1")])  # a calendar went away
    assert version([("https://d/a/", "t1"), ("https://d/b/", "")]) == ""  # no version: read all
    assert version([]) == ""


def test_the_caldav_query_asks_for_whole_series_without_server_expansion():
    body = calendar_import.calendar_query(
        window_start=datetime(2027, 3, 1, tzinfo=PARIS), window_end=datetime(2027, 5, 1, tzinfo=UTC)
    ).decode()
    assert 'start="20270228T230000Z" end="20270501T000000Z"' in body
    assert "expand" not in body


@pytest.mark.parametrize("body", [b"not xml", b"<html><body>Login</body></html>"])
def test_an_answer_that_is_not_caldav_is_refused(body):
    with pytest.raises(CalendarError):
        calendar_import.read_calendar_data(body)


# The address rule (server-side request forgery) ---------------------------------------------


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.8", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("100.64.0.1", "private"),  # carrier-grade NAT
        ("fd00::1", "private"),
        ("169.254.169.254", "link-local"),  # cloud metadata
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
        ("::ffff:10.0.0.1", "private"),
        ("64:ff9b::a9fe:a9fe", "link-local"),  # NAT64 of 169.254.169.254
        ("2002:7f00:1::1", "loopback"),  # 6to4 of 127.0.0.1
    ],
)
def test_non_public_addresses_are_refused(address, why):
    assert why in calendar_import.address_refusal(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"])
def test_public_addresses_are_allowed(address):
    assert calendar_import.address_refusal(address) is None


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://calendar.example/a.ics", "https://"),
        ("file:///etc/passwd", "https://"),
        ("javascript:alert(1)", "https://"),
        ("https:///a.ics", "no host"),
        ("https://user:pw@calendar.example/a.ics", "own boxes"),
        ("https://calendar.example:99999/a.ics", "invalid port"),
        ("http://127.0.0.1:8000/admin/", "loopback"),
        ("http://localhost/a.ics", "loopback"),
        ("http://[::1]/a.ics", "loopback"),
        ("http://[::ffff:169.254.169.254]/latest/meta-data", "link-local"),
        ("http://10.1.2.3/a.ics", "private"),
        ("webcal://0.0.0.0/a.ics", "unspecified"),
    ],
)
def test_urls_timz_will_not_fetch_are_refused_before_any_request(settings, url, message):
    settings.CALENDAR_ALLOW_PRIVATE_HOSTS = False
    with pytest.raises(calendar_fetch.URLRefused, match=message):
        calendar_fetch.check_url(url)


def test_webcal_means_https():
    assert calendar_fetch.normalise_url(" webcal://p01-caldav.example/x.ics ") == (
        "https://p01-caldav.example/x.ics"
    )


def test_a_redirect_to_a_private_address_is_refused(settings, monkeypatch):
    """The first URL is public; the server answers with a redirect to the metadata address:
    the redirect is checked like the first URL and no connection is made to it."""
    settings.CALENDAR_ALLOW_PRIVATE_HOSTS = False
    connected = []

    class Redirect:
        status = 302
        headers = {"Location": "http://169.254.169.254/latest/meta-data/"}

        def release_conn(self):
            pass

    class Pool:
        def __init__(self, host, *args, **kwargs):
            connected.append(host)

        def urlopen(self, *args, **kwargs):
            return Redirect()

        def close(self):
            pass

    monkeypatch.setattr(
        calendar_fetch.socket, "getaddrinfo", _resolver({"cal.example": "93.184.215.14"})
    )
    monkeypatch.setattr(calendar_fetch.urllib3, "HTTPConnectionPool", Pool)
    with pytest.raises(calendar_fetch.URLRefused, match="link-local"):
        calendar_fetch.fetch_ics("http://cal.example/a.ics")
    assert connected == ["93.184.215.14"]  # the checked address, and nothing after


@pytest.mark.parametrize(
    ("location", "sent"),
    [
        ("https://dav.example/calendars/me/", True),  # the same host, still TLS
        ("http://dav.example/calendars/me/", False),  # down to plain http
        ("https://other.example/calendars/me/", False),  # another host
    ],
)
def test_credentials_follow_a_redirect_only_on_the_same_host_over_tls(
    settings, monkeypatch, location, sent
):
    settings.CALENDAR_ALLOW_PRIVATE_HOSTS = False
    requests = []

    class Answer:
        def __init__(self, status, headers):
            self.status, self.headers = status, headers

        def stream(self, *args, **kwargs):
            yield b"<d:multistatus xmlns:d='DAV:'/>"

        def release_conn(self):
            pass

    class Pool:
        def __init__(self, host, *args, **kwargs):
            pass

        def urlopen(self, method, target, headers, **kwargs):
            requests.append("Authorization" in headers)
            if len(requests) == 1:
                return Answer(301, {"Location": location})
            return Answer(207, {})

        def close(self):
            pass

    monkeypatch.setattr(
        calendar_fetch.socket,
        "getaddrinfo",
        _resolver({"dav.example": "93.184.215.14", "other.example": "93.184.215.15"}),
    )
    monkeypatch.setattr(calendar_fetch.urllib3, "HTTPSConnectionPool", Pool)
    monkeypatch.setattr(calendar_fetch.urllib3, "HTTPConnectionPool", Pool)
    calendar_fetch.request("PROPFIND", "https://dav.example/", auth=("me", "app-password"))
    assert requests == [True, sent]


def test_a_host_with_one_private_address_among_public_ones_is_refused(settings, monkeypatch):
    settings.CALENDAR_ALLOW_PRIVATE_HOSTS = False

    def getaddrinfo(host, port, **kwargs):
        return [
            (2, 1, 6, "", ("93.184.215.14", port)),
            (2, 1, 6, "", ("10.0.0.5", port)),
        ]

    monkeypatch.setattr(calendar_fetch.socket, "getaddrinfo", getaddrinfo)
    with pytest.raises(calendar_fetch.URLRefused, match="private"):
        calendar_fetch.check_url("https://rebind.example/a.ics")


def test_the_connection_goes_to_the_checked_address_with_the_name_for_tls(settings, monkeypatch):
    """Resolving again at connection time would let a DNS answer change in between: the pool
    is opened on the checked IP, the host name only in the Host header, SNI and certificate."""
    settings.CALENDAR_ALLOW_PRIVATE_HOSTS = False
    seen = {}

    class Answer:
        status = 200
        headers = {"ETag": '"1"'}

        def stream(self, *args, **kwargs):
            yield b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"

        def release_conn(self):
            pass

    class Pool:
        def __init__(self, host, port, **kwargs):
            seen.update(host=host, port=port, **kwargs)

        def urlopen(self, method, target, headers, **kwargs):
            seen.update(target=target, headers=headers)
            return Answer()

        def close(self):
            pass

    monkeypatch.setattr(
        calendar_fetch.socket, "getaddrinfo", _resolver({"cal.example": "93.184.215.14"})
    )
    monkeypatch.setattr(calendar_fetch.urllib3, "HTTPSConnectionPool", Pool)
    fetched = calendar_fetch.fetch_ics("webcal://cal.example/feeds/secret.ics?x=1")
    assert fetched.etag == '"1"'
    assert seen["host"] == "93.184.215.14" and seen["port"] == 443
    assert seen["server_hostname"] == seen["assert_hostname"] == "cal.example"
    assert seen["target"] == "/feeds/secret.ics?x=1"
    assert seen["headers"]["Host"] == "cal.example"


def _resolver(table: dict[str, str]):
    def getaddrinfo(host, port, **kwargs):
        return [(2, 1, 6, "", (table.get(host, host), port))]  # IP literals as they are

    return getaddrinfo
