"""Find a free pro: the window rules (pure) and the search across pros (bookings.search,
bookings.selectors.availability_search) against the real database."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from accounts import geo
from bookings import search, selectors, services
from bookings.models import Booking
from conftest import make_booking, make_category, make_open_pro, make_service, make_user

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
# A Wednesday, far from any DST change.
WEDNESDAY_NOON = datetime(2027, 6, 9, 12, tzinfo=PARIS)


def window(zone=PARIS, now=WEDNESDAY_NOON, **typed) -> search.Window:
    return search.parse_window(zone=zone, now=now, **typed)


# --- windows (pure) ----------------------------------------------------------------------------


def test_no_day_means_today_all_day():
    w = window()

    assert w.days == (date(2027, 6, 9),)
    assert w.spans() == [
        (datetime(2027, 6, 8, 22, tzinfo=UTC), datetime(2027, 6, 9, 22, tzinfo=UTC))
    ]


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2027, 6, 9), (date(2027, 6, 12), date(2027, 6, 13))),  # Wednesday
        (date(2027, 6, 12), (date(2027, 6, 12), date(2027, 6, 13))),  # Saturday
        (date(2027, 6, 13), (date(2027, 6, 13),)),  # Sunday: what is left of it
    ],
)
def test_this_weekend_is_the_coming_saturday_and_sunday(today, expected):
    now = datetime.combine(today, time(9)).replace(tzinfo=PARIS)

    assert window(now=now, when="weekend").days == expected


def test_this_evening_is_17_to_22_today():
    w = window(when="today", period="evening")

    assert (w.days, w.start, w.end) == ((date(2027, 6, 9),), time(17), time(22))


def test_typed_hours_override_the_period_and_24_00_is_midnight():
    w = window(when="date", day="2027-06-12", period="morning", start="10:00", end="24:00")

    assert (w.days, w.start, w.end) == ((date(2027, 6, 12),), time(10), None)
    assert w.spans()[0][1] == datetime(2027, 6, 13, tzinfo=PARIS)


def test_a_window_in_the_spring_forward_gap_starts_at_the_transition():
    now = datetime(2027, 3, 20, 12, tzinfo=PARIS)

    w = window(now=now, day="2027-03-28", start="02:30", end="04:00")

    # 02:30 does not exist in Paris that night: the window opens when clocks jump to 03:00.
    assert w.spans() == [
        (datetime(2027, 3, 28, 1, tzinfo=UTC), datetime(2027, 3, 28, 2, tzinfo=UTC))
    ]


@pytest.mark.parametrize(
    ("typed", "field", "message"),
    [
        ({"day": "2027-06-08"}, "date", "in the past"),
        ({"day": "2029-01-01"}, "date", "within 366 days"),
        ({"day": "next friday"}, "date", "YYYY-MM-DD"),
        ({"when": "date"}, "date", "Pick a date"),
        ({"when": "someday"}, "when", "Choose the day"),
        ({"period": "night"}, "period", "Choose the time of day"),
        ({"start": "10h"}, "start", "HH:MM"),
        ({"start": "12:00", "end": "10:00"}, "end", "must end after it starts"),
        ({"start": "10:00+02:00"}, "start", "without a UTC offset"),
    ],
)
def test_bad_windows_are_refused_with_a_message_for_their_field(typed, field, message):
    with pytest.raises(search.SearchError, match=message) as caught:
        window(**typed)

    assert caught.value.field == field


def test_services_offered_are_the_named_ones_else_the_first():
    class S:
        def __init__(self, name):
            self.name = name

    cut, fade, beard = S("Men's haircut"), S("Skin fade"), S("Beard trim")

    assert search.services_offered([cut, fade, beard], ["FADE", "beard"]) == [fade, beard]
    assert search.services_offered([cut, fade, beard], ["karim"]) == [cut]
    assert search.services_offered([cut, fade, beard], []) == [cut]
    assert search.services_offered([], ["cut"]) == []


def test_a_word_names_a_service_when_it_begins_one_of_its_words():
    # The directory's rule (accounts.text_search): word prefixes, not substrings.
    assert search.search_terms_match("Men's haircut", ["HAIR"])
    assert search.search_terms_match("Men's haircut", ["men"])
    assert search.search_terms_match("Hair-colour", ["col"])
    assert not search.search_terms_match("Men's haircut", ["cut"])
    assert not search.search_terms_match("Men's haircut", ["aircut"])


# --- the search against the database -----------------------------------------------------------


def open_pro(*, zone="Europe/Paris", **extra):
    """A public pro open every day (09-17 unless told), a year ahead, 30-minute steps."""
    pro = make_open_pro(timezone=zone, **extra)
    services.booking_rules_update(pro=pro, slot_step_minutes=30)
    return pro


def found(**kwargs):
    return selectors.availability_search(**kwargs)


def starts(offer, zone=PARIS) -> list[str]:
    return [f"{s.astimezone(zone):%H:%M}" for s in offer.slots]


@pytest.mark.django_db
def test_times_respect_hours_bookings_buffer_and_time_off(travel):
    travel(WEDNESDAY_NOON)
    pro = open_pro()
    services.booking_rules_update(pro=pro, buffer_minutes=30)
    cut = make_service(pro=pro, duration_minutes=60)
    day = datetime(2027, 6, 10, tzinfo=PARIS)
    make_booking(client=make_user(), service=cut, starts_at=day.replace(hour=11))
    services.time_off_create(
        pro=pro, starts_at=day.replace(hour=14), ends_at=day.replace(hour=15), reason=""
    )

    (offer,) = found(window=window(when="tomorrow", start="09:00", end="17:00"))

    # 11:00-12:00 is booked (+30 min buffer either side), 14:00-15:00 is off, 16:00 is the
    # last start of a 60-minute service before 17:00.
    assert starts(offer) == ["09:00", "09:30", "12:30", "13:00", "15:00", "15:30", "16:00"]
    assert offer.service.pk == cut.pk


@pytest.mark.django_db
def test_times_respect_notice_and_horizon(travel):
    now = travel(WEDNESDAY_NOON)
    pro = open_pro()
    make_service(pro=pro, duration_minutes=30)
    services.booking_rules_update(pro=pro, min_notice_minutes=120, horizon_days=2)

    (today,) = found(window=window(now=now, when="today"))
    assert starts(today)[0] == "14:00"  # noon + 2 h of notice
    (friday,) = found(window=window(now=now, day="2027-06-11"))
    assert starts(friday)[-1] == "11:30"  # the horizon ends Friday at noon
    assert found(window=window(now=now, day="2027-06-12")) == []


@pytest.mark.django_db
def test_a_new_york_pro_seen_from_paris_across_the_us_dst_change(travel):
    now = travel(datetime(2027, 3, 10, 12, tzinfo=UTC))
    pro = open_pro(zone="America/New_York")
    make_service(pro=pro, duration_minutes=60)

    saturday = found(window=window(now=now, day="2027-03-13"))
    sunday = found(window=window(now=now, day="2027-03-14"))

    # 09:00 in New York is 15:00 in Paris on EST (UTC-5), 14:00 once New York is on EDT
    # (UTC-4) while Paris stays on CET until the 28th.
    assert starts(saturday[0])[0] == "15:00"
    assert starts(sunday[0])[0] == "14:00"
    assert starts(sunday[0])[-1] == "21:00"  # 16:00 EDT


@pytest.mark.django_db
def test_a_night_pro_on_the_paris_spring_forward_night(travel):
    now = travel(datetime(2027, 3, 20, 12, tzinfo=UTC))
    pro = open_pro(hours=(time(0), time(6)))
    make_service(pro=pro, duration_minutes=60)

    (offer,) = found(window=window(now=now, day="2027-03-28", start="00:00", end="06:00"))

    assert starts(offer) == [
        "00:00",
        "00:30",
        "01:00",
        "01:30",
        "03:00",
        "03:30",
        "04:00",
        "04:30",
        "05:00",
    ]
    assert [s.utcoffset() for s in offer.slots[:1] + offer.slots[-1:]] == [
        timedelta(hours=1),
        timedelta(hours=2),
    ]


@pytest.mark.django_db
def test_weekend_times_stay_inside_each_days_range(travel):
    now = travel(WEDNESDAY_NOON)
    pro = open_pro(hours=(time(8), time(20)))
    make_service(pro=pro, duration_minutes=60)

    (offer,) = found(window=window(now=now, when="weekend", start="10:00", end="11:30"))

    assert [f"{s:%a %H:%M}" for s in offer.slots] == [
        "Sat 10:00",
        "Sat 10:30",
        "Sat 11:00",
        "Sun 10:00",
        "Sun 10:30",
        "Sun 11:00",
    ]


@pytest.mark.django_db
def test_words_pick_the_services_and_category_the_pros(travel):
    now = travel(WEDNESDAY_NOON)
    barbers = make_category(name="Barbers", slug="barbers")
    karim = open_pro(name="Karim", category=barbers)
    cut = make_service(pro=karim, name="Men's haircut", duration_minutes=30)
    make_service(pro=karim, name="Beard trim", duration_minutes=30)
    fade = make_service(pro=karim, name="Skin fade", duration_minutes=30)
    yoga = open_pro(name="Yogi")
    make_service(pro=yoga, name="Yoga haircut-free class", duration_minutes=30)
    w = window(now=now, when="tomorrow")

    # Every word must begin a word of the pro; each service named by a word is a result of
    # its own.
    assert {(o.pro, o.service.pk) for o in found(window=w, q="hair fade")} == {
        (karim, cut.pk),
        (karim, fade.pk),
    }
    assert {o.pro for o in found(window=w, q="hair")} == {karim, yoga}
    assert [(o.pro, o.service.pk) for o in found(window=w, category="barbers")] == [(karim, cut.pk)]
    assert [o.service.pk for o in found(window=w, q="karim")] == [cut.pk]


@pytest.mark.django_db
def test_hidden_pros_and_pros_without_services_are_not_offered(travel):
    now = travel(WEDNESDAY_NOON)
    make_service(pro=open_pro(is_listed=False))
    open_pro()  # no services

    assert found(window=window(now=now, when="tomorrow")) == []


@pytest.mark.django_db
def test_near_keeps_pros_within_reach_and_sorts_by_distance(travel):
    now = travel(WEDNESDAY_NOON)
    paris = geo.CITIES["Paris"]

    def placed(name, lat, lng, **extra):
        pro = open_pro(name=name, latitude=Decimal(str(lat)), longitude=Decimal(str(lng)), **extra)
        make_service(pro=pro, duration_minutes=30)
        return pro

    versailles = placed("Versailles", 48.8049, 2.1204)
    centre = placed("Centre", 48.8566, 2.3522)
    placed("Lyon", 45.7640, 4.8357)
    traveller = placed("Traveller", 48.95, 2.60, travel_km=30)  # ~21 km, comes to you
    w = window(now=now, when="tomorrow")

    offers = found(window=w, near=(paris.lat, paris.lng), km=20, sort="distance")

    assert [o.pro for o in offers] == [centre, versailles, traveller]
    assert offers[1].distance_km == pytest.approx(17.9, abs=0.2)
    # Within 5 km: the pro in the centre, and the one who travels 30 km to clients.
    assert [o.pro for o in found(window=w, near=(paris.lat, paris.lng), km=5)] == [
        centre,
        traveller,
    ]


@pytest.mark.django_db
def test_sorts_by_time_price_and_rating(travel):
    now = travel(WEDNESDAY_NOON)
    early = open_pro(name="Early", hours=(time(8), time(12)))
    late = open_pro(name="Late", hours=(time(14), time(18)))
    make_service(pro=early, price_amount=9000, duration_minutes=30)
    make_service(pro=late, price_amount=2000, duration_minutes=30)
    type(late).objects.filter(pk=late.pk).update(rating_avg=Decimal("4.9"), review_count=3)
    w = window(now=now, when="tomorrow")

    assert [o.pro.pk for o in found(window=w, sort="time")] == [early.pk, late.pk]
    assert [o.pro.pk for o in found(window=w, sort="price")] == [late.pk, early.pk]
    assert [o.pro.pk for o in found(window=w, sort="rating")] == [late.pk, early.pk]


@pytest.mark.django_db
def test_the_price_sort_never_compares_two_currencies(travel):
    now = travel(WEDNESDAY_NOON)
    priced = {}
    for name, currency, amount in [
        ("Euro 40", "EUR", 4000),
        ("Dollar 25", "USD", 2500),
        ("Euro 20", "EUR", 2000),
        ("Pound 28", "GBP", 2800),
    ]:
        pro = open_pro(name=name, currency=currency)
        make_service(pro=pro, price_amount=amount, duration_minutes=30)
        priced[name] = pro.pk
    w = window(now=now, when="tomorrow")

    def names(currency):
        order = {pk: name for name, pk in priced.items()}
        return [order[o.pro.pk] for o in found(window=w, sort="price", currency=currency)]

    assert names("EUR") == ["Euro 20", "Euro 40", "Pound 28", "Dollar 25"]
    assert names("USD") == ["Dollar 25", "Euro 20", "Euro 40", "Pound 28"]


@pytest.mark.django_db
@pytest.mark.parametrize("count", [1, 12])
def test_the_search_runs_four_queries_whatever_the_number_of_pros(
    count, travel, django_assert_num_queries
):
    now = travel(WEDNESDAY_NOON)
    for n in range(count):
        pro = open_pro(latitude=Decimal("48.85"), longitude=Decimal("2.35"))
        cut = make_service(pro=pro, name="Haircut", duration_minutes=30)
        # A client each: one person cannot hold two bookings at once (PostgreSQL refuses it).
        make_booking(
            client=make_user(),
            service=cut,
            starts_at=datetime(2027, 6, 10, 10 + n % 5, tzinfo=PARIS),
        )
        services.time_off_create(
            pro=pro,
            starts_at=datetime(2027, 6, 10, 16, tzinfo=PARIS),
            ends_at=datetime(2027, 6, 10, 17, tzinfo=PARIS),
            reason="",
        )
    w = window(now=now, when="tomorrow")

    with django_assert_num_queries(4):
        offers = found(window=w, q="hair", near=(48.85, 2.35), km=5)

    assert len(offers) == count
    assert Booking.objects.count() == count
