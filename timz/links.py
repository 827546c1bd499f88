"""Links: absolute ones for what leaves the site (emails, payment redirects, API fields): the
site's public address, settings.SITE_URL, in front of a path; and the safe "next" address a
form returns to."""

from django.conf import settings
from django.utils.http import url_has_allowed_host_and_scheme


def absolute_url(path_or_url: str) -> str:
    """`/bookings/3/` -> `https://timz.example/bookings/3/`; an absolute URL is kept as it is."""
    if not path_or_url.startswith("/"):
        return path_or_url
    return settings.SITE_URL.rstrip("/") + path_or_url


def next_url(request, default: str, *, or_referer: bool = False) -> str:
    """The request's `next` (POST, then GET; then, with `or_referer`, the page the form was
    sent from) when it stays on this site, else `default`."""
    candidate = request.POST.get("next") or request.GET.get("next")
    if not candidate and or_referer:
        candidate = request.META.get("HTTP_REFERER", "")
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default
