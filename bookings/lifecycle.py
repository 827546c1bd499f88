"""The booking lifecycle: one table of transitions, read by services, pages, API and admin.

Each row says which action moves a booking from which statuses to which status, which actor roles
may take it (``client``, ``pro``, ``staff``, ``system``), the time condition it needs and whether a
reason is required. Nothing else in the code base decides whether a transition is allowed: the
services in ``bookings.services`` call :func:`check` under a row lock, the pages and the API show
:func:`allowed_actions`, the admin's actions go through the same service as ``staff``.

Time guards (``now`` is the moment of the action):

- ``before_start``: ``now < starts_at``.
- ``after_start``: ``now >= starts_at``.
- ``outside_window``: ``now < starts_at - cancellation window`` (reschedule only then).
- ``after_expiry``: ``expires_at`` is set and ``now >= expires_at``.

A client cancelling a *confirmed* booking inside the cancellation window makes a *late
cancellation* (``Booking.is_late_cancellation``; an online payment is then refunded less the
pro's late-cancellation fee). A request that the pro never accepted carries no obligation, so
cancelling it is never late.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import django.dispatch
from django.core.exceptions import ValidationError

from bookings.models import Booking

S = Booking.Status

CLIENT, PRO, STAFF, SYSTEM = "client", "pro", "staff", "system"
ROLES = (CLIENT, PRO, STAFF, SYSTEM)

BEFORE_START = "before_start"
AFTER_START = "after_start"
OUTSIDE_WINDOW = "outside_window"
AFTER_EXPIRY = "after_expiry"

# Target for actions whose result depends on the pro's confirmation mode: "requested" in request
# mode, "confirmed" in instant mode (see target_status()).
BY_MODE = "by_mode"

# Sent inside the transaction, after the event row is written. Receivers that do outside work
# (emails, websockets, payment gateways) should defer it with transaction.on_commit.
# kwargs: booking, action, from_status, to_status, actor, reason. booking_create sends it too,
# with action "create" and from_status "" (the first event row of every booking).
booking_transitioned = django.dispatch.Signal()


class TransitionNotAllowed(ValidationError):
    """The table does not allow this action for this actor now (the message says why)."""


class SlotUnavailable(ValidationError):
    """The requested time is not (or no longer) free."""

    def __init__(self, message="That time is no longer available."):
        super().__init__(message, code="slot_unavailable")


@dataclass(frozen=True, slots=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    actors: frozenset[str]
    guard: str | None = None
    reason_required: bool = False
    label: str = ""


def _row(action, sources, target, actors, guard=None, reason_required=False, label=""):
    return Transition(
        action=action,
        sources=frozenset(sources),
        target=target,
        actors=frozenset(actors),
        guard=guard,
        reason_required=reason_required,
        label=label or action.replace("_", " ").capitalize(),
    )


# THE table. Several rows may share an action when actors differ in sources or conditions.
TRANSITIONS: tuple[Transition, ...] = (
    _row("confirm", [S.REQUESTED], S.CONFIRMED, [PRO, STAFF], BEFORE_START),
    _row("decline", [S.REQUESTED], S.DECLINED, [PRO, STAFF], BEFORE_START, reason_required=True),
    _row(
        "cancel",
        [S.PENDING_PAYMENT, S.REQUESTED, S.CONFIRMED],
        S.CANCELLED,
        [CLIENT],
        BEFORE_START,
        label="Cancel booking",
    ),
    _row(
        "cancel",
        [S.PENDING_PAYMENT, S.CONFIRMED],
        S.CANCELLED,
        [PRO],
        BEFORE_START,
        reason_required=True,
        label="Cancel booking",
    ),
    _row(
        "cancel",
        [S.PENDING_PAYMENT, S.REQUESTED, S.CONFIRMED],
        S.CANCELLED,
        [STAFF],
        reason_required=True,
        label="Cancel booking",
    ),
    _row("complete", [S.CONFIRMED], S.COMPLETED, [PRO, STAFF], AFTER_START, label="Mark completed"),
    _row("no_show", [S.CONFIRMED], S.NO_SHOW, [PRO, STAFF], AFTER_START, label="Mark no-show"),
    _row("reschedule", [S.REQUESTED, S.CONFIRMED], BY_MODE, [CLIENT, PRO], OUTSIDE_WINDOW),
    _row("expire", [S.REQUESTED, S.PENDING_PAYMENT], S.EXPIRED, [SYSTEM], AFTER_EXPIRY),
    _row("payment_received", [S.PENDING_PAYMENT], BY_MODE, [SYSTEM, STAFF]),
    # The client saved the card that protects a card-on-file booking (payments.card_on_file).
    _row("card_saved", [S.PENDING_PAYMENT], BY_MODE, [SYSTEM]),
)

# Actions that end a payment hold and make the booking new to the pro (as a booking to
# honour, or a request to answer).
HOLD_ENDING_ACTIONS = ("payment_received", "card_saved")

ACTIONS: tuple[str, ...] = tuple(dict.fromkeys(t.action for t in TRANSITIONS))

# Actions a booking's client or pro takes from a page or the API (the others are the system's
# and staff's only).
USER_ACTIONS: tuple[str, ...] = tuple(
    dict.fromkeys(t.action for t in TRANSITIONS if t.actors & {CLIENT, PRO})
)

# The user actions taken with one button (plus a reason where the table asks for one).
# Rescheduling also needs the new time, so it has a page of its own.
BUTTON_ACTIONS: tuple[str, ...] = tuple(a for a in USER_ACTIONS if a != "reschedule")

_GUARD_MESSAGES = {
    BEFORE_START: "This can only be done before the appointment starts.",
    AFTER_START: "This can only be done once the appointment has started.",
    OUTSIDE_WINDOW: "It is too close to the appointment to do this now.",
    AFTER_EXPIRY: "This booking has not expired yet.",
}


def role_of(*, booking: Booking, user) -> str | None:
    """The role `user` plays for `booking`: client, pro, staff, system (None user) or None."""
    if user is None:
        return SYSTEM
    if not getattr(user, "is_authenticated", False):
        return None
    if user.pk == booking.client_id:
        return CLIENT
    if user.pk == booking.pro.user_id:
        return PRO
    if user.is_staff:
        return STAFF
    return None


def cancellation_window(booking: Booking, rules=None) -> timedelta:
    hours = rules.cancellation_window_hours if rules is not None else _rules(booking)
    return timedelta(hours=hours)


def _rules(booking: Booking) -> int:
    from bookings.selectors import booking_rules_for

    return booking_rules_for(booking.pro).cancellation_window_hours


def guard_holds(guard: str | None, *, booking: Booking, now: datetime, rules=None) -> bool:
    if guard is None:
        return True
    if guard == BEFORE_START:
        return now < booking.starts_at
    if guard == AFTER_START:
        return now >= booking.starts_at
    if guard == OUTSIDE_WINDOW:
        return now < booking.starts_at - cancellation_window(booking, rules)
    if guard == AFTER_EXPIRY:
        return booking.expires_at is not None and now >= booking.expires_at
    raise ValueError(f"Unknown guard {guard!r}")


def rows_for(action: str) -> list[Transition]:
    return [t for t in TRANSITIONS if t.action == action]


def check(
    *, booking: Booking, action: str, role: str | None, now: datetime, reason: str = "", rules=None
) -> Transition:
    """Return the row allowing `action` for `role` now, or raise TransitionNotAllowed."""
    rows = rows_for(action)
    if not rows:
        raise TransitionNotAllowed(f"“{action}” is not a booking action.", code="unknown_action")
    if role is None:
        raise TransitionNotAllowed("Only the client or the pro of this booking can do this.")
    by_role = [t for t in rows if role in t.actors]
    if not by_role:
        raise TransitionNotAllowed(f"A {role} cannot {action.replace('_', ' ')} a booking.")
    by_status = [t for t in by_role if booking.status in t.sources]
    if not by_status:
        raise TransitionNotAllowed(
            f"A {booking.get_status_display().lower()} booking cannot be "
            f"{past_tense(action)} by the {role}."
        )
    row = by_status[0]
    if not guard_holds(row.guard, booking=booking, now=now, rules=rules):
        raise TransitionNotAllowed(_GUARD_MESSAGES[row.guard])
    if row.reason_required and not reason.strip():
        raise TransitionNotAllowed("Please give a reason.", code="reason_required")
    return row


_PAST_TENSE = {
    "create": "booked",
    "confirm": "confirmed",
    "decline": "declined",
    "cancel": "cancelled",
    "complete": "completed",
    "no_show": "marked as a no-show",
    "reschedule": "rescheduled",
    "expire": "expired",
    "payment_received": "marked as paid",
    "card_saved": "card saved",
}


def past_tense(action: str) -> str:
    """What the action did to a booking: "cancel" -> "cancelled", "no_show" -> "marked as a
    no-show"."""
    return _PAST_TENSE.get(action, action.replace("_", " "))


