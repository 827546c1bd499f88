"""The directory's full-text search document: `ProProfile.search_document`.

PostgreSQL only (SQLite gets the column, always null): a GIN index on it, and every existing
pro's document written once. The SQL below is the document of `accounts.text_search` as it
stands in this migration (A display name, B headline, C category and active service names,
config `simple`); afterwards `accounts.services.pro_search_documents_refresh` keeps it current
and `manage.py search_reindex` rewrites it all.
"""

import django.contrib.postgres.search
from django.db import migrations

BACKFILL = """
UPDATE accounts_proprofile AS pro SET search_document =
    setweight(to_tsvector('simple', coalesce(pro.display_name, '')), 'A')
    || setweight(to_tsvector('simple', coalesce(pro.headline, '')), 'B')
    || setweight(to_tsvector('simple',
        coalesce((SELECT name FROM accounts_category WHERE id = pro.category_id), '')
        || ' ' || coalesce((
            SELECT string_agg(name, ' ') FROM bookings_service
            WHERE pro_id = pro.id AND is_active
        ), '')
    ), 'C')
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS proprofile_search_document_gin "
        "ON accounts_proprofile USING gin (search_document)"
    )
    schema_editor.execute(BACKFILL)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS proprofile_search_document_gin")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_pro_business_name"),
        ("bookings", "0001_initial"),  # the backfill reads service names
    ]

    operations = [
        migrations.AddField(
            model_name="proprofile",
            name="search_document",
            field=django.contrib.postgres.search.SearchVectorField(
                blank=True, editable=False, null=True
            ),
        ),
        migrations.RunPython(forward, backward, elidable=False),
    ]
