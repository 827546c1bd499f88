"""Writes of bookings: creation (no overlap, rate limited) and the lifecycle transitions.

Every function takes keyword-only arguments, validates, opens its own transaction and raises
``django.core.exceptions.ValidationError`` (or ``TransitionNotAllowed`` / ``SlotUnavailable`` from
``bookings.lifecycle``) with a message a user can read.

No overlap, whatever the concurrency: ``booking_create`` and rescheduling re-check the slot
inside the transaction. On SQLite the transaction is IMMEDIATE (writers serialise at BEGIN); on
PostgreSQL the pro's and the client's rows are locked first, and an exclusion constraint on the
time range of active bookings (migration 0002) backs it up.

Booking attempts are rate-limited per client (``settings.BOOKING_RATE_LIMIT``, default at most
10 per 10 minutes and 30 per hour) in ``booking_create`` itself, so the page, the API and any
future channel share one limit, counted by ``timz.ratelimit`` (Redis across processes).
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from accounts.models import ProProfile, User
from bookings import attribution, lifecycle
from bookings.lifecycle import SlotUnavailable, TransitionNotAllowed
from bookings.models import (
    Booking,
    BookingEvent,
    BookingRules,
    Protection,
    Service,
)
from bookings.services.waitlist import waitlist_check_pro_on_commit, waitlist_offer_redeem
from timz import prepared
from timz.ratelimit import RateLimit

if TYPE_CHECKING:
    from payments.models import Payment

logger = logging.getLogger(__name__)

PAYMENT_HOLD_MINUTES = 30


NOTE_MAX = 1000


def _lock_participants(*, pro: ProProfile, client) -> None:
    """PostgreSQL: serialise writers per pro and per client (always pro first, then client).

    SQLite needs nothing: IMMEDIATE transactions already serialise every writer at BEGIN.
    The two statements are compiled once per process (timz.prepared).
    """
    if connection.vendor != "postgresql":
        return
    prepared.rows("bookings.lock.pro", _pro_row_for_update, pk=pro.pk)
    prepared.rows("bookings.lock.user", _user_row_for_update, pk=client.pk)


def _pro_row_for_update(*, pk):
    return ProProfile.objects.select_for_update().filter(pk=pk).values_list("pk")


def _user_row_for_update(*, pk):
    return User.objects.select_for_update().filter(pk=pk).values_list("pk")


def _require_aware(value, *, new: bool = False) -> datetime:
    """`value` if it is an aware datetime, else ValidationError about the start time (or the
    `new` time of a move)."""
    if not isinstance(value, datetime):
        raise ValidationError(
            _("The new time is not a date and time.")
            if new
            else _("The start time is not a date and time.")
        )
    if timezone.is_naive(value):
        raise ValidationError(
            _("The new time needs a time zone offset.")
            if new
            else _("The start time needs a time zone offset.")
        )
    return value


# No rules can offer a time outside this range (the horizon is at most 365 days); refusing early
# also keeps date arithmetic far from datetime's limits.
BOOKABLE_RANGE = timedelta(days=400)


def _require_bookable(starts_at: datetime) -> datetime:
    now = timezone.now()
    if not now - BOOKABLE_RANGE < starts_at < now + BOOKABLE_RANGE:
        raise SlotUnavailable()
    return starts_at.astimezone(UTC)


def _check_slot(
    *,
    pro,
    client,
    starts_at,
    duration,
    now,
    exclude_booking_id=None,
    horizon_days=None,
):
    """Raise SlotUnavailable unless `starts_at` is a free start of the pro for `client` and the
    client has no other booking then; else the rest of what was read with it (two queries,
    ``bookings.selectors.slot_check``)."""
    from bookings.selectors import slot_check

    check = slot_check(
        pro=pro,
        client=client,
        duration_minutes=duration,
        starts_at=starts_at,
        now=now,
        exclude_booking_id=exclude_booking_id,
        horizon_days=horizon_days,
    )
    if not check.pro_free:
        raise SlotUnavailable()
    if not check.client_free:
        raise SlotUnavailable(_("You already have another booking at that time."))
    return check


def _record(
    *, booking, action, actor, role, from_status, to_status, reason, moved_from=None
) -> BookingEvent:
    """The event row of `action` (a reschedule passes the old start as `moved_from`), then the
    booking_transitioned signal."""
    event = BookingEvent.objects.create(
        booking=booking,
        actor=actor,
        actor_role=role,
        action=action,
        from_status=from_status,
        to_status=to_status,
        reason=reason[:500],
        old_starts_at=moved_from,
        new_starts_at=booking.starts_at if moved_from is not None else None,
    )
    lifecycle.booking_transitioned.send(
        sender=Booking,
        booking=booking,
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        reason=reason,
    )
    return event


_quiet = ContextVar("bookings_emails_suppressed", default=False)


@contextmanager
def emails_suppressed():
    """Within this block the booking services send no emails (demo data, bulk imports)."""
    token = _quiet.set(True)
    try:
        yield
    finally:
        _quiet.reset(token)


def _notify(booking_id: int, kind: str) -> None:
    """Enqueue the emails for `kind` with the transaction: a task row of the database backend
    (production) is written in it, so it commits with the booking or not at all (no second
    commit after it); any other backend (tests, development: the immediate one) is called once
    the transaction commits."""
    from bookings.tasks import send_booking_emails

    if _quiet.get():
        return
    if _queued_in_the_database(send_booking_emails):
        send_booking_emails.enqueue(booking_id, kind)
    else:
        transaction.on_commit(lambda: send_booking_emails.enqueue(booking_id, kind))


def _queued_in_the_database(task) -> bool:
    from django_tasks_db import DatabaseBackend

    return isinstance(task.get_backend(), DatabaseBackend)


BOOKING_ATTEMPTS = RateLimit(
    scope="booking-attempts",
    setting="BOOKING_RATE_LIMIT",
    message=gettext_lazy("You are booking too fast. Try again in a few minutes."),
)


def check_not_own_service(*, client, pro: ProProfile) -> None:
    """Raise ValidationError (code ``own_service``) when `client` is `pro`'s own user.

    The one self-booking rule: booking_create applies it, and the booking pages ask it before
    they show the confirm step.
    """
    if pro.user_id == client.pk:
        raise ValidationError(_("You cannot book your own service."), code="own_service")


def check_booker(*, client, service: Service | None, note: str) -> str:
    """The checks of who books what, before any time is looked at; returns the stripped note.

    Raises ValidationError: a note too long, nobody logged in, a service that cannot be booked,
    the client's own service, a pro who no longer takes bookings."""
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationError(_("The note can be at most %(max)s characters.") % {"max": NOTE_MAX})
    if client is None or not getattr(client, "is_authenticated", False):
        raise ValidationError(_("Please log in to book."))
    if service is None or not service.is_active:
        raise ValidationError(_("This service is not available for booking."))
    check_not_own_service(client=client, pro=service.pro)
    if not service.pro.user.is_active:
        raise ValidationError(_("This professional is not taking bookings."))
    return note


