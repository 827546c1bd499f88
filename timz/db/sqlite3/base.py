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
"""

from __future__ import annotations

import threading

from django.db.backends.sqlite3 import base

_lock = threading.Lock()
_idle: dict[str, list] = {}  # database file -> idle sqlite3 connections, last in first out


class DatabaseWrapper(base.DatabaseWrapper):
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


def close_idle() -> None:
    """Close every pooled connection (tests; a process about to delete its database file)."""
    with _lock:
        conns = [conn for idle in _idle.values() for conn in idle]
        _idle.clear()
    for conn in conns:
        conn.close()
