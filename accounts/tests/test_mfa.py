"""Multi-factor sign-in: an authenticator app, recovery codes, and staff who must have one.

Codes are real: computed from the secret with the TOTP arithmetic at the test clock's time.
"""

from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from accounts.mfa import LAST_FACTOR_MESSAGE, STAFF_SETUP_MESSAGE
from conftest import PASSWORD, TOTP_SECRET, give_totp, make_user, totp_code

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock(now):
    """A stopped clock: the code computed is the one the server checks."""


def verified(user):
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


@pytest.fixture
def member():
    return verified(make_user(email="member@example.com"))


@pytest.fixture
def staff():
    return verified(make_user(email="staff@example.com", is_staff=True))


def password_step(user) -> tuple[Client, object]:
    http = Client()
    response = http.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    return http, response


def sign_in(user, code=None) -> Client:
    """Sign in as a person does: the password, then the code when allauth asks for one. Then
    the password again, as allauth asks before any change to the factors."""
    http, response = password_step(user)
    if code is not None:
        assert response["Location"] == reverse("mfa_authenticate")
        response = http.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == HTTPStatus.FOUND
    assert http.session.get("_auth_user_id") == str(user.pk)
    confirmed = http.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert confirmed.status_code == HTTPStatus.FOUND
    return http


def test_a_client_turns_on_an_authenticator_app_with_a_real_code(member):
    http = sign_in(member)
    page = http.get(reverse("mfa_activate_totp"))
    assert page.status_code == HTTPStatus.OK
    secret = http.session[SECRET_SESSION_KEY]

    response = http.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})

    assert response.status_code == HTTPStatus.FOUND
    kinds = set(Authenticator.objects.filter(user=member).values_list("type", flat=True))
    assert kinds == {Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES}


def test_a_wrong_code_does_not_turn_it_on(member):
    http = sign_in(member)
    http.get(reverse("mfa_activate_totp"))

    response = http.post(reverse("mfa_activate_totp"), {"code": "000000x"})

    assert response.status_code == HTTPStatus.OK
    assert "Incorrect code." in response.text
    assert not Authenticator.objects.filter(user=member).exists()


def test_signing_in_asks_for_the_code_after_the_password(member):
    give_totp(member)

    http, response = password_step(member)

    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in http.session
    wrong = http.post(reverse("mfa_authenticate"), {"code": "123456"})
    assert "Incorrect code." in wrong.text
    assert "_auth_user_id" not in http.session
    http.post(reverse("mfa_authenticate"), {"code": totp_code()})
    assert http.session["_auth_user_id"] == str(member.pk)


def test_a_recovery_code_signs_in_once(member):
    give_totp(member)
    code = RecoveryCodes.activate(member).generate_codes()[0]

    sign_in(member, code)

    _, response = password_step(member)
    assert response["Location"] == reverse("mfa_authenticate")
    again = Client()
    again.post(reverse("account_login"), {"login": member.email, "password": PASSWORD})
    assert "Incorrect code." in again.post(reverse("mfa_authenticate"), {"code": code}).text


def test_staff_without_a_second_factor_are_sent_to_set_one_up(staff):
    http = sign_in(staff)

    response = http.get(reverse("admin:index"))

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("mfa_index")
    assert STAFF_SETUP_MESSAGE in [str(m) for m in get_messages(response.wsgi_request)]
    # Every other page too, the site's own and the API; allauth's pages stay open.
    assert http.get(reverse("accounts:profile"))["Location"] == reverse("mfa_index")
    api = http.get(reverse("api-v1:me"))
    assert api.status_code == HTTPStatus.FORBIDDEN
    assert api.json() == {"detail": STAFF_SETUP_MESSAGE}
    assert http.get(reverse("mfa_index")).status_code == HTTPStatus.OK
    assert http.get(reverse("mfa_activate_totp")).status_code == HTTPStatus.OK


def test_staff_reach_the_admin_once_their_authenticator_app_is_on(staff):
    http = sign_in(staff)
    http.get(reverse("mfa_activate_totp"))
    http.post(reverse("mfa_activate_totp"), {"code": totp_code(http.session[SECRET_SESSION_KEY])})

    assert http.get(reverse("admin:index")).status_code == HTTPStatus.OK


def test_staff_with_an_authenticator_must_give_the_code_to_sign_in(staff):
    give_totp(staff)

    http = sign_in(staff, totp_code())

    assert http.get(reverse("admin:index")).status_code == HTTPStatus.OK


