"""Writes: catalog, availability, booking creation."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bookings import selectors, services
from bookings.lifecycle import SlotUnavailable
from bookings.models import Booking, DateOverride, Service, TimeOff, WeeklyHours
from conftest import local_at, make_booking, make_pro, make_service

pytestmark = pytest.mark.django_db

S = Booking.Status

# --- catalog ----------------------------------------------------------------------------------


def test_service_create_appends_at_the_end(pro):
    first = services.service_create(
        pro=pro, name=" Beard trim ", duration_minutes=30, price_amount=2000, currency="eur"
    )
    second = services.service_create(
        pro=pro, name="Shave", duration_minutes=20, price_amount=1500, currency="EUR"
    )
    assert (first.name, first.currency, first.position) == ("Beard trim", "EUR", 0)
    assert second.position == 1
    assert list(selectors.services_for_pro(pro=pro)) == [first, second]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": ""}, "name"),
        ({"duration_minutes": 2}, "duration_minutes"),
        ({"duration_minutes": 600}, "duration_minutes"),
        ({"currency": "EURO"}, "currency"),
        ({"price_amount": -5}, "price_amount"),
    ],
)
def test_service_create_validates(pro, fields, message):
    values = {"name": "Cut", "duration_minutes": 30, "price_amount": 1000, "currency": "EUR"}
    values.update(fields)
    with pytest.raises(ValidationError) as caught:
        services.service_create(pro=pro, **values)
    assert message in caught.value.message_dict


def test_service_update_changes_fields_and_refuses_unknown_ones(service):
    updated = services.service_update(service=service, price_amount=4000, is_active=False)
    assert (updated.price_amount, updated.is_active) == (4000, False)
    with pytest.raises(ValidationError, match="Unknown"):
        services.service_update(service=service, pro=None)


def test_service_update_does_not_change_existing_bookings(working_pro, service, client_user):
    booking = services.booking_create(
        client=client_user, service=service, starts_at=local_at(4, 10)
    )
    services.service_update(service=service, name="Fancy cut", price_amount=9900)
    booking.refresh_from_db()
    assert (booking.service_name, booking.price_amount) == ("Haircut", 3500)


def _names_in_order(pro) -> list[str]:
    return list(Service.objects.filter(pro=pro).order_by("position").values_list("name", flat=True))


def test_service_move_leaves_unique_positions_in_the_new_order(pro):
    # Equal positions (rows written without one): the list falls back to id order.
    a, b, c = (make_service(pro=pro, name=name, position=0) for name in "ABC")
    services.service_move(service=c, direction="up")
    assert _names_in_order(pro) == ["A", "C", "B"]
    positions = list(Service.objects.filter(pro=pro).values_list("position", flat=True))
    assert sorted(positions) == [0, 1, 2]


def test_service_move_reads_and_writes_in_one_transaction(pro):
    a, b, c = (make_service(pro=pro, name=name, position=i) for i, name in enumerate("ABC"))
    with CaptureQueriesContext(connection) as queries:
        services.service_move(service=a, direction="down")
    sql = [query["sql"] for query in queries.captured_queries]
    # Inside the test's own transaction, atomic() is a savepoint around the work.
    assert sql[0].startswith("SAVEPOINT") and sql[-1].startswith("RELEASE SAVEPOINT")
    assert [q.split()[0] for q in sql[1:-1]] == ["SELECT", "UPDATE"]
    assert _names_in_order(pro) == ["B", "A", "C"]


def test_service_move_at_the_end_of_the_list_changes_nothing(pro):
    a, b = (make_service(pro=pro, name=name, position=i) for i, name in enumerate("AB"))
    services.service_move(service=b, direction="down")
    assert _names_in_order(pro) == ["A", "B"]


def test_service_move_refuses_other_directions(service):
    with pytest.raises(ValidationError, match="up or down"):
        services.service_move(service=service, direction="sideways")


def test_service_delete_removes_an_unused_service(service):
    services.service_delete(service=service)
    assert not Service.objects.filter(pk=service.pk).exists()


def test_service_delete_deactivates_a_booked_service(working_pro, service, client_user):
    make_booking(client=client_user, service=service, starts_at=local_at(4, 10))
    services.service_delete(service=service)
    service.refresh_from_db()
    assert service.is_active is False
    assert list(selectors.services_for_pro(pro=working_pro)) == []
    assert list(selectors.services_for_pro(pro=working_pro, include_inactive=True)) == [service]


# --- availability -----------------------------------------------------------------------------


def test_weekly_hours_set_replaces_the_day(pro):
    services.weekly_hours_set(pro=pro, weekday=1, intervals=[(time(9), time(17))])
    rows = services.weekly_hours_set(
        pro=pro, weekday=1, intervals=[(time(14), time(18)), (time(9), time(12))]
    )
    assert [(r.start, r.end) for r in rows] == [(time(9), time(12)), (time(14), time(18))]
    assert WeeklyHours.objects.filter(pro=pro, weekday=1).count() == 2


def test_weekly_hours_touching_intervals_are_fine(pro):
    rows = services.weekly_hours_set(
        pro=pro, weekday=0, intervals=[(time(9), time(12)), (time(12), time(15))]
    )
    assert len(rows) == 2


def test_empty_weekly_hours_make_a_day_off(pro):
    services.weekly_hours_set(pro=pro, weekday=2, intervals=[(time(9), time(17))])
    assert services.weekly_hours_set(pro=pro, weekday=2, intervals=[]) == []
    assert not WeeklyHours.objects.filter(pro=pro, weekday=2).exists()


@pytest.mark.parametrize(
    ("intervals", "message"),
    [
        ([(time(9), time(9))], "has no length"),
        ([(time(9), time(13)), (time(12), time(15))], "overlap"),
        ([(time(20), time(2)), (time(23), time(23, 30))], "20:00–02:00 and 23:00–23:30 overlap"),
        ([("09:00", "10:00")], "start and an end time"),
    ],
)
def test_weekly_hours_are_validated(pro, intervals, message):
    with pytest.raises(ValidationError, match=message):
        services.weekly_hours_set(pro=pro, weekday=0, intervals=intervals)


def test_weekly_hours_may_run_overnight(pro):
    saved = services.weekly_hours_set(
        pro=pro, weekday=4, intervals=[(time(22), time(2)), (time(10), time(14))]
    )

    assert [(h.start, h.end, h.overnight) for h in saved] == [
        (time(10), time(14), False),
        (time(22), time(2), True),
    ]


@pytest.mark.parametrize("weekday", [-1, 7, "1"])
def test_weekday_must_be_zero_to_six(pro, weekday):
    with pytest.raises(ValidationError, match="Weekday"):
        services.weekly_hours_set(pro=pro, weekday=weekday, intervals=[])


def test_the_whole_week_is_replaced_at_once(pro):
    services.weekly_hours_set(pro=pro, weekday=6, intervals=[(time(10), time(14))])
    services.weekly_hours_set_week(
        pro=pro, week={0: [(time(9), time(17))], 4: [(time(22), time(2)), (time(10), time(14))]}
    )
    rows = WeeklyHours.objects.filter(pro=pro).order_by("weekday", "start")
    assert [(h.weekday, h.start, h.end) for h in rows] == [
        (0, time(9), time(17)),
        (4, time(10), time(14)),
        (4, time(22), time(2)),
    ]  # Sunday, left out, is a day off now


@pytest.mark.parametrize(
    "week",
    [
        {0: [(time(9), time(17))], 3: [(time(9), time(13)), (time(12), time(18))]},
        {0: [(time(9), time(17))], 7: [(time(9), time(17))]},
    ],
    ids=["one day overlaps", "no such weekday"],
)
def test_one_bad_day_leaves_the_whole_week_as_it_was(pro, week):
    services.weekly_hours_set(pro=pro, weekday=1, intervals=[(time(8), time(12))])
    with pytest.raises(ValidationError):
        services.weekly_hours_set_week(pro=pro, week=week)
    rows = WeeklyHours.objects.filter(pro=pro)
    assert [(h.weekday, h.start, h.end) for h in rows] == [(1, time(8), time(12))]


def test_date_override_special_hours_then_closed(pro):
    day = date(2026, 12, 24)
    override = services.date_override_set(
        pro=pro, day=day, intervals=[(time(10), time(13))], note="Christmas Eve"
    )
    assert override.is_closed is False
    assert [(i.start, i.end) for i in override.intervals.all()] == [(time(10), time(13))]
    closed = services.date_override_set(pro=pro, day=day, intervals=[])
    assert closed.pk == override.pk
    assert closed.is_closed is True
    assert closed.intervals.count() == 0


def test_date_override_delete_only_the_pros_own(pro, other_pro):
    override = services.date_override_set(pro=pro, day=date(2026, 12, 25), intervals=[])
    with pytest.raises(Http404):
        services.date_override_delete(pro=other_pro, pk=override.pk)
    services.date_override_delete(pro=pro, pk=override.pk)
    assert not DateOverride.objects.filter(pk=override.pk).exists()


def test_time_off_naive_times_are_the_pros_wall_clock(pro):
    off = services.time_off_create(
        pro=pro, starts_at=datetime(2026, 12, 1, 9), ends_at=datetime(2026, 12, 1, 12)
    )
    assert off.starts_at == datetime(2026, 12, 1, 9, tzinfo=ZoneInfo("Europe/Paris"))


def test_time_off_must_end_after_it_starts(pro):
    start = timezone.now()
    with pytest.raises(ValidationError, match="end after it starts"):
        services.time_off_create(pro=pro, starts_at=start, ends_at=start)


def test_time_off_delete_only_the_pros_own(pro, other_pro):
    start = timezone.now()
    off = services.time_off_create(pro=pro, starts_at=start, ends_at=start + timedelta(hours=1))
    with pytest.raises(Http404):
        services.time_off_delete(pro=other_pro, pk=off.pk)
    services.time_off_delete(pro=pro, pk=off.pk)
    assert not TimeOff.objects.exists()


def test_booking_rules_defaults_then_update(pro):
    rules = selectors.booking_rules_for(pro)
    assert (rules.slot_step_minutes, rules.min_notice_minutes, rules.horizon_days) == (15, 120, 60)
    assert (rules.buffer_minutes, rules.confirmation_mode) == (0, "instant")
    assert (rules.request_expiry_hours, rules.cancellation_window_hours) == (24, 24)
    updated = services.booking_rules_update(pro=pro, buffer_minutes=10, confirmation_mode="request")
    assert (updated.buffer_minutes, updated.confirmation_mode) == (10, "request")


@pytest.mark.parametrize(
    "fields",
    [
        {"slot_step_minutes": 1},
        {"horizon_days": 0},
        {"confirmation_mode": "sometimes"},
        {"late_cancellation_fee_percent": 101},
        {"unknown": 1},
    ],
)
def test_booking_rules_are_validated(pro, fields):
    with pytest.raises(ValidationError):
        services.booking_rules_update(pro=pro, **fields)


def test_calendar_token_regenerate_changes_the_secret(pro):
    first = services.calendar_token_regenerate(pro=pro)
    second = services.calendar_token_regenerate(pro=pro)
    assert len(first) >= 32 and first != second
    assert selectors.booking_rules_for(pro).calendar_token == second


# --- booking_create ---------------------------------------------------------------------------


def test_instant_mode_books_confirmed_with_a_snapshot(working_pro, service, client_user):
    booking = services.booking_create(
        client=client_user, service=service, starts_at=local_at(4, 10), note=" Hi "
    )
    assert booking.status == S.CONFIRMED
    assert (booking.service_name, booking.duration_minutes) == ("Haircut", 45)
    assert (booking.price_amount, booking.currency, booking.note) == (3500, "EUR", "Hi")
    assert booking.ends_at - booking.starts_at == timedelta(minutes=45)
    assert booking.expires_at is None
    event = booking.events.get()
    assert (event.actor, event.actor_role, event.to_status) == (client_user, "client", S.CONFIRMED)


def test_request_mode_books_requested_with_expiry(request_mode, service, client_user):
    booking = services.booking_create(
        client=client_user, service=service, starts_at=local_at(4, 10)
    )
    assert booking.status == S.REQUESTED
    expected = timezone.now() + timedelta(hours=24)
    assert abs(booking.expires_at - expected) < timedelta(minutes=1)


def test_online_service_of_a_pro_without_online_payments_books_normally(working_pro, client_user):
    online = make_service(pro=working_pro, payment_mode=Service.PaymentMode.ONLINE)
    booking = services.booking_create(client=client_user, service=online, starts_at=local_at(4, 9))
    assert booking.status == S.CONFIRMED


def test_a_pro_cannot_book_their_own_service(working_pro, service):
    with pytest.raises(ValidationError, match="your own service") as refused:
        services.booking_create(client=working_pro.user, service=service, starts_at=local_at(4, 10))
    assert refused.value.code == "own_service"
    assert not Booking.objects.exists()


def test_taken_slot_is_unavailable(working_pro, service, client_user, other_client):
    services.booking_create(client=client_user, service=service, starts_at=local_at(4, 10))
    with pytest.raises(SlotUnavailable, match="That time is no longer available."):
        services.booking_create(client=other_client, service=service, starts_at=local_at(4, 10, 30))


def test_client_cannot_double_book_two_pros(working_pro, service, client_user):
    other = make_pro()
    from conftest import set_every_day

    set_every_day(other)
    elsewhere = make_service(pro=other)
    services.booking_create(client=client_user, service=service, starts_at=local_at(4, 10))
    with pytest.raises(SlotUnavailable, match="another booking"):
        services.booking_create(client=client_user, service=elsewhere, starts_at=local_at(4, 10))


def test_cancelled_booking_frees_the_slot(working_pro, service, client_user, other_client):
    booking = services.booking_create(
        client=client_user, service=service, starts_at=local_at(4, 10)
    )
    services.booking_transition(booking=booking, action="cancel", by=client_user)
    again = services.booking_create(client=other_client, service=service, starts_at=local_at(4, 10))
    assert again.status == S.CONFIRMED


@pytest.mark.parametrize(
    "when",
    [
        lambda: local_at(4, 22),  # outside working hours
        lambda: local_at(4, 10, 7),  # off the 15-minute grid
        lambda: timezone.now() + timedelta(minutes=30),  # inside the minimum notice
        lambda: local_at(70, 10),  # beyond the horizon
        lambda: timezone.now() - timedelta(days=1),  # in the past
    ],
)
def test_times_the_engine_does_not_offer_are_unavailable(working_pro, service, client_user, when):
    with pytest.raises(SlotUnavailable):
        services.booking_create(client=client_user, service=service, starts_at=when())


def test_time_off_blocks_booking(working_pro, service, client_user):
    services.time_off_create(
        pro=working_pro, starts_at=local_at(4, 9), ends_at=local_at(4, 12), reason="Dentist"
    )
    with pytest.raises(SlotUnavailable):
        services.booking_create(client=client_user, service=service, starts_at=local_at(4, 10))


def test_buffer_after_a_booking_is_respected(working_pro, service, client_user, other_client):
    services.booking_rules_update(pro=working_pro, buffer_minutes=15)
    services.booking_create(client=client_user, service=service, starts_at=local_at(4, 10))
    with pytest.raises(SlotUnavailable):  # 10:45 + 15 min buffer
        services.booking_create(client=other_client, service=service, starts_at=local_at(4, 10, 45))
    booked = services.booking_create(
        client=other_client, service=service, starts_at=local_at(4, 11)
    )
    assert booked.status == S.CONFIRMED


def test_naive_start_is_refused(working_pro, service, client_user):
    with pytest.raises(ValidationError, match="time zone"):
        services.booking_create(
            client=client_user, service=service, starts_at=datetime(2026, 12, 1, 10)
        )


def test_inactive_service_cannot_be_booked(working_pro, service, client_user):
    services.service_update(service=service, is_active=False)
    with pytest.raises(ValidationError, match="not available"):
        services.booking_create(client=client_user, service=service, starts_at=local_at(4, 10))


def test_pro_cannot_book_own_service(working_pro, service):
    with pytest.raises(ValidationError, match="your own"):
        services.booking_create(client=working_pro.user, service=service, starts_at=local_at(4, 10))


def test_note_is_at_most_1000_characters(working_pro, service, client_user):
    with pytest.raises(ValidationError, match="1000"):
        services.booking_create(
            client=client_user, service=service, starts_at=local_at(4, 10), note="x" * 1001
        )


def test_online_service_of_a_pro_taking_online_payments_holds_for_payment(working_pro, client_user):
    from payments.models import ConnectedAccount

    ConnectedAccount.objects.create(pro=working_pro, charges_enabled=True, is_simulated=True)
    online = make_service(pro=working_pro, payment_mode=Service.PaymentMode.ONLINE)
    booking = services.booking_create(client=client_user, service=online, starts_at=local_at(4, 9))
    assert booking.status == S.PENDING_PAYMENT
    hold = booking.expires_at - timezone.now()
    assert timedelta(minutes=29) < hold <= timedelta(minutes=30)


def test_services_are_priced_in_the_pros_currency_and_no_other(pro):
    assert pro.currency == "EUR"
    cut = services.service_create(pro=pro, name="Cut", duration_minutes=30, price_amount=2000)
    assert cut.currency == "EUR"
    with pytest.raises(ValidationError) as refused:
        services.service_create(
            pro=pro, name="Shave", duration_minutes=20, price_amount=1500, currency="USD"
        )
    assert refused.value.message_dict["currency"] == [
        "Services are priced in your currency, EUR; change it on your profile page."
    ]
    with pytest.raises(ValidationError):
        services.service_update(service=cut, currency="GBP")
