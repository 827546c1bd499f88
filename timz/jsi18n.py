"""The JavaScript catalogue: the strings static/js marks with gettext(), in one language.

Django's ``JavaScriptCatalog`` writes it (the ``djangojs`` domain of ``locale/``, through
LOCALE_PATHS, and of Timz's own apps; Django's admin and allauth catalogues stay out), with the
language's number and date formats (``get_format``). It is served at
``/jsi18n/<lang>/<version>.js``, where ``version`` is a digest of the catalogue's text: the
address changes when a translation does, so browsers keep it for a year without asking again.
base.html loads the active language's catalogue before timz.js (``JS_CATALOGUE_URL`` of
``timz.context_processors.site``); timz.js stands in with English if it did not load.

Each language's catalogue is rendered once per process, as Django reads its own catalogues once
per process: a deploy that changes a catalogue restarts the processes; in development the
autoreloader's signal for a changed ``.mo`` file, and in tests a changed setting, empty the
cache. An address with an older version (a page cached before a deploy) still answers, with
today's catalogue kept only a few minutes.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from django.core.signals import setting_changed
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.autoreload import file_changed
from django.views.i18n import JavaScriptCatalog

from accounts.languages import is_supported

# The apps whose locale/ directories may hold djangojs strings (static/js is the project's and
# goes to LOCALE_PATHS, which Django always reads).
PACKAGES = ("accounts", "bookings", "chat", "payments")
CACHE_FOREVER = "public, max-age=31536000, immutable"
CACHE_BRIEFLY = "public, max-age=300"


@lru_cache(maxsize=16)
def catalogue(lang: str) -> tuple[bytes, str]:
    """The catalogue of `lang` as a script, and its version (a digest of that script)."""
    with translation.override(lang):
        # The view reads the active language, not the request: any request will do.
        body = JavaScriptCatalog(packages=list(PACKAGES)).get(HttpRequest()).content
    return body, hashlib.sha256(body).hexdigest()[:12]


def catalogue_url(lang: str) -> str:
    """The address of `lang`'s catalogue, with the version of its current text."""
    return reverse("jsi18n", kwargs={"lang": lang, "version": catalogue(lang)[1]})


def javascript_catalogue(request: HttpRequest, lang: str, version: str) -> HttpResponse:
    """The catalogue of `lang` (404 for a language Timz does not speak)."""
    if not is_supported(lang):
        raise Http404("No such language.")
    body, current = catalogue(lang)
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = CACHE_FOREVER if version == current else CACHE_BRIEFLY
    response["Content-Language"] = lang
    # The answer depends on the address alone. The language middleware read request.user,
    # which marks the session as read and would add "Vary: Cookie": browsers would then ask
    # again whenever any cookie changes (a flash message, a new CSRF token).
    session = getattr(request, "session", None)
    if session is not None and not session.modified:
        session.accessed = False
    return response


def _forget(**kwargs) -> None:
    catalogue.cache_clear()


def _forget_on_mo_change(sender, file_path: Path, **kwargs) -> None:
    if file_path.suffix == ".mo":
        catalogue.cache_clear()


setting_changed.connect(_forget, dispatch_uid="timz.jsi18n.setting_changed")
file_changed.connect(_forget_on_mo_change, dispatch_uid="timz.jsi18n.file_changed")
