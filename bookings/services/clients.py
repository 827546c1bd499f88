"""Writes about a pro's clients: the pro's private note on each, and "book again" emails.

The client comes from ``bookings.selectors.client_get_for_pro`` (someone who booked this pro);
these functions trust that and check only what they change.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import ProProfile
from accounts.timezones import zone_of
from bookings.models import ClientNote, RebookNudge
from timz.ratelimit import RateLimit

CLIENT_NOTE_MAX = 2000
NUDGE_WEEKS = range(1, 53)

REBOOK_NUDGES = RateLimit(
    scope="rebook-nudges",
    setting="REBOOK_NUDGE_RATE_LIMIT",
    message=gettext_lazy(
        "You already invited this client to book again lately. Try again in {wait}."
    ),
)


def client_note_set(*, pro: ProProfile, client, text: str) -> ClientNote:
    """Write (or clear, with blank text) `pro`'s private note on `client`."""
    text = (text or "").strip()
    if len(text) > CLIENT_NOTE_MAX:
        raise ValidationError(
            _("A note can be at most %(max)s characters.") % {"max": CLIENT_NOTE_MAX}
        )
    note, _created = ClientNote.objects.update_or_create(
        pro=pro, client=client, defaults={"text": text}
    )
    return note


def client_rebook_nudge(*, pro: ProProfile, client, weeks: int) -> RebookNudge:
    """Email `client` an invitation to book `pro` again in `weeks` weeks, and log it.

    The email links to the booking calendar opened at that date (the pro's local date, kept
    within the pro's booking horizon). Raises ValidationError for a number of weeks outside
    1-52 or a closed account, and timz.ratelimit.RateLimited (settings.REBOOK_NUDGE_RATE_LIMIT,
    per pro and client) when the client was invited lately.
    """
    if isinstance(weeks, bool) or not isinstance(weeks, int) or weeks not in NUDGE_WEEKS:
        raise ValidationError(_("Pick a number of weeks from 1 to 52."))
    if not client.is_active:
        raise ValidationError(_("This client closed their account."))
    REBOOK_NUDGES.hit(f"{pro.pk}:{client.pk}")
    today = timezone.now().astimezone(zone_of(pro.timezone)).date()
    horizon = pro.booking_rules.horizon_days
    suggested = min(today + timedelta(weeks=weeks), today + timedelta(days=horizon))
    with transaction.atomic():
        nudge = RebookNudge.objects.create(
            pro=pro, client=client, weeks=weeks, suggested_date=suggested
        )
        from bookings.tasks import send_rebook_nudge

        transaction.on_commit(lambda: send_rebook_nudge.enqueue(nudge.pk), robust=True)
    return nudge


def client_notes_forget(*, client) -> int:
    """Delete every pro's notes about `client` (their account is being deleted)."""
    deleted, _kinds = ClientNote.objects.filter(client=client).delete()
    return deleted
