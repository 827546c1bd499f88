"""A pro's calendar address stored encrypted (timz.crypto), like its password: a secret ICS link
is itself a credential. Its host is kept apart, in clear, for the calendars page.

Existing addresses are encrypted in place; going back decrypts them (an address that cannot be
decrypted any more, after a key change, goes back empty: its calendar was failing already)."""

from urllib.parse import urlsplit

from django.db import migrations, models

from timz import crypto


def encrypt_addresses(apps, schema_editor):
    ExternalCalendar = apps.get_model("bookings", "ExternalCalendar")
    for calendar in ExternalCalendar.objects.filter(url_encrypted=""):
        calendar.url_encrypted = crypto.encrypt(calendar.url)
        calendar.host = urlsplit(calendar.url).hostname or ""
        calendar.url = ""
        calendar.save(update_fields=["url_encrypted", "host", "url"])


def decrypt_addresses(apps, schema_editor):
    ExternalCalendar = apps.get_model("bookings", "ExternalCalendar")
    for calendar in ExternalCalendar.objects.all():
        try:
            calendar.url = crypto.decrypt(calendar.url_encrypted)
        except crypto.SecretUnreadable:
            calendar.url = ""
        calendar.save(update_fields=["url"])


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0016_content_translations"),
    ]

    operations = [
        migrations.AddField(
            model_name="externalcalendar",
            name="url_encrypted",
            field=models.TextField(default=""),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="externalcalendar",
            name="host",
            field=models.CharField(blank=True, max_length=253),
        ),
        # A default, so that going back can add the column again before filling it.
        migrations.AlterField(
            model_name="externalcalendar",
            name="url",
            field=models.CharField(blank=True, default="", max_length=2000),
        ),
        migrations.RunPython(encrypt_addresses, decrypt_addresses),
        migrations.RemoveField(
            model_name="externalcalendar",
            name="url",
        ),
    ]
