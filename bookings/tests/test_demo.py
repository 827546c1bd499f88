"""bookings.demo: weekly hours, rules and bookings in several states; idempotent; --scale."""

from io import StringIO

import pytest
from django.db.models import Count

from bookings import demo
from bookings.models import Booking, BookingRules, Review, WeeklyHours
from conftest import make_pro, make_service, make_user

pytestmark = pytest.mark.django_db


def test_seed_gives_hours_rules_and_bookings_in_many_states_once(mailoutbox):
    pros = [make_pro() for _ in range(4)]
    for pro in pros:
        make_service(pro=pro, duration_minutes=30)
        make_service(pro=pro, duration_minutes=60)
    clients = [make_user() for _ in range(3)]

    demo.seed(stdout=StringIO(), pros=pros, clients=clients)

    assert all(WeeklyHours.objects.filter(pro=p).exists() for p in pros)
    modes = set(BookingRules.objects.values_list("confirmation_mode", flat=True))
    assert modes == {"instant", "request"}
    statuses = set(Booking.objects.values_list("status", flat=True))
    assert {"confirmed", "requested", "completed", "cancelled", "declined", "no_show"} <= statuses
    assert Review.objects.exists()
    assert all(b.events.exists() for b in Booking.objects.all())
    assert mailoutbox == []  # demo bookings send no email
    counts = dict(Booking.objects.values_list("pro").annotate(n=Count("id")))

    demo.seed(stdout=StringIO(), pros=pros, clients=clients)

    assert dict(Booking.objects.values_list("pro").annotate(n=Count("id"))) == counts


def test_scale_builds_bench_pros_with_about_a_hundred_bookings_each():
    out = StringIO()
    demo.seed_scale(stdout=out, count=3)
    bench = Booking.objects.filter(pro__slug__startswith="bench-pro-")
    assert bench.values("pro").distinct().count() == 3
    assert bench.count() == 3 * demo.BOOKINGS_PER_PRO
    # No overlap for any pro or client among active bookings.
    active = list(
        bench.filter(status__in=Booking.ACTIVE_STATUSES).values_list(
            "pro_id", "client_id", "starts_at", "ends_at"
        )
    )
    for key in (0, 1):
        spans = sorted((row[key], row[2], row[3]) for row in active)
        for (a, _, end), (b, start, _) in zip(spans, spans[1:], strict=False):
            assert a != b or end <= start
    demo.seed_scale(stdout=out, count=3)
    assert bench.count() == 3 * demo.BOOKINGS_PER_PRO
