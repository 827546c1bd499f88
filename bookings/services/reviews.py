"""Writes of reviews: a client reviews a completed visit once; the pro replies once."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ProProfile
from bookings.models import (
    Booking,
    Review,
)
from bookings.signals import review_created

REVIEW_DAYS = 30


REVIEW_TEXT_MAX = 2000


def _refresh_pro_rating(pro: ProProfile) -> None:
    stats = Review.objects.filter(pro=pro).aggregate(avg=Avg("rating"), count=Count("id"))
    avg = stats["avg"]
    ProProfile.objects.filter(pk=pro.pk).update(
        rating_avg=(
            Decimal(str(avg)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            if avg is not None
            else None
        ),
        review_count=stats["count"],
    )


def review_refusal(*, booking: Booking, by, now: datetime) -> str | None:
    """Why `by` may not review `booking` at `now`, as a sentence for them; None when they may.

    The one review-eligibility rule, read by the pages, the API and review_create: the booking's
    client, once the booking is completed, within REVIEW_DAYS of its end, once. Reads
    ``booking.review`` last, so a list joining it (``select_related("review")``) costs no query.
    """
    if by is None or by.pk is None or by.pk != booking.client_id:
        return _("Only the client of this booking can review it.")
    if booking.status != Booking.Status.COMPLETED:
        return _("You can review a booking once it is completed.")
    if now > booking.ends_at + timedelta(days=REVIEW_DAYS):
        return _("Reviews are open for %(days)s days after the booking.") % {"days": REVIEW_DAYS}
    # A missing reverse one-to-one raises RelatedObjectDoesNotExist, an AttributeError.
    if hasattr(booking, "review"):
        return _("You have already reviewed this booking.")
    return None


def review_create(*, booking: Booking, by, rating: int, text: str = "") -> Review:
    """The booking's client reviews a completed booking, once, within 30 days of its end.

    Raises ValidationError with review_refusal's sentence (code ``review_refused``) when the
    review is not allowed, checked under a lock on the booking. On commit the pro gets an email
    and a live notification (``bookings.signals.review_created``).
    """
    text = (text or "").strip()
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationError(_("Pick a rating from 1 to 5 stars."))
    if len(text) > REVIEW_TEXT_MAX:
        raise ValidationError(
            _("A review can be at most %(max)s characters.") % {"max": REVIEW_TEXT_MAX}
        )
    with transaction.atomic():
        locked = (
            Booking.objects.select_for_update(of=("self",)).select_related("pro").get(pk=booking.pk)
        )
        refusal = review_refusal(booking=locked, by=by, now=timezone.now())
        if refusal is not None:
            raise ValidationError(refusal, code="review_refused")
        try:
            with transaction.atomic():
                review = Review.objects.create(
                    booking=locked, pro=locked.pro, author=by, rating=rating, text=text
                )
        except IntegrityError as exc:
            raise ValidationError(_("You have already reviewed this booking.")) from exc
        _refresh_pro_rating(locked.pro)
        # The pro hears of it: an email (bookings.emails) and, through the signal, a live
        # notification (chat); both once the review is committed.
        from bookings.tasks import send_review_email

        transaction.on_commit(lambda: send_review_email.enqueue(review.pk), robust=True)
        review_created.send(sender=Review, review=review)
    return review


def review_reply(*, review: Review, by, text: str) -> Review:
    """The reviewed pro answers a review, once."""
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("Write a reply."))
    if len(text) > REVIEW_TEXT_MAX:
        raise ValidationError(
            _("A reply can be at most %(max)s characters.") % {"max": REVIEW_TEXT_MAX}
        )
    with transaction.atomic():
        locked = (
            Review.objects.select_for_update(of=("self",)).select_related("pro").get(pk=review.pk)
        )
        if by is None or by.pk != locked.pro.user_id:
            raise ValidationError(_("Only the reviewed professional can reply."))
        if locked.reply:
            raise ValidationError(_("You have already replied to this review."))
        locked.reply = text
        locked.replied_at = timezone.now()
        locked.save(update_fields=["reply", "replied_at"])
    return locked
