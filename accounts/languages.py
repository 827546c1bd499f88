"""The language a person reads Timz in.

Order, for a page: the signed-in user's own choice (``User.language``), then the language the
switcher remembered in a cookie, then the browser's Accept-Language, then ``LANGUAGE_CODE``.
Django's LocaleMiddleware does the last three; ``UserLanguageMiddleware`` puts the first on top.
Emails and notifications are written in the recipient's language (``language_of``), never the
sender's. The choice lives in a cookie rather than in URL prefixes: every address stays the
same in every language (shared links, the API, the page cache keyed on the active language).
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation

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


class UserLanguageMiddleware:
    """A signed-in user's own language wins over the cookie and the browser's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        code = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        if is_supported(code) and code != translation.get_language():
            translation.activate(code)
            request.LANGUAGE_CODE = code
        return self.get_response(request)