@dataclass(frozen=True, slots=True)
class CreatedRows:
    """The rows a booking's creation wrote besides the booking: its "create" event and the
    payment its checkout opened (none when it has no checkout). booking_create leaves them on
    the booking as ``created_rows``, so the answer to the request that made it is built without
    reading it all back (``bookings.selectors.booking_as_created``)."""

    events: tuple[BookingEvent, ...]
    payments: tuple[Payment, ...]


def booking_create(
    *,
    client,
    service: Service,
    starts_at: datetime,
    note: str = "",
    referring_pro_id: int | None = None,
    enforce_rate_limit: bool = True,
) -> Booking:
    """Book `service` at `starts_at` for `client`.

    `referring_pro_id` is the pro whose share link brought the client
    (``bookings.attribution.referring_pro_id``): it decides the booking's ``source`` here, once.

    Initial status: ``pending_payment`` for a service paid online (in full, or a deposit) of a
    pro who accepts online payments (30-minute hold, its checkout session opened in the same
    transaction; if the gateway refuses, the client's Pay tries again), or one that asks for a
    card on file (the same hold, while the client saves it), else ``confirmed`` (instant mode)
    or ``requested`` (request mode, expiring after the pro's request expiry).
    Raises SlotUnavailable when the time is not free, timz.ratelimit.RateLimited when the
    client tried too often (every valid attempt counts,
    successful or not; ``enforce_rate_limit=False`` is for demo data and imports, never for users).
    """
    from bookings.selectors import service_pays_online, service_saves_card

    starts_at = _require_aware(starts_at)
    note = check_booker(client=client, service=service, note=note)
    if enforce_rate_limit:
        BOOKING_ATTEMPTS.hit(client.pk)
    starts_at = _require_bookable(starts_at)
    online = service_pays_online(service) or service_saves_card(service)
    try:
        with transaction.atomic():
            _lock_participants(pro=service.pro, client=client)
            booking = insert_checked(
                client=client,
                service=service,
                starts_at=starts_at,
                note=note,
                online=online,
                referring_pro_id=referring_pro_id,
            )
    except IntegrityError as exc:
        raise SlotUnavailable() from exc
    return booking


