"""Whole-page caching of the public pages (the directory and pro pages) for anonymous visitors.

Invalidation is by version, never by deleting keys: the cache holds one counter for the
directory and one per pro, and every cached page's key includes the counters it depends on.
A write bumps the counters once its transaction commits, so the very next request misses and
renders fresh; old entries simply expire. `INVALIDATES` below is the one table of what
invalidates what.

Where the pages live: each process keeps the pages it served in its own memory (`LocalStore`:
bounded, least recently used first out, thread-safe), keyed by the counters they were rendered
under, and the shared cache (Redis with several processes) keeps them too, so another process
need not render them again. A hit asks the shared cache for the current counters only, in one
round trip (one MGET of one or two small integers), and finds the page in memory: a write
through any process bumps a counter in the shared cache, so every process misses on its very
next request. The counters start at a random value, so counters lost from the shared cache
(flushed, evicted) come back under values no stored page was keyed on.

A page is served from, or stored in, the cache only when nothing in it is personal:
- the request is a GET/HEAD without a session or messages cookie (no user, no flash message);
- the rendered response is a 200 that set no cookie and did not use the CSRF token (a page with
  a POST form embeds the visitor's token, so it is never shared).
The key varies by path, query string and active language, and by what a view's
`key_of(request)` says when the page depends on a request header (the directory's default
currency follows Accept-Language); such a view names the header in `vary`, sent on hits and
misses alike. `PAGE_CACHE_SECONDS` bounds the age of an entry, in memory and in the shared
cache alike (0 turns page caching off): pages that depend on the clock (free times) are at
most that old.
"""

from __future__ import annotations

import hashlib
import math
import pickle
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from contextvars import ContextVar
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers, quote_etag
from django.utils.translation import get_language

DIRECTORY = "pagecache:v:dir"  # every public row: the directory shows them all
EVERYWHERE = "pagecache:v:all"  # rows any pro page may show (categories, reviewers' names)


def _pro_key(pro_id: int) -> str:
    return f"pagecache:v:pro:{pro_id}"


def _fresh_counter() -> int:
    # Random, not 1: a counter lost from the shared cache must not come back at a value that
    # pages (in some process's memory) were keyed on. Far below Redis's 2**63 limit on INCR.
    return secrets.randbelow(1 << 52) + 1


def _bump(key: str) -> None:
    # add() then incr(): atomic on local memory and Redis, so no bump is lost between processes.
    # The counter never expires while pages keyed on it can still exist.
    if not cache.add(key, _fresh_counter(), timeout=None):
        try:
            cache.incr(key)
        except ValueError:  # evicted between add and incr
            cache.add(key, _fresh_counter(), timeout=None)


def _bump_all(keys: list[str]) -> None:
    # The Redis cache bumps them all in one round trip (timz.redis_pool); others key by key.
    bump_counters = getattr(cache, "bump_counters", None)
    if bump_counters is not None:
        bump_counters(keys, _fresh_counter)
        return
    for key in keys:
        _bump(key)


def bump(*, pro_id: int | None) -> None:
    """After the commit, invalidate the directory and that pro's page (every page for None)."""
    keys = [DIRECTORY, _pro_key(pro_id) if pro_id is not None else EVERYWHERE]
    transaction.on_commit(lambda: _bump_all(keys))


def _counters(keys: list[str], found: dict | None = None) -> tuple[int, ...] | None:
    """The current value of each counter in `keys` (`found`: those already read), creating the
    missing ones; None if the cache keeps none (the page is then neither served nor stored)."""
    if found is None:
        found = cache.get_many(keys)
    values = []
    for key in keys:
        value = found.get(key)
        if value is None:
            cache.add(key, _fresh_counter(), timeout=None)
            value = cache.get(key)  # ours, or the one another process added first
            if value is None:
                return None
        values.append(value)
    return tuple(values)


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


