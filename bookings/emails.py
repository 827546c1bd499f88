"""Booking emails: who gets which message, rendered from templates/bookings/emails/.

``send_for(booking_id=, kind=)`` is what the task runs. ``kind`` is one of ``KINDS``, optionally
with the actor's role after a colon (``cancel:client``): cancellations and reschedules go to the
*other* side. Inactive (deleted) accounts get nothing: their address is an anonymised placeholder.

Each message is written for its recipient, whoever's request sent it: in their language
(``accounts.languages.speaking``: the subject, the body, the dates, the amounts and the calendar
invitation, all built inside it) and with times in their own zone. The client and the pro of one
booking may read two different languages.

Calendar invitations (iMIP, RFC 6047): once a booking has been confirmed, every email about it,
to the client and to the pro, carries its iTIP message (``bookings.ics.invitation_method``:
REQUEST while it stands, CANCEL once it ended) twice: as a ``text/calendar; method=...`` part
inside the multipart/alternative, which Gmail and Outlook read to add or update the event in
place, and as an ``invite.ics`` attachment (``application/ics``) for mail apps that ignore the
inline part.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.languages import speaking
from accounts.timezones import viewer_zone, zone_of
from bookings import ics
from bookings.models import Booking
from bookings.selectors import protection_policy
from timz.formats import pattern
from timz.links import absolute_url
from timz.money import format_money

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from accounts.models import User

CLIENT, PRO = "client", "pro"

# kind -> (template name, subject, recipients for each actor role; "*" = any actor). A subject
# is translated when the message is built, in its recipient's language; its placeholders are
# %(service)s and %(when)s (the start in the recipient's zone, see _when).
KINDS: dict[str, tuple[str, StrOrPromise, dict[str, tuple[str, ...]]]] = {
    "requested": (
        "requested",
        gettext_lazy("New booking request: %(service)s on %(when)s"),
        {"*": (PRO,)},
    ),
    "booked": (
        "confirmed",
        gettext_lazy("Booking confirmed: %(service)s on %(when)s"),
        {"*": (CLIENT,)},
    ),
    "booked_pro": (
        "new_booking",
        gettext_lazy("New booking: %(service)s on %(when)s"),
        {"*": (PRO,)},
    ),
    "confirmed": (
        "confirmed",
        gettext_lazy("Booking confirmed: %(service)s on %(when)s"),
        {"*": (CLIENT,)},
    ),
    "decline": (
        "declined",
        gettext_lazy("Booking request declined: %(service)s"),
        {"*": (CLIENT,)},
    ),
    "cancel": (
        "cancelled",
        gettext_lazy("Booking cancelled: %(service)s on %(when)s"),
        {"client": (PRO,), "pro": (CLIENT,), "*": (CLIENT, PRO)},
    ),
    "reschedule": (
        "rescheduled",
        gettext_lazy("Booking moved: %(service)s now on %(when)s"),
        {"client": (PRO,), "pro": (CLIENT,), "*": (CLIENT, PRO)},
    ),
    "expire": ("expired", gettext_lazy("Booking expired: %(service)s"), {"*": (CLIENT,)}),
    "reminder": (
        "reminder",
        gettext_lazy("Reminder: %(service)s on %(when)s"),
        {"*": (CLIENT,)},
    ),
}

INVITE_FILENAME = "invite.ics"


class _BookingMessage(EmailMultiAlternatives):
    """A booking email; its text/calendar alternative names the iTIP method in its Content-Type
    (RFC 6047 section 2.4), which Django's alternatives cannot say by themselves."""

    itip_method = ""

    def _add_bodies(self, msg):
        msg = super()._add_bodies(msg)
        for part in msg.walk():
            if part.get_content_type() == "text/calendar":
                part.set_param("method", self.itip_method)
        return msg


def _detail_url(booking: Booking) -> str:
    return absolute_url(reverse("bookings:detail", kwargs={"pk": booking.pk}))


def _user(booking: Booking, side: str) -> User:
    """The account of one side (client or pro) of the booking."""
    return booking.pro.user if side == PRO else booking.client


