"""PostgreSQL only: a GIN trigram index on service names for the directory's text search
(see accounts migration 0003, which creates pg_trgm and holds the operation)."""

import importlib

from django.db import migrations

search_indexes = importlib.import_module("accounts.migrations.0003_search_trigram_indexes")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_search_trigram_indexes"),
        ("bookings", "0009_booking_starts_index"),
    ]

    operations = [
        search_indexes.create_trigram_indexes(
            [("service_name_trgm", "bookings_service", "name")]
        )
    ]
