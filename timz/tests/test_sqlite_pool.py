"""timz.db.sqlite3: SQLite connections handed from one request's thread to the next."""

import asyncio
import threading

import pytest
from asgiref.testing import ApplicationCommunicator
from django.core.asgi import get_asgi_application
from django.db import connection, connections
from django.db.backends.sqlite3.base import DatabaseWrapper as DjangoSQLite

from timz.db.sqlite3 import base as pool

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's own pool"),
]


@pytest.fixture(autouse=True)
def _empty_pool():
    pool.close_idle()
    yield
    pool.close_idle()


def in_a_thread(work):
    """`work()` on a new thread with its own Django connection, closed at the end as a request
    closes it; returns what `work` returned."""
    out = []

    def run():
        try:
            out.append(work())
        finally:
            connections["default"].close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return out[0]


def raw_connection():
    connections["default"].ensure_connection()
    return connections["default"].connection


@pytest.fixture
def opened(monkeypatch):
    """The number of SQLite connections opened (not taken from the pool)."""
    count = []
    real = DjangoSQLite.get_new_connection

    def counting(self, conn_params):
        count.append(1)
        return real(self, conn_params)

    monkeypatch.setattr(DjangoSQLite, "get_new_connection", counting)
    return count


def test_the_next_thread_gets_the_connection_the_last_one_closed(opened):
    first = in_a_thread(raw_connection)
    second = in_a_thread(raw_connection)
    assert second is first
    assert len(opened) == 1


def test_requests_served_on_threads_of_their_own_share_one_connection(opened):
    """Under ASGI each request runs on a new thread (Django's handler, not the test client's):
    without the pool, each connected anew."""
    application = get_asgi_application()

    async def get(path: str) -> int:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"testserver")],
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
        }
        app = ApplicationCommunicator(application, scope)
        await app.send_input({"type": "http.request", "body": b""})
        start = await app.receive_output(10)
        await app.receive_output(10)
        await app.wait(10)
        return start["status"]

    async def five():
        return [await get("/healthz") for _ in range(5)]

    assert asyncio.run(five()) == [200] * 5
    assert len(opened) == 1


def test_a_connection_left_in_a_transaction_is_rolled_back_before_it_is_handed_over():
    def begin_and_leave():
        conn = raw_connection()
        conn.execute("BEGIN")
        conn.execute("CREATE TEMP TABLE scratch (x)")
        return conn

    left = in_a_thread(begin_and_leave)
    assert not left.in_transaction
    again = in_a_thread(raw_connection)
    assert again is left
    assert again.execute("SELECT name FROM temp.sqlite_master").fetchall() == []


def test_foreign_keys_are_enforced_again_on_a_pooled_connection():
    def turn_them_off():
        conn = raw_connection()
        conn.execute("PRAGMA foreign_keys = OFF")
        return conn

    left = in_a_thread(turn_them_off)
    assert in_a_thread(raw_connection) is left
    assert in_a_thread(lambda: raw_connection().execute("PRAGMA foreign_keys").fetchone()) == (1,)


def test_at_most_the_pool_size_is_kept(settings):
    size = settings.DATABASES["default"]["OPTIONS"]["pool"]["max_size"]
    held = threading.Barrier(size + 2)
    seen = []

    def hold():
        seen.append(raw_connection())
        held.wait()

    threads = [threading.Thread(target=in_a_thread, args=(hold,)) for _ in range(size + 1)]
    for thread in threads:
        thread.start()
    held.wait()
    for thread in threads:
        thread.join()
    assert len({id(c) for c in seen}) == size + 1
    assert len(pool._idle[settings.DATABASES["default"]["NAME"]]) == size


def test_a_destroyed_test_database_takes_its_idle_connections_with_it(tmp_path):
    # make test-instants destroys and makes the test database again in one process: a pooled
    # connection to the deleted file would serve the old data and leave the new file unmade.
    name = str(tmp_path / "instant.sqlite3")
    settings_dict = {**connections["default"].settings_dict, "NAME": name}
    settings_dict["TEST"] = {**settings_dict.get("TEST", {}), "NAME": name}
    wrapper = pool.DatabaseWrapper(settings_dict, alias="instant")
    wrapper.ensure_connection()
    wrapper.connection.execute("CREATE TABLE first_run (x)")
    wrapper.close()
    assert len(pool._idle[name]) == 1

    wrapper.creation._destroy_test_db(name, verbosity=0)

    assert name not in pool._idle
    assert not (tmp_path / "instant.sqlite3").exists()
    wrapper.ensure_connection()  # the next run's database, under the same name
    try:
        assert wrapper.connection.execute("SELECT name FROM sqlite_master").fetchall() == []
        assert (tmp_path / "instant.sqlite3").exists()
    finally:
        wrapper.close()
        pool.close_idle(name)


def test_a_test_database_made_again_under_its_name_drops_the_idle_connections(tmp_path):
    name = str(tmp_path / "again.sqlite3")
    settings_dict = {**connections["default"].settings_dict, "NAME": name}
    settings_dict["TEST"] = {**settings_dict.get("TEST", {}), "NAME": name}
    wrapper = pool.DatabaseWrapper(settings_dict, alias="again")
    wrapper.ensure_connection()
    wrapper.close()
    assert len(pool._idle[name]) == 1

    wrapper.creation._create_test_db(verbosity=0, autoclobber=True)

    assert name not in pool._idle
    pool.close_idle(name)