def _recipient(booking: Booking, side: str) -> tuple[str, ZoneInfo]:
    """(name, zone) of one side of the booking."""
    if side == PRO:
        return booking.pro.display_name, zone_of(booking.pro.timezone)
    return booking.client.display_name, viewer_zone(booking.client, fallback=booking.pro.timezone)


def _when(local_start: datetime, zone: ZoneInfo) -> str:
    """A start for a subject line, in the active language: "Fri 5 Dec 2026, 10:00 (Europe/Paris)"
    (`local_start` already in the recipient's `zone`)."""
    return f"{date_format(local_start, pattern('WEEKDAY_DATETIME'))} ({zone.key})"


def build(booking: Booking, kind: str, side: str) -> EmailMultiAlternatives:
    """The message of `kind` for one side (client or pro) of `booking`, written in that side's
    language and zone."""
    with speaking(_user(booking, side)):
        return _build(booking, kind, side)


def _build(booking: Booking, kind: str, side: str) -> EmailMultiAlternatives:
    template, subject, _recipients = KINDS[kind]
    name, zone = _recipient(booking, side)
    events = list(booking.events.all())
    local_start = booking.starts_at.astimezone(zone)
    context = {
        "booking": booking,
        "side": side,
        "recipient_name": name,
        "zone": zone.key,
        "starts_local": local_start,
        "ends_local": booking.ends_at.astimezone(zone),
        "client_name": booking.client.display_name,
        "pro_name": booking.pro.display_name,
        "price": format_money(booking.price_amount, booking.currency),
        "detail_url": _detail_url(booking),
        "last_event": events[-1] if events else None,
        "policy": protection_policy(booking),
    }
    message = _message(
        template,
        str(subject)
        % {"service": booking.localized_service_name, "when": _when(local_start, zone)},
        context,
        to=_user(booking, side).email,
        cls=_BookingMessage,
    )
    method = ics.invitation_method(booking, events)
    if method:
        invitation = ics.booking_invitation(booking, method=method, for_pro=side == PRO)
        message.itip_method = method
        message.attach_alternative(invitation, "text/calendar")
        message.attach(INVITE_FILENAME, invitation, "application/ics")
    return message


def _is_active(booking: Booking, side: str) -> bool:
    return _user(booking, side).is_active


def recipients(kind: str, role: str | None) -> tuple[str, ...]:
    table = KINDS[kind][2]
    return table.get(role or "*", table["*"])


def send_for(*, booking_id: int, kind: str) -> int:
    """Send the emails of `kind` ("cancel:client" style carries the actor's role)."""
    base, _, role = kind.partition(":")
    if base not in KINDS:
        raise ValueError(f"Unknown booking email kind {kind!r}")
    booking = (
        Booking.objects.select_related("pro", "pro__user", "client", "client__client_profile")
        .filter(pk=booking_id)
        .first()
    )
    if booking is None:
        return 0
    sent = 0
    for side in recipients(base, role or None):
        if _is_active(booking, side):
            sent += build(booking, base, side).send()
    if base == "booked" and _is_active(booking, PRO):
        sent += build(booking, "booked_pro", PRO).send()
    return sent


def _message(
    template: str,
    subject: str,
    context: dict,
    *,
    to: str,
    cls: type[EmailMultiAlternatives] = EmailMultiAlternatives,
) -> EmailMultiAlternatives:
    """An email from templates/bookings/emails/<template>.txt and .html (the _base layout)."""
    message = cls(
        subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject,
        body=render_to_string(f"bookings/emails/{template}.txt", context),
        to=[to],
    )
    message.attach_alternative(
        render_to_string(f"bookings/emails/{template}.html", context), "text/html"
    )
    return message


