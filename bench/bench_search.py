"""Benchmark: find a free pro. One day's window over every matching pro, in SQL queries and ms.

For 50, 200 and 1,000 public pros around Paris, each working Monday-Saturday 09:00-12:00 and
13:00-18:00 with three services, a month of bookings (5 a working day, past and coming) and a
day off now and then, measures `bookings.selectors.availability_search` (load + slot engine)
and `GET /api/v1/availability` (through the Django test client) for one day's window, near
Paris, within 30 km (every pro matches). Then the directory's text search
(`accounts.selectors.pro_search`, as the home page runs it) for a name ("pro 42": a few pros),
a service every pro offers ("colour") and a typo ("hiar cut": the trigram fallback); on
PostgreSQL also the server's execution time of that query (EXPLAIN ANALYZE).

SQLite: a scratch file under var/bench/. PostgreSQL: set DATABASE_URL=postgres://...; the
benchmark builds Django's test database next to it (test_<name>) and drops it at the end.
Prints, per size, the SQL queries and the median milliseconds of wall-clock time and of this
process's CPU time (on a busy shared machine the CPU time is the steadier figure; on SQLite it
includes the database's work, on PostgreSQL the server's share is only in the wall time).
Run: `make bench` or `.venv/bin/python bench/bench_search.py`.
"""

import os
import statistics
import sys
import time as clock
from datetime import datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "timz.settings"
os.environ.setdefault("LOG_LEVEL", "WARNING")
ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")
if not ON_POSTGRES:
    SCRATCH = ROOT / "var" / "bench" / "bench_search.sqlite3"
    SCRATCH.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{SCRATCH}{suffix}").unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{SCRATCH}"

import django  # noqa: E402

django.setup()

from zoneinfo import ZoneInfo  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

SIZES = (50, 200, 1000)
RUNS = 15
ZONE = ZoneInfo("Europe/Paris")
PARIS = (48.8566, 2.3522)
SERVICES = [("Haircut", 30, 2500), ("Colour", 60, 6000), ("Full treatment", 90, 9000)]
BOOKED_HOURS = (9, 10, 13, 15, 17)


def add_pros(start: int, stop: int, today) -> int:
    """Pros number start..stop-1 with their hours, rules, services and a month of bookings."""
    from accounts.models import ClientProfile, ProProfile, User
    from accounts.services import pro_search_documents_refresh
    from bookings.models import Booking, BookingRules, Service, TimeOff, WeeklyHours

    new = range(start, stop)
    users = User.objects.bulk_create(
        [User(email=f"pro{n}@bench.example", role=User.Role.PRO) for n in new]
        + [User(email=f"client{n}@bench.example") for n in new]
    )
    pro_users, client_users = users[: len(new)], users[len(new) :]
    ClientProfile.objects.bulk_create(
        [
            ClientProfile(user=u, display_name=f"Client {n}")
            for n, u in zip(new, client_users, strict=True)
        ]
    )
    pros = ProProfile.objects.bulk_create(
        [
            ProProfile(
                user=u,
                display_name=f"Pro {n}",
                slug=f"pro-{n}",
                city="Paris",
                timezone="Europe/Paris",
                # On a spiral around the centre, within about 25 km.
                latitude=Decimal(str(round(PARIS[0] + (n % 97) * 0.0023 - 0.11, 6))),
                longitude=Decimal(str(round(PARIS[1] + (n % 89) * 0.0033 - 0.14, 6))),
            )
            for n, u in zip(new, pro_users, strict=True)
        ]
    )
    BookingRules.objects.bulk_create([BookingRules(pro=p, buffer_minutes=5) for p in pros])
    WeeklyHours.objects.bulk_create(
        [
            WeeklyHours(pro=p, weekday=d, start=s, end=e)
            for p in pros
            for d in range(6)
            for s, e in ((time(9), time(12)), (time(13), time(18)))
        ]
    )
    services = Service.objects.bulk_create(
        [
            Service(
                pro=p, name=name, duration_minutes=m, price_amount=a, currency="EUR", position=i
            )
            for p in pros
            for i, (name, m, a) in enumerate(SERVICES)
        ]
    )
    first_service = {s.pro_id: s for s in reversed(services)}
    rows, off = [], []
    for k, (pro, client) in enumerate(zip(pros, client_users, strict=True)):
        for offset in range(-15, 16):
            day = today + timedelta(days=offset)
            if day.weekday() == 6:
                continue
            if (k + offset) % 13 == 0:  # a day off now and then
                off.append(
                    TimeOff(
                        pro=pro,
                        starts_at=datetime.combine(day, time(0)).replace(tzinfo=ZONE),
                        ends_at=datetime.combine(day + timedelta(days=1), time(0)).replace(
                            tzinfo=ZONE
                        ),
                    )
                )
                continue
            for hour in BOOKED_HOURS:
                rows.append(
                    Booking.from_service(
                        service=first_service[pro.pk],
                        client=client,
                        starts_at=datetime.combine(day, time(hour)).replace(tzinfo=ZONE),
                        status=Booking.Status.CONFIRMED,
                    )
                )
    Booking.objects.bulk_create(rows, batch_size=5000)
    TimeOff.objects.bulk_create(off)
    # Bulk writes send no signals: the search documents at once, as seed_demo does.
    pro_search_documents_refresh(pro_ids=[p.pk for p in pros])
    return len(rows)


