"""Whole-page caching of the public pages (the directory and pro pages) for anonymous visitors.

Invalidation is by version, never by deleting keys: the cache holds one counter for the
directory and one per pro, and every cached page's key includes the counters it depends on.
A write bumps the counters once its transaction commits, so the very next request misses and
renders fresh; old entries simply expire. `INVALIDATES` below is the one table of what
invalidates what.

A page is served from, or stored in, the cache only when nothing in it is personal:
- the request is a GET/HEAD without a session or messages cookie (no user, no flash message);
- the rendered response is a 200 that set no cookie and did not use the CSRF token (a page with
  a POST form embeds the visitor's token, so it is never shared).
The key varies by path, query string and active language, and by what a view's
`key_of(request)` says when the page depends on a request header (the directory's default
currency follows Accept-Language); such a view names the header in `vary`, sent on hits and
misses alike. `PAGE_CACHE_SECONDS` bounds the age
of an entry (0 turns page caching off): pages that depend on the clock (free times) are at most
that old.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language

DIRECTORY = "pagecache:v:dir"  # every public row: the directory shows them all
EVERYWHERE = "pagecache:v:all"  # rows any pro page may show (categories, reviewers' names)


def _pro_key(pro_id: int) -> str:
    return f"pagecache:v:pro:{pro_id}"


def _bump(key: str) -> None:
    # add() then incr(): atomic on local memory and Redis, so no bump is lost between processes.
    # The counter never expires while pages keyed on it can still exist.
    if not cache.add(key, 1, timeout=None):
        try:
            cache.incr(key)
        except ValueError:  # evicted between add and incr
            cache.add(key, 1, timeout=None)


def bump(*, pro_id: int | None) -> None:
    """After the commit, invalidate the directory and that pro's page (every page for None)."""

    def run():
        _bump(DIRECTORY)
        _bump(_pro_key(pro_id) if pro_id is not None else EVERYWHERE)

    transaction.on_commit(run)


# What invalidates what: model label -> the pro whose page a saved or deleted row appears on,
# or None when the row may appear on any pro page. Every change also invalidates the directory
# (its cards, ratings, prices, and free times when it searches by time).
INVALIDATES: dict[str, Callable[[object], int | None]] = {
    # A profile also owns its slug: a slug given up and taken by another pro must not reach
    # the old pro's cached page.
    "accounts.ProProfile": lambda profile: None,
    "accounts.Category": lambda category: None,
    "accounts.ClientProfile": lambda profile: None,  # reviewers' names
    "accounts.User": lambda user: None,  # an account closed
    "bookings.Service": lambda service: service.pro_id,
    "bookings.BookingRules": lambda rules: rules.pro_id,
    "bookings.WeeklyHours": lambda hours: hours.pro_id,
    # Its intervals change only with it (bookings.services.date_override_set saves it).
    "bookings.DateOverride": lambda override: override.pro_id,
    "bookings.TimeOff": lambda off: off.pro_id,
    "bookings.Booking": lambda booking: booking.pro_id,
    "bookings.WaitlistOffer": lambda offer: offer.pro_id,  # holds its time like a booking
    "bookings.Review": lambda review: review.pro_id,
}
# Saves that change nothing a cached page shows.
IGNORED_FIELDS = {"accounts.User": {"last_login"}}


def _on_change(sender, instance, update_fields=None, **kwargs):
    label = sender._meta.label
    if update_fields and set(update_fields) <= IGNORED_FIELDS.get(label, set()):
        return
    bump(pro_id=INVALIDATES[label](instance))


def connect_signals() -> None:
    """Connect the table above (called once, from accounts' AppConfig.ready)."""
    for label in INVALIDATES:
        for signal in (post_save, post_delete):
            signal.connect(_on_change, sender=label, weak=False, dispatch_uid=f"pagecache.{label}")


def _slug_key(slug: str) -> str:
    # Under the counter a slug change bumps: a slug given up and taken by another pro never
    # leads to the first pro's counter.
    version = cache.get(EVERYWHERE, 0)
    return f"pagecache:slug:{version}:{hashlib.sha256(slug.encode()).hexdigest()[:32]}"


def pro_id_for_slug(slug: str) -> int | None:
    """The id of the pro with this slug if a page served it lately (no query), else None."""
    return cache.get(_slug_key(slug))


def pro_slug_seen(*, slug: str, pro_id: int) -> None:
    """Remember which pro a slug led to, for `pro_id_for_slug`."""
    if settings.PAGE_CACHE_SECONDS > 0:
        cache.set(_slug_key(slug), pro_id, settings.PAGE_CACHE_SECONDS)


def _shareable_request(request) -> bool:
    return (
        settings.PAGE_CACHE_SECONDS > 0
        and request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
    )


def _shareable_response(request, response) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
    )


def _key(kind: str, pro_id: int | None, parts: tuple) -> str:
    """A cache key for `parts` under the counters of the directory (pro_id None) or a pro."""
    version_keys = [DIRECTORY] if pro_id is None else [EVERYWHERE, _pro_key(pro_id)]
    versions = cache.get_many(version_keys)
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    return "pagecache:{}:{}:{}".format(
        kind, "-".join(str(versions.get(k, 0)) for k in version_keys), digest
    )


def remember(*, pro_id: int | None, parts: tuple, compute: Callable):
    """`compute()`, kept until a write invalidates the pro's rows (`pro_id`; None: not
    kept), or for
    PAGE_CACHE_SECONDS. `parts` names the value; a value that depends on the clock must include
    the instant it was computed for (e.g. the minute). Nothing private may be remembered."""
    if settings.PAGE_CACHE_SECONDS <= 0 or pro_id is None:
        return compute()
    key = _key("data", pro_id, parts)
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, settings.PAGE_CACHE_SECONDS)
    return value


def cache_public_page(
    pro_id_of: Callable | None = None,
    *,
    key_of: Callable | None = None,
    vary: tuple[str, ...] = (),
):
    """Decorator: serve the view from the cache to anonymous visitors (see the module doc).

    `key_of(request)` returns what else an anonymous visitor's page depends on (a string
    derived from the request headers named in `vary`).

    Without `pro_id_of` the page is keyed on the directory's counter. With it,
    `pro_id_of(**view_kwargs)` names the pro the page shows and the page is keyed on that pro's
    counter (None: the pro is not known yet, the view answers uncached and should call
    `pro_slug_seen`).
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not _shareable_request(request):
                return view(request, *args, **kwargs)
            if pro_id_of is None:
                pro_id = None
            else:
                pro_id = pro_id_of(**kwargs)
                if pro_id is None:
                    return view(request, *args, **kwargs)
            parts = (get_language(), request.get_full_path())
            if key_of is not None:
                parts = (*parts, key_of(request))
            key = _key("page", pro_id, parts)
            cached = cache.get(key)
            if cached is not None:
                content_type, content = cached
                response = HttpResponse(content, content_type=content_type)
                # As the rendered page said: a signed-in visitor gets another page.
                patch_vary_headers(response, ("Cookie", *vary))
                response["X-Page-Cache"] = "hit"
                return response
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and callable(response.render):
                response = response.render()
            if _shareable_response(request, response):
                cache.set(
                    key,
                    (response["Content-Type"], response.content),
                    settings.PAGE_CACHE_SECONDS,
                )
                response["X-Page-Cache"] = "miss"
            return response

        return wrapped

    return decorator
