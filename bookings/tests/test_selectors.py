"""Reads: free slots (<= 3 queries), slots by day, schedule, permission-checked fetches."""

import contextlib
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bookings import selectors, services
from bookings.models import Booking
from conftest import PARIS, local_at, make_booking, make_pro, make_service, make_user

pytestmark = pytest.mark.django_db


def today(tz=PARIS) -> date:
    return timezone.now().astimezone(tz).date()


def test_free_slots_loads_everything_in_at_most_three_queries(
    working_pro, service, client_user, django_assert_max_num_queries
):
    services.date_override_set(pro=working_pro, day=today() + timedelta(days=5), intervals=[])
    services.date_override_set(
        pro=working_pro, day=today() + timedelta(days=6), intervals=[(time(10), time(12))]
    )
    services.time_off_create(pro=working_pro, starts_at=local_at(7, 8), ends_at=local_at(7, 12))
    for day in range(1, 30):
        make_booking(client=client_user, service=service, starts_at=local_at(day, 14))
    pro = type(working_pro).objects.get(pk=working_pro.pk)  # nothing cached: rules are a query

    with django_assert_max_num_queries(3):
        slots = selectors.free_slots(pro=pro, service=service, start=today(), days=30)

    assert slots
    days = {s.astimezone(PARIS).date() for s in slots}
    assert today() + timedelta(days=5) not in days
    sixth = [s for s in slots if s.astimezone(PARIS).date() == today() + timedelta(days=6)]
    assert sixth[0].astimezone(PARIS).time() == time(10)
    assert sixth[-1].astimezone(PARIS).time() == time(11, 15)
    seventh = [s for s in slots if s.astimezone(PARIS).date() == today() + timedelta(days=7)]
    assert seventh[0].astimezone(PARIS).time() == time(12)


def test_free_slots_skip_booked_time(working_pro, service, client_user):
    make_booking(client=client_user, service=service, starts_at=local_at(3, 10))
    slots = selectors.free_slots(
        pro=working_pro, service=service, start=today() + timedelta(days=3), days=1
    )
    walls = {s.astimezone(PARIS).time() for s in slots}
    assert time(9, 15) in walls and time(10, 45) in walls
    assert not walls & {time(9, 30), time(10), time(10, 30)}


def test_free_slots_ignore_inactive_bookings(working_pro, service, client_user):
    make_booking(
        client=client_user,
        service=service,
        starts_at=local_at(3, 10),
        status=Booking.Status.CANCELLED,
    )
    slots = selectors.free_slots(
        pro=working_pro, service=service, start=today() + timedelta(days=3), days=1
    )
    assert local_at(3, 10) in slots


def test_free_slots_are_aware_and_sorted(working_pro, service):
    slots = selectors.free_slots(pro=working_pro, service=service, start=today(), days=3)
    assert all(s.tzinfo is not None for s in slots)
    assert slots == sorted(slots)


def test_free_slots_for_a_day_in_another_zone(working_pro, service):
    """A New York client's 'day' spans two Paris dates."""
    new_york = ZoneInfo("America/New_York")
    day = today(new_york) + timedelta(days=3)
    slots = selectors.free_slots(pro=working_pro, service=service, start=day, days=1, tz=new_york)
    assert {s.astimezone(new_york).date() for s in slots} == {day}
    # 08:00 in Paris: 02:00 in New York, or 03:00 in the weeks when only one of the two zones
    # is on summer time.
    assert slots[0] == datetime.combine(day, time(8), tzinfo=PARIS)


def test_paris_pro_around_spring_forward_keeps_nine_oclock(service, pro, client_user):
    services.booking_rules_update(pro=pro, horizon_days=365)
    for weekday in range(7):
        services.weekly_hours_set(pro=pro, weekday=weekday, intervals=[(time(9), time(17))])
    now = datetime(2026, 3, 20, 12, tzinfo=PARIS)
    slots = selectors.free_slots(pro=pro, service=service, start=date(2026, 3, 28), days=3, now=now)
    firsts = {}
    for s in slots:
        firsts.setdefault(s.astimezone(PARIS).date(), s)
    assert [f.astimezone(PARIS).time() for f in firsts.values()] == [time(9)] * 3
    offsets = [f.utcoffset() for f in firsts.values()]
    assert offsets == [timedelta(hours=1), timedelta(hours=2), timedelta(hours=2)]


def test_free_slots_by_day_groups_the_starts_by_local_day(working_pro, service, client_user):
    services.date_override_set(pro=working_pro, day=today() + timedelta(days=2), intervals=[])
    by_day = selectors.free_slots_by_day(
        pro=working_pro, service=service, start=today() + timedelta(days=1), days=3, tz=PARIS
    )
    assert list(by_day) == [today() + timedelta(days=i) for i in (1, 2, 3)]
    # 08:00-20:00 with a 45-minute service on a 15-minute grid: 08:00 .. 19:15 = 46 starts.
    assert [len(starts) for starts in by_day.values()] == [46, 0, 46]
    assert all(s.date() == day for day, starts in by_day.items() for s in starts)


