"""Benchmark: all free slots of one busy pro for 30 days, in SQL queries and milliseconds.

One pro working Monday-Friday 09:00-12:00 and 13:00-18:00, with 5 bookings on each working day
of the next 30 days. Measures the selector (load + slot engine) and the JSON endpoint
/api/v1/pros/<slug>/slots?days=30 through the Django test client. Uses a scratch SQLite file
under var/bench/ (migrated on each run).
Run: `make bench` or `.venv/bin/python bench/bench_slots.py`.
"""

import os
import statistics
import sys
import time as clock
from datetime import datetime, time, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SCRATCH = ROOT / "var" / "bench" / "bench_slots.sqlite3"
SCRATCH.parent.mkdir(parents=True, exist_ok=True)
for suffix in ("", "-wal", "-shm"):
    Path(f"{SCRATCH}{suffix}").unlink(missing_ok=True)
os.environ["DJANGO_SETTINGS_MODULE"] = "timz.settings"
os.environ["DATABASE_URL"] = f"sqlite:///{SCRATCH}"
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from zoneinfo import ZoneInfo  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

RUNS = 50
DAYS = 30


def build():
    from accounts.models import ClientProfile, ProProfile, User
    from bookings import services
    from bookings.models import Booking

    call_command("migrate", verbosity=0)
    zone = ZoneInfo("Europe/Paris")
    user = User.objects.create_user(email="bench-pro@bench.example", role=User.Role.PRO)
    pro = ProProfile.objects.create(
        user=user, display_name="Bench Pro", slug="bench-pro", timezone="Europe/Paris"
    )
    client = User.objects.create_user(email="bench-client@bench.example")
    ClientProfile.objects.create(user=client, display_name="Bench Client")
    service = services.service_create(
        pro=pro, name="Session", duration_minutes=45, price_amount=5000, currency="EUR"
    )
    for weekday in range(5):
        services.weekly_hours_set(
            pro=pro, weekday=weekday, intervals=[(time(9), time(12)), (time(13), time(18))]
        )
    services.booking_rules_update(pro=pro)  # the rules row exists, as for any active pro
    today = timezone.now().astimezone(zone).date()
    rows = []
    for offset in range(DAYS):
        day = today + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for hour in (9, 10, 13, 15, 17):
            start = datetime.combine(day, time(hour)).replace(tzinfo=zone)
            rows.append(
                Booking.from_service(
                    service=service,
                    client=client,
                    starts_at=start,
                    status=Booking.Status.CONFIRMED,
                )
            )
    Booking.objects.bulk_create(rows)
    return pro, service, today, len(rows)


def measure(fn):
    fn()  # warm-up (imports, template and URL caches)
    with CaptureQueriesContext(connection) as ctx:
        result = fn()
    queries = len(ctx.captured_queries)
    timings = []
    for _ in range(RUNS):
        started = clock.perf_counter()
        fn()
        timings.append((clock.perf_counter() - started) * 1000)
    return result, queries, statistics.median(timings), min(timings)


def main():
    from accounts.models import ProProfile
    from bookings import selectors

    pro, service, today, booked = build()

    def selector():
        # The pro with its rules, as a page loads it, then the schedule and the busy time.
        fresh = ProProfile.objects.select_related("booking_rules").get(pk=pro.pk)
        return selectors.free_slots(pro=fresh, service=service, start=today, days=DAYS)

    http = Client()
    url = f"/api/v1/pros/{pro.slug}/slots?service={service.pk}&start={today}&days={DAYS}"

    def endpoint():
        response = http.get(url)
        assert response.status_code == 200, response.content
        return response.json()["slots"]

    slots, sel_queries, sel_median, sel_min = measure(selector)
    api_slots, api_queries, api_median, api_min = measure(endpoint)
    assert len(slots) == len(api_slots), (len(slots), len(api_slots))

    print(f"One pro, Mon-Fri 09-12 + 13-18, {booked} bookings over {DAYS} days; {RUNS} runs")
    print(f"{'what':<44}{'slots':>7}{'queries':>9}{'median ms':>11}{'min ms':>9}")
    print(
        f"{'pro + free_slots (load + engine)':<44}{len(slots):>7}{sel_queries:>9}"
        f"{sel_median:>11.2f}{sel_min:>9.2f}"
    )
    print(
        f"{'GET /api/v1/pros/<slug>/slots?days=30':<44}{len(api_slots):>7}{api_queries:>9}"
        f"{api_median:>11.2f}{api_min:>9.2f}"
    )
    print("(queries include loading the pro with its rules; the endpoint loads the service, its")
    print(" pro and the rules in one query)")


if __name__ == "__main__":
    main()
