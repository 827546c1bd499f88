"""Data migrations of the bookings app, run on rows as they were before them."""

from datetime import UTC, datetime
from importlib import import_module

import pytest
from django.apps import apps

from bookings.models import BookingEvent
from conftest import local_at, make_booking, make_pro

pytestmark = pytest.mark.django_db

event_actions = import_module("bookings.migrations.0006_booking_event_action_and_moved_times")


def test_existing_events_get_their_action_and_a_reschedule_its_times(client_user, service):
    booking = make_booking(client=client_user, service=service, starts_at=local_at(3, 10))
    BookingEvent.objects.filter(booking=booking).delete()
    for from_status, to_status, reason in [
        ("", "confirmed", ""),
        ("confirmed", "confirmed", "Moved from 2026-03-03 09:00 UTC to 2026-03-05 13:00 UTC"),
        ("pending_payment", "confirmed", ""),
        ("requested", "confirmed", ""),
        ("confirmed", "cancelled", "Late cancellation"),
    ]:
        BookingEvent.objects.create(
            booking=booking,
            actor_role="client",
            from_status=from_status,
            to_status=to_status,
            reason=reason,
        )

    event_actions.backfill(apps, None)

    events = list(booking.events.order_by("pk"))
    assert [e.action for e in events] == [
        "create",
        "reschedule",
        "payment_received",
        "confirm",
        "cancel",
    ]
    assert (events[1].old_starts_at, events[1].new_starts_at) == (
        datetime(2026, 3, 3, 9, tzinfo=UTC),
        datetime(2026, 3, 5, 13, tzinfo=UTC),
    )
    assert events[0].old_starts_at is None


@pytest.mark.django_db(transaction=True)
def test_calendar_addresses_are_encrypted_in_place_and_decrypted_going_back():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from timz import crypto

    before = [("bookings", "0016_content_translations")]
    after = [("bookings", "0017_external_calendar_url_encrypted")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    pro = make_pro()
    secret = "https://calendar.example/ical/private-77c1/basic.ics"
    old_apps.get_model("bookings", "ExternalCalendar").objects.create(
        pro_id=pro.pk, name="Personal", kind="ics", url=secret
    )

    executor = MigrationExecutor(connection)
    executor.migrate(after)
    new_apps = executor.loader.project_state(after).apps
    (row,) = new_apps.get_model("bookings", "ExternalCalendar").objects.values()
    assert "private-77c1" not in str(row)
    assert row["host"] == "calendar.example"
    assert crypto.decrypt(row["url_encrypted"]) == secret

    executor = MigrationExecutor(connection)
    executor.migrate(before)
    (url,) = old_apps.get_model("bookings", "ExternalCalendar").objects.values_list(
        "url", flat=True
    )
    assert url == secret
    MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())
