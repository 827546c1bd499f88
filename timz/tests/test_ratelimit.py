"""timz.ratelimit on its own: the window syntax, counting, windows opening and ending, the retry
time, and exact counts under racing threads.

Tests that move time stop `time.time` and count in a private local-memory cache, whose expiry
reads that clock (Redis keeps its own; the Redis stage proves the shared counts in
test_scale_out.py).
"""

import threading
import time
import uuid

import pytest
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils import translation
from django.utils.functional import lazy

from timz import ratelimit
from timz.ratelimit import RateLimit, RateLimited, Window

MESSAGE = "Slow down."


class StoppedClock:
    """Stands in for time.time: stays where it is until advanced."""

    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def _local_memory_cache(settings, backend="django.core.cache.backends.locmem.LocMemCache"):
    settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": uuid.uuid4().hex}}


@pytest.fixture
def clock(settings, monkeypatch):
    """time.time stopped at the real now, counting in a private local-memory cache."""
    suite_caches = settings.CACHES
    _local_memory_cache(settings)
    stopped = StoppedClock(time.time())
    monkeypatch.setattr(time, "time", stopped)
    yield stopped
    # The suite's cache back before the root conftest empties it (with REDIS_URL it expects
    # Redis there), which happens before `settings` undoes its changes.
    settings.CACHES = suite_caches


@pytest.fixture
def make_limit(settings):
    """make_limit("2/10s") -> a RateLimit with those windows, counters of its own, MESSAGE."""

    def make(spec: str, message: str = MESSAGE) -> RateLimit:
        setting = f"TEST_RATE_LIMIT_{uuid.uuid4().hex.upper()}"
        setattr(settings, setting, spec)
        return RateLimit(scope=f"test-{uuid.uuid4().hex}", setting=setting, message=message)

    return make


def passes(limit: RateLimit, key="someone") -> bool:
    try:
        limit.hit(key)
    except RateLimited:
        return False
    return True


# The syntax -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "windows"),
    [
        ("10/10m,30/h", (Window(10, 600), Window(30, 3600))),
        ("5/m", (Window(5, 60),)),
        ("20/10s", (Window(20, 10),)),
        (" 3/30s , 100/1d ", (Window(3, 30), Window(100, 86400))),
        ("5/15M", (Window(5, 900),)),
        ("off", ()),
        ("OFF", ()),
        ("", ()),
    ],
)
def test_a_spec_is_read_as_count_per_period_windows(spec, windows):
    assert ratelimit.parse(spec) == windows


@pytest.mark.parametrize("spec", ["10", "10/10x", "0/m", "10/0m", "ten/m", "10/m,", "10/m/ip"])
def test_a_malformed_spec_is_refused_saying_which_part(spec):
    with pytest.raises(ValueError, match="is not a window like 10/10m"):
        ratelimit.parse(spec)


def test_a_malformed_setting_is_a_configuration_error_naming_the_setting(make_limit):
    limit = make_limit("10 per minute")

    with pytest.raises(ImproperlyConfigured, match=rf"^{limit.setting}: '10 per minute'"):
        limit.hit("someone")


# Counting ---------------------------------------------------------------------------------------


def test_attempts_up_to_the_count_pass_and_the_next_ones_are_refused(make_limit):
    limit = make_limit("3/m")

    assert [passes(limit) for _ in range(5)] == [True, True, True, False, False]


def test_the_refusal_is_a_validation_error_coded_rate_limited_with_the_message(make_limit):
    limit = make_limit("1/m")
    limit.hit("someone")

    with pytest.raises(ValidationError) as refused:
        limit.hit("someone")

    assert isinstance(refused.value, RateLimited)
    assert refused.value.code == "rate_limited"
    assert refused.value.messages == [MESSAGE]


def test_each_key_has_its_own_count(make_limit):
    limit = make_limit("1/m")
    limit.hit("ann")

    assert passes(limit, "bob")


def test_each_limit_counts_apart_from_the_others(make_limit):
    first, second = make_limit("1/m"), make_limit("1/m")
    first.hit("someone")

    assert passes(second)


def test_a_limit_switched_off_never_refuses(make_limit):
    limit = make_limit("off")

    assert all(passes(limit) for _ in range(1000))