def test_the_admin_login_form_hands_over_to_the_site_login(client):
    response = client.get(reverse("admin:login"), {"next": "/admin/"})

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("account_login"))


def test_staff_cannot_turn_off_their_last_authenticator_app(staff):
    give_totp(staff)
    http = sign_in(staff, totp_code())

    response = http.post(reverse("mfa_deactivate_totp"))

    assert response.status_code == HTTPStatus.OK
    assert str(LAST_FACTOR_MESSAGE) in response.text
    assert Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).exists()


def test_staff_may_swap_their_app_for_a_passkey_but_not_remove_the_passkey_then(staff):
    give_totp(staff)
    key = Authenticator.objects.create(
        user=staff, type=Authenticator.Type.WEBAUTHN, data={"name": "Laptop"}
    )
    http = sign_in(staff, totp_code())

    assert http.post(reverse("mfa_deactivate_totp")).status_code == HTTPStatus.FOUND
    response = http.post(reverse("mfa_remove_webauthn", args=[key.pk]))

    assert response["Location"] == reverse("mfa_list_webauthn")
    assert LAST_FACTOR_MESSAGE in [str(m) for m in get_messages(response.wsgi_request)]
    assert Authenticator.objects.filter(pk=key.pk).exists()


def test_staff_may_remove_a_passkey_while_an_authenticator_app_remains(staff):
    give_totp(staff)
    key = Authenticator.objects.create(
        user=staff, type=Authenticator.Type.WEBAUTHN, data={"name": "Laptop"}
    )
    http = sign_in(staff, totp_code())

    response = http.post(reverse("mfa_remove_webauthn", args=[key.pk]))

    assert response.status_code == HTTPStatus.FOUND
    assert not Authenticator.objects.filter(pk=key.pk).exists()


def test_a_client_may_turn_their_authenticator_app_off(member):
    give_totp(member)
    http = sign_in(member, totp_code())

    response = http.post(reverse("mfa_deactivate_totp"))

    assert response.status_code == HTTPStatus.FOUND
    assert not Authenticator.objects.filter(user=member).exists()


def test_someone_elses_passkey_is_not_found(member, staff):
    key = Authenticator.objects.create(
        user=staff, type=Authenticator.Type.WEBAUTHN, data={"name": "Laptop"}
    )
    http = sign_in(member)

    response = http.post(reverse("mfa_remove_webauthn", args=[key.pk]))

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert Authenticator.objects.filter(pk=key.pk).exists()


def test_the_admin_shows_who_has_a_factor_but_never_its_secret(member, staff_user, client):
    give_totp(member)
    key = Authenticator.objects.get(user=member)
    client.force_login(staff_user)

    listing = client.get(reverse("admin:mfa_authenticator_changelist", query={"q": member.email}))
    page = client.get(reverse("admin:mfa_authenticator_change", args=[key.pk]))

    assert member.email in listing.text
    assert page.status_code == HTTPStatus.OK
    assert TOTP_SECRET not in page.text
    assert 'name="data"' not in page.text


def test_staff_may_remove_the_factor_of_someone_who_lost_their_phone(member, staff_user, client):
    give_totp(member)
    key = Authenticator.objects.get(user=member)
    client.force_login(staff_user)

    response = client.post(
        reverse("admin:mfa_authenticator_delete", args=[key.pk]), {"post": "yes"}
    )

    assert response.status_code == HTTPStatus.FOUND
    assert not Authenticator.objects.filter(user=member).exists()


def test_the_two_factor_pages_write_their_headings_in_sentence_case(member):
    http = sign_in(member)
    html = http.get(reverse("mfa_activate_totp")).text
    assert '<h1 class="auth-title">Activate authenticator app</h1>' in html
    assert "Activate Authenticator App</h1>" not in html


@pytest.mark.parametrize(
    ("heading", "written"),
    [
        ("Activate Authenticator App", "Activate authenticator app"),
        ("Recovery Codes", "Recovery codes"),
        ("Add Security Key", "Add security key"),
        ("Create your Timz account", "Create your Timz account"),  # a sentence already
        ("Welcome back", "Welcome back"),
        ("Timz", "Timz"),
        ("Add Your TOTP Key", "Add your TOTP key"),  # acronyms keep their capitals
    ],
)
def test_sentence_case_leaves_sentences_and_acronyms_alone(heading, written):
    from accounts.templatetags.wording import sentence_case

    assert sentence_case(heading) == written
