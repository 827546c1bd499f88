"""Exactly one waitlist offer per freed time, whatever the concurrency (SQLite and PostgreSQL).

Real threads, each with its own database connection, race the waitlist check of one pro (as
several cancellations and a process_due run at once would). Run on PostgreSQL with
DATABASE_URL=postgres://... pytest.
"""

from datetime import time, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from bookings import services
from bookings.models import Booking, WaitlistOffer
from bookings.tests.test_concurrency import race
from conftest import local_at, make_booking, make_pro, make_service, make_user, set_every_day

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 12


def _scene(waiting: int):
    """A pro whose 10:00 three days ahead was just freed, and `waiting` clients waiting for it."""
    pro = make_pro()
    set_every_day(pro)
    service = make_service(pro=pro, duration_minutes=60)
    # Only 10:00 fits the window; 11:00 onwards is taken, and 10:00 too while they join.
    make_booking(client=make_user(), service=service, starts_at=local_at(3, 11))
    taken = make_booking(client=make_user(), service=service, starts_at=local_at(3, 10))
    entries = [
        services.waitlist_join(
            client=make_user(),
            day=local_at(3, 12).date(),
            from_time=time(10),
            to_time=time(10, 15),
            zone="Europe/Paris",
            pro=pro,
            service=service,
        )
        for _ in range(waiting)
    ]
    # Freed behind the services' back: the racing checks below are what offers it.
    Booking.objects.filter(pk=taken.pk).update(status=Booking.Status.CANCELLED)
    assert not WaitlistOffer.objects.exists()
    return pro, service, entries


def test_racing_checks_make_exactly_one_offer_of_a_freed_time():
    pro, _, entries = _scene(waiting=5)

    results, errors = race([lambda: services.waitlist_check_pro(pro=pro) for _ in range(THREADS)])

    assert errors == []
    offers = WaitlistOffer.objects.filter(pro=pro, status=WaitlistOffer.Status.OFFERED)
    assert [o.entry_id for o in offers] == [entries[0].pk]  # the first to wait
    assert sum(len(made) for made in results) == 1


def test_a_booking_racing_the_offer_never_lands_on_the_held_time():
    pro, service, (entry,) = _scene(waiting=1)
    others = [make_user() for _ in range(THREADS - 1)]

    results, errors = race(
        [lambda: services.waitlist_check_pro(pro=pro)]
        + [
            lambda c=c: services.booking_create(
                client=c, service=service, starts_at=local_at(3, 10)
            )
            for c in others
        ]
    )

    offered = WaitlistOffer.objects.filter(pro=pro, status=WaitlistOffer.Status.OFFERED)
    booked = pro.bookings.filter(starts_at=local_at(3, 10), status="confirmed")
    # The time went to exactly one of them: the waiting client's hold or one booking.
    assert offered.count() + booked.count() == 1
    assert all(getattr(e, "code", None) == "slot_unavailable" for e in errors), errors


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="checked on PostgreSQL")
def test_postgres_refuses_a_second_live_offer_of_one_time():
    pro, service, (first, second) = _scene(waiting=2)
    now = timezone.now()

    def offer(entry, token):
        return WaitlistOffer.objects.create(
            entry=entry,
            pro=pro,
            service=service,
            starts_at=local_at(3, 10),
            ends_at=local_at(3, 11),
            offered_at=now,
            expires_at=now + timedelta(minutes=15),
            token=token,
        )

    live = offer(first, "first")
    with pytest.raises(IntegrityError), transaction.atomic():
        offer(second, "second")
    # Once the first offer is over, the time can be offered again.
    WaitlistOffer.objects.filter(pk=live.pk).update(status=WaitlistOffer.Status.EXPIRED)
    offer(second, "second")