def test_the_tightest_of_several_windows_refuses(make_limit):
    limit = make_limit("100/10m,3/h")

    assert [passes(limit) for _ in range(4)] == [True, True, True, False]


def test_a_change_of_the_setting_applies_to_the_next_attempt(make_limit, settings):
    limit = make_limit("1/m")
    limit.hit("someone")
    setattr(settings, limit.setting, "2/m")

    assert passes(limit)


def test_racing_attempts_take_exactly_the_count(make_limit):
    # 50 threads on one key, released together: counting before comparing lets exactly 20 in.
    limit = make_limit("20/10m")
    barrier = threading.Barrier(50)
    outcomes, lock = [], threading.Lock()

    def attempt():
        barrier.wait()
        outcome = passes(limit)
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=attempt) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == [False] * 30 + [True] * 20


# Windows in time --------------------------------------------------------------------------------


def test_a_window_opens_with_the_first_attempt_and_lasts_its_period(make_limit, clock):
    limit = make_limit("2/10s")
    limit.hit("someone")
    clock.advance(6)
    limit.hit("someone")
    clock.advance(3.9)
    refused_before_the_end = not passes(limit)

    clock.advance(0.2)

    assert refused_before_the_end
    assert passes(limit)


def test_refused_attempts_count_in_every_window(make_limit, clock):
    limit = make_limit("2/10s,4/h")
    assert [passes(limit) for _ in range(4)] == [True, True, False, False]

    clock.advance(11)

    assert not passes(limit)  # the two refused attempts filled the hourly window


def test_the_refusal_says_how_long_is_left_of_the_window(make_limit, clock):
    limit = make_limit("1/10m")
    limit.hit("someone")
    clock.advance(4 * 60 + 0.5)

    with pytest.raises(RateLimited) as refused:
        limit.hit("someone")

    assert refused.value.retry_after == 6 * 60


def test_the_wait_is_that_of_the_longest_exceeded_window(make_limit, clock):
    limit = make_limit("1/10s,1/h")
    limit.hit("someone")

    with pytest.raises(RateLimited) as refused:
        limit.hit("someone")

    assert refused.value.retry_after == 3600


def test_the_message_can_say_the_wait(make_limit, clock):
    limit = make_limit("1/15m", message="Please wait {wait} and try again.")
    limit.hit("someone")
    clock.advance(30)

    with pytest.raises(RateLimited) as refused:
        limit.hit("someone")

    assert refused.value.messages == ["Please wait 15 minutes and try again."]


def test_a_lazy_message_is_read_in_the_language_of_the_refused_attempt(make_limit, clock):
    # A stand-in for gettext_lazy that shows which language it was read in.
    message = lazy(lambda: f"[{translation.get_language()}] Please wait %(wait)s.", str)()
    limit = make_limit("1/15m", message=message)
    limit.hit("someone")
    clock.advance(30)

    with translation.override("de"), pytest.raises(RateLimited) as refused:
        limit.hit("someone")

    # The wait is said in that language too.
    assert refused.value.messages == ["[de] Please wait 15 Minuten."]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "1 second"),
        (1, "1 second"),
        (59, "59 seconds"),
        (60, "1 minute"),
        (61, "2 minutes"),
        (900, "15 minutes"),
        (7199, "120 minutes"),
        (7200, "2 hours"),
        (86400, "24 hours"),
    ],
)
def test_a_wait_is_said_in_the_largest_fitting_unit_rounded_up(seconds, text):
    assert ratelimit.wait_text(seconds) == text


class CounterExpiresBeforeIncr(LocMemCache):
    """Django's Redis `incr` is EXISTS then INCR: a counter expiring in between is recreated by
    INCR at 1 with no expiry. Here every counter behaves as if that happened."""

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return False  # the counter was still there when add looked

    def incr(self, key, delta=1, version=None):
        if not self.has_key(key, version=version):
            self.set(key, delta, timeout=None, version=version)
            return delta
        return super().incr(key, delta, version=version)


def test_a_counter_recreated_without_expiry_still_ends_with_its_window(make_limit, clock, settings):
    _local_memory_cache(settings, f"{__name__}.CounterExpiresBeforeIncr")
    limit = make_limit("1/10s")
    limit.hit("someone")
    assert not passes(limit)

    clock.advance(11)

    assert passes(limit)