def insert_checked(
    *,
    client,
    service: Service,
    starts_at: datetime,
    note: str,
    online: bool,
    by=None,
    series=None,
    horizon_days: int | None = None,
    referring_pro_id: int | None = None,
) -> Booking:
    """Inside the caller's transaction, with the participants locked: check the slot (every
    rule of the slot engine and the client's own bookings), insert the booking, redeem a
    waitlist offer, record the "create" event and schedule the emails.

    `by` is who books (default the client); a pro booking for a client books them confirmed.
    `horizon_days` replaces the pro's horizon (a standing appointment reaches further).
    `referring_pro_id` decides the booking's ``source`` (``bookings.attribution``).
    Raises SlotUnavailable, or IntegrityError from the database's own constraints.
    """
    from bookings.selectors import booking_rules_for, calendars_unchecked

    by = by or client
    role = lifecycle.CLIENT if by.pk == client.pk else lifecycle.PRO
    now = timezone.now()
    rules = booking_rules_for(service.pro)
    reason = ""
    check = _check_slot(
        pro=service.pro,
        client=client,
        starts_at=starts_at,
        duration=service.duration_minutes,
        now=now,
        horizon_days=horizon_days,
    )
    if online:
        status = Booking.Status.PENDING_PAYMENT
        expires_at = now + timedelta(minutes=PAYMENT_HOLD_MINUTES)
    elif role == lifecycle.CLIENT and (
        rules.confirmation_mode == BookingRules.ConfirmationMode.REQUEST
    ):
        status = Booking.Status.REQUESTED
        expires_at = min(now + timedelta(hours=rules.request_expiry_hours), starts_at)
    elif (
        role == lifecycle.CLIENT
        and check.pro_has_calendars
        and calendars_unchecked(
            pro=service.pro,
            now=now,
            until=starts_at + timedelta(minutes=service.duration_minutes),
        )
    ):
        # The pro's own calendar may hold this time: the pro decides, not the site.
        status = Booking.Status.REQUESTED
        expires_at = min(now + timedelta(hours=rules.request_expiry_hours), starts_at)
        reason = UNCHECKED_CALENDAR_REASON
    else:
        status, expires_at = Booking.Status.CONFIRMED, None
    booking = Booking.from_service(
        service=service,
        client=client,
        starts_at=starts_at,
        status=status,
        note=note,
        expires_at=expires_at,
        series=series,
        source=attribution.booking_source(
            pro_id=service.pro_id, client=client, referring_pro_id=referring_pro_id
        ),
    )
    if not online and booking.protection != Protection.NONE:
        # The pro cannot take a deposit or keep a card now: nothing is asked or promised.
        booking.protection, booking.deposit_amount = Protection.NONE, 0
    # The exclusion constraint may refuse (PostgreSQL): the IntegrityError leaves through the
    # caller's transaction (booking_create) or savepoint (a series), which rolls it back.
    booking.save(force_insert=True)
    if check.offer_held:
        # Read with the slot while the pro is locked: no offer of theirs can appear meanwhile.
        waitlist_offer_redeem(booking=booking)
    event = _record(
        booking=booking,
        action="create",
        actor=by,
        role=role,
        from_status="",
        to_status=status,
        reason=reason,
    )
    payments = []
    saves_card = (
        booking.protection == Protection.CARD
        and service.payment_mode == Service.PaymentMode.AT_APPOINTMENT
    )
    if status == Booking.Status.PENDING_PAYMENT and not saves_card:
        # The checkout exists from the start, so the booking's payment link is real (a card on
        # file is saved on its own page instead). If the gateway refuses now, the booking still
        # holds its time: its payment page says why and Pay tries again (nothing is written
        # before the gateway answers, so nothing else is lost).
        from payments.services import checkout_start_new

        try:
            payments.append(checkout_start_new(booking=booking))
        except ValidationError as exc:
            logger.warning("Booking %s: no checkout yet: %s", booking.pk, exc.messages)
    elif status == Booking.Status.REQUESTED:
        _notify(booking.pk, "requested")
    elif status == Booking.Status.CONFIRMED:
        _notify(booking.pk, "booked")
    booking.created_rows = CreatedRows(events=(event,), payments=tuple(payments))
    return booking


