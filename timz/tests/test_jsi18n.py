"""The JavaScript catalogue (timz/jsi18n.py): one address per language and version, cached for
a year, loaded by every page before timz.js for the page's language only."""

import re
from http import HTTPStatus
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from conftest import login
from timz.jsi18n import catalogue_url

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _language_reset():
    """A request through the test client leaves its language active in this thread (in
    production each request has its own context): later tests must start in English."""
    yield
    translation.deactivate()


CODES = [code for code, _name in settings.LANGUAGES]
JS = Path(settings.BASE_DIR) / "static" / "js"


def write_catalogue(root: Path, lang: str, messages: dict[str, str]) -> Path:
    """A compiled djangojs catalogue of `lang` under `root` (a LOCALE_PATHS entry)."""
    catalog = Catalog(locale=lang, domain="djangojs")
    for msgid, msgstr in messages.items():
        catalog.add(msgid, msgstr)
    folder = root / lang / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "djangojs.mo").open("wb") as mo:
        write_mo(mo, catalog)
    return root


@pytest.mark.parametrize("lang", CODES)
def test_each_languages_catalogue_answers_and_is_cached_for_a_year(client, lang):
    url = catalogue_url(lang)

    response = client.get(url)

    assert url.startswith(f"/jsi18n/{lang}/")
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response["Content-Language"] == lang
    assert "django.gettext = function" in response.content.decode()


def test_the_catalogue_holds_the_translations_of_the_strings_the_scripts_mark(
    client, settings, tmp_path
):
    # notifications.js names the toast's close button with gettext("Dismiss").
    assert 'gettext("Dismiss")' in (JS / "notifications.js").read_text()
    settings.LOCALE_PATHS = [write_catalogue(tmp_path, "de", {"Dismiss": "Schließen"})]

    body = client.get(catalogue_url("de")).content.decode()

    assert '"Dismiss": "Schlie\\u00dfen"' in body


def test_the_address_changes_with_the_catalogue(settings, tmp_path):
    before = catalogue_url("de")
    settings.LOCALE_PATHS = [write_catalogue(tmp_path, "de", {"Dismiss": "Schließen"})]

    after = catalogue_url("de")

    assert after != before
    assert catalogue_url("fr") == catalogue_url("fr")  # stable while nothing changes


def test_an_older_version_gets_todays_catalogue_kept_only_briefly(client):
    response = client.get(reverse("jsi18n", kwargs={"lang": "fr", "version": "0123abcd"}))

    assert response.status_code == HTTPStatus.OK
    assert response.content == client.get(catalogue_url("fr")).content
    assert response["Cache-Control"] == "public, max-age=300"


def test_a_language_timz_does_not_speak_has_no_catalogue(client):
    response = client.get(reverse("jsi18n", kwargs={"lang": "xx", "version": "0123abcd"}))

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_a_signed_in_users_catalogue_does_not_vary_with_cookies(client_user):
    http = login(client_user)

    response = http.get(catalogue_url("en"))

    assert response.status_code == HTTPStatus.OK
    assert "cookie" not in response.get("Vary", "").lower()
    assert not response.cookies


@pytest.mark.parametrize("lang", CODES)
def test_a_page_loads_its_languages_catalogue_before_timz_js(client, lang):
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE=lang)

    html = response.content.decode()
    assert f'<html lang="{lang}">' in html
    scripts = re.findall(r'<script src="([^"]+)"', html)
    catalogues = [src for src in scripts if src.startswith("/jsi18n/")]
    assert catalogues == [catalogue_url(lang)]
    timz_js = next(i for i, src in enumerate(scripts) if src.endswith("/js/timz.js"))
    assert scripts.index(catalogues[0]) < timz_js


def test_the_catalogue_is_a_same_origin_script_under_the_csp(client):
    response = client.get(reverse("home"))

    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert re.search(r'<script src="/jsi18n/en/\w+\.js" defer></script>', response.content.decode())


def test_timz_js_stands_in_for_a_catalogue_that_did_not_load():
    source = (JS / "timz.js").read_text()

    for name in ("gettext", "ngettext", "pgettext", "interpolate"):
        assert f"root.{name} = function" in source
