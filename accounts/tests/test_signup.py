"""Sign-up, email verification, login, logout and rate limits, through allauth's real views."""

import re
from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from accounts.models import ClientProfile, ProProfile, User
from accounts.services import pro_slug_generate, user_signup_complete
from conftest import PASSWORD, make_pro

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "plum-orbit-lantern-42"


def _signup(client, *, email, role, name="Anna Lee", timezone="Europe/Berlin", **extra):
    return client.post(
        reverse("account_signup"),
        {
            "role": role,
            "display_name": name,
            "email": email,
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "timezone": timezone,
            **extra,
        },
    )


def _confirmation_link(message) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def _login(client, email, password=NEW_PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_signup_page_offers_both_roles_as_radio_cards(client):
    response = client.get(reverse("account_signup"))

    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert 'class="radio-card"' in html
    assert 'value="client"' in html and 'value="pro"' in html
    assert 'name="timezone"' in html


def test_client_signup_creates_a_client_profile_and_sends_a_verification_email(client):
    response = _signup(client, email="Anna@Example.com", role="client")

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get(email="anna@example.com")
    assert user.role == User.Role.CLIENT
    assert user.client_profile.display_name == "Anna Lee"
    assert user.client_profile.timezone == "Europe/Berlin"
    assert not ProProfile.objects.filter(user=user).exists()
    assert not EmailAddress.objects.get(user=user).verified
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["anna@example.com"]
    assert "/accounts/confirm-email/" in mail.outbox[0].body
    assert mail.outbox[0].subject == "[Timz] Confirm your email address"
    assert mail.outbox[0].body.startswith("Hello from Timz!")


def test_pro_signup_creates_both_profiles_with_a_slug_from_the_name(client):
    _signup(client, email="pro-anna@example.com", role="pro", name="Anna Lee")

    user = User.objects.get(email="pro-anna@example.com")
    assert user.role == User.Role.PRO
    assert user.client_profile.display_name == "Anna Lee"
    pro = user.pro_profile
    assert pro.display_name == "Anna Lee"
    assert pro.slug == "anna-lee"
    assert pro.timezone == "Europe/Berlin"


def test_second_pro_with_the_same_name_gets_a_numbered_slug(client):
    make_pro(name="Anna Lee", slug="anna-lee")

    _signup(client, email="second@example.com", role="pro", name="Anna Lee")

    assert User.objects.get(email="second@example.com").pro_profile.slug == "anna-lee-2"


def test_an_unknown_browser_time_zone_falls_back_to_utc(client):
    _signup(client, email="mars@example.com", role="client", timezone="Mars/Olympus_Mons")

    assert ClientProfile.objects.get(user__email="mars@example.com").timezone == "UTC"


def test_signup_without_a_role_or_name_shows_errors(client):
    response = client.post(
        reverse("account_signup"),
        {"email": "x@example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == HTTPStatus.OK
    errors = response.context["form"].errors
    assert "role" in errors and "display_name" in errors
    assert not User.objects.filter(email="x@example.com").exists()


def test_signup_with_an_unknown_role_is_refused(client):
    response = _signup(client, email="x@example.com", role="admin")

    assert response.status_code == HTTPStatus.OK
    assert "role" in response.context["form"].errors
    assert not User.objects.exists()


def test_duplicate_email_creates_no_second_account(client, client_user):
    response = _signup(client, email="CLIENT@example.com", role="pro")

    # allauth prevents account enumeration: the page looks like a normal sign-up, and the
    # owner of the address gets an "account already exists" email instead of a confirmation.
    assert response.status_code == HTTPStatus.FOUND
    assert User.objects.filter(email__iexact="client@example.com").count() == 1
    assert not ProProfile.objects.filter(user=client_user).exists()
    assert len(mail.outbox) == 1
    assert "/accounts/confirm-email/" not in mail.outbox[0].body


@pytest.mark.parametrize(("role", "landing"), [("client", "home"), ("pro", "accounts:dashboard")])
def test_confirm_link_then_login_lands_on_the_role_home(client, role, landing):
    email = f"{role}-flow@example.com"
    _signup(client, email=email, role=role)

    # Unverified: the login is held at "verify your email".
    client.logout()
    response = _login(client, email)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session

    # Follow the link from the email (GET shows a confirm button; POST confirms).
    link = _confirmation_link(mail.outbox[-1])
    assert client.get(link).status_code == HTTPStatus.OK
    response = client.post(link)
    assert response.status_code == HTTPStatus.FOUND
    assert EmailAddress.objects.get(email=email).verified

    client.logout()
    response = _login(client, email)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse(landing)
    assert int(client.session["_auth_user_id"]) == User.objects.get(email=email).pk


def _verified(user):
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def test_login_with_a_wrong_password_shows_a_form_error(client, client_user):
    _verified(client_user)

    response = _login(client, client_user.email, "not-the-password")

    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].non_field_errors()
    assert "_auth_user_id" not in client.session


def test_login_honours_next_over_the_role_landing(client, pro):
    _verified(pro.user)

    response = client.post(
        reverse("account_login") + "?next=/profile/",
        {"login": pro.user.email, "password": PASSWORD, "next": "/profile/"},
    )

    assert response["Location"] == "/profile/"


def test_logout_ends_the_session(client, client_user):
    client.force_login(client_user)

    response = client.post(reverse("account_logout"))

    assert response.status_code == HTTPStatus.FOUND
    assert "_auth_user_id" not in client.session


def test_repeated_login_failures_hit_the_rate_limit(client, client_user):
    # settings.ACCOUNT_RATE_LIMITS["login_failed"] = "10/m/ip,5/5m/key": after 5 failures for
    # one address, allauth refuses even the right password with "Too many failed login
    # attempts" (a form error, status 200: the form is re-rendered).
    _verified(client_user)
    for _ in range(5):
        response = _login(client, client_user.email, "wrong-password")
        assert "Too many failed login attempts" not in response.content.decode()

    response = _login(client, client_user.email, PASSWORD)

    assert response.status_code == HTTPStatus.OK
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_too_many_login_posts_from_one_ip_get_a_429_page(client, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "3/m/ip"}
    for n in range(3):
        response = _login(client, f"nobody{n}@example.com", "x")
        assert response.status_code == HTTPStatus.OK

    response = _login(client, "nobody@example.com", "x")

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert "Too many attempts" in response.content.decode()


def test_signup_service_makes_a_slug_that_avoids_reserved_words():
    user = User(email="admin-pro@example.com")
    user.set_password(PASSWORD)

    user_signup_complete(user=user, role=User.Role.PRO, display_name="Admin", timezone="UTC")

    assert user.pro_profile.slug == "admin-pro"


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Zoë D'Arcy & Co.", "zoe-darcy-co"),
        ("李小龍", "timz-pro"),
        ("Al", "al-pro"),
        ("  ", "timz-pro"),
        ("Pro", "pro-pro"),
    ],
)
def test_slug_generation_handles_awkward_names(name, slug):
    assert pro_slug_generate(display_name=name) == slug


