"""Writes of the booking domain when a user deletes their account (see ``accounts.services``).

- Active bookings that have not started yet are ended through ``booking_transition`` with the
  reason "Account deleted": the lifecycle table picks the action for the user's role (a client
  cancels; a pro cancels a confirmed or unpaid booking and declines a request), so emails go to
  the other side and payments' receivers refund paid bookings (a client's late cancellation keeps
  the pro's late fee, as the table says). Bookings in progress or finished, their events and
  reviews are kept for the other side.
- A pro's offer goes offline: every service is deactivated and its picture deleted once the
  transaction commits, and the calendar feed token is revoked.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.models import ProProfile, User
from accounts.services import file_delete_on_commit, pro_search_documents_refresh
from bookings import lifecycle
from bookings.models import Booking, BookingRules, Service
from bookings.services.booking import booking_transition

# An event's reason, a record both sides read: stored in English, marked for a page to translate.
ACCOUNT_DELETED_REASON = gettext_noop("Account deleted")


def user_bookings_end(*, user: User, reason: str = ACCOUNT_DELETED_REASON) -> int:
    """End `user`'s active bookings that have not started, as client and as pro, acting as
    `user`; return how many were ended. A booking that starts meanwhile is kept as it is."""
    future = Booking.objects.filter(
        status__in=Booking.ACTIVE_STATUSES, starts_at__gt=timezone.now()
    ).select_related("pro", "client")
    ended = 0
    for role, bookings in (
        (lifecycle.CLIENT, future.filter(client=user)),
        (lifecycle.PRO, future.filter(pro__user=user)),
    ):
        for booking in bookings.order_by("starts_at", "pk"):
            action = _ending_action(status=booking.status, role=role)
            if action is None:
                continue
            try:
                booking_transition(booking=booking, action=action, by=user, reason=reason)
            except lifecycle.TransitionNotAllowed:
                continue  # it started in the meantime: it is history now, kept as it is
            ended += 1
    return ended


def _ending_action(*, status: str, role: str) -> str | None:
    """The first of cancel / decline that the lifecycle table allows `role` from `status`."""
    for action in ("cancel", "decline"):
        if any(role in t.actors and status in t.sources for t in lifecycle.rows_for(action)):
            return action
    return None


def pro_offer_withdraw(*, pro: ProProfile) -> None:
    """Take `pro`'s offer offline for good: services deactivated and their pictures deleted
    (after the commit), the calendar feed token revoked."""
    with transaction.atomic():
        services = Service.objects.filter(pro=pro)
        for service in services.exclude(image=""):
            file_delete_on_commit(service.image)
        services.update(is_active=False, image="")
        # A queryset update sends no signal: its services leave the pro's search document here.
        pro_search_documents_refresh(pro_ids=[pro.pk])
        BookingRules.objects.filter(pro=pro).update(calendar_token="")
