"""PostgreSQL only: no two active bookings of one pro, or of one client, overlap in time.

The services already re-check under row locks; this exclusion constraint is the database's own
guarantee. SQLite has no exclusion constraints (its IMMEDIATE transactions serialise writers).
"""

from django.db import migrations

ACTIVE = "('pending_payment', 'requested', 'confirmed')"

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    "ALTER TABLE bookings_booking ADD CONSTRAINT booking_pro_no_overlap EXCLUDE USING gist "
    "(pro_id WITH =, tstzrange(starts_at, ends_at) WITH &&) "
    f"WHERE (status IN {ACTIVE})",
    "ALTER TABLE bookings_booking ADD CONSTRAINT booking_client_no_overlap EXCLUDE USING gist "
    "(client_id WITH =, tstzrange(starts_at, ends_at) WITH &&) "
    f"WHERE (status IN {ACTIVE})",
]
BACKWARD = [
    "ALTER TABLE bookings_booking DROP CONSTRAINT IF EXISTS booking_client_no_overlap",
    "ALTER TABLE bookings_booking DROP CONSTRAINT IF EXISTS booking_pro_no_overlap",
]


class PostgresOnlySQL(migrations.operations.base.Operation):
    """Run SQL statements on PostgreSQL; a no-op on every other database."""

    reduces_to_sql = False
    reversible = True

    def __init__(self, forward, backward):
        self.forward = forward
        self.backward = backward

    def state_forwards(self, app_label, state):
        pass

    def _run(self, schema_editor, statements):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        self._run(schema_editor, self.forward)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        self._run(schema_editor, self.backward)

    def describe(self):
        return "PostgreSQL only: exclusion constraints against overlapping active bookings"

    def deconstruct(self):
        return (self.__class__.__name__, [], {"forward": self.forward, "backward": self.backward})


class Migration(migrations.Migration):
    dependencies = [("bookings", "0002_booking_sequence")]

    operations = [PostgresOnlySQL(FORWARD, BACKWARD)]
