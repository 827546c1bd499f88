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

Words people read (button labels, past tenses, refusals, confirmations) are translated: the
labels lazily (the table is built at import), the messages in the language active when they are
made. Each is a whole sentence of its own, never pieced together from the table's words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import django.dispatch
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from bookings.models import Booking

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

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

    def __init__(self, message: StrOrPromise | None = None):
        super().__init__(message or _("That time is no longer available."), code="slot_unavailable")


@dataclass(frozen=True, slots=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    actors: frozenset[str]
    guard: str | None = None
    reason_required: bool = False
    label: StrOrPromise = ""


def _row(action, sources, target, actors, guard=None, reason_required=False, label=None):
    return Transition(
        action=action,
        sources=frozenset(sources),
        target=target,
        actors=frozenset(actors),
        guard=guard,
        reason_required=reason_required,
        label=label if label is not None else action.replace("_", " ").capitalize(),
    )


# The button texts of the actions (the table's labels).
_CONFIRM = pgettext_lazy("booking action", "Confirm")
_DECLINE = pgettext_lazy("booking action", "Decline")
_CANCEL = pgettext_lazy("booking action", "Cancel booking")
_COMPLETE = pgettext_lazy("booking action", "Mark completed")
_NO_SHOW = pgettext_lazy("booking action", "Mark no-show")
_RESCHEDULE = pgettext_lazy("booking action", "Reschedule")
_EXPIRE = pgettext_lazy("booking action", "Expire")
_PAYMENT_RECEIVED = pgettext_lazy("booking action", "Payment received")
_CARD_SAVED = pgettext_lazy("booking action", "Card saved")

# THE table. Several rows may share an action when actors differ in sources or conditions.
TRANSITIONS: tuple[Transition, ...] = (
    _row("confirm", [S.REQUESTED], S.CONFIRMED, [PRO, STAFF], BEFORE_START, label=_CONFIRM),
    _row(
        "decline",
        [S.REQUESTED],
        S.DECLINED,
        [PRO, STAFF],
        BEFORE_START,
        reason_required=True,
        label=_DECLINE,
    ),
    _row(
        "cancel",
        [S.PENDING_PAYMENT, S.REQUESTED, S.CONFIRMED],
        S.CANCELLED,
        [CLIENT],
        BEFORE_START,
        label=_CANCEL,
    ),
    _row(
        "cancel",
        [S.PENDING_PAYMENT, S.CONFIRMED],
        S.CANCELLED,
        [PRO],
        BEFORE_START,
        reason_required=True,
        label=_CANCEL,
    ),
    _row(
        "cancel",
        [S.PENDING_PAYMENT, S.REQUESTED, S.CONFIRMED],
        S.CANCELLED,
        [STAFF],
        reason_required=True,
        label=_CANCEL,
    ),
    _row("complete", [S.CONFIRMED], S.COMPLETED, [PRO, STAFF], AFTER_START, label=_COMPLETE),
    _row("no_show", [S.CONFIRMED], S.NO_SHOW, [PRO, STAFF], AFTER_START, label=_NO_SHOW),
    _row(
        "reschedule",
        [S.REQUESTED, S.CONFIRMED],
        BY_MODE,
        [CLIENT, PRO],
        OUTSIDE_WINDOW,
        label=_RESCHEDULE,
    ),
    _row(
        "expire", [S.REQUESTED, S.PENDING_PAYMENT], S.EXPIRED, [SYSTEM], AFTER_EXPIRY, label=_EXPIRE
    ),
    _row(
        "payment_received", [S.PENDING_PAYMENT], BY_MODE, [SYSTEM, STAFF], label=_PAYMENT_RECEIVED
    ),
    # The client saved the card that protects a card-on-file booking (payments.card_on_file).
    _row("card_saved", [S.PENDING_PAYMENT], BY_MODE, [SYSTEM], label=_CARD_SAVED),
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
    BEFORE_START: gettext_lazy("This can only be done before the appointment starts."),
    AFTER_START: gettext_lazy("This can only be done once the appointment has started."),
    OUTSIDE_WINDOW: gettext_lazy("It is too close to the appointment to do this now."),
    AFTER_EXPIRY: gettext_lazy("This booking has not expired yet."),
}

# Why a role may not take an action at all, for each action some role lacks (a person only
# meets those of the client, the pro and staff; the system's are a developer's error).
_ROLE_REFUSALS = {
    (CLIENT, "confirm"): gettext_lazy("A client cannot confirm a booking."),
    (CLIENT, "decline"): gettext_lazy("A client cannot decline a booking."),
    (CLIENT, "complete"): gettext_lazy("A client cannot complete a booking."),
    (CLIENT, "no_show"): gettext_lazy("A client cannot mark a booking as a no-show."),
    (CLIENT, "expire"): gettext_lazy("A client cannot expire a booking."),
    (CLIENT, "payment_received"): gettext_lazy("A client cannot mark a booking as paid."),
    (CLIENT, "card_saved"): gettext_lazy("A client cannot mark a card as saved."),
    (PRO, "expire"): gettext_lazy("A pro cannot expire a booking."),
    (PRO, "payment_received"): gettext_lazy("A pro cannot mark a booking as paid."),
    (PRO, "card_saved"): gettext_lazy("A pro cannot mark a card as saved."),
    (STAFF, "reschedule"): gettext_lazy("Staff cannot reschedule a booking."),
    (STAFF, "expire"): gettext_lazy("Staff cannot expire a booking."),
    (STAFF, "card_saved"): gettext_lazy("Staff cannot mark a card as saved."),
}

# Why an action is refused in the booking's present status ("%(status)s" is its label).
_STATUS_REFUSAL = gettext_lazy("You cannot do this to a booking whose status is “%(status)s”.")
_STATUS_REFUSALS = {
    "confirm": gettext_lazy("You cannot confirm a booking whose status is “%(status)s”."),
    "decline": gettext_lazy("You cannot decline a booking whose status is “%(status)s”."),
    "cancel": gettext_lazy("You cannot cancel a booking whose status is “%(status)s”."),
    "complete": gettext_lazy("You cannot complete a booking whose status is “%(status)s”."),
    "no_show": gettext_lazy("You cannot mark a booking whose status is “%(status)s” as a no-show."),
    "reschedule": gettext_lazy("You cannot reschedule a booking whose status is “%(status)s”."),
    "expire": gettext_lazy("You cannot expire a booking whose status is “%(status)s”."),
    "payment_received": gettext_lazy(
        "You cannot mark a booking whose status is “%(status)s” as paid."
    ),
    "card_saved": gettext_lazy(
        "You cannot save a card for a booking whose status is “%(status)s”."
    ),
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
        raise TransitionNotAllowed(
            _("“%(action)s” is not a booking action.") % {"action": action}, code="unknown_action"
        )
    if role is None:
        raise TransitionNotAllowed(_("Only the client or the pro of this booking can do this."))
    by_role = [t for t in rows if role in t.actors]
    if not by_role:
        raise TransitionNotAllowed(_role_refusal(role, action))
    by_status = [t for t in by_role if booking.status in t.sources]
    if not by_status:
        refusal = _STATUS_REFUSALS.get(action, _STATUS_REFUSAL)
        raise TransitionNotAllowed(str(refusal) % {"status": booking.get_status_display()})
    row = by_status[0]
    if row.guard is not None and not guard_holds(row.guard, booking=booking, now=now, rules=rules):
        raise TransitionNotAllowed(str(_GUARD_MESSAGES[row.guard]))
    if row.reason_required and not reason.strip():
        raise TransitionNotAllowed(_("Please give a reason."), code="reason_required")
    return row


def _role_refusal(role: str, action: str) -> str:
    refusal = _ROLE_REFUSALS.get((role, action))
    if refusal is not None:
        return str(refusal)
    # The system's refusals (and a row added without its sentence): nobody reads them but us.
    return f"A {role} cannot {action.replace('_', ' ')} a booking."


# What an action did to a booking, as a booking's timeline says it ("Cancelled", after a
# capital): the words the page shows. Translators read them with their context.
_PAST_TENSE = {
    "create": pgettext_lazy("what was done to a booking", "booked"),
    "confirm": pgettext_lazy("what was done to a booking", "confirmed"),
    "decline": pgettext_lazy("what was done to a booking", "declined"),
    "cancel": pgettext_lazy("what was done to a booking", "cancelled"),
    "complete": pgettext_lazy("what was done to a booking", "completed"),
    "no_show": pgettext_lazy("what was done to a booking", "marked as a no-show"),
    "reschedule": pgettext_lazy("what was done to a booking", "rescheduled"),
    "expire": pgettext_lazy("what was done to a booking", "expired"),
    "payment_received": pgettext_lazy("what was done to a booking", "marked as paid"),
    "card_saved": pgettext_lazy("what was done to a booking", "card saved"),
}

# The confirmation once an action went through, each a sentence of its own.
_DONE = {
    "create": gettext_lazy("Booking booked."),
    "confirm": gettext_lazy("Booking confirmed."),
    "decline": gettext_lazy("Booking declined."),
    "cancel": gettext_lazy("Booking cancelled."),
    "complete": gettext_lazy("Booking completed."),
    "no_show": gettext_lazy("Booking marked as a no-show."),
    "reschedule": gettext_lazy("Booking rescheduled."),
    "expire": gettext_lazy("Booking expired."),
    "payment_received": gettext_lazy("Booking marked as paid."),
    "card_saved": gettext_lazy("Card saved."),
}


def past_tense(action: str) -> str:
    """What the action did to a booking, in the active language: "cancel" -> "cancelled",
    "no_show" -> "marked as a no-show". A word for a timeline's title: a sentence about an
    action is one of its own (done_message), never built around this."""
    word = _PAST_TENSE.get(action)
    return str(word) if word is not None else action.replace("_", " ")


def done_message(action: str) -> str:
    """The confirmation shown once `action` went through: "Booking cancelled."."""
    message = _DONE.get(action)
    return str(message) if message is not None else _("Done.")


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
    """The button text of an action, in the active language: "no_show" -> "Mark no-show"."""
    rows = rows_for(action)
    return str(rows[0].label) if rows else action.replace("_", " ").capitalize()


def reason_required(action: str, role: str) -> bool:
    return any(t.reason_required for t in rows_for(action) if role in t.actors)
