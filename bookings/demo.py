"""Demo data of the booking domain, called by `manage.py seed_demo` after accounts' demo.

``seed(*, stdout, pros, clients, scale=None)``:

- every demo pro gets weekly hours (only if it has none: a pro's own edits are kept) and booking
  rules (two in request mode, one with a 15-minute buffer);
- bookings in every state: upcoming confirmed/requested made through the services (no emails
  sent), past completed (some reviewed, one replied to), cancelled, declined, no-show built as
  rows with their events. Skipped when the demo pros already have bookings (idempotent).
- ``scale=N`` adds N benchmark pros (``bench-pro-<n>``) and about 100 bookings each with
  bulk_create: ``seed_demo --scale 1000`` gives 1,000 pros and 100,000 bookings.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.models import ClientProfile, ProProfile, User
from bookings import selectors, services
from bookings.lifecycle import SlotUnavailable
from bookings.models import Booking, BookingEvent, BookingRules, Service, WeeklyHours

S = Booking.Status

# (weekdays, intervals): varied patterns, breaks are gaps.
PATTERNS = [
    (range(1, 6), [(time(9), time(13)), (time(14), time(18))]),  # Tue-Sat with lunch
    (range(5), [(time(8), time(12)), (time(13), time(17))]),  # Mon-Fri
    (range(6), [(time(10), time(19))]),  # Mon-Sat
    (range(2, 7), [(time(11), time(15)), (time(16), time(20))]),  # Wed-Sun
]

REVIEWS = [
    (5, "Exactly what I asked for, and on time. Booking again."),
    (4, "Very good, friendly and professional. A short wait at the start."),
    (5, "Best appointment I have had in years."),
]


def seed(*, stdout, pros, clients, scale=None, **options):
    with transaction.atomic():
        hours_set, rules_set = _schedules(pros)
    made = 0
    if not Booking.objects.filter(pro__in=pros).exists() and clients:
        with services.emails_suppressed():
            made = _bookings(pros, clients)
    stdout.write(
        f"bookings: weekly hours for {hours_set} pro(s), rules for {rules_set}, "
        f"{made} demo booking(s)" + ("" if made else " (already there)")
    )
    if scale:
        seed_scale(stdout=stdout, count=int(scale))


def _schedules(pros) -> tuple[int, int]:
    hours_set = rules_set = 0
    for index, pro in enumerate(pros):
        if not WeeklyHours.objects.filter(pro=pro).exists():
            days, intervals = PATTERNS[index % len(PATTERNS)]
            for weekday in days:
                services.weekly_hours_set(pro=pro, weekday=weekday, intervals=intervals)
            hours_set += 1
        # Every pro has rules from the start; the demo's come with a calendar token, so a pro
        # without one has not been given them yet.
        if not selectors.booking_rules_for(pro).calendar_token:
            fields = {}
            if index in (1, 4):
                fields["confirmation_mode"] = BookingRules.ConfirmationMode.REQUEST
            if index == 2:
                fields["buffer_minutes"] = 15
            if index == 3:
                fields["late_cancellation_fee_percent"] = 50
            services.booking_rules_update(pro=pro, **fields)
            services.calendar_token_regenerate(pro=pro)
            rules_set += 1
    return hours_set, rules_set


def _book_upcoming(pro, service, client, *, pick: int):
    """Book the pick-th free slot of the coming fortnight through the service (then every 7th
    after it, while a slot is refused). The slots of the first three days nearly always hold
    it, and they are the fortnight's first slots (a window split in two gives the same slots),
    so the fortnight is computed only when they do not."""
    today = timezone.now().astimezone(ZoneInfo(pro.timezone)).date()
    tried = set()
    for days in (3, 14):
        slots = selectors.free_slots(
            pro=pro, service=service, start=today + timedelta(days=2), days=days
        )
        for start in slots[pick::7]:
            if start in tried:
                continue
            tried.add(start)
            try:
                return services.booking_create(
                    client=client,
                    service=service,
                    starts_at=start,
                    note="Demo booking",
                    enforce_rate_limit=False,
                )
            except SlotUnavailable:
                continue
    return None


# The action that leads a demo booking from its first status to a past one.
PAST_ACTIONS = {
    S.CANCELLED: "cancel",
    S.DECLINED: "decline",
    S.COMPLETED: "complete",
    S.NO_SHOW: "no_show",
}

# The past of every demo pro: (days ago, hour, status, reason), as rows with their events.
HISTORY = [
    (3, 10, S.COMPLETED, ""),
    (6, 11, S.COMPLETED, ""),
    (9, 15, S.COMPLETED, ""),
    (12, 10, S.NO_SHOW, ""),
    (15, 14, S.CANCELLED, "Sick child"),
    (18, 16, S.DECLINED, "Away at a training that day"),
]


def _past_rows(pro, service, client, *, days_ago: int, hour: int, status: str, reason=""):
    """A past booking and its events, not saved, dated as if made five days before it."""
    zone = ZoneInfo(pro.timezone)
    day = timezone.now().astimezone(zone).date() - timedelta(days=days_ago)
    starts_at = datetime.combine(day, time(hour)).replace(tzinfo=zone)
    booking = Booking.from_service(
        service=service, client=client, starts_at=starts_at, status=status, note="Demo booking"
    )
    created = starts_at - timedelta(days=5)
    booking.created_at = created
    first = S.REQUESTED if status == S.DECLINED else S.CONFIRMED
    events = [
        BookingEvent(
            booking=booking,
            actor=client,
            actor_role="client",
            action="create",
            to_status=first,
            at=created,
        )
    ]
    if status != first:
        actor, role = (client, "client") if status == S.CANCELLED else (pro.user, "pro")
        when = starts_at + timedelta(minutes=service.duration_minutes)
        if status in (S.CANCELLED, S.DECLINED):
            when = created + timedelta(days=1)
        events.append(
            BookingEvent(
                booking=booking,
                actor=actor,
                actor_role=role,
                action=PAST_ACTIONS[status],
                from_status=first,
                to_status=status,
                reason=reason,
                at=when,
            )
        )
    return booking, events


def _bookings(pros, clients) -> int:
    made = 0
    offered_by_pro: dict[int, list[Service]] = {}
    for service in Service.objects.filter(pro__in=pros, is_active=True).order_by("position"):
        offered_by_pro.setdefault(service.pro_id, []).append(service)
    past, events, reviewed = [], [], []
    for index, pro in enumerate(pros):
        offered = offered_by_pro.get(pro.pk)
        if not offered:
            continue

        def pick(n, offered=offered):
            return offered[n % len(offered)]

        def who(n, index=index):
            return clients[(index + n) % len(clients)]

        # Upcoming, through the services (request-mode pros get requests).
        for n in range(3):
            if _book_upcoming(pro, pick(n), who(n), pick=n * 3 + index % 3):
                made += 1
        cancelled = _book_upcoming(pro, pick(3), who(3), pick=5)
        if cancelled is not None:
            services.booking_transition(
                booking=cancelled, action="cancel", by=cancelled.client, reason="Plans changed"
            )
            made += 1
        # Past history, as rows with their events (inserted together below).
        for n, (days_ago, hour, status, reason) in enumerate(HISTORY):
            booking, its_events = _past_rows(
                pro, pick(n), who(n + 1), days_ago=days_ago, hour=hour, status=status, reason=reason
            )
            past.append(booking)
            events += its_events
            if status == S.COMPLETED and n < 2:
                rating, text = REVIEWS[(index + n) % len(REVIEWS)]
                reviewed.append((booking, pro, rating, text, n == 0 and index % 2 == 0))
    # created_at and at are set on insert (auto_now_add), then put back to the dates above.
    dated = [(b, b.created_at) for b in past] + [(e, e.at) for e in events]
    Booking.objects.bulk_create(past)
    BookingEvent.objects.bulk_create(events)
    for row, when in dated:
        setattr(row, "created_at" if isinstance(row, Booking) else "at", when)
    Booking.objects.bulk_update(past, ["created_at"])
    BookingEvent.objects.bulk_update(events, ["at"])
    made += len(past)
    for booking, pro, rating, text, replied in reviewed:
        review = services.review_create(
            booking=booking, by=booking.client, rating=rating, text=text
        )
        if replied:
            services.review_reply(review=review, by=pro.user, text="Thank you, see you next time!")
    return made


# ---------------------------------------------------------------------------------------------
# --scale N: a large data set for benchmarks
# ---------------------------------------------------------------------------------------------

BOOKINGS_PER_PRO = 100
FUTURE_PER_PRO = 20
BATCH = 5000


def seed_scale(*, stdout, count: int) -> None:
    """`count` bench pros (and as many bench clients) with ~100 bookings each, bulk-created."""
    existing = ProProfile.objects.filter(slug__startswith="bench-pro-").count()
    if existing >= count:
        stdout.write(f"bookings: {existing} bench pros already there (--scale {count}).")
        return
    started = timezone.now()
    rng = random.Random(42)
    password = make_password(None)  # unusable: bench users cannot log in
    new = range(existing + 1, count + 1)
    with transaction.atomic():
        users = User.objects.bulk_create(
            [
                User(email=f"bench-pro-{n}@bench.example", role=User.Role.PRO, password=password)
                for n in new
            ]
            + [User(email=f"bench-client-{n}@bench.example", password=password) for n in new],
            batch_size=BATCH,
        )
        pro_users, client_users = users[: len(new)], users[len(new) :]
        ClientProfile.objects.bulk_create(
            [
                ClientProfile(user=u, display_name=f"Bench client {n}", timezone="Europe/Paris")
                for n, u in zip(new, client_users, strict=True)
            ],
            batch_size=BATCH,
        )
        pros = ProProfile.objects.bulk_create(
            [
                ProProfile(
                    user=u,
                    display_name=f"Bench pro {n}",
                    slug=f"bench-pro-{n}",
                    city=rng.choice(["Paris", "Lyon", "Berlin", "London"]),
                    timezone="Europe/Paris",
                    is_listed=False,  # kept out of the public directory
                )
                for n, u in zip(new, pro_users, strict=True)
            ],
            batch_size=BATCH,
        )
        offered = Service.objects.bulk_create(
            [
                Service(
                    pro=pro,
                    name=name,
                    duration_minutes=minutes,
                    price_amount=price,
                    currency="EUR",
                    position=i,
                )
                for pro in pros
                for i, (name, minutes, price) in enumerate(
                    [("Short session", 30, 2500), ("Session", 60, 4500), ("Long session", 90, 6500)]
                )
            ],
            batch_size=BATCH,
        )
        BookingRules.objects.bulk_create([BookingRules(pro=pro) for pro in pros], batch_size=BATCH)
        WeeklyHours.objects.bulk_create(
            [
                WeeklyHours(pro=pro, weekday=d, start=s, end=e)
                for pro in pros
                for d in range(5)
                for s, e in ((time(9), time(12)), (time(13), time(18)))
            ],
            batch_size=BATCH,
        )
        all_clients = list(User.objects.filter(email__startswith="bench-client-").order_by("pk"))
        bookings = _scale_bookings(pros, offered, all_clients)
        Booking.objects.bulk_create(bookings, batch_size=BATCH)
        BookingEvent.objects.bulk_create(
            [
                BookingEvent(
                    booking=b,
                    actor_id=b.client_id,
                    actor_role="client",
                    action="create",
                    to_status=b.status,
                )
                for b in bookings
            ],
            batch_size=BATCH,
        )
    seconds = (timezone.now() - started).total_seconds()
    stdout.write(
        f"bookings: --scale {count}: {len(pros)} bench pros, {len(bookings)} bookings "
        f"in {seconds:.1f}s"
    )


def _scale_bookings(pros, offered, clients) -> list[Booking]:
    """Non-overlapping bookings: slot j is the same instant for every pro; at slot j pro k's
    client is clients[(k + j) % C], so no client has two bookings at one time either."""
    zone = ZoneInfo("Europe/Paris")
    today = timezone.now().astimezone(zone).date()
    past_days = (BOOKINGS_PER_PRO - FUTURE_PER_PRO) // 4 + 1
    slots = []
    for day_offset in range(-past_days * 2, 60):
        day = today + timedelta(days=day_offset)
        if day.weekday() >= 5 or day_offset in (0, 1):
            continue
        for hour in (9, 10, 14, 16):
            slots.append(datetime.combine(day, time(hour)).replace(tzinfo=zone))
    now = timezone.now()
    past = [s for s in slots if s < now][-(BOOKINGS_PER_PRO - FUTURE_PER_PRO) :]
    future = [s for s in slots if s > now][:FUTURE_PER_PRO]
    chosen = past + future
    by_pro: dict[int, list[Service]] = {}
    for service in offered:
        by_pro.setdefault(service.pro_id, []).append(service)
    rows = []
    count = len(clients)
    for k, pro in enumerate(pros):
        services_of = by_pro[pro.pk]
        for j, start in enumerate(chosen):
            service = services_of[j % 2]  # 30 or 60 minutes: inside the hour
            if start > now:
                status = S.CONFIRMED
            else:
                status = (S.COMPLETED, S.COMPLETED, S.COMPLETED, S.CANCELLED, S.NO_SHOW)[j % 5]
            rows.append(
                Booking.from_service(
                    service=service, client=clients[(k + j) % count], starts_at=start, status=status
                )
            )
    return rows