def test_schedule_for_pro_groups_hours_and_lists_upcoming_exceptions(working_pro):
    services.weekly_hours_set(
        pro=working_pro, weekday=0, intervals=[(time(9), time(12)), (time(13), time(18))]
    )
    services.date_override_set(pro=working_pro, day=today() - timedelta(days=3), intervals=[])
    future = services.date_override_set(
        pro=working_pro, day=today() + timedelta(days=3), intervals=[]
    )
    services.time_off_create(
        pro=working_pro,
        starts_at=timezone.now() - timedelta(days=3),
        ends_at=timezone.now() - timedelta(days=2),
    )
    upcoming = services.time_off_create(
        pro=working_pro, starts_at=local_at(5, 9), ends_at=local_at(5, 12)
    )
    schedule = selectors.schedule_for_pro(pro=working_pro)
    monday = schedule["weekly"][0]
    assert monday[0] == 0 and monday[1] == "Monday"
    assert [(h.start, h.end) for h in monday[2]] == [(time(9), time(12)), (time(13), time(18))]
    assert len(schedule["weekly"]) == 7
    assert schedule["overrides"] == [future]
    assert schedule["time_off"] == [upcoming]


def test_booking_get_for_user_refuses_strangers(working_pro, service, client_user, staff_user):
    booking = make_booking(client=client_user, service=service, starts_at=local_at(3, 10))
    assert selectors.booking_get_for_user(user=client_user, pk=booking.pk) == booking
    assert selectors.booking_get_for_user(user=working_pro.user, pk=booking.pk) == booking
    assert selectors.booking_get_for_user(user=staff_user, pk=booking.pk) == booking
    with pytest.raises(Http404):
        selectors.booking_get_for_user(user=make_user(), pk=booking.pk)
    with pytest.raises(Http404):
        selectors.booking_get_for_user(user=client_user, pk=booking.pk + 1000)


def test_bookings_for_pro_within_a_window(working_pro, service, client_user, other_client):
    inside = make_booking(client=client_user, service=service, starts_at=local_at(3, 10))
    make_booking(client=other_client, service=service, starts_at=local_at(9, 10))
    found = list(
        selectors.bookings_for_pro(pro=working_pro, start=local_at(3, 0), end=local_at(4, 0))
    )
    assert found == [inside]


def test_pending_requests_lists_future_requests_soonest_first(working_pro, service, client_user):
    later = make_booking(
        client=client_user,
        service=service,
        starts_at=local_at(5, 10),
        status=Booking.Status.REQUESTED,
    )
    sooner = make_booking(
        client=client_user,
        service=service,
        starts_at=local_at(3, 10),
        status=Booking.Status.REQUESTED,
    )
    make_booking(client=client_user, service=service, starts_at=local_at(4, 10))
    assert list(selectors.pending_requests_for_pro(pro=working_pro)) == [sooner, later]


def test_bookings_for_client_are_their_own(working_pro, service, client_user, other_client):
    mine = make_booking(client=client_user, service=service, starts_at=local_at(3, 10))
    make_booking(client=other_client, service=service, starts_at=local_at(3, 12))
    assert list(selectors.bookings_for_client(user=client_user)) == [mine]


@pytest.mark.parametrize("moving", [False, True])
def test_the_slot_check_runs_the_sql_the_orm_writes_for_it(
    working_pro, service, client_user, other_client, moving
):
    """Its two queries are compiled once (timz.prepared): each call must run exactly what
    building them with its own values gives."""
    mine = make_booking(client=client_user, service=service, starts_at=local_at(2, 9))
    make_booking(client=other_client, service=service, starts_at=local_at(3, 9))
    pro = type(working_pro).objects.select_related("booking_rules").get(pk=working_pro.pk)
    for days, hour in ((3, 10), (4, 15), (3, 10)):
        starts, now = local_at(days, hour), timezone.now()
        exclude = {"exclude_booking_id": mine.pk} if moving else {}
        with CaptureQueriesContext(connection) as ran:
            selectors.slot_check(
                pro=pro,
                client=client_user,
                duration_minutes=45,
                starts_at=starts,
                now=now,
                **exclude,
            )
        span = selectors._EngineSpan.of(
            rules=[pro.booking_rules],
            window_start=starts,
            window_end=starts + timedelta(microseconds=1),
            duration_minutes=45,
            now=now,
        )
        with CaptureQueriesContext(connection) as built:
            selectors._raw_rows(selectors._working_query(pro_ids=[pro.pk], **span.working()))
            selectors._raw_rows(
                selectors._blocked_query(
                    pro_ids=[pro.pk],
                    **span.blocked(),
                    holder_id=client_user.pk,
                    client_id=client_user.pk,
                    client_starts=starts,
                    client_ends=starts + timedelta(minutes=45),
                    **exclude,
                )
            )
        assert [q["sql"] for q in ran] == [q["sql"] for q in built]


