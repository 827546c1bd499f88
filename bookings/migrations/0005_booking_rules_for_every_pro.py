"""Every pro has booking rules: a row with the defaults for each pro that has none.

New pros get theirs when their profile is created (bookings.receivers); this covers the pros
made before that, so reading a pro's rules never has to create them.
"""

from django.db import migrations

BATCH = 500


def create_missing_rules(apps, schema_editor):
    ProProfile = apps.get_model("accounts", "ProProfile")
    BookingRules = apps.get_model("bookings", "BookingRules")
    missing = ProProfile.objects.filter(booking_rules__isnull=True).values_list("pk", flat=True)
    BookingRules.objects.bulk_create(
        [BookingRules(pro_id=pk) for pk in missing], batch_size=BATCH
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("bookings", "0004_hours_may_run_overnight"),
    ]

    operations = [
        # Backwards there is nothing to undo: rules with the defaults are what reads assumed.
        migrations.RunPython(create_missing_rules, migrations.RunPython.noop),
    ]