class LocalStore:
    """A bounded map in this process's memory: least recently used entries leave first once
    the sizes given with the values add up to more than `max_bytes`; an entry also leaves at
    its expiry (a `time.time()` instant). Safe to share between threads."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.size = 0
        self._items: OrderedDict[Hashable, tuple[object, int, float]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Hashable):
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            value, size, expires = item
            if expires <= time.time():
                del self._items[key]
                self.size -= size
                return None
            self._items.move_to_end(key)
            return value

    def set(self, key: Hashable, value: object, *, size: int, expires: float) -> None:
        if size > self.max_bytes // 4:
            return  # one huge entry must not empty the store
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.size -= old[1]
            self._items[key] = (value, size, expires)
            self.size += size
            while self.size > self.max_bytes:
                _, (_, dropped, _) = self._items.popitem(last=False)
                self.size -= dropped

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.size = 0


# Rendered pages and remembered values, in this process (PAGE_CACHE_LOCAL_MB).
_local = LocalStore(settings.PAGE_CACHE_LOCAL_MB * 1024 * 1024)
# slug -> (pro id, the EVERYWHERE counter under which the slug named that pro).
_slugs = LocalStore(1024 * 1024)
_SLUG_ENTRY_SIZE = 128  # about what one entry takes, to bound the number of slugs kept
# The EVERYWHERE counter read before a view that did not know its pro ran (pro_slug_seen).
_everywhere_before_view: ContextVar[int | None] = ContextVar("pagecache_everywhere", default=None)


def forget_local() -> None:
    """Empty this process's memory of pages and slugs (the tests' cache reset)."""
    _local.clear()
    _slugs.clear()


def _slug_key(slug: str, everywhere: int) -> str:
    # Under the counter a slug change bumps: a slug given up and taken by another pro never
    # leads to the first pro's counter.
    return f"pagecache:slug:{everywhere}:{hashlib.sha256(slug.encode()).hexdigest()[:32]}"


def _pro_counters(slug: str) -> tuple[tuple[int, ...] | None, int | None]:
    """(the counters of the pages of the pro a slug led to lately, None), or, while the slug is
    not known, (None, the EVERYWHERE counter: for `pro_slug_seen`). One round trip when this
    process met the slug under the current EVERYWHERE counter: both counters in one MGET."""
    known = _slugs.get(slug)
    everywhere = None
    if known is not None:
        pro_id, seen_under = known
        keys = [EVERYWHERE, _pro_key(pro_id)]
        counters = _counters(keys, cache.get_many(keys))
        if counters is None:
            return None, None
        if counters[0] == seen_under:
            return counters, None
        everywhere = counters[0]
    if everywhere is None:
        read = _counters([EVERYWHERE])
        if read is None:
            return None, None
        everywhere = read[0]
    pro_id = cache.get(_slug_key(slug, everywhere))
    if pro_id is None:
        return None, everywhere
    _slugs.set(slug, (pro_id, everywhere), size=_SLUG_ENTRY_SIZE, expires=math.inf)
    # The EVERYWHERE counter the slug was found under, not a newer one.
    pro = _counters([_pro_key(pro_id)])
    return (None, None) if pro is None else ((everywhere, *pro), None)


def _uncached(everywhere: int | None, compute: Callable, *args, **kwargs):
    """`compute(...)` for a slug not known yet: `pro_slug_seen` files what it finds under the
    EVERYWHERE counter read before the view read the pro."""
    token = _everywhere_before_view.set(everywhere)
    try:
        return compute(*args, **kwargs)
    finally:
        _everywhere_before_view.reset(token)


def pro_slug_seen(*, slug: str, pro_id: int) -> None:
    """Remember which pro a slug led to, so that its pages can be cached from the next request
    on (called by the views that read a pro by slug)."""
    if settings.PAGE_CACHE_SECONDS <= 0:
        return
    # The counter read before the view read the pro (`_uncached`): a slug change committed in
    # between has bumped it, and what is stored here is then never read.
    everywhere = _everywhere_before_view.get()
    if everywhere is None:
        counters = _counters([EVERYWHERE])
        if counters is None:
            return
        everywhere = counters[0]
    cache.set(_slug_key(slug, everywhere), pro_id, settings.PAGE_CACHE_SECONDS)
    _slugs.set(slug, (pro_id, everywhere), size=_SLUG_ENTRY_SIZE, expires=math.inf)


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


def _find(kind: str, counters: tuple[int, ...], parts: tuple):
    """The value stored under (kind, counters, parts): from this process's memory, else from
    the shared cache (then kept in memory too); None if neither has it."""
    local_key = (kind, counters, parts)
    value = _local.get(local_key)
    if value is not None:
        return value
    stored = cache.get(_shared_key(kind, counters, parts))
    if stored is None:
        return None
    expires, size, value = stored
    _local.set(local_key, value, size=size, expires=expires)
    return value


def _keep(kind: str, counters: tuple[int, ...], parts: tuple, value, size: int) -> None:
    expires = time.time() + settings.PAGE_CACHE_SECONDS
    _local.set((kind, counters, parts), value, size=size, expires=expires)
    cache.set(
        _shared_key(kind, counters, parts), (expires, size, value), settings.PAGE_CACHE_SECONDS
    )


def _shared_key(kind: str, counters: tuple[int, ...], parts: tuple) -> str:
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    # "2": entries are (expires, size, value); entries of the first layout are never read.
    return "pagecache:{}:2:{}:{}".format(kind, "-".join(map(str, counters)), digest)


def remember(*, pro_slug: str, parts: tuple, compute: Callable):
    """`compute()`, kept until a write invalidates the rows of the pro `pro_slug` names, or for
    PAGE_CACHE_SECONDS (not kept while the slug is not known yet: `compute` should call
    `pro_slug_seen`). `parts` names the value; a value that depends on the clock must include
    the instant it was computed for (e.g. the minute). Nothing private may be remembered. Each
    caller gets its own copy of the value."""
    if settings.PAGE_CACHE_SECONDS <= 0:
        return compute()
    counters, everywhere = _pro_counters(pro_slug)
    if counters is None:
        return _uncached(everywhere, compute)
    parts = (pro_slug, *parts)
    pickled = _find("data", counters, parts)
    if pickled is not None:
        return pickle.loads(pickled)
    value = compute()
    pickled = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
    _keep("data", counters, parts, pickled, len(pickled))
    return value


def cache_public_page(
    *,
    pro_slug: str | None = None,
    key_of: Callable | None = None,
    vary: tuple[str, ...] = (),
):
    """Decorator: serve the view from the cache to anonymous visitors (see the module doc).

    `key_of(request)` returns what else an anonymous visitor's page depends on (a string
    derived from the request headers named in `vary`).

    Without `pro_slug` the page is keyed on the directory's counter. With it, the view's
    keyword argument of that name is the slug of the pro the page shows, and the page is keyed
    on that pro's counters (while the slug is not known yet the view answers uncached and
    should call `pro_slug_seen`).
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not _shareable_request(request):
                return view(request, *args, **kwargs)
            if pro_slug is None:
                counters, everywhere = _counters([DIRECTORY]), None
            else:
                counters, everywhere = _pro_counters(kwargs[pro_slug])
            if counters is None:
                return _uncached(everywhere, view, request, *args, **kwargs)
            parts = (get_language(), request.get_full_path())
            if key_of is not None:
                parts = (*parts, key_of(request))
            cached = _find("page", counters, parts)
            if cached is not None:
                content_type, content, etag = cached
                response = HttpResponse(content, content_type=content_type)
                # What ConditionalGetMiddleware would compute from the same bytes.
                response["ETag"] = etag
                # As the rendered page said: a signed-in visitor gets another page.
                patch_vary_headers(response, ("Cookie", *vary))
                response["X-Page-Cache"] = "hit"
                return response
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and callable(response.render):
                response = response.render()
            if _shareable_response(request, response):
                content = response.content
                etag = quote_etag(hashlib.md5(content, usedforsecurity=False).hexdigest())
                entry = (response["Content-Type"], content, etag)
                _keep("page", counters, parts, entry, len(content))
                response["X-Page-Cache"] = "miss"
            return response

        return wrapped

    return decorator
