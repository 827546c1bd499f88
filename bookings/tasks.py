"""Background work of the booking domain, through Django's tasks framework (django.tasks).

Development and tests run tasks immediately (ImmediateBackend). Production sets
``TASKS_BACKEND=database`` and runs ``manage.py db_worker`` (django-tasks-db). Tasks take only
JSON-serialisable arguments (ids and strings) and re-read the database when they run.
"""

from django.tasks import task


@task
def send_booking_emails(booking_id: int, kind: str) -> int:
    """Send the emails of one booking event (see bookings.emails.KINDS). Returns the count."""
    from bookings import emails

    return emails.send_for(booking_id=booking_id, kind=kind)


@task
def send_rebook_nudge(nudge_id: int) -> int:
    """Send one "book again" email (bookings.emails.send_rebook_nudge). Returns the count."""
    from bookings import emails

    return emails.send_rebook_nudge(nudge_id=nudge_id)


@task
def send_review_email(review_id: int) -> int:
    """Tell the pro about a new review (bookings.emails.send_review_email). Returns the count."""
    from bookings import emails

    return emails.send_review_email(review_id=review_id)


@task
def waitlist_check(pro_id: int) -> int:
    """Offer a pro's free times to the waitlist (services.waitlist_check_pro). Returns the
    number of offers made."""
    from accounts.models import ProProfile
    from bookings.services import waitlist_check_pro

    pro = ProProfile.objects.filter(pk=pro_id).first()
    return len(waitlist_check_pro(pro=pro)) if pro is not None else 0


@task
def send_waitlist_offer_email(offer_id: int) -> int:
    """Email a waitlist offer to its client (bookings.emails.send_waitlist_offer)."""
    from bookings import emails

    return emails.send_waitlist_offer(offer_id=offer_id)
