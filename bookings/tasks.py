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