def measure(fn, runs):
    fn()  # warm-up (imports, caches)
    with CaptureQueriesContext(connection) as ctx:
        result = fn()
    queries = len(ctx.captured_queries)
    timings, cpu = [], []
    for _ in range(runs):
        started, started_cpu = clock.perf_counter(), clock.process_time()
        fn()
        timings.append((clock.perf_counter() - started) * 1000)
        cpu.append((clock.process_time() - started_cpu) * 1000)
    return result, queries, statistics.median(timings), statistics.median(cpu)


TEXT_QUERIES = ("pro 42", "colour", "hiar cut")


def text_search(q: str) -> int:
    """The directory's first page for `q`, as the home page reads it."""
    from accounts.selectors import pro_search

    return len(list(pro_search(q=q)[:20]))


def server_ms(q: str) -> float:
    """PostgreSQL's own execution time of the directory's query for `q` (median of 5 EXPLAIN
    ANALYZE runs, in ms): the database's share, steadier than wall time on a busy machine."""
    import json

    from accounts.selectors import pro_search

    sql, params = pro_search(q=q)[:20].query.sql_with_params()
    times = []
    with connection.cursor() as cursor:
        for _ in range(5):
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            times.append(plan[0]["Execution Time"])
    return statistics.median(times)


def main():
    from bookings import search, selectors

    test_db = None
    if ON_POSTGRES:
        test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    else:
        call_command("migrate", verbosity=0)
    try:
        today = timezone.now().astimezone(ZONE).date()
        day = today + timedelta(days=2)
        while day.weekday() == 6:
            day += timedelta(days=1)
        window = search.parse_window(zone=ZONE, now=timezone.now(), day=day.isoformat())
        http = Client()
        url = f"/api/v1/availability?date={day}&tz=Europe/Paris&near=Paris&km=30"
        backend = connection.vendor
        print(f"{backend}: one day's window ({day:%a %d %b}), near Paris, 30 km; {RUNS} runs")
        head = f"{'pros':>6}{'bookings':>10}{'results':>9}"
        print(f"{head}  {'what':<26}{'SQL':>4}{'ms':>7}{'CPU ms':>8}")
        made = bookings = 0
        for size in SIZES:
            bookings += add_pros(made, size, today)
            made = size
            connection.cursor().execute("ANALYZE")

            def selector():
                return selectors.availability_search(window=window, near=PARIS, km=30)

            def endpoint():
                response = http.get(url)
                assert response.status_code == 200, response.content[:300]
                return response.json()["count"]

            offers, q1, med1, cpu1 = measure(selector, RUNS)
            count, q2, med2, cpu2 = measure(endpoint, RUNS)
            # Every pro matches; those on a day off that day have no free time.
            assert count == len(offers) > size * 0.8, (count, len(offers), size)
            found = f"{size:>6}{bookings:>10}{len(offers):>9}"
            print(f"{found}  {'availability_search':<26}{q1:>4}{med1:>7.1f}{cpu1:>8.1f}")
            print(f"{'':>25}  {'GET /api/v1/availability':<26}{q2:>4}{med2:>7.1f}{cpu2:>8.1f}")
            for q in TEXT_QUERIES:
                shown, q3, med3, cpu3 = measure(lambda q=q: text_search(q), RUNS)
                what = f"pro_search q={q!r}"
                line = f"{'':>16}{shown:>9}  {what:<26}{q3:>4}{med3:>7.1f}{cpu3:>8.1f}"
                if ON_POSTGRES:
                    line += f"  (PostgreSQL execution {server_ms(q):.2f} ms)"
                print(line)
    finally:
        if test_db is not None:
            connection.creation.destroy_test_db(test_db, verbosity=0)


if __name__ == "__main__":
    main()
