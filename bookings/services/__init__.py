"""Writes of the booking domain, one module per sub-domain:

- ``catalog``: the services a pro offers;
- ``schedule``: weekly hours, date overrides, time off, booking rules, the calendar token;
- ``booking``: creating bookings and moving them through the lifecycle;
- ``series``: standing appointments: creating a series, cancelling it onward, accepting it;
- ``reminders``: reminding clients of their coming bookings, once;
- ``reviews``: reviews and replies;
- ``clients``: a pro's private notes on their clients and "book again" emails;
- ``calendars``: a pro's own calendars (ICS links, CalDAV) and syncing their busy times;
- ``waitlist``: joining and leaving the waitlist, offering freed times, declining, expiry;
- ``account_deletion``: what a user's account deletion ends (future bookings, a pro's offer).

Every function takes keyword-only arguments, validates, opens its own transaction and raises
``django.core.exceptions.ValidationError`` (or ``TransitionNotAllowed`` / ``SlotUnavailable`` from
``bookings.lifecycle``) with a message a user can read. Callers use ``bookings.services.<name>``;
this package re-exports each module's public names.
"""

from bookings.lifecycle import SlotUnavailable, TransitionNotAllowed
from bookings.services.account_deletion import (
    ACCOUNT_DELETED_REASON,
    pro_offer_withdraw,
    user_bookings_end,
)
from bookings.services.booking import (
    BOOKABLE_RANGE,
    EMAIL_KINDS,
    NOTE_MAX,
    PAYMENT_HOLD_MINUTES,
    booking_create,
    booking_transition,
    check_not_own_service,
    emails_suppressed,
)
from bookings.services.calendars import (
    calendar_add,
    calendar_remove,
    calendar_sync,
    calendars_forget,
    calendars_sync_due,
    calendars_sync_for_pro,
)
from bookings.services.catalog import (
    SERVICE_FIELDS,
    SERVICE_MOVES,
    check_protection,
    service_create,
    service_delete,
    service_move,
    service_update,
    services_relabel_currency,
    services_relabel_language,
)
from bookings.services.clients import (
    CLIENT_NOTE_MAX,
    NUDGE_WEEKS,
    client_note_set,
    client_notes_forget,
    client_rebook_nudge,
)
from bookings.services.reminders import booking_reminders_send_due
from bookings.services.reviews import (
    REVIEW_DAYS,
    REVIEW_TEXT_MAX,
    review_create,
    review_refusal,
    review_reply,
)
from bookings.services.schedule import (
    RULES_FIELDS,
    booking_rules_create,
    booking_rules_update,
    calendar_token_regenerate,
    date_override_delete,
    date_override_set,
    time_off_create,
    time_off_delete,
    weekly_hours_set,
    weekly_hours_set_week,
)
from bookings.services.series import (
    SeriesConflict,
    booking_series_cancel,
    booking_series_confirm,
    booking_series_create,
    series_check,
)
from bookings.services.waitlist import (
    waitlist_check_pro,
    waitlist_check_pro_on_commit,
    waitlist_entries_end,
    waitlist_join,
    waitlist_leave,
    waitlist_offer_decline,
    waitlist_offer_redeem,
    waitlist_process_due,
)

__all__ = [
    "ACCOUNT_DELETED_REASON",
    "BOOKABLE_RANGE",
    "CLIENT_NOTE_MAX",
    "EMAIL_KINDS",
    "NOTE_MAX",
    "NUDGE_WEEKS",
    "PAYMENT_HOLD_MINUTES",
    "REVIEW_DAYS",
    "REVIEW_TEXT_MAX",
    "RULES_FIELDS",
    "SERVICE_FIELDS",
    "SERVICE_MOVES",
    "SeriesConflict",
    "check_protection",
    "SlotUnavailable",
    "TransitionNotAllowed",
    "booking_create",
    "booking_reminders_send_due",
    "booking_series_cancel",
    "booking_series_confirm",
    "booking_series_create",
    "booking_rules_create",
    "booking_rules_update",
    "booking_transition",
    "calendar_add",
    "calendar_remove",
    "calendar_sync",
    "calendar_token_regenerate",
    "calendars_forget",
    "calendars_sync_due",
    "calendars_sync_for_pro",
    "check_not_own_service",
    "client_note_set",
    "client_notes_forget",
    "client_rebook_nudge",
    "date_override_delete",
    "date_override_set",
    "emails_suppressed",
    "pro_offer_withdraw",
    "review_create",
    "review_refusal",
    "review_reply",
    "series_check",
    "service_create",
    "service_delete",
    "service_move",
    "service_update",
    "services_relabel_currency",
    "services_relabel_language",
    "time_off_create",
    "time_off_delete",
    "user_bookings_end",
    "waitlist_check_pro",
    "waitlist_check_pro_on_commit",
    "waitlist_entries_end",
    "waitlist_join",
    "waitlist_leave",
    "waitlist_offer_decline",
    "waitlist_offer_redeem",
    "waitlist_process_due",
    "weekly_hours_set",
    "weekly_hours_set_week",
]
