"""The authentication backends of AUTHENTICATION_BACKENDS: Django's and allauth's, the signed-in
user of each request read with SQL compiled once per process (timz.prepared) instead of an ORM
`get` built and compiled on every request (~0.6 ms of CPU, a tenth of a booking's).

Sessions saved before these classes existed name the library classes: the session store
(timz.sessions) reads those names as these (`RENAMED`), so nobody is signed out by the change.
"""

from __future__ import annotations

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend

from accounts.models import User
from timz import prepared


def _user(*, pk: int):
    return User._default_manager.filter(pk=pk)


class _PreparedUser:
    def get_user(self, user_id):
        """The active user `user_id` (as ``ModelBackend.get_user``), else None."""
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        found = prepared.instances("accounts.session_user", _user, pk=pk)
        if not found:
            return None
        return found[0] if self.user_can_authenticate(found[0]) else None


class ModelBackend(_PreparedUser, DjangoModelBackend):
    pass


class AuthenticationBackend(_PreparedUser, AllauthBackend):
    pass


# The backend path a session saved before this module existed -> the one to read it as.
RENAMED = {
    "django.contrib.auth.backends.ModelBackend": "accounts.auth_backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend": (
        "accounts.auth_backends.AuthenticationBackend"
    ),
}
