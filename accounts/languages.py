"""The language a person reads Timz in.

Order, for a page: the signed-in user's own choice (``User.language``), then the language the
switcher remembered in a cookie, then the browser's Accept-Language, then ``LANGUAGE_CODE``.
Django's LocaleMiddleware does the last three; ``UserLanguageMiddleware`` puts the first on top.

Order, for the API (any path under ``/api/``): a request that names languages in its
``Accept-Language`` header is answered in the first of them Timz speaks (``de-AT`` reads
``de``), whoever is signed in, and in English when it names none (``ja``: English, never a
4xx); the header is what an API client sets on purpose, while a saved choice belongs to the
pages. A request without the header (or with an empty one) follows the page order: the user's
choice, the cookie, then English. This is the one place that tells the API from the pages.

Every answer, page or API, success or 4xx, says its language in ``Content-Language`` (set by
LocaleMiddleware from the language active when the answer is made) and varies on
Accept-Language.

Emails and notifications are written in the recipient's language (``language_of``), never the
sender's. The choice lives in a cookie rather than in URL prefixes: every address stays the
same in every language (shared links, the API, the page cache keyed on the active language).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation

from timz.input import is_api

CODES = tuple(code for code, _name in settings.LANGUAGES)


def is_supported(code: str | None) -> bool:
    return code in CODES


def language_of(user) -> str:
    """The language to write to `user` in (an email, a notification): theirs, else the site's."""
    code = getattr(user, "language", "") or ""
    return code if is_supported(code) else settings.LANGUAGE_CODE


def speaking(user):
    """Context manager: the translations of `user`'s language for what is written inside it
    (an email, a notification, a receipt), whoever's request is running:
    ``with speaking(booking.client): render_to_string(...)``."""
    return translation.override(language_of(user))


def accepted_language(header: str) -> str:
    """The first language of an Accept-Language `header` that Timz speaks (by its weights, a
    region read as its language), else ``LANGUAGE_CODE``. Django's own reading of the header,
    without the cookie."""
    asked = HttpRequest()
    asked.META["HTTP_ACCEPT_LANGUAGE"] = header
    return translation.get_language_from_request(asked)


def request_language(request) -> str | None:
    """The language that overrides LocaleMiddleware's pick for `request` (see the module's
    docstring), or None to keep it: for the API an explicit Accept-Language header, else the
    signed-in user's own choice."""
    if is_api(request):
        header = request.headers.get("Accept-Language", "").strip()
        if header:
            return accepted_language(header)
    user = getattr(request, "user", None)
    code = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
    return code if is_supported(code) else None


class UserLanguageMiddleware:
    """A signed-in user's own language wins over the cookie and the browser's on pages; on the
    API an explicit Accept-Language wins over all (``request_language``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        code = request_language(request)
        if code is not None and code != translation.get_language():
            translation.activate(code)
            request.LANGUAGE_CODE = code
        return self.get_response(request)
