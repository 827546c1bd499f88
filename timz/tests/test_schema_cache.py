"""The test database starts from a copy of a migrated one only while the migrations are the
ones it was made with (conftest._migrated_schema_cache)."""

import pytest
from django.apps import apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

import conftest


@pytest.mark.django_db
def test_the_test_database_has_every_migration_applied():
    executor = MigrationExecutor(connection)
    targets = executor.loader.graph.leaf_nodes()
    assert targets
    assert executor.migration_plan(targets) == []


def _fake_app(tmp_path, text: str):
    folder = tmp_path / "app" / "migrations"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "0001_initial.py").write_text(text)
    return type("FakeApp", (), {"path": str(tmp_path / "app")})()


def test_the_copy_is_keyed_on_the_text_of_the_migrations(tmp_path, monkeypatch):
    app = _fake_app(tmp_path, "operations = []\n")
    monkeypatch.setattr(apps, "get_app_configs", lambda: [app])
    first = conftest._migrations_key()
    assert conftest._migrations_key() == first
    _fake_app(tmp_path, "operations = ['changed']\n")
    changed = conftest._migrations_key()
    assert changed != first
    (tmp_path / "app" / "migrations" / "0002_more.py").write_text("operations = []\n")
    assert conftest._migrations_key() not in (first, changed)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the copy is of SQLite test databases")
@pytest.mark.django_db(transaction=True)  # VACUUM cannot run inside a transaction
def test_a_kept_copy_holds_the_migrated_tables_and_replaces_older_copies(tmp_path, monkeypatch):
    import sqlite3

    monkeypatch.setattr(conftest, "SCHEMA_CACHE_DIR", tmp_path)
    (tmp_path / "old.sqlite3").write_bytes(b"")
    copy = tmp_path / "new.sqlite3"

    conftest._keep_schema_copy(connection, copy)

    assert [p.name for p in tmp_path.iterdir()] == ["new.sqlite3"]
    with sqlite3.connect(copy) as kept:
        tables = {row[0] for row in kept.execute("SELECT name FROM sqlite_master")}
        applied = kept.execute("SELECT COUNT(*) FROM django_migrations").fetchone()[0]
    assert {"bookings_booking", "accounts_user", "django_migrations"} <= tables
    assert applied == len(MigrationExecutor(connection).loader.applied_migrations)
    assert conftest._holds_migrations(copy)


class _NoMigrations:
    """What pytest-django's --nomigrations puts in MIGRATION_MODULES."""

    def __contains__(self, item):
        return True

    def __getitem__(self, item):
        return None


def test_a_database_made_without_migrations_is_neither_kept_nor_replaced(settings):
    settings.MIGRATION_MODULES = {}
    assert conftest._migrations_on(connection)
    settings.MIGRATION_MODULES = _NoMigrations()
    assert not conftest._migrations_on(connection)


def test_only_a_copy_with_migrations_recorded_is_used(tmp_path):
    import sqlite3

    assert not conftest._holds_migrations(tmp_path / "missing.sqlite3")
    (tmp_path / "empty.sqlite3").write_bytes(b"")
    assert not conftest._holds_migrations(tmp_path / "empty.sqlite3")
    with sqlite3.connect(tmp_path / "tables.sqlite3") as made:
        made.execute("CREATE TABLE django_content_type (id integer)")
        made.execute("CREATE TABLE django_migrations (id integer)")
    assert not conftest._holds_migrations(tmp_path / "tables.sqlite3")
    with sqlite3.connect(tmp_path / "tables.sqlite3") as made:
        made.execute("INSERT INTO django_migrations VALUES (1)")
    assert conftest._holds_migrations(tmp_path / "tables.sqlite3")
