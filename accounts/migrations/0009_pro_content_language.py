"""A pro's content language and the versions of headline and bio in other languages
(accounts.content). Every existing profile was written in English: its rows get "en"; a new
profile gets the site's language (a pro's own is set at sign-up)."""

import accounts.content
from django.db import migrations, models

LANGUAGES = [('en', 'English'), ('fr', 'Français'), ('es', 'Español'), ('de', 'Deutsch')]


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0008_pro_search_document'),
    ]

    operations = [
        migrations.AddField(
            model_name='proprofile',
            name='content_language',
            field=models.CharField(choices=LANGUAGES, default='en', max_length=8),
        ),
        migrations.AlterField(
            model_name='proprofile',
            name='content_language',
            field=models.CharField(choices=LANGUAGES, default=accounts.content.default_content_language, max_length=8),
        ),
        migrations.AddField(
            model_name='proprofile',
            name='translations',
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
