"""Writes of the waitlist: joining and leaving it, offering freed times, declining, expiry.

A client with no time that fits joins the waitlist with a window (a local date and from/to
wall-clock times in their zone), for one pro's service or for a search (category, words and,
optionally, a distance from a point). When time frees up at a pro (a booking cancelled,
declined, expired or moved away; hours added; an override or time off removed), the services
that free it call :func:`waitlist_check_pro_on_commit`, and :func:`waitlist_check_pro` offers
each waiting entry, first come first served, the first free start in its window that it was
not offered before. The offer holds the time for its client for ``WaitlistOffer.HOLD_MINUTES``:
the slot engine counts a live offer as busy for everyone else. An offer declined or left to
expire goes back to the check, so the next waiting client gets the time.

Exactly one live offer per freed time, whatever the concurrency: the check runs under the
pro's row lock (PostgreSQL; SQLite's IMMEDIATE transactions serialise every writer), sees the
live offers as busy, and a partial unique constraint on (pro, starts_at) of live offers backs
it up (bookings.models.WaitlistOffer).
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import content
from accounts.geo import MAX_SEARCH_KM, haversine_km
from accounts.models import Category, ProProfile
from accounts.timezones import parse_zone
from bookings.models import Booking, Service, WaitlistEntry, WaitlistOffer
from bookings.signals import waitlist_offered

# How far ahead a window may be, and how many open entries one client may keep.
MAX_DAYS_AHEAD = 365
MAX_OPEN_ENTRIES = 20
# The most waiting entries one check serves (first come first): bounded work per check; the
# entries after them are served by the next check, once these got their offers.
MAX_ENTRIES_PER_CHECK = 200
Q_MAX = 100


def _lock_pro(pro: ProProfile) -> None:
    """PostgreSQL: serialise the waitlist check with bookings of this pro (booking_create locks
    the same row). SQLite needs nothing: IMMEDIATE transactions serialise writers at BEGIN."""
    if connection.vendor == "postgresql":
        list(ProProfile.objects.select_for_update().filter(pk=pro.pk).values_list("pk"))


def _clean_window(*, day, from_time, to_time, zone_name: str, now: datetime):
    if not isinstance(day, date) or isinstance(day, datetime):
        raise ValidationError(_("Pick a date."))
    if not isinstance(from_time, time) or not isinstance(to_time, time):
        raise ValidationError(_("Give the window's start and end times."))
    if from_time.tzinfo is not None or to_time.tzinfo is not None:
        raise ValidationError(_("Give the window's times as wall-clock times, without an offset."))
    if not from_time < to_time:
        raise ValidationError(_("The window must end after it starts (on the same day)."))
    try:
        zone = parse_zone(zone_name)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc
    today = now.astimezone(zone).date()
    if day < today:
        raise ValidationError(_("That day is in the past: pick today or a later day."))
    if day > today + timedelta(days=MAX_DAYS_AHEAD):
        raise ValidationError(_("Pick a day within a year from today."))
    if day == today and to_time <= now.astimezone(zone).time():
        raise ValidationError(_("That window is already over today."))
    return zone


def waitlist_join(
    *,
    client,
    day: date,
    from_time: time,
    to_time: time,
    zone: str,
    pro: ProProfile | None = None,
    service: Service | None = None,
    category: Category | None = None,
    q: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    km: int | None = None,
) -> WaitlistEntry:
    """Put `client` on the waitlist for the window `day` `from_time`-`to_time` in `zone`.

    With `pro` (and a bookable `service` of theirs, which the caller fetched with
    bookings.selectors.service_get_bookable), the entry waits for that pro; without, it is
    search-wide and needs a `category` or words `q` (and `km` around `latitude`/`longitude`
    when all three are given). A free time already in the window is offered at once (on commit).
    """
    from bookings.services.booking import check_not_own_service

    if client is None or not getattr(client, "is_authenticated", False):
        raise ValidationError(_("Please log in to join the waitlist."))
    now = timezone.now()
    zone_info = _clean_window(
        day=day, from_time=from_time, to_time=to_time, zone_name=zone, now=now
    )
    q = " ".join((q or "").split())
    if len(q) > Q_MAX:
        raise ValidationError(
            _("The search words can be at most %(max)s characters.") % {"max": Q_MAX}
        )
    if pro is not None:
        if service is None or service.pro_id != pro.pk:
            raise ValidationError(_("Pick one of this pro's services."))
        check_not_own_service(client=client, pro=pro)
        category, q, latitude, longitude, km = None, "", None, None, None
    else:
        if service is not None:
            raise ValidationError(_("A service needs its pro."))
        if category is None and not q:
            raise ValidationError(_("Say what you are looking for: a category or some words."))
        near = (latitude, longitude, km)
        if any(v is not None for v in near) and not all(v is not None for v in near):
            latitude, longitude, km = None, None, None  # a distance needs all three
        if km is not None:
            if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
                raise ValidationError(_("That place is not on the map."))
            if not 1 <= km <= MAX_SEARCH_KM:
                raise ValidationError(
                    _("The distance must be between 1 and %(max)s km.") % {"max": MAX_SEARCH_KM}
                )
    with transaction.atomic():
        if (
            WaitlistEntry.objects.filter(
                client=client, status__in=WaitlistEntry.OPEN_STATUSES
            ).count()
            >= MAX_OPEN_ENTRIES
        ):
            raise ValidationError(
                _("You are already on %(count)s waitlists: leave one to join another.")
                % {"count": MAX_OPEN_ENTRIES}
            )
        entry = WaitlistEntry.objects.create(
            client=client,
            pro=pro,
            service=service,
            category=category,
            q=q,
            latitude=latitude,
            longitude=longitude,
            km=km,
            date=day,
            from_time=from_time,
            to_time=to_time,
            timezone=zone_info.key,
        )
        if pro is not None:
            waitlist_check_pro_on_commit(pro=pro)
    return entry


def waitlist_leave(*, entry: WaitlistEntry) -> WaitlistEntry:
    """Take the entry off the waitlist; a time held for it goes to the next waiting client."""
    with transaction.atomic():
        locked = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
        if not locked.is_open:
            return locked
        freed = list(
            WaitlistOffer.objects.filter(
                entry=locked, status=WaitlistOffer.Status.OFFERED
            ).values_list("pro_id", flat=True)
        )
        WaitlistOffer.objects.filter(entry=locked, status=WaitlistOffer.Status.OFFERED).update(
            status=WaitlistOffer.Status.DECLINED
        )
        locked.status = WaitlistEntry.Status.CANCELLED
        locked.save(update_fields=["status"])
        for pro_id in freed:
            waitlist_check_pro_on_commit(pro=ProProfile(pk=pro_id))
    return locked


def waitlist_entries_end(*, user) -> int:
    """Take `user` off every waitlist (their account is being deleted); the times held for them
    go to the next waiting clients. Returns how many entries were open."""
    open_entries = WaitlistEntry.objects.filter(
        client=user, status__in=WaitlistEntry.OPEN_STATUSES
    ).order_by("pk")
    ended = 0
    for entry in open_entries:
        waitlist_leave(entry=entry)
        ended += 1
    return ended


def waitlist_offer_decline(*, offer: WaitlistOffer) -> WaitlistOffer:
    """The client lets the held time go: it passes to the next waiting client at once, and the
    entry keeps waiting for another time in its window."""
    with transaction.atomic():
        locked = WaitlistOffer.objects.select_for_update().select_related("entry").get(pk=offer.pk)
        if locked.status != WaitlistOffer.Status.OFFERED:
            raise ValidationError(_("This offer is no longer open."))
        locked.status = WaitlistOffer.Status.DECLINED
        locked.save(update_fields=["status"])
        WaitlistEntry.objects.filter(
            pk=locked.entry_id, status=WaitlistEntry.Status.OFFERED
        ).update(status=WaitlistEntry.Status.WAITING)
        waitlist_check_pro_on_commit(pro=ProProfile(pk=locked.pro_id))
    return locked


def waitlist_offer_redeem(*, booking: Booking) -> None:
    """`booking` was just made (inside its transaction): the client's live offer of that time,
    if any, and its entry are booked. Called by booking_create."""
    offers = WaitlistOffer.objects.filter(
        entry__client_id=booking.client_id,
        pro_id=booking.pro_id,
        starts_at=booking.starts_at,
        status=WaitlistOffer.Status.OFFERED,
    )
    entry_ids = list(offers.values_list("entry_id", flat=True))
    if not entry_ids:
        return
    offers.update(status=WaitlistOffer.Status.BOOKED)
    WaitlistEntry.objects.filter(pk__in=entry_ids).update(status=WaitlistEntry.Status.BOOKED)


def waitlist_check_pro_on_commit(*, pro: ProProfile) -> None:
    """Once the surrounding transaction commits, offer the pro's free times to the waitlist
    (a background task: the write that freed the time does not wait for it)."""
    from bookings.tasks import waitlist_check

    pro_id = pro.pk
    transaction.on_commit(lambda: waitlist_check.enqueue(pro_id), robust=True)


def _expire_held(*, pro_id: int, now: datetime) -> int:
    """Offers of the pro whose hold ran out: expired, their entries waiting again."""
    due = WaitlistOffer.objects.filter(
        pro_id=pro_id, status=WaitlistOffer.Status.OFFERED, expires_at__lte=now
    )
    entry_ids = list(due.values_list("entry_id", flat=True))
    count = due.update(status=WaitlistOffer.Status.EXPIRED)
    WaitlistEntry.objects.filter(pk__in=entry_ids, status=WaitlistEntry.Status.OFFERED).update(
        status=WaitlistEntry.Status.WAITING
    )
    return count


def _entries_for(pro: ProProfile, *, now: datetime) -> list[WaitlistEntry]:
    """The waiting entries a free time of `pro` can go to, in the order they joined: those for
    the pro and (for a public pro) the search-wide ones whose criteria the pro matches."""
    from accounts.selectors import pros_matching

    soonest = (now - timedelta(days=1)).date()  # a window's date is local to its own zone
    waiting = WaitlistEntry.objects.filter(
        status=WaitlistEntry.Status.WAITING, date__gte=soonest
    ).select_related("client", "service")
    found = list(waiting.filter(pro=pro).order_by("created_at", "pk")[:MAX_ENTRIES_PER_CHECK])
    if pro.is_public:
        wide = (
            waiting.filter(pro__isnull=True)
            .order_by("created_at", "pk")
            .filter(Q(category__isnull=True) | Q(category_id=pro.category_id))[
                :MAX_ENTRIES_PER_CHECK
            ]
        )
        for entry in wide:
            if entry.km is not None and not _within_reach(pro, entry):
                continue
            if entry.q and not pros_matching(q=entry.q).filter(pk=pro.pk).exists():
                continue
            found.append(entry)
    return sorted(found, key=lambda e: (e.created_at, e.pk))[:MAX_ENTRIES_PER_CHECK]


def _within_reach(pro: ProProfile, entry: WaitlistEntry) -> bool:
    """Whether `pro` is within the entry's distance of its point, or travels that far to
    clients (as ProProfile.objects.near(..., with_travel=True) reads it)."""
    if pro.latitude is None or pro.longitude is None:
        return False
    distance = haversine_km(entry.latitude, entry.longitude, pro.latitude, pro.longitude)
    return distance <= entry.km or (pro.travel_km is not None and distance <= pro.travel_km)


def _service_for(entry: WaitlistEntry, services: list[Service]) -> Service | None:
    """The service an entry waits for: its own, else (search-wide) the pro's first active
    service named by one of its words (in any of the pro's languages), else the pro's first
    active service."""
    if entry.service_id is not None:
        return next((s for s in services if s.pk == entry.service_id), None)
    words = [w.casefold() for w in entry.q.split()]
    named = [
        s
        for s in services
        if any(w in name.casefold() for name in content.texts(s, "name") for w in words)
    ]
    return (named or services or [None])[0]


def _first_free_start(*, entry, pro, service, now) -> datetime | None:
    """The first free start of `service` inside the entry's window that the entry was not
    offered before, and at which its client has no other booking."""
    from bookings.selectors import free_slots

    zone = parse_zone(entry.timezone)
    offered_before = set(entry.offers.values_list("starts_at", flat=True))
    free = free_slots(
        pro=pro, service=service, start=entry.date, days=1, tz=zone, now=now, holder=entry.client
    )
    starts = [
        s
        for s in free
        if entry.from_time <= s.astimezone(zone).time() < entry.to_time and s not in offered_before
    ]
    if not starts:
        return None
    duration = timedelta(minutes=service.duration_minutes)
    busy = list(
        Booking.objects.filter(
            client=entry.client,
            status__in=Booking.ACTIVE_STATUSES,
            starts_at__lt=starts[-1] + duration,
            ends_at__gt=starts[0],
        ).values_list("starts_at", "ends_at")
    )
    for start in starts:
        if not any(b_start < start + duration and start < b_end for b_start, b_end in busy):
            return start
    return None


def waitlist_check_pro(*, pro: ProProfile, now: datetime | None = None) -> list[WaitlistOffer]:
    """Offer `pro`'s free times to the waiting entries that match, first come first served.

    First the pro's offers whose hold ran out are expired (their entries wait again and will
    not be offered that time again). Then each waiting entry gets the first free start in its
    window, held for 15 minutes; a held time is busy for the entries after it. Returns the new
    offers. Runs under the pro's lock; a concurrent check that won the race for a time makes
    the unique constraint refuse this one's offer of it, and the entry waits for the next.
    """
    from bookings.selectors import services_for_pro

    now = now or timezone.now()
    made: list[WaitlistOffer] = []
    with transaction.atomic():
        _lock_pro(pro)
        pro = ProProfile.objects.select_related("user", "booking_rules").get(pk=pro.pk)
        _expire_held(pro_id=pro.pk, now=now)
        if not pro.is_public:  # a hidden or closed pro cannot be booked: nothing to offer
            return made
        entries = _entries_for(pro, now=now)
        if not entries:
            return made
        services = list(services_for_pro(pro=pro))
        for entry in entries:
            if entry.client_id == pro.user_id:
                continue
            service = _service_for(entry, services)
            if service is None:
                continue
            start = _first_free_start(entry=entry, pro=pro, service=service, now=now)
            if start is None:
                continue
            offer = WaitlistOffer(
                entry=entry,
                pro=pro,
                service=service,
                starts_at=start,
                ends_at=start + timedelta(minutes=service.duration_minutes),
                offered_at=now,
                expires_at=now + timedelta(minutes=WaitlistOffer.HOLD_MINUTES),
                token=secrets.token_urlsafe(24),
            )
            try:
                with transaction.atomic():  # savepoint: the unique constraints may refuse
                    offer.save(force_insert=True)
            except IntegrityError:
                continue
            WaitlistEntry.objects.filter(pk=entry.pk).update(status=WaitlistEntry.Status.OFFERED)
            entry.status = WaitlistEntry.Status.OFFERED
            offer.entry = entry
            _announce(offer)
            made.append(offer)
    return made


def _announce(offer: WaitlistOffer) -> None:
    from bookings.tasks import send_waitlist_offer_email

    waitlist_offered.send(sender=WaitlistOffer, offer=offer)
    offer_id = offer.pk
    transaction.on_commit(lambda: send_waitlist_offer_email.enqueue(offer_id), robust=True)


def waitlist_process_due(*, now: datetime, limit: int = 500) -> tuple[int, int]:
    """For process_due: pass the time of every offer whose hold ran out to the next waiting
    client, and expire the entries whose window is over. Returns (offers handled, entries
    expired)."""
    pro_ids = list(
        WaitlistOffer.objects.filter(status=WaitlistOffer.Status.OFFERED, expires_at__lte=now)
        .order_by()
        .values_list("pro_id", flat=True)
        .distinct()[:limit]
    )
    handled = 0
    for pro_id in pro_ids:
        handled += WaitlistOffer.objects.filter(
            pro_id=pro_id, status=WaitlistOffer.Status.OFFERED, expires_at__lte=now
        ).count()
        waitlist_check_pro(pro=ProProfile(pk=pro_id), now=now)
    # A window's date is local to its zone: a local date D is over everywhere (UTC-12 the
    # latest) by D+1 12:00 UTC, that is once D is before the UTC date of 12 hours ago.
    over = WaitlistEntry.objects.filter(
        status=WaitlistEntry.Status.WAITING, date__lt=(now - timedelta(hours=12)).date()
    ).update(status=WaitlistEntry.Status.EXPIRED)
    return handled, over
