"""Who brought a client: the pro's own share link, or the Timz marketplace.

A pro shares ``/go/<slug>/`` (``accounts:share_link``). Following it sets a signed cookie naming
that pro for ``SHARE_LINK_DAYS`` days (a later link replaces an earlier one) and lands on the
pro's page. ``booking_create`` decides the booking's ``source`` once, when the booking is made,
and it never changes after:

* ``pro_link`` when the cookie names the pro being booked AND the client is new to the
  platform: no earlier booking with any pro, in any status (cancelled, declined and expired
  ones count: the client already came through Timz). Such a booking carries no platform fee on
  any of its payments.
* ``marketplace`` otherwise (no cookie, an expired or tampered one, another pro's link, or a
  returning client).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing

SHARE_LINK_DAYS = 30
COOKIE = "timz_via"
_SALT = "timz.bookings.share-link"
_MAX_AGE = timedelta(days=SHARE_LINK_DAYS)


def mark_arrival(response, *, pro_id: int) -> None:
    """Remember on `response` that its visitor arrived through `pro_id`'s share link."""
    response.set_signed_cookie(
        COOKIE,
        str(pro_id),
        salt=_SALT,
        max_age=int(_MAX_AGE.total_seconds()),
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def referring_pro_id(request) -> int | None:
    """The pro whose share link brought this visitor in the last 30 days, else None."""
    try:
        value = request.get_signed_cookie(COOKIE, salt=_SALT, max_age=_MAX_AGE)
    except (KeyError, signing.BadSignature):
        return None
    return int(value) if value.isdigit() else None


def booking_source(*, pro_id: int, client, referring_pro_id: int | None) -> str:
    """The source of a booking of `pro_id` by `client` (called inside booking_create's
    transaction, with the client's row locked, so two first bookings cannot both be "new")."""
    from bookings.models import Booking

    if referring_pro_id is None or referring_pro_id != pro_id:
        return Booking.Source.MARKETPLACE
    if Booking.objects.filter(client=client).exists():
        return Booking.Source.MARKETPLACE
    return Booking.Source.PRO_LINK