@pytest.mark.parametrize(
    "name",
    [
        "account_signup",
        "account_login",
        "account_reset_password",
        "account_reset_password_done",
        "account_email_verification_sent",
    ],
)
def test_anonymous_allauth_pages_use_the_site_layout(client, name):
    response = client.get(reverse(name))

    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert 'class="container auth-main auth-entrance"' in html
    assert "css/accounts.css" in html
    assert 'class="site-header"' in html


@pytest.mark.parametrize("name", ["account_email", "account_change_password", "account_logout"])
def test_signed_in_allauth_pages_use_the_site_layout_with_account_tabs(client, client_user, name):
    _verified(client_user)
    client.force_login(client_user)

    response = client.get(reverse(name))

    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert 'class="container auth-main auth-manage"' in html
    assert 'class="account-tabs"' in html


def test_password_reset_email_link_opens_a_styled_form_and_sets_the_password(client, client_user):
    _verified(client_user)
    client.post(reverse("account_reset_password"), {"email": client_user.email})
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", mail.outbox[-1].body)

    page = client.get(link.group(1), follow=True)
    assert page.status_code == HTTPStatus.OK
    assert 'class="auth-form"' in page.content.decode()
    response = client.post(
        page.redirect_chain[-1][0] if page.redirect_chain else link.group(1),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == HTTPStatus.FOUND
    client_user.refresh_from_db()
    assert client_user.check_password(NEW_PASSWORD)


def test_password_change_keeps_the_user_signed_in(client, client_user):
    _verified(client_user)
    client.force_login(client_user)

    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == HTTPStatus.FOUND
    client_user.refresh_from_db()
    assert client_user.check_password(NEW_PASSWORD)
    assert "_auth_user_id" in client.session


@pytest.mark.parametrize(("role", "landing"), [("client", "home"), ("pro", "accounts:dashboard")])
def test_confirming_in_the_signup_session_logs_in_and_lands_on_the_role_home(client, role, landing):
    email = f"{role}-confirm@example.com"
    _signup(client, email=email, role=role)

    response = client.post(_confirmation_link(mail.outbox[-1]))

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse(landing)
    assert int(client.session["_auth_user_id"]) == User.objects.get(email=email).pk


def test_an_invalid_confirmation_link_explains_itself(client):
    response = client.get(reverse("account_confirm_email", args=["not-a-real-key"]))

    assert response.status_code == HTTPStatus.OK
    assert "expired or is not valid" in response.content.decode()
