"""The session engine (SESSION_ENGINE): Django's database sessions, each request's session read
with one hand-written SELECT instead of an ORM `get` built and compiled every time (~0.7 ms of
CPU on every signed-in request). Writes, expiry and clean-up are Django's.

A session saved while AUTHENTICATION_BACKENDS named the library classes is read with the
project's names for them (accounts.auth_backends.RENAMED).
"""

from __future__ import annotations

from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        model = self.model
        connection = connections[router.db_for_read(model)]
        quote = connection.ops.quote_name
        sql = "SELECT {data} FROM {table} WHERE {key} = %s AND {expires} > %s".format(
            data=quote(model._meta.get_field("session_data").column),
            table=quote(model._meta.db_table),
            key=quote(model._meta.get_field("session_key").column),
            expires=quote(model._meta.get_field("expire_date").column),
        )
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.session_key, now])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return model(session_key=self.session_key, session_data=row[0])

    def load(self):
        from accounts.auth_backends import RENAMED

        data = super().load()
        backend = data.get(BACKEND_SESSION_KEY)
        if backend in RENAMED:
            data[BACKEND_SESSION_KEY] = RENAMED[backend]
        return data