def test_the_slot_check_reads_the_clients_side_with_the_pros(
    working_pro, service, client_user, other_client, django_assert_num_queries
):
    make_booking(
        client=client_user, service=make_service(pro=make_pro()), starts_at=local_at(3, 10)
    )
    pro = type(working_pro).objects.select_related("booking_rules").get(pk=working_pro.pk)
    ask = {"pro": pro, "duration_minutes": 45, "now": timezone.now()}
    with django_assert_num_queries(2):
        busy = selectors.slot_check(client=client_user, starts_at=local_at(3, 10, 30), **ask)
    free = selectors.slot_check(client=other_client, starts_at=local_at(3, 10, 30), **ask)
    assert (busy.pro_free, busy.client_free, busy.offer_held) == (True, False, False)
    assert (free.pro_free, free.client_free, free.offer_held) == (True, True, False)


# --- the bookable service --------------------------------------------------------------------


def test_service_get_bookable_returns_the_service_with_its_pro_user_and_rules_joined(
    working_pro, service, django_assert_num_queries
):
    services.booking_rules_update(pro=working_pro, slot_step_minutes=15)  # rules row exists
    with django_assert_num_queries(1):
        found = selectors.service_get_bookable(service_id=service.pk, pro_slug=working_pro.slug)
        assert (found, found.pro, found.pro.user) == (service, working_pro, working_pro.user)
        assert found.pro.booking_rules.pro_id == working_pro.pk


def test_service_get_bookable_without_a_slug_finds_the_service_of_any_pro(service):
    assert selectors.service_get_bookable(service_id=service.pk) == service


def _not_bookable(**lookup) -> str:
    with pytest.raises(Http404) as raised:
        selectors.service_get_bookable(**lookup)
    return str(raised.value)


def test_an_unknown_service_cannot_be_booked(service):
    assert _not_bookable(service_id=service.pk + 1000) == "This service cannot be booked."


def test_an_inactive_service_cannot_be_booked(service):
    service.is_active = False
    service.save()
    assert _not_bookable(service_id=service.pk) == "This service cannot be booked."


def test_another_pros_service_cannot_be_booked_through_this_pro(service, other_pro):
    assert _not_bookable(service_id=service.pk, pro_slug=other_pro.slug) == (
        "This service cannot be booked."
    )


def test_a_hidden_pros_service_cannot_be_booked(pro, service):
    pro.is_listed = False
    pro.save()
    assert _not_bookable(service_id=service.pk) == "This service cannot be booked."


def test_a_deactivated_pros_service_cannot_be_booked(pro, service):
    pro.user.is_active = False
    pro.user.save()
    assert _not_bookable(service_id=service.pk) == "This service cannot be booked."


def test_services_bookable_are_the_active_services_of_public_pros(pro, service, other_pro):
    make_service(pro=pro, is_active=False)
    make_service(pro=make_pro(is_listed=False))
    theirs = make_service(pro=other_pro)
    assert set(selectors.services_bookable()) == {service, theirs}


# --- the selector and the booking service agree ----------------------------------------------


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    starts=st.lists(st.integers(min_value=0, max_value=12 * 4 - 1), max_size=8),
    buffer=st.sampled_from([0, 10, 15]),
    pick=st.integers(min_value=0, max_value=1000),
)
def test_every_offered_slot_can_be_booked_and_then_is_gone(
    working_pro, service, client_user, starts, buffer, pick
):
    Booking.objects.filter(pro=working_pro).delete()
    services.booking_rules_update(pro=working_pro, buffer_minutes=buffer)
    day = today() + timedelta(days=3)
    for quarter in starts:  # try to place bookings at random quarter hours; some are refused
        with contextlib.suppress(services.SlotUnavailable):
            services.booking_create(
                client=make_user(),
                service=service,
                starts_at=local_at(3, 8 + quarter // 4, (quarter % 4) * 15),
            )
    offered = selectors.free_slots(pro=working_pro, service=service, start=day, days=1)
    active = list(Booking.objects.filter(pro=working_pro).values_list("starts_at", "ends_at"))
    pad = timedelta(minutes=buffer)
    for slot in offered:  # never overlaps a booking or its buffer
        end = slot + timedelta(minutes=service.duration_minutes)
        assert all(end + pad <= s or slot >= e + pad for s, e in active)
    if offered:
        chosen = offered[pick % len(offered)]
        booked = services.booking_create(client=make_user(), service=service, starts_at=chosen)
        assert booked.starts_at == chosen
        again = selectors.free_slots(pro=working_pro, service=service, start=day, days=1)
        assert chosen not in again
