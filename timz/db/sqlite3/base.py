"""Django's SQLite backend, with its connections kept in a pool per process and file.

daphne runs every request on a new thread and Django keeps a connection per thread, so under
ASGI each request that read the database opened the SQLite file anew: the connection, its
pragmas, the schema read again and every statement prepared again (~3 ms of a booking's ~13
on the bench machine). Here a closed connection goes back to a pool (Django closes it when the
request ends: ``CONN_MAX_AGE`` 0) and the next thread takes it, statement cache and all, the
way the PostgreSQL backend's ``"pool"`` option does.

``OPTIONS["pool"] = {"max_size": N}``: at most N idle connections kept (timz/settings.py reads
``DATABASE_POOL_SIZE``); a thread finding none opens one as before, so there is no waiting. A
connection is handed over outside any transaction (rolled back if one was left open) and with
its foreign keys enforced again. In-memory databases are never pooled (Django never closes them).

A test database file deleted (destroyed, or removed to be made again) takes its idle
connections with it: kept, they would still point at the deleted file, so the next test run of
the process (``make test-instants`` makes one per instant) would read the old database and
never create the new file, whose removal then fails at teardown (FileNotFoundError).
"""

from __future__ import annotations

import threading

from django.db.backends.sqlite3 import base, creation

_lock = threading.Lock()
_idle: dict[str, list] = {}  # database file -> idle sqlite3 connections, last in first out


class DatabaseCreation(creation.DatabaseCreation):
    """Django's, dropping the pool's idle connections to a test database file it deletes."""

    def _create_test_db(self, verbosity, autoclobber, keepdb=False):
        name = self._get_test_db_name()
        if not keepdb:
            close_idle(name)  # an old file of that name is about to be removed
        return super()._create_test_db(verbosity, autoclobber, keepdb)

    def _destroy_test_db(self, test_database_name, verbosity):
        close_idle(test_database_name)
        super()._destroy_test_db(test_database_name, verbosity)


class DatabaseWrapper(base.DatabaseWrapper):
    creation_class = DatabaseCreation
    pool_size = 0

    def get_connection_params(self):
        params = dict(super().get_connection_params())
        self.pool_size = (params.pop("pool", None) or {}).get("max_size", 0)
        return params

    def get_new_connection(self, conn_params):
        with _lock:
            idle = _idle.get(conn_params["database"])
            conn = idle.pop() if idle else None
        if conn is None:
            return super().get_new_connection(conn_params)
        conn.execute("PRAGMA foreign_keys = ON")
        return conn

    def _close(self):
        conn = self.connection
        if conn is None or not self.pool_size or self.is_in_memory_db():
            return super()._close()
        with self.wrap_database_errors:
            if conn.in_transaction:
                conn.rollback()
        with _lock:
            idle = _idle.setdefault(self.settings_dict["NAME"], [])
            if len(idle) < self.pool_size:
                idle.append(conn)
                return None
        return super()._close()


def close_idle(database: str | None = None) -> None:
    """Close the pooled connections to the file `database` (every file for None): tests, and a
    process about to delete a database file."""
    with _lock:
        if database is None:
            conns = [conn for idle in _idle.values() for conn in idle]
            _idle.clear()
        else:
            conns = _idle.pop(str(database), [])
    for conn in conns:
        conn.close()
