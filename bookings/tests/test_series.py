"""Standing appointments: the plan (DST), the preview, creation all or nothing, cancel onward."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from bookings import selectors, series, services
from bookings.lifecycle import SlotUnavailable
from bookings.models import Booking, BookingSeries
from conftest import make_booking, make_open_pro, make_pro, make_service, make_user
from payments.models import ConnectedAccount

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
# Early March 2027: twelve Mondays from 1 March cross 14 March (New York) and 28 March (Paris).
EARLY_MARCH = datetime(2027, 2, 20, 9, tzinfo=UTC)


@pytest.mark.parametrize("zone", [PARIS, NEW_YORK], ids=["paris", "new-york"])
def test_plan_keeps_the_local_time_across_dst(zone):
    planned = series.plan(
        first_date=date(2027, 3, 1), local_time=time(10), tz=zone, every_weeks=1, count=12
    )
    assert [o.planned_at.astimezone(zone).time() for o in planned] == [time(10)] * 12
    offsets = {o.planned_at.astimezone(zone).utcoffset() for o in planned}
    assert len(offsets) == 2  # the UTC instant moves by an hour instead


def test_plan_lists_a_time_in_the_spring_gap_without_an_instant():
    planned = series.plan(
        first_date=date(2027, 3, 21), local_time=time(2, 30), tz=PARIS, every_weeks=1, count=3
    )
    assert [o.planned_at is None for o in planned] == [False, True, False]


@pytest.mark.parametrize(
    ("every", "count"), [(0, 5), (13, 5), (1, 1), (1, 53), ("2", 5), (True, 5)]
)
def test_plan_refuses_numbers_outside_the_ranges(every, count):
    with pytest.raises(ValueError, match="whole number"):
        series.check_shape(every_weeks=every, count=count)


@pytest.mark.parametrize("zone", ["Europe/Paris", "America/New_York"])
def test_weekly_series_of_twelve_across_dst_is_booked_at_ten_local(travel, zone):
    travel(EARLY_MARCH)
    pro = make_open_pro(timezone=zone, hours=(time(8), time(18)))
    service = make_service(pro=pro)
    client = make_user()
    tz = ZoneInfo(zone)
    row, bookings, conflicts = services.booking_series_create(
        by=client,
        client=client,
        service=service,
        starts_at=datetime(2027, 3, 1, 10, tzinfo=tz),
        every_weeks=1,
        count=12,
    )
    assert conflicts == []
    assert len(bookings) == 12
    assert {b.starts_at.astimezone(tz).time() for b in bookings} == {time(10)}
    assert {b.series_id for b in bookings} == {row.pk}
    assert (row.first_date, row.local_time, row.timezone) == (date(2027, 3, 1), time(10), zone)


@pytest.fixture
def scene(travel):
    travel(EARLY_MARCH)
    pro = make_open_pro(hours=(time(9), time(17)))
    return pro, make_service(pro=pro, duration_minutes=60), make_user()


def _first(days=0, hour=10):
    return datetime(2027, 3, 1 + days, hour, tzinfo=PARIS)


def test_preview_lists_the_conflicts_with_reasons_and_alternatives(scene):
    pro, service, client = scene
    make_booking(client=make_user(), service=service, starts_at=_first(14))
    make_booking(client=client, service=make_service(pro=make_open_pro()), starts_at=_first(28, 10))
    slots = selectors.series_preview(
        client=client, service=service, first_start=_first(), every_weeks=1, count=6
    )
    assert [bool(s.conflict) for s in slots] == [False, False, True, False, True, False]
    assert "not available" in slots[2].conflict
    assert slots[4].conflict == "You already have another booking at that time."
    assert _first(14, 11) in slots[2].alternatives
    assert _first(14, 10) not in slots[2].alternatives


def test_preview_takes_a_moved_and_a_dropped_occurrence(scene):
    pro, service, client = scene
    make_booking(client=make_user(), service=service, starts_at=_first(7))
    slots = selectors.series_preview(
        client=client,
        service=service,
        first_start=_first(),
        every_weeks=1,
        count=3,
        choices={1: _first(7, 14), 2: None},
    )
    assert slots[1].moved and slots[1].bookable and slots[1].starts_at == _first(7, 14)
    assert slots[2].dropped and not slots[2].bookable


def test_preview_reads_a_bounded_number_of_queries(scene, django_assert_max_num_queries):
    pro, service, client = scene
    with django_assert_max_num_queries(4):
        selectors.series_preview(
            client=client, service=service, first_start=_first(), every_weeks=1, count=40
        )


def test_create_books_moved_occurrences_and_skips_dropped_ones(scene):
    pro, service, client = scene
    make_booking(client=make_user(), service=service, starts_at=_first(7))
    row, bookings, _ = services.booking_series_create(
        by=client,
        client=client,
        service=service,
        starts_at=_first(),
        every_weeks=1,
        count=4,
        choices={1: _first(7, 14), 3: None},
    )
    assert [b.starts_at for b in bookings] == [_first(), _first(7, 14), _first(14)]
    assert all(b.status == Booking.Status.CONFIRMED for b in bookings)


def test_create_is_all_or_nothing(scene):
    pro, service, client = scene
    make_booking(client=make_user(), service=service, starts_at=_first(14))
    with pytest.raises(services.SeriesConflict) as caught:
        services.booking_series_create(
            by=client, client=client, service=service, starts_at=_first(), every_weeks=1, count=4
        )
    assert [o.index for o in caught.value.conflicts] == [2]
    assert "Nothing was booked" in caught.value.messages[0]
    assert not BookingSeries.objects.exists()
    assert not Booking.objects.filter(client=client).exists()


def test_create_can_skip_the_conflicts(scene):
    pro, service, client = scene
    make_booking(client=make_user(), service=service, starts_at=_first(14))
    _, bookings, conflicts = services.booking_series_create(
        by=client,
        client=client,
        service=service,
        starts_at=_first(),
        every_weeks=1,
        count=4,
        skip_conflicts=True,
    )
    assert len(bookings) == 3
    assert [o.planned_at for o in conflicts] == [_first(14)]


def test_a_series_reaches_beyond_the_horizon_but_not_beyond_a_year(scene):
    pro, service, client = scene
    services.booking_rules_update(pro=pro, horizon_days=30)
    _, bookings, _ = services.booking_series_create(
        by=client, client=client, service=service, starts_at=_first(), every_weeks=4, count=12
    )
    assert bookings[-1].starts_at.astimezone(PARIS) == datetime(2028, 1, 3, 10, tzinfo=PARIS)
    with pytest.raises(ValidationError, match="12 months"):
        services.booking_series_create(
            by=client, client=client, service=service, starts_at=_first(), every_weeks=4, count=20
        )


def test_every_occurrence_still_obeys_the_notice_and_the_hours(scene):
    pro, service, client = scene
    with pytest.raises(SlotUnavailable):
        services.booking_series_create(
            by=client,
            client=client,
            service=service,
            starts_at=_first(hour=18),
            every_weeks=1,
            count=2,
        )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"every_weeks": 0}, "repeat interval"),
        ({"count": 0}, "number of appointments"),
        ({"starts_at": datetime(2027, 2, 1, 10, tzinfo=PARIS)}, "has passed"),
    ],
)
def test_create_refuses_bad_input(scene, kwargs, message):
    pro, service, client = scene
    args = {"starts_at": _first(), "every_weeks": 1, "count": 3, **kwargs}
    with pytest.raises(ValidationError, match=message):
        services.booking_series_create(by=client, client=client, service=service, **args)


def test_a_series_is_refused_for_a_service_paid_online(scene, offline_payments):
    pro, service, client = scene
    ConnectedAccount.objects.create(pro=pro, charges_enabled=True, is_simulated=True)
    service.payment_mode = service.PaymentMode.ONLINE
    service.save()
    with pytest.raises(ValidationError, match="paid at the appointment"):
        services.booking_series_create(
            by=client, client=client, service=service, starts_at=_first(), every_weeks=1, count=3
        )


def test_self_booking_and_strangers_are_refused(scene):
    pro, service, client = scene
    with pytest.raises(ValidationError, match="your own service"):
        services.booking_series_create(
            by=pro.user,
            client=pro.user,
            service=service,
            starts_at=_first(),
            every_weeks=1,
            count=3,
        )
    stranger = make_pro()
    with pytest.raises(ValidationError, match="Only the client or the pro"):
        services.booking_series_create(
            by=stranger.user,
            client=client,
            service=service,
            starts_at=_first(),
            every_weeks=1,
            count=3,
        )


def test_a_pro_books_a_series_for_a_client_confirmed_even_in_request_mode(scene):
    pro, service, client = scene
    services.booking_rules_update(pro=pro, confirmation_mode="request")
    _, bookings, _ = services.booking_series_create(
        by=pro.user, client=client, service=service, starts_at=_first(), every_weeks=2, count=3
    )
    assert {b.status for b in bookings} == {Booking.Status.CONFIRMED}
    assert bookings[0].events.get().actor_role == "pro"


def test_request_mode_series_is_accepted_at_once(scene):
    pro, service, client = scene
    services.booking_rules_update(pro=pro, confirmation_mode="request")
    _, bookings, _ = services.booking_series_create(
        by=client, client=client, service=service, starts_at=_first(), every_weeks=2, count=3
    )
    assert {b.status for b in bookings} == {Booking.Status.REQUESTED}
    services.booking_series_confirm(booking=bookings[1], by=pro.user)
    assert set(Booking.objects.values_list("status", flat=True)) == {Booking.Status.CONFIRMED}


def _series(client, service, count=5):
    _, bookings, _ = services.booking_series_create(
        by=client, client=client, service=service, starts_at=_first(), every_weeks=1, count=count
    )
    return bookings


def test_cancel_from_an_occurrence_onward_leaves_the_earlier_ones(scene):
    pro, service, client = scene
    bookings = _series(client, service)
    cancelled = services.booking_series_cancel(booking=bookings[2], by=client, reason="Moving")
    assert [b.pk for b in cancelled] == [b.pk for b in bookings[2:]]
    statuses = [b.status for b in Booking.objects.order_by("starts_at")]
    assert statuses == ["confirmed", "confirmed", "cancelled", "cancelled", "cancelled"]
    assert Booking.objects.get(pk=bookings[3].pk).events.last().reason == "Moving"


def test_cancel_onward_marks_only_the_ones_inside_the_window_late(scene, travel):
    pro, service, client = scene
    services.booking_rules_update(pro=pro, cancellation_window_hours=48)
    bookings = _series(client, service, count=3)
    travel(bookings[0].starts_at - timedelta(hours=5))
    services.booking_series_cancel(booking=bookings[0], by=client)
    late = list(
        Booking.objects.order_by("starts_at").values_list("is_late_cancellation", flat=True)
    )
    assert late == [True, False, False]


def test_cancel_onward_is_the_participants_only(scene):
    pro, service, client = scene
    bookings = _series(client, service, count=2)
    with pytest.raises(ValidationError):
        services.booking_series_cancel(booking=bookings[0], by=make_user())
    assert not Booking.objects.filter(status="cancelled").exists()
    services.booking_series_cancel(booking=bookings[0], by=pro.user, reason="Closing")
    assert Booking.objects.filter(status="cancelled").count() == 2


def test_series_position_says_where_a_booking_stands(scene):
    pro, service, client = scene
    bookings = _series(client, service, count=4)
    where = selectors.series_position(bookings[2])
    assert (where["number"], where["count"]) == (3, 4)
    assert where["previous"].pk == bookings[1].pk and where["next"].pk == bookings[3].pk
    assert (
        selectors.series_position(make_booking(client=client, service=service, starts_at=_first(1)))
        is None
    )


def test_another_clients_series_is_not_found(scene):
    pro, service, client = scene
    bookings = _series(client, service, count=2)
    row = bookings[0].series
    assert selectors.series_get_for_user(user=pro.user, pk=row.pk) == row
    with pytest.raises(Exception, match="No such series"):
        selectors.series_get_for_user(user=make_pro().user, pk=row.pk)


def test_the_export_lists_the_series_on_both_sides(scene):
    from accounts.data_export import account_export

    pro, service, client = scene
    bookings = _series(client, service, count=2)
    (mine,) = account_export(user=client)["booking_series"]
    assert (mine["side"], mine["every_weeks"], mine["local_time"]) == ("client", 1, "10:00")
    assert mine["booking_ids"] == [b.pk for b in bookings]
    (theirs,) = account_export(user=pro.user)["booking_series"]
    assert theirs["side"] == "pro" and theirs["client"]["display_name"]
    assert account_export(user=client)["bookings_as_client"][0]["series_id"] == mine["id"]
