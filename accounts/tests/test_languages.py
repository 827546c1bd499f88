"""The language a page is in: the user's choice, then the switcher's cookie, then the browser."""

from http import HTTPStatus
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from accounts.languages import language_of, speaking
from conftest import login, make_user

pytestmark = pytest.mark.django_db

LANGUAGE_SET = reverse("accounts:language_set")


def html_lang(response) -> str:
    text = response.content.decode()
    start = text.index('<html lang="') + len('<html lang="')
    return text[start : text.index('"', start)]


def test_a_visitor_reads_the_browsers_language(client):
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9,en;q=0.5")

    assert html_lang(response) == "de"
    assert response["Content-Language"] == "de"


def test_a_browser_language_timz_does_not_speak_falls_back_to_english(client):
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="ja-JP")

    assert html_lang(response) == "en"


def test_the_switcher_remembers_a_visitors_choice_and_goes_back(client):
    # The page it was sent from (the form does not echo the address: it may hold a secret).
    response = client.post(
        LANGUAGE_SET, {"language": "es"}, HTTP_REFERER="http://testserver/p/nobody/?q=1"
    )

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == "http://testserver/p/nobody/?q=1"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="de")
    assert html_lang(page) == "es"  # the choice beats the browser


def test_the_switcher_never_sends_anyone_off_site(client):
    response = client.post(LANGUAGE_SET, {"language": "fr"}, HTTP_REFERER="https://evil.example/")

    assert response["Location"] == reverse("home")


def test_a_signed_in_users_choice_is_saved_and_beats_the_cookie_and_the_browser(client_user):
    http = login(client_user)

    http.post(LANGUAGE_SET, {"language": "fr"})
    client_user.refresh_from_db()
    http.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    page = http.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="es")

    assert client_user.language == "fr"
    assert html_lang(page) == "fr"


@pytest.mark.parametrize("language", ["", "xx", "fr\x00", "en-US" * 40])
def test_an_unknown_language_is_a_clear_400_and_changes_nothing(client_user, language):
    http = login(client_user)

    response = http.post(LANGUAGE_SET, {"language": language})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    client_user.refresh_from_db()
    assert client_user.language == ""
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_the_switcher_only_takes_a_post(client):
    assert client.get(LANGUAGE_SET).status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_the_footer_switcher_shows_every_language_in_its_own_name(client):
    text = client.get(reverse("home")).content.decode()

    for name in ("English", "Français", "Español", "Deutsch"):
        assert f">{name}</option>" in text


def test_people_are_written_to_in_their_own_language():
    assert language_of(make_user(language="de")) == "de"
    assert language_of(make_user()) == settings.LANGUAGE_CODE


def test_a_signed_in_users_choice_needs_the_csrf_token(client_user):
    from django.test import Client

    http = Client(enforce_csrf_checks=True)
    http.force_login(client_user)

    response = http.post(LANGUAGE_SET, {"language": "de"})

    assert response.status_code == HTTPStatus.FORBIDDEN
    client_user.refresh_from_db()
    assert client_user.language == ""


def test_a_visitors_choice_needs_no_token_so_their_pages_stay_cacheable():
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(LANGUAGE_SET, {"language": "de"})

    assert response.status_code == HTTPStatus.FOUND
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"


def test_speaking_writes_in_the_recipients_language_and_restores_the_readers():
    with translation.override("es"):
        with speaking(SimpleNamespace(language="de")):
            assert translation.get_language() == "de"
        with speaking(SimpleNamespace(language="")):
            assert translation.get_language() == "en"
        assert translation.get_language() == "es"


def test_pages_keep_the_users_own_language_whatever_the_browser_asks(client):
    client.force_login(make_user(language="fr"))

    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="de")

    assert html_lang(page) == "fr"
    assert page["Content-Language"] == "fr"


def test_on_the_api_an_explicit_accept_language_beats_the_users_own_language(client):
    client.force_login(make_user(language="fr"))

    asked = client.get("/api/v1/me", HTTP_ACCEPT_LANGUAGE="de")
    unasked = client.get("/api/v1/me")

    assert asked.status_code == unasked.status_code == HTTPStatus.OK
    assert asked["Content-Language"] == "de"
    assert unasked["Content-Language"] == "fr"


def test_an_api_header_naming_no_language_timz_speaks_is_english():
    from accounts.languages import accepted_language

    assert accepted_language("ja-JP, zh;q=0.5") == "en"
    assert accepted_language("pt-BR, de-CH;q=0.7, fr;q=0.3") == "de"
