"""The site's one rate limiter: booking attempts, chat messages, account-deletion passwords.

A limit is a setting holding comma-separated ``count/period`` windows, the period in ``s``,
``m``, ``h`` or ``d`` with an optional number: ``"10/10m,30/h"`` allows 10 attempts per 10
minutes and 30 per hour; ``"off"`` (or empty) disables the limit. allauth's own
``ACCOUNT_RATE_LIMITS`` (login, sign-up, password reset) are allauth's and do not come here.

Counting rules, the same for every limit:

- each window of a key opens with the key's first attempt and lasts its period (a fixed
  window, not aligned to the clock): the counter is a cache entry whose timeout is the period;
- every attempt counts in every window, refused ones included, and is counted *before* it is
  compared: the cache's ``add`` + ``incr`` are atomic, so of two racing attempts, even in two
  processes sharing Redis, only one can take the last place;
- past the count of any window, ``RateLimit.hit`` raises ``RateLimited`` (a ValidationError
  with code ``"rate_limited"``, which pages and API answer with HTTP 429), carrying
  ``retry_after``, the seconds until the longest exceeded window ends.

The counters live in the default cache: local memory for a single process, Redis (REDIS_URL)
as soon as several processes must share them. The cache must have an atomic ``incr``
(local memory, Redis and memcached do; the database and file caches do not).
"""

from __future__ import annotations

import functools
import math
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils.functional import Promise
from django.utils.translation import ngettext

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_WINDOW = re.compile(r"(\d+)/(\d*)([smhd])")


@dataclass(frozen=True, slots=True)
class Window:
    """At most `limit` attempts per `seconds`."""

    limit: int
    seconds: int


@functools.cache
def parse(spec: str) -> tuple[Window, ...]:
    """``"10/10m,30/h"`` -> ``(Window(10, 600), Window(30, 3600))``; ``"off"`` or empty -> ``()``.

    Raises ValueError, saying which part is wrong, for anything else."""
    spec = (spec or "").strip().lower()
    if spec in ("", "off"):
        return ()
    windows = []
    for part in spec.split(","):
        match = _WINDOW.fullmatch(part.replace(" ", ""))
        if not match or int(match[1]) < 1 or (match[2] and int(match[2]) < 1):
            raise ValueError(
                f"{part.strip()!r} is not a window like 10/10m "
                "(a count, a slash, a period in s, m, h or d), nor off."
            )
        windows.append(Window(int(match[1]), int(match[2] or 1) * _UNITS[match[3]]))
    return tuple(windows)


def wait_text(seconds: int) -> str:
    """A wait for people, in the active language: ``"45 seconds"``, ``"15 minutes"``,
    ``"3 hours"`` (rounded up)."""
    if seconds < 60:
        value = max(seconds, 1)
        text = ngettext("%(count)s second", "%(count)s seconds", value)
    elif seconds < 2 * 3600:
        value = math.ceil(seconds / 60)
        text = ngettext("%(count)s minute", "%(count)s minutes", value)
    else:
        value = math.ceil(seconds / 3600)
        text = ngettext("%(count)s hour", "%(count)s hours", value)
    return text % {"count": value}


def _with_wait(message: str | Promise, wait: str) -> str:
    """`message` in the active language with its ``%(wait)s`` (or older ``{wait}``) filled in."""
    text = str(message)
    if "%(wait)s" in text:
        return text % {"wait": wait}
    return text.replace("{wait}", wait)


class RateLimited(ValidationError):
    """Too many attempts: wait `retry_after` seconds (pages and API answer HTTP 429)."""

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message, code="rate_limited")
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class RateLimit:
    """One kind of attempt, limited per key (a user id, ...).

    `scope` names the counters in the cache; `setting` is the Django setting holding the
    windows, read at each hit (tests and deployments change it); `message` is what the user
    reads when refused (a ``gettext_lazy`` string, read in the language of the request that
    hits the limit), where ``%(wait)s`` becomes the time left, e.g. "15 minutes".
    """

    scope: str
    setting: str
    message: str | Promise

    def windows(self) -> tuple[Window, ...]:
        """The windows of the setting; ImproperlyConfigured if it is malformed."""
        try:
            return parse(getattr(settings, self.setting))
        except ValueError as exc:
            raise ImproperlyConfigured(f"{self.setting}: {exc}") from exc

    def hit(self, key: int | str) -> None:
        """Count one attempt of `key` in every window; raise RateLimited if any is over."""
        retry_after = 0
        for window in self.windows():
            counter = f"ratelimit:{self.scope}:{key}:{window.limit}/{window.seconds}"
            if _count(counter, window.seconds) > window.limit:
                retry_after = max(retry_after, _seconds_left(counter, window.seconds))
        if retry_after:
            message = _with_wait(self.message, wait_text(retry_after))
            raise RateLimited(message, retry_after=retry_after)


def _count(counter: str, seconds: int) -> int:
    """Add one to `counter`, opening a window of `seconds` if there is none; the new count."""
    while True:
        opened = cache.add(counter, 0, timeout=seconds)
        if opened:
            cache.set(f"{counter}:ends", time.time() + seconds, timeout=seconds)
        try:
            used = cache.incr(counter)
        except ValueError:  # the window ended between add and incr: open the next one
            continue
        if used == 1 and not opened:
            # Django's Redis incr is EXISTS then INCR: a window ending in between makes INCR
            # create a counter without expiry, which would refuse the key forever. Setting the
            # timeout again (at most once per window) rules that out.
            cache.touch(counter, timeout=seconds)
        return used


def _seconds_left(counter: str, seconds: int) -> int:
    """Whole seconds until `counter`'s window ends (the full period if that is unknown)."""
    ends = cache.get(f"{counter}:ends")
    if ends is None:
        return seconds
    return min(seconds, max(1, math.ceil(ends - time.time())))
