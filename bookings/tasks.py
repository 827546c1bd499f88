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