def rebook_url(nudge) -> str:
    """Where a "book again" email leads: the booking calendar of the service the client last
    had (when it can still be booked) at the suggested date, else the pro's services."""
    from bookings.selectors import services_bookable

    last = (
        Booking.objects.filter(pro=nudge.pro, client=nudge.client, service__isnull=False)
        .filter(service__in=services_bookable())
        .order_by("-starts_at", "-id")
        .values_list("service_id", flat=True)
        .first()
    )
    if last is None:
        return absolute_url(nudge.pro.get_absolute_url() + "#services")
    path = reverse("bookings:book", kwargs={"slug": nudge.pro.slug, "service_id": last})
    return absolute_url(f"{path}?date={nudge.suggested_date.isoformat()}")


def send_rebook_nudge(*, nudge_id: int) -> int:
    """Send the "book again" email of one RebookNudge to its client (0 if gone or closed)."""
    from bookings.models import RebookNudge

    nudge = (
        RebookNudge.objects.select_related(
            "pro", "pro__user", "client", "client__client_profile", "client__pro_profile"
        )
        .filter(pk=nudge_id)
        .first()
    )
    if nudge is None or not nudge.client.is_active:
        return 0
    context = {
        "recipient_name": nudge.client.display_name,
        "pro_name": nudge.pro.display_name,
        "weeks": nudge.weeks,
        "suggested_date": nudge.suggested_date,
        "url": rebook_url(nudge),
    }
    with speaking(nudge.client):
        subject = _("Time to book %(name)s again?") % {"name": nudge.pro.display_name}
        message = _message("rebook", subject, context, to=nudge.client.email)
    return message.send()


def send_review_email(*, review_id: int) -> int:
    """Email the reviewed pro about a new review, with a link to reply (0 if gone or closed)."""
    from bookings.models import Review

    review = (
        Review.objects.select_related(
            "pro__user", "booking", "author__client_profile", "author__pro_profile"
        )
        .filter(pk=review_id)
        .first()
    )
    if review is None or not review.pro.user.is_active:
        return 0
    zone = zone_of(review.pro.timezone)
    with speaking(review.pro.user):
        # Translators: who wrote a review, when their account is gone
        author_name = review.author.display_name if review.author else _("A client")
        context = {
            "recipient_name": review.pro.display_name,
            "review": review,
            "author_name": author_name,
            "zone": zone.key,
            "starts_local": review.booking.starts_at.astimezone(zone),
            "url": absolute_url(reverse("bookings:reviews") + f"#review-{review.pk}"),
        }
        subject = _("New review: %(rating)s/5 from %(author)s") % {
            "rating": review.rating,
            "author": author_name,
        }
        message = _message("review", subject, context, to=review.pro.user.email)
    return message.send()


def offer_url(offer) -> str:
    """The absolute link of a waitlist offer (its page holds the Book and Decline buttons)."""
    return absolute_url(reverse("bookings:waitlist_offer", kwargs={"token": offer.token}))


def send_waitlist_offer(*, offer_id: int) -> int:
    """Email the client of a live waitlist offer: the time held for them, the link, and the
    deadline in their zone. Nothing for an offer already gone or an inactive account."""
    from bookings.models import WaitlistOffer

    offer = (
        WaitlistOffer.objects.select_related(
            "entry__client__client_profile", "entry__client__pro_profile", "pro", "service"
        )
        .filter(pk=offer_id, status=WaitlistOffer.Status.OFFERED)
        .first()
    )
    if offer is None or not offer.entry.client.is_active:
        return 0
    client = offer.entry.client
    zone = viewer_zone(client, fallback=offer.pro.timezone)
    local_start = offer.starts_at.astimezone(zone)
    with speaking(client):
        context = {
            "offer": offer,
            "recipient_name": client.display_name,
            "zone": zone.key,
            "starts_local": local_start,
            "ends_local": offer.ends_at.astimezone(zone),
            "expires_local": offer.expires_at.astimezone(zone),
            "pro_name": offer.pro.display_name,
            "price": format_money(offer.service.price_amount, offer.service.currency),
            "offer_url": offer_url(offer),
        }
        subject = _("A time freed up: %(service)s on %(when)s") % {
            "service": offer.service.localized_name,
            "when": _when(local_start, zone),
        }
        message = _message("waitlist_offer", subject, context, to=client.email)
    return message.send()