def booking_transition(
    *,
    booking: Booking,
    action: str,
    by,
    reason: str = "",
    starts_at: datetime | None = None,
    recheck_calendars: bool = True,
) -> Booking:
    """Move `booking` through `action` as `by` (None = the system), as the lifecycle table allows.

    Locks the row, checks the table (actor role, source status, time guard, reason), writes the
    status and a BookingEvent, sends ``booking_transitioned`` and schedules the emails on commit.
    ``reschedule`` needs ``starts_at``: another free slot (the booking's own slot does not block
    itself), and `booking` as the caller read it: if its ``sequence`` no longer matches the row,
    someone changed the booking meanwhile and TransitionNotAllowed(code="stale") is raised.
    A pro's ``confirm`` first syncs the pro's own calendars and is refused over a time they
    hold; `recheck_calendars=False` skips the sync (not the check) for a caller that has just
    synced them (a series' accept, once for all its requests).
    Raises TransitionNotAllowed or SlotUnavailable (both ValidationErrors).
    """
    from bookings.selectors import booking_rules_for, calendar_busy_overlaps, calendars_unchecked

    reason = (reason or "").strip()
    if len(reason) > 500:
        raise ValidationError(_("The reason can be at most %(max)s characters.") % {"max": 500})
    if action not in lifecycle.ACTIONS:
        raise TransitionNotAllowed(
            _("“%(action)s” is not a booking action.") % {"action": action},
            code="unknown_action",
        )
    if action == "reschedule":
        if starts_at is None:
            raise ValidationError(_("Pick the new time."))
        starts_at = _require_bookable(_require_aware(starts_at, new=True))
    if action == "confirm" and recheck_calendars:
        resync_calendars_before_confirm(booking=booking, by=by)
    try:
        with transaction.atomic():
            if action == "reschedule":
                _lock_participants(pro=booking.pro, client=booking.client)
            locked = (
                Booking.objects.select_for_update(of=("self",))
                .select_related("pro", "pro__user", "client")
                .get(pk=booking.pk)
            )
            now = timezone.now()
            rules = booking_rules_for(locked.pro)
            role = lifecycle.role_of(booking=locked, user=by)
            row = lifecycle.check(
                booking=locked, action=action, role=role, now=now, reason=reason, rules=rules
            )
            from_status = locked.status
            to_status = lifecycle.target_status(row, booking=locked, role=role, rules=rules)
            if (
                action == "payment_received"
                and to_status == Booking.Status.CONFIRMED
                and calendars_unchecked(pro=locked.pro, now=now, until=locked.ends_at)
            ):
                to_status = Booking.Status.REQUESTED
                reason = reason or UNCHECKED_CALENDAR_REASON
            if action == "confirm" and calendar_busy_overlaps(
                pro=locked.pro, starts_at=locked.starts_at, ends_at=locked.ends_at
            ):
                raise SlotUnavailable(CALENDAR_BUSY_MESSAGE)
            fields = ["status", "updated_at"]
            event_reason = reason
            kind = action
            moved_from = None

            if action == "cancel":
                late = lifecycle.is_late_cancellation(
                    booking=locked, role=role, now=now, rules=rules
                )
                if late:
                    locked.is_late_cancellation = True
                    event_reason = "Late cancellation" + (f": {reason}" if reason else "")
                    fields.append("is_late_cancellation")
                locked.sequence += 1
                fields.append("sequence")
            elif action == "reschedule":
                if locked.sequence != booking.sequence:
                    # Another change landed between the caller's read and this lock: moving
                    # the booking again would silently overwrite it (the last write winning).
                    raise TransitionNotAllowed(
                        _("This booking was changed in the meantime. Reload it and try again."),
                        code="stale",
                    )
                if starts_at == locked.starts_at:
                    raise ValidationError(_("Pick a different time from the current one."))
                ends_at = starts_at + timedelta(minutes=locked.duration_minutes)
                _check_slot(
                    pro=locked.pro,
                    client=locked.client,
                    starts_at=starts_at,
                    duration=locked.duration_minutes,
                    now=now,
                    exclude_booking_id=locked.pk,
                )
                if (
                    role == lifecycle.CLIENT
                    and to_status == Booking.Status.CONFIRMED
                    and calendars_unchecked(pro=locked.pro, now=now, until=ends_at)
                ):
                    # A client's new time is a new booking to the pro's own calendar: while
                    # that cannot be checked, the pro confirms it (as booking_create does).
                    to_status = Booking.Status.REQUESTED
                    reason = reason or UNCHECKED_CALENDAR_REASON
                old = moved_from = locked.starts_at
                locked.starts_at, locked.ends_at = starts_at, ends_at
                locked.reminder_sent_at = None
                locked.sequence += 1
                fields += ["starts_at", "ends_at", "reminder_sent_at", "sequence"]
                if to_status == Booking.Status.REQUESTED:
                    locked.expires_at = min(
                        now + timedelta(hours=rules.request_expiry_hours), starts_at
                    )
                    fields.append("expires_at")
                moved = f"Moved from {old:%Y-%m-%d %H:%M} UTC to {starts_at:%Y-%m-%d %H:%M} UTC"
                event_reason = moved + (f" ({reason})" if reason else "")
            elif action == "confirm" or (
                action in lifecycle.HOLD_ENDING_ACTIONS and to_status == Booking.Status.CONFIRMED
            ):
                locked.expires_at = None
                fields.append("expires_at")
                # A paid booking is new to the pro too; an accepted request only to the client.
                kind = "confirmed" if action == "confirm" else "booked"
            elif action in lifecycle.HOLD_ENDING_ACTIONS:
                locked.expires_at = min(
                    now + timedelta(hours=rules.request_expiry_hours), locked.starts_at
                )
                fields.append("expires_at")
                kind = "requested"
            elif action in ("decline", "expire"):
                locked.sequence += 1
                fields.append("sequence")

            locked.status = to_status
            with transaction.atomic():  # savepoint: the exclusion constraint may refuse
                locked.save(update_fields=fields)
            _record(
                booking=locked,
                action=action,
                actor=by,
                role=role,
                from_status=from_status,
                to_status=to_status,
                reason=event_reason,
                moved_from=moved_from,
            )
            if kind in EMAIL_KINDS:
                _notify(locked.pk, f"{kind}:{role}")
            if action in FREEING_ACTIONS:
                waitlist_check_pro_on_commit(pro=locked.pro)
    except IntegrityError as exc:
        raise SlotUnavailable() from exc
    return locked


