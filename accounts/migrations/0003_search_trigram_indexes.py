"""PostgreSQL only: pg_trgm and GIN trigram indexes for the directory's text search.

`accounts.selectors.pros_matching_text` matches words with icontains, which PostgreSQL writes
as `UPPER(col::text) LIKE UPPER('%word%')`: a GIN trigram index on that very expression turns
the scans into index lookups. pg_trgm also gives the similarity functions of the typo fallback
(trusted since PostgreSQL 13, so the database owner can create it). SQLite: nothing to do.
"""

from django.db import migrations

# (index name, table, column)
TRIGRAM_INDEXES = [
    ("proprofile_name_trgm", "accounts_proprofile", "display_name"),
    ("proprofile_headline_trgm", "accounts_proprofile", "headline"),
    ("category_name_trgm", "accounts_category", "name"),
]


def create_trigram_indexes(indexes):
    def forward(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, table, column in indexes:
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
                f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
            )

    def backward(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for name, _table, _column in indexes:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")

    return migrations.RunPython(forward, backward, elidable=False)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_pro_location")]

    operations = [create_trigram_indexes(TRIGRAM_INDEXES)]
