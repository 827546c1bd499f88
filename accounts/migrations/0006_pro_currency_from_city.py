"""Each pro gets a currency: their city's country's (London GBP, New York USD, Paris EUR); a
pro in a city of unknown country keeps the platform default (settings.DEFAULT_CURRENCY).

Services keep the currency they were priced in (a migration cannot know what "30" meant): a
service of another currency than its pro's is relabelled when the pro next saves it.
"""

from django.db import migrations, models

import accounts.models


def currency_from_city(apps, schema_editor):
    from accounts import geo

    ProProfile = apps.get_model("accounts", "ProProfile")
    changed = []
    for pro in ProProfile.objects.only("pk", "city", "currency"):
        currency = geo.city_currency(pro.city) or pro.currency
        if currency != pro.currency:
            pro.currency = currency
            changed.append(pro)
    ProProfile.objects.bulk_update(changed, ["currency"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_pictures_with_responsive_sizes"),
    ]

    operations = [
        migrations.AddField(
            model_name="proprofile",
            name="currency",
            field=models.CharField(
                default=accounts.models.default_currency,
                max_length=3,
                validators=[accounts.models.validate_currency],
            ),
        ),
        migrations.RunPython(currency_from_city, migrations.RunPython.noop),
    ]
