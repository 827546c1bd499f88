"""Writes of a pro's own calendars: adding one (a secret ICS link, or CalDAV with a user and an
app password), removing it, and syncing: fetching it (bookings.calendar_fetch), expanding its
events into busy times (bookings.calendar_import) and storing those as BusyInterval rows, which
the slot engine and the booking check read as busy time (bookings.selectors.load_engine_inputs).

Syncing never raises: a failure is recorded on the calendar (status ``error``, ``last_error``)
and its busy times from the last success are kept, since they are still the best knowledge. While
a calendar is stale or failing, new bookings of its pro become requests (booking_create) and
confirming a request syncs the pro's calendars again first (booking_transition).

The busy times are expanded over [now - 1 day, now + a year (a standing appointment's reach,
``bookings.series.REACH_DAYS``, or the pro's horizon if longer) + a week]: every time a booking
can be made for is checked against them. A calendar is fetched conditionally (an ICS feed's
ETag / Last-Modified, a CalDAV collection's sync-token or ctag; "not modified" keeps the busy
times) only while the stored busy times still reach a day past that year, so the window moves
on at least weekly even for a calendar that never changes. A booking ending past a calendar's
stored busy times (``synced_until``) counts as unchecked, like a stale calendar.

A failure's words (``last_error``) are for the pro alone, read later on their calendars page or
through the API: they are written in the pro's language (``accounts.languages.speaking``),
whoever's request or the background run syncs.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.languages import speaking
from accounts.models import ProProfile
from accounts.timezones import parse_zone
from bookings import calendar_fetch, calendar_import, ics, series
from bookings.calendar_import import CalendarError
from bookings.models import BusyInterval, ExternalCalendar
from bookings.services.waitlist import waitlist_check_pro_on_commit
from timz import crypto

log = logging.getLogger(__name__)

NAME_MAX = 100
# Busy times are expanded this far past the horizon so that a feed that has not changed can be
# answered with 304 for a week before the window must move on.
WINDOW_MARGIN = timedelta(days=7)


def _sync_interval() -> timedelta:
    return timedelta(minutes=settings.CALENDAR_SYNC_MINUTES)


def stale_after() -> timedelta:
    return timedelta(minutes=settings.CALENDAR_STALE_MINUTES)


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("Give the calendar a name, e.g. “Personal”."))
    if len(name) > NAME_MAX:
        raise ValidationError(_("The name can be at most %(max)s characters.") % {"max": NAME_MAX})
    return name


def _checked_url(url: str, *, with_password: bool = False) -> str:
    if len(url or "") > 2000:
        raise ValidationError(_("This address is too long."))
    try:
        return calendar_fetch.check_url(url, with_password=with_password)
    except calendar_fetch.URLRefused as exc:
        raise ValidationError(str(exc), code="url_refused") from exc


def calendar_add(
    *,
    pro: ProProfile,
    name: str,
    url: str = "",
    caldav_url: str = "",
    username: str = "",
    password: str = "",
    sync: bool = True,
) -> ExternalCalendar:
    """Add one of `pro`'s calendars: `url` (a secret ICS link) or `caldav_url` with `username`
    and `password` (an app password), then sync it once (`sync`; failures are recorded on the
    calendar, not raised). ValidationError for a missing or refused address, missing
    credentials, or more than ExternalCalendar.MAX_PER_PRO calendars."""
    name = _clean_name(name)
    url, caldav_url = (url or "").strip(), (caldav_url or "").strip()
    if bool(url) == bool(caldav_url):
        raise ValidationError(_("Give either an ICS link or a CalDAV address."))
    if caldav_url:
        username = (username or "").strip()
        if not username or not password:
            raise ValidationError(_("A CalDAV calendar needs a user name and an app password."))
        if len(username) > 200 or len(password) > 500:
            raise ValidationError(_("The user name or password is too long."))
        kind, address = ExternalCalendar.Kind.CALDAV, _checked_url(caldav_url, with_password=True)
    else:
        kind, address, username, password = ExternalCalendar.Kind.ICS, _checked_url(url), "", ""
    with transaction.atomic():
        if ExternalCalendar.objects.filter(pro=pro).count() >= ExternalCalendar.MAX_PER_PRO:
            raise ValidationError(
                _("You can connect at most %(max)s calendars.")
                % {"max": ExternalCalendar.MAX_PER_PRO}
            )
        calendar = ExternalCalendar.objects.create(
            pro=pro,
            name=name,
            kind=kind,
            url_encrypted=crypto.encrypt(address),
            host=urlsplit(address).hostname or "",
            username=username,
            password_encrypted=crypto.encrypt(password) if password else "",
            next_sync_at=timezone.now(),
        )
    if sync:
        calendar = calendar_sync(calendar=calendar)
    return calendar


def calendar_remove(*, calendar: ExternalCalendar) -> None:
    """Remove the calendar, its stored password and its busy times (their time frees up)."""
    pro = calendar.pro
    with transaction.atomic():
        calendar.delete()
        waitlist_check_pro_on_commit(pro=pro)


def _window(calendar: ExternalCalendar, now: datetime) -> tuple[datetime, datetime, datetime]:
    """(start, end) of the busy times to store, and how far they must reach for a 304 to do."""
    from bookings.selectors import booking_rules_for

    # A series books up to REACH_DAYS ahead, past the horizon: its occurrences meet these too.
    days = max(series.REACH_DAYS, booking_rules_for(calendar.pro).horizon_days)
    needed = now + timedelta(days=days + 1)
    return now - timedelta(days=1), needed + WINDOW_MARGIN, needed


def _fetch(calendar: ExternalCalendar, *, start, end, conditional: bool):
    try:
        url = crypto.decrypt(calendar.url_encrypted)
        if calendar.kind == ExternalCalendar.Kind.CALDAV:
            password = crypto.decrypt(calendar.password_encrypted)
    except crypto.SecretUnreadable as exc:
        raise CalendarError(
            _(
                "The stored address or password can no longer be read: remove this calendar "
                "and add it again."
            )
        ) from exc
    if calendar.kind == ExternalCalendar.Kind.CALDAV:
        return calendar_fetch.fetch_caldav(
            url,
            username=calendar.username,
            password=password,
            window_start=start,
            window_end=end,
            etag=calendar.etag if conditional else "",
        )
    return calendar_fetch.fetch_ics(
        url,
        etag=calendar.etag if conditional else "",
        last_modified=calendar.last_modified if conditional else "",
    )


def calendar_sync(*, calendar: ExternalCalendar, now: datetime | None = None) -> ExternalCalendar:
    """Fetch the calendar now and store its busy times; returns the calendar as saved.

    Never raises for the calendar's own failures (unreachable, refused address, not iCalendar,
    too large, wrong password): those are recorded in ``status``/``last_error``, in the pro's
    language, and the busy times of the last success stay.
    """
    with speaking(calendar.pro.user):
        return _sync(calendar, now=now or timezone.now())


def _sync(calendar: ExternalCalendar, *, now: datetime) -> ExternalCalendar:
    pro = calendar.pro
    start, end, needed = _window(calendar, now)
    conditional = calendar.synced_until is not None and calendar.synced_until >= needed
    try:
        fetched = _fetch(calendar, start=start, end=end, conditional=conditional)
        busy = (
            None
            if fetched.not_modified
            else calendar_import.busy_times(
                fetched.calendars,
                window_start=start,
                window_end=end,
                zone=parse_zone(pro.timezone),
                skip_uid=ics.is_booking_uid,
            )
        )
    except CalendarError as exc:
        return _record_failure(calendar, now=now, error=str(exc))
    except Exception:  # a bug or a library's surprise must not stop the other calendars
        log.exception("calendar %s: sync failed", calendar.pk)
        return _record_failure(calendar, now=now, error=_("The calendar could not be read."))

    with transaction.atomic():
        locked = ExternalCalendar.objects.select_for_update().filter(pk=calendar.pk).first()
        if locked is None:
            return calendar  # removed meanwhile
        if busy is not None:
            old = set(
                BusyInterval.objects.filter(calendar=locked).values_list("starts_at", "ends_at")
            )
            new = {(b.starts_at, b.ends_at) for b in busy}
            if old != new:
                BusyInterval.objects.filter(calendar=locked).delete()
                BusyInterval.objects.bulk_create(
                    BusyInterval(calendar=locked, pro=pro, starts_at=s, ends_at=e)
                    for s, e in sorted(new)
                )
                if old - new:
                    waitlist_check_pro_on_commit(pro=pro)
            locked.etag, locked.last_modified = fetched.etag, fetched.last_modified
            locked.synced_until = end
        locked.status = ExternalCalendar.Status.OK
        locked.last_error = ""
        locked.last_synced_at = locked.last_attempt_at = now
        locked.next_sync_at = now + _sync_interval()
        locked.save()
    locked.pro = pro
    return locked


def _record_failure(calendar: ExternalCalendar, *, now: datetime, error: str) -> ExternalCalendar:
    ExternalCalendar.objects.filter(pk=calendar.pk).update(
        status=ExternalCalendar.Status.ERROR,
        last_error=error[:500],
        last_attempt_at=now,
        next_sync_at=now + _sync_interval(),
    )
    calendar.status, calendar.last_error = ExternalCalendar.Status.ERROR, error[:500]
    calendar.last_attempt_at, calendar.next_sync_at = now, now + _sync_interval()
    return calendar


def calendars_sync_due(*, now: datetime, limit: int = 100) -> tuple[int, int]:
    """Sync the calendars whose ``next_sync_at`` has come (process_due): (synced, failed).

    At most `limit` a run, longest-waiting first: a slow server costs up to
    calendar_fetch.DEADLINE_SECONDS, and the next minute's run takes the rest."""
    due = list(
        ExternalCalendar.objects.filter(next_sync_at__lte=now)
        .select_related("pro", "pro__booking_rules", "pro__user")
        .order_by("next_sync_at")[:limit]
    )
    synced = failed = 0
    for calendar in due:
        result = calendar_sync(calendar=calendar, now=now)
        if result.status == ExternalCalendar.Status.OK:
            synced += 1
        else:
            failed += 1
    return synced, failed


def calendars_sync_for_pro(*, pro: ProProfile, now: datetime | None = None) -> None:
    """Sync every calendar of `pro` now (before the pro confirms a request)."""
    for calendar in ExternalCalendar.objects.filter(pro=pro).select_related("pro__user"):
        calendar_sync(calendar=calendar, now=now)


def calendars_forget(*, pro: ProProfile) -> int:
    """Delete every calendar of `pro`, with its stored password and busy times (the pro's
    account is being deleted). Returns how many calendars there were."""
    BusyInterval.objects.filter(pro=pro).delete()
    deleted, _kinds = ExternalCalendar.objects.filter(pro=pro).delete()
    return deleted
