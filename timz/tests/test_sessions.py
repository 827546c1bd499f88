"""timz.sessions and accounts.auth_backends: a signed-in request's session and user, read
with SQL written or compiled once, and sessions saved under the library backends' names."""

from http import HTTPStatus

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from conftest import login, make_user
from timz.sessions import SessionStore

pytestmark = pytest.mark.django_db


def profile(http):
    return http.get(reverse("accounts:profile"))


def session_of(user, backend: str) -> Client:
    """A client whose session was saved naming `backend`, as a login would have saved it."""
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = backend
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    http = Client()
    http.cookies["sessionid"] = store.session_key
    return http


def test_a_signed_in_page_reads_the_session_and_the_user_as_before(client_user):
    http = login(client_user)
    assert profile(http).status_code == HTTPStatus.OK
    assert profile(http).context["user"] == client_user


@pytest.mark.parametrize(
    "backend",
    [
        "django.contrib.auth.backends.ModelBackend",
        "allauth.account.auth_backends.AuthenticationBackend",
    ],
)
def test_a_session_saved_under_a_library_backend_stays_signed_in(client_user, backend):
    http = session_of(client_user, backend)
    assert profile(http).status_code == HTTPStatus.OK
    assert profile(http).context["user"] == client_user


def test_a_session_naming_an_unknown_backend_is_signed_out(client_user):
    http = session_of(client_user, "somewhere.else.Backend")
    assert profile(http).status_code == HTTPStatus.FOUND


def test_a_deactivated_user_is_signed_out(client_user):
    http = login(client_user)
    client_user.is_active = False
    client_user.save(update_fields=["is_active"])
    assert profile(http).status_code == HTTPStatus.FOUND


def test_an_expired_session_is_not_read(client_user):
    http = login(client_user)
    Session.objects.update(expire_date="2000-01-01T00:00:00Z")
    assert profile(http).status_code == HTTPStatus.FOUND


def test_an_unknown_session_key_starts_a_new_anonymous_session():
    store = SessionStore("x" * 32)
    assert store.load() == {}
    assert store.session_key is None


def test_another_users_session_is_theirs(client_user):
    other = make_user()
    mine, theirs = login(client_user), login(other)
    assert profile(mine).context["user"] == client_user
    assert profile(theirs).context["user"] == other
