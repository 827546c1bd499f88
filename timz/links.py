"""Absolute links for what leaves the site (emails, payment redirects, API fields): the
site's public address, settings.SITE_URL, in front of a path."""

from django.conf import settings


def absolute_url(path_or_url: str) -> str:
    """`/bookings/3/` -> `https://timz.example/bookings/3/`; an absolute URL is kept as it is."""
    if not path_or_url.startswith("/"):
        return path_or_url
    return settings.SITE_URL.rstrip("/") + path_or_url