def done_message(action: str) -> str:
    """The confirmation shown once `action` went through: "Booking cancelled."."""
    return f"Booking {past_tense(action)}."


def target_status(row: Transition, *, booking: Booking, role: str, rules) -> str:
    """The status the booking ends in. BY_MODE follows the pro's confirmation mode.

    Rescheduling: in request mode a client's new time goes back to the pro (``requested``); a
    pro moving the booking has agreed to the new time already, so its status stays as it was.
    """
    if row.target != BY_MODE:
        return row.target
    request_mode = rules.confirmation_mode == rules.ConfirmationMode.REQUEST
    if row.action == "reschedule":
        if role == CLIENT and request_mode:
            return S.REQUESTED
        return booking.status
    return S.REQUESTED if request_mode else S.CONFIRMED


def is_late_cancellation(*, booking: Booking, role: str, now: datetime, rules=None) -> bool:
    return (
        role == CLIENT
        and booking.status == S.CONFIRMED
        and now >= booking.starts_at - cancellation_window(booking, rules)
        and now < booking.starts_at
    )


def open_actions(*, booking: Booking, role: str, now: datetime, rules=None) -> list[str]:
    """Every action of the table `role` may take on `booking` at `now`, in table order.

    Reasons are not checked here: a page shows the action and asks for the reason.
    """
    if rules is None:
        from bookings.selectors import booking_rules_for

        rules = booking_rules_for(booking.pro)
    found = []
    for row in TRANSITIONS:
        if (
            row.action not in found
            and role in row.actors
            and booking.status in row.sources
            and guard_holds(row.guard, booking=booking, now=now, rules=rules)
        ):
            found.append(row.action)
    return found


def allowed_actions(*, booking: Booking, user, now: datetime, rules=None) -> list[str]:
    """User actions (confirm, decline, cancel, ...) `user` may take on `booking` at `now`."""
    role = role_of(booking=booking, user=user)
    if role is None or role == SYSTEM:
        return []
    found = open_actions(booking=booking, role=role, now=now, rules=rules)
    return [action for action in found if action in USER_ACTIONS]


def actions_for(role: str) -> tuple[str, ...]:
    """The actions some row of the table gives to `role`, in table order."""
    return tuple(dict.fromkeys(t.action for t in TRANSITIONS if role in t.actors))


def action_label(action: str) -> str:
    """The button text of an action: "no_show" -> "Mark no-show"."""
    rows = rows_for(action)
    return rows[0].label if rows else action.replace("_", " ").capitalize()


def reason_required(action: str, role: str) -> bool:
    return any(t.reason_required for t in rows_for(action) if role in t.actors)
