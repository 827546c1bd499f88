"""Template context shared by every page."""

from django.conf import settings
from django.utils.functional import lazy
from django.utils.translation import get_language

from accounts.languages import is_supported
from timz.jsi18n import catalogue_url


def site(request):
    return {
        "SITE_NAME": "Timz",
        "DEBUG": settings.DEBUG,
        # base.html's <script> of the JavaScript catalogue, worked out only by a page that
        # shows it (a fragment or an email never does).
        "JS_CATALOGUE_URL": lazy(_catalogue_url, str)(get_language()),
    }


def _catalogue_url(language: str | None) -> str:
    return catalogue_url(language) if language and is_supported(language) else ""
