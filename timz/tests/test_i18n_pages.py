"""The shared pages in the reader's language: error and refusal pages, the layout's language
switcher, and the sizes a refusal names."""

from http import HTTPStatus

import pytest
from django.shortcuts import render
from django.test import Client
from django.urls import include, path
from django.utils import translation

import timz.urls
from timz import input as timz_input

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


@pytest.fixture(autouse=True)
def _language_reset():
    """A request through the test client leaves its language active in this thread (in
    production each request has its own context): later tests must start in English."""
    yield
    translation.deactivate()


def too_many(request):
    # What allauth's rate limits answer with.
    return render(request, "429.html", status=HTTPStatus.TOO_MANY_REQUESTS)


def raises_error(request):
    raise RuntimeError("Boom: an unexpected bug.")


urlpatterns = [
    path("test-i18n/429/", too_many),
    path("test-i18n/500/", raises_error),
    path("", include(timz.urls.urlpatterns)),
]
handler500 = timz.urls.handler500


@pytest.fixture(autouse=True)
def production_mode(settings):
    settings.DEBUG = False


def test_the_429_page_is_written_in_the_browsers_language(client):
    response = client.get("/test-i18n/429/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")

    html = response.content.decode()
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert '<html lang="de">' in html
    assert response["Content-Language"] == "de"
    assert "<h1>Zu viele Versuche</h1>" in html
    assert "Bitte warten Sie einige Minuten und versuchen Sie es erneut." in html
    assert "Too many attempts" not in html


def test_a_refused_input_page_is_written_in_the_browsers_language(client, pro):
    response = client.get(f"/p/{pro.slug}%00/", HTTP_ACCEPT_LANGUAGE="de")

    html = response.content.decode()
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert '<html lang="de">' in html
    assert "<h1>Ungültige Anfrage</h1>" in html
    assert "Die Anfrage enthält ein NUL-Zeichen (U+0000), das Timz nicht akzeptiert." in html
    with translation.override("de"):
        assert str(timz_input.NUL_MESSAGE) in html
    with translation.override("en"):
        assert str(timz_input.NUL_MESSAGE) not in html
    assert "Bad Request" not in html


def test_the_500_page_is_written_in_the_browsers_language():
    browser = Client(raise_request_exception=False)

    response = browser.get("/test-i18n/500/", HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert '<html lang="fr">' in response.content.decode()


def test_the_switcher_names_each_language_in_that_language(client):
    # Django's French catalogue calls English "Anglais": the switcher must not.
    html = client.get("/no/such/page/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    assert '<html lang="fr">' in html
    for code, name in [("en", "English"), ("fr", "Français"), ("es", "Español"), ("de", "Deutsch")]:
        selected = " selected" if code == "fr" else ""
        assert f'<option value="{code}" lang="{code}"{selected}>{name}</option>' in html
    assert "Anglais" not in html


def test_a_size_limit_is_written_with_the_languages_decimal_mark():
    limit = 5 * 1024 * 1024 // 2  # 2.5 MB

    with translation.override("de"):
        german = timz_input.too_large_message(limit)
    with translation.override("en"):
        english = timz_input.too_large_message(limit)

    assert german == "Die Anfrage ist zu groß: höchstens 2,5 MB."
    assert english == "The request is too large: at most 2.5 MB."
    assert timz_input.too_large_message(64 * 1024) == "The request is too large: at most 64 KB."
    assert timz_input.too_large_message(6 * 1024 * 1024).endswith("at most 6 MB.")
