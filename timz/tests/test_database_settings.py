"""The database settings read from the environment: connections come from a pool per process
(daphne serves each request on a new thread, and Django keeps a connection per thread)."""

import runpy

from django.conf import settings

SETTINGS = settings.BASE_DIR / "timz" / "settings.py"
POSTGRES = "postgres://timz@db.internal:5432/timz"


def database(monkeypatch, **env) -> dict:
    """settings.DATABASES["default"] as timz/settings.py builds it from `env`."""
    for name in ("DATABASE_POOL_SIZE", "DATABASE_POOL_TIMEOUT", "DATABASE_CONN_MAX_AGE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS))["DATABASES"]["default"]


def test_postgresql_connections_come_from_a_pool_per_process(monkeypatch):
    db = database(monkeypatch, DATABASE_URL=POSTGRES)
    assert db["OPTIONS"]["pool"] == {"min_size": 2, "max_size": 8, "timeout": 10.0}
    assert db["CONN_MAX_AGE"] == 0  # Django refuses a pool with persistent connections


def test_the_pool_is_sized_from_the_environment(monkeypatch):
    db = database(
        monkeypatch, DATABASE_URL=POSTGRES, DATABASE_POOL_SIZE="20", DATABASE_POOL_TIMEOUT="2.5"
    )
    assert db["OPTIONS"]["pool"] == {"min_size": 2, "max_size": 20, "timeout": 2.5}


def test_a_pool_size_of_zero_connects_per_request(monkeypatch):
    db = database(monkeypatch, DATABASE_URL=POSTGRES, DATABASE_POOL_SIZE="0")
    assert "pool" not in db.get("OPTIONS", {})
    assert db["CONN_MAX_AGE"] == 0


def test_persistent_connections_asked_for_replace_the_pool(monkeypatch):
    db = database(monkeypatch, DATABASE_URL=POSTGRES, DATABASE_CONN_MAX_AGE="60")
    assert "pool" not in db.get("OPTIONS", {})
    assert db["CONN_MAX_AGE"] == 60


def test_sqlite_connections_come_from_a_pool_per_process(monkeypatch, tmp_path):
    db = database(monkeypatch, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert db["ENGINE"] == "timz.db.sqlite3"
    assert db["OPTIONS"]["pool"] == {"max_size": 8}
    assert db["CONN_MAX_AGE"] == 0  # each request hands its connection back


def test_sqlite_without_a_pool_keeps_a_connection_per_thread(monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    db = database(monkeypatch, DATABASE_URL=url, DATABASE_POOL_SIZE="0")
    assert (db["ENGINE"], db["CONN_MAX_AGE"]) == ("django.db.backends.sqlite3", 60)
    assert "pool" not in db["OPTIONS"]
