"""`manage.py search_reindex`: rewrite every pro's search document (PostgreSQL)."""

from django.core.management.base import BaseCommand
from django.db import connection

from accounts.services import pro_search_documents_refresh


class Command(BaseCommand):
    help = (
        "Rewrite every pro's full-text search document (ProProfile.search_document) from "
        "their name, headline, category and active services. Writes keep it current; run this "
        "after writing rows behind Django's back (SQL, a restored dump) or changing the rule."
    )

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            self.stdout.write("search_reindex: no search document without PostgreSQL.")
            return
        written = pro_search_documents_refresh()
        self.stdout.write(self.style.SUCCESS(f"search_reindex: {written} pros reindexed."))
