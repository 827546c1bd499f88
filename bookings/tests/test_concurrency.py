"""No double booking under simultaneous requests (SQLite and PostgreSQL).

Real threads, each with its own database connection, race booking_create for one slot. Run on
SQLite with `pytest` and on PostgreSQL with DATABASE_URL=postgres://... pytest.
"""

import threading

import pytest
from django.db import connection

from bookings import services
from bookings.lifecycle import SlotUnavailable, TransitionNotAllowed
from bookings.models import Booking
from conftest import local_at, make_pro, make_service, make_user, set_every_day

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 20


def race(calls):
    """Run the callables at the same moment in threads; return (results, errors)."""
    barrier = threading.Barrier(len(calls))
    results, errors, lock = [], [], threading.Lock()

    def run(call):
        try:
            barrier.wait()
            outcome = call()
            with lock:
                results.append(outcome)
        except Exception as exc:  # collected and asserted on below
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results, errors


def test_twenty_clients_racing_for_one_slot_get_exactly_one_booking():
    pro = make_pro()
    set_every_day(pro)
    service = make_service(pro=pro, duration_minutes=60)
    clients = [make_user() for _ in range(THREADS)]
    starts_at = local_at(3, 10)

    results, errors = race(
        [
            lambda c=c: services.booking_create(client=c, service=service, starts_at=starts_at)
            for c in clients
        ]
    )

    assert len(results) == 1
    assert len(errors) == THREADS - 1
    assert all(isinstance(e, SlotUnavailable) for e in errors), errors
    assert {e.messages[0] for e in errors} == {"That time is no longer available."}
    assert Booking.objects.filter(pro=pro, status__in=Booking.ACTIVE_STATUSES).count() == 1


def test_racing_bookings_of_overlapping_slots_never_overlap():
    pro = make_pro()
    set_every_day(pro)
    service = make_service(pro=pro, duration_minutes=60)
    clients = [make_user() for _ in range(THREADS)]
    # 10:00, 10:15, ... 14:45: every start overlaps its neighbours.
    starts = [local_at(3, 10 + i // 4, (i % 4) * 15) for i in range(THREADS)]

    results, errors = race(
        [
            lambda c=c, s=s: services.booking_create(client=c, service=service, starts_at=s)
            for c, s in zip(clients, starts, strict=True)
        ]
    )

    assert results
    assert all(isinstance(e, SlotUnavailable) for e in errors), errors
    booked = sorted(
        Booking.objects.filter(pro=pro).values_list("starts_at", "ends_at"), key=lambda r: r[0]
    )
    assert len(booked) == len(results)
    for (_, end), (start, _) in zip(booked, booked[1:], strict=False):
        assert end <= start


def test_a_client_racing_to_book_two_pros_at_the_same_time_gets_one_booking(settings):
    # 20 attempts by one client: the race is under test here, not the booking rate limit.
    settings.BOOKING_RATE_LIMIT = "off"
    client = make_user()
    pros = [make_pro() for _ in range(THREADS)]
    offers = []
    for pro in pros:
        set_every_day(pro)
        offers.append(make_service(pro=pro, duration_minutes=60))
    starts_at = local_at(3, 11)

    results, errors = race(
        [
            lambda s=s: services.booking_create(client=client, service=s, starts_at=starts_at)
            for s in offers
        ]
    )

    assert len(results) == 1
    assert len(errors) == THREADS - 1
    assert all(isinstance(e, SlotUnavailable) for e in errors), errors
    assert Booking.objects.filter(client=client).count() == 1


def test_racing_reschedules_into_one_slot_move_exactly_one_booking():
    pro = make_pro()
    set_every_day(pro)
    service = make_service(pro=pro, duration_minutes=30)
    count = 10
    bookings = [
        services.booking_create(
            client=make_user(), service=service, starts_at=local_at(4, 8 + i // 2, (i % 2) * 30)
        )
        for i in range(count)
    ]
    target = local_at(5, 15)

    results, errors = race(
        [
            lambda b=b: services.booking_transition(
                booking=b, action="reschedule", by=b.client, starts_at=target
            )
            for b in bookings
        ]
    )

    assert len(results) == 1
    assert len(errors) == count - 1
    assert all(isinstance(e, SlotUnavailable) for e in errors), errors
    assert Booking.objects.filter(pro=pro, starts_at=target).count() == 1


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="exclusion constraints are PostgreSQL's"
)
def test_postgres_exclusion_constraint_refuses_overlapping_active_rows():
    from django.db import IntegrityError, transaction

    from conftest import make_booking

    pro = make_pro()
    service = make_service(pro=pro, duration_minutes=60)
    first, second = make_user(), make_user()
    make_booking(client=first, service=service, starts_at=local_at(3, 10))
    with pytest.raises(IntegrityError), transaction.atomic():
        make_booking(client=second, service=service, starts_at=local_at(3, 10, 30))
    # Inactive bookings do not hold the slot.
    make_booking(client=second, service=service, starts_at=local_at(3, 10, 30), status="cancelled")


def _confirmed_booking():
    pro = make_pro()
    set_every_day(pro)
    service = make_service(pro=pro, duration_minutes=60)
    client = make_user()
    return services.booking_create(client=client, service=service, starts_at=local_at(3, 10))


def test_a_reschedule_based_on_a_stale_read_is_refused():
    booking = _confirmed_booking()
    read_by_first = Booking.objects.get(pk=booking.pk)
    read_by_second = Booking.objects.get(pk=booking.pk)
    services.booking_transition(
        booking=read_by_first, action="reschedule", by=booking.client, starts_at=local_at(3, 12)
    )

    with pytest.raises(TransitionNotAllowed) as refused:
        services.booking_transition(
            booking=read_by_second,
            action="reschedule",
            by=booking.client,
            starts_at=local_at(3, 14),
        )

    assert refused.value.code == "stale"
    assert Booking.objects.get(pk=booking.pk).starts_at == local_at(3, 12)


def test_two_simultaneous_reschedules_of_one_booking_move_it_once():
    booking = _confirmed_booking()
    # Both requests read the booking before either writes, as two racing requests do.
    reads = [Booking.objects.get(pk=booking.pk) for _ in range(2)]
    targets = [local_at(3, 12), local_at(3, 15)]

    results, errors = race(
        [
            lambda read=read, target=target: services.booking_transition(
                booking=read, action="reschedule", by=booking.client, starts_at=target
            )
            for read, target in zip(reads, targets, strict=True)
        ]
    )

    assert len(results) == 1
    assert [getattr(e, "code", None) for e in errors] == ["stale"], errors
    moved = Booking.objects.get(pk=booking.pk)
    assert moved.starts_at == results[0].starts_at
    assert moved.events.filter(reason__startswith="Moved from").count() == 1
