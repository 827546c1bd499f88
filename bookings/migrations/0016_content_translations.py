"""Versions of a service's name and description in other languages, and a booking's snapshot
of its service name's versions (accounts.content)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('bookings', '0015_booking_source'),
    ]

    operations = [
        migrations.AddField(
            model_name='booking',
            name='translations',
            field=models.JSONField(blank=True, default=dict, editable=False),
        ),
        migrations.AddField(
            model_name='service',
            name='translations',
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