def resync_calendars_before_confirm(*, booking: Booking, by) -> None:
    """Before the pro (or staff) accepts a request, fetch the pro's own calendars again, so the
    accept is checked against what they hold now (outside the transaction: network time)."""
    from bookings.models import ExternalCalendar
    from bookings.services.calendars import calendars_sync_for_pro

    current = Booking.objects.select_related("pro").filter(pk=booking.pk).first()
    if current is None or current.status != Booking.Status.REQUESTED:
        return  # the lifecycle check refuses it with its own words
    if lifecycle.role_of(booking=current, user=by) not in (lifecycle.PRO, lifecycle.STAFF):
        return
    if ExternalCalendar.objects.filter(pro_id=current.pro_id).exists():
        calendars_sync_for_pro(pro=current.pro)


# An event's reason is a record both sides read, each in their own language: it is stored in
# English (the site's language) and marked with gettext_noop so that a page can translate it.
UNCHECKED_CALENDAR_REASON = gettext_noop(
    "The pro's own calendar could not be checked just now, so the pro confirms this booking."
)
CALENDAR_BUSY_MESSAGE = gettext_lazy(
    "Your own calendar shows you busy at this time now. Decline the request, or move it to "
    "another time."
)

# Transitions that free the booking's time (a reschedule frees the old one): the waitlist hears.
FREEING_ACTIONS = {"cancel", "decline", "expire", "reschedule"}

# Transitions that send emails (bookings.emails knows who gets what).
EMAIL_KINDS = {"requested", "booked", "confirmed", "decline", "cancel", "reschedule", "expire"}
