"""Booking events name their action and a reschedule keeps its old and new start, so the
timeline reads "Moved from … to …" in the viewer's zone. Existing rows get their action from
their statuses and their times from the "Moved from … UTC to … UTC" reason they carry."""

import re
from datetime import UTC, datetime

from django.db import migrations, models

MOVED = re.compile(
    r"^Moved from (\d{4}-\d\d-\d\d \d\d:\d\d) UTC to (\d{4}-\d\d-\d\d \d\d:\d\d) UTC"
)
BY_TARGET = {
    "declined": "decline",
    "cancelled": "cancel",
    "completed": "complete",
    "no_show": "no_show",
    "expired": "expire",
}


def _utc(text):
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


def backfill(apps, schema_editor):
    BookingEvent = apps.get_model("bookings", "BookingEvent")
    batch = []
    for event in BookingEvent.objects.filter(action="").iterator(chunk_size=2000):
        moved = MOVED.match(event.reason)
        if not event.from_status:
            event.action = "create"
        elif moved:
            event.action = "reschedule"
            event.old_starts_at, event.new_starts_at = _utc(moved[1]), _utc(moved[2])
        elif event.from_status == "pending_payment" and event.to_status in (
            "confirmed",
            "requested",
        ):
            event.action = "payment_received"
        elif event.from_status == "requested" and event.to_status == "confirmed":
            event.action = "confirm"
        else:
            event.action = BY_TARGET.get(event.to_status, "")
        batch.append(event)
        if len(batch) >= 2000:
            BookingEvent.objects.bulk_update(batch, ["action", "old_starts_at", "new_starts_at"])
            batch = []
    if batch:
        BookingEvent.objects.bulk_update(batch, ["action", "old_starts_at", "new_starts_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0005_booking_rules_for_every_pro"),
    ]

    operations = [
        migrations.AddField(
            model_name="bookingevent",
            name="action",
            field=models.CharField(blank=True, max_length=20),
        ),
        migrations.AddField(
            model_name="bookingevent",
            name="new_starts_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="bookingevent",
            name="old_starts_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
