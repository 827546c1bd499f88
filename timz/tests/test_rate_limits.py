"""Rate limits, proven through the real pages and API: each kicks in at its configured count,
nothing is saved past it, and the refusal is a clear 4xx (never a 500).

The matrix: login (per IP, failures per IP and per account), sign-up (per IP), password reset
(per IP and per address), booking creation (page and API, per client) and message sending
(page and API, per sender). The counts are read from the settings the site runs with
(ACCOUNT_RATE_LIMITS, BOOKING_RATE_LIMIT, CHAT_RATE_LIMIT). The counting itself is
timz.ratelimit's, tested alone in test_ratelimit.py.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus

import pytest
import redis
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts import services as account_services
from accounts.models import User
from bookings import services as booking_services
from bookings.models import Booking
from chat import services as chat_services
from chat.models import Message
from conftest import PASSWORD, local_at, make_pro, make_service, make_user, set_every_day
from timz import ratelimit
from timz.ratelimit import RateLimited
from timz.tests.processes import private_redis_url

pytestmark = [pytest.mark.django_db, pytest.mark.waits]  # windows that must pass

TOO_FAST_BOOKING = "You are booking too fast. Try again in a few minutes."
TOO_FAST_MESSAGE = "You are sending messages too fast."
ALLAUTH_429 = "Too many attempts"
TOO_MANY_FAILURES = "Too many failed login attempts"
NEW_PASSWORD = "plum-orbit-lantern-42"


@pytest.fixture(autouse=True)
def _private_counters(settings):
    """With Redis, this test's counters in their own keys, out of the other workers' reach.

    pytest-xdist workers share the suite's Redis database: their counters would mix with ours
    (every test client is 127.0.0.1, and user ids restart at 1 in each worker's database) and
    their cache.clear() would reset ours mid-test. So the counters still live in Redis (its
    atomic INCR and TTLs are what is tested) but in a database nobody flushes, under a prefix
    of this test alone.
    """
    if not settings.REDIS_URL:
        yield  # one local-memory cache per worker process: nothing to share
        return
    url, prefix = private_redis_url(), f"timz-rate-test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": prefix,
        }
    }
    yield
    server = redis.Redis.from_url(url)
    keys = list(server.scan_iter(match=f"{prefix}:*"))
    if keys:
        server.delete(*keys)
    server.close()


def allauth_limit(action: str, per: str) -> int:
    """The count of ACCOUNT_RATE_LIMITS[action] for `per` ("ip", "key"), e.g. 30 of 30/m/ip."""
    for rate in settings.ACCOUNT_RATE_LIMITS[action].split(","):
        count, _period, *rest = rate.strip().split("/")
        if (rest[0] if rest else "ip") == per:
            return int(count)
    raise AssertionError(f"no {per} limit for {action}")


def tightest_count(setting: str) -> int:
    """The count of the setting's tightest window (10 of "10/10m,30/h")."""
    return min(window.limit for window in ratelimit.parse(getattr(settings, setting)))


def booking_limit() -> int:
    return tightest_count("BOOKING_RATE_LIMIT")


def chat_limit() -> int:
    return tightest_count("CHAT_RATE_LIMIT")


def verified_user(**extra) -> User:
    user = make_user(**extra)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def body(response) -> str:
    return response.content.decode()


# ---------------------------------------------------------------------------------------------
# The matrix: each case prepares its own data and returns (attempt(n), saved()).
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    prepare: Callable[[], tuple[Callable[[int], object], Callable[[], int]]]
    limit: Callable[[], int]
    allowed: tuple[int, ...]
    refused: int
    refusal_text: str


def _login_per_ip():
    user = verified_user()

    def attempt(n):
        # A new browser each time: only the address (127.0.0.1) is shared.
        return Client().post(reverse("account_login"), {"login": user.email, "password": PASSWORD})

    return attempt, Session.objects.count


def _login_failures_per_ip():
    target = verified_user()

    def attempt(n):
        # Wrong passwords for other addresses up to the limit, then the right one for a real
        # account: refused too, since the failures came from the same address.
        if n < allauth_limit("login_failed", "ip"):
            email, password = f"nobody{n}@example.com", "wrong"
        else:
            email, password = target.email, PASSWORD
        return Client().post(reverse("account_login"), {"login": email, "password": password})

    return attempt, Session.objects.count


def _login_failures_per_account():
    user = verified_user()
    browser = Client()

    def attempt(n):
        password = "wrong" if n < allauth_limit("login_failed", "key") else PASSWORD
        return browser.post(reverse("account_login"), {"login": user.email, "password": password})

    return attempt, Session.objects.count


def _signup_per_ip():
    def attempt(n):
        return Client().post(
            reverse("account_signup"),
            {
                "role": "client",
                "display_name": f"Newcomer {n}",
                "email": f"newcomer{n}@example.com",
                "password1": NEW_PASSWORD,
                "password2": NEW_PASSWORD,
                "timezone": "Europe/Paris",
            },
        )

    return attempt, User.objects.count


def _reset_per_address():
    user = verified_user()

    def attempt(n):
        return Client().post(reverse("account_reset_password"), {"email": user.email})

    return attempt, lambda: len(mail.outbox)


def _reset_per_ip():
    users = [verified_user() for _ in range(allauth_limit("reset_password", "ip") + 2)]

    def attempt(n):
        return Client().post(reverse("account_reset_password"), {"email": users[n].email})

    return attempt, lambda: len(mail.outbox)


def _bookable():
    pro = make_pro()
    set_every_day(pro)
    service = make_service(pro=pro, duration_minutes=60)
    client = make_user()
    browser = Client()
    browser.force_login(client)
    # Ten different free times a day (08:00 to 17:00) from three days ahead on.
    starts = [local_at(3 + n // 10, 8 + n % 10) for n in range(40)]
    return service, client, browser, starts


def _booking_page():
    service, client, browser, starts = _bookable()
    url = reverse("bookings:confirm", kwargs={"slug": service.pro.slug, "service_id": service.pk})

    def attempt(n):
        return browser.post(url, {"start": starts[n].isoformat(), "note": ""})

    return attempt, Booking.objects.filter(client=client).count


def _booking_api():
    service, client, browser, starts = _bookable()

    def attempt(n):
        return browser.post(
            "/api/v1/bookings",
            {"service": service.pk, "starts_at": starts[n].isoformat()},
            content_type="application/json",
        )

    return attempt, Booking.objects.filter(client=client).count


def _conversation():
    client, pro = make_user(), make_pro()
    conversation, _ = chat_services.conversation_get_or_create(client=client, pro=pro)
    browser = Client()
    browser.force_login(client)
    return conversation, browser


def _message_page():
    conversation, browser = _conversation()
    url = reverse("chat:conversation", kwargs={"pk": conversation.pk})

    def attempt(n):
        return browser.post(url, {"body": f"Message {n}"})

    return attempt, Message.objects.filter(conversation=conversation).count


def _message_api():
    conversation, browser = _conversation()
    url = f"/api/v1/conversations/{conversation.pk}/messages"

    def attempt(n):
        return browser.post(url, {"body": f"Message {n}"}, content_type="application/json")

    return attempt, Message.objects.filter(conversation=conversation).count


OK, FOUND, CREATED = HTTPStatus.OK, HTTPStatus.FOUND, HTTPStatus.CREATED
TOO_MANY = HTTPStatus.TOO_MANY_REQUESTS

MATRIX = {
    "login per IP": Case(
        _login_per_ip, lambda: allauth_limit("login", "ip"), (FOUND,), TOO_MANY, ALLAUTH_429
    ),
    # allauth answers repeated failures with a form error on the re-rendered page (200).
    "login failures per IP": Case(
        _login_failures_per_ip,
        lambda: allauth_limit("login_failed", "ip"),
        (OK,),
        OK,
        TOO_MANY_FAILURES,
    ),
    "login failures per account": Case(
        _login_failures_per_account,
        lambda: allauth_limit("login_failed", "key"),
        (OK,),
        OK,
        TOO_MANY_FAILURES,
    ),
    "sign-up per IP": Case(
        _signup_per_ip, lambda: allauth_limit("signup", "ip"), (FOUND,), TOO_MANY, ALLAUTH_429
    ),
    "password reset per address": Case(
        _reset_per_address,
        lambda: allauth_limit("reset_password", "key"),
        (FOUND,),
        TOO_MANY,
        ALLAUTH_429,
    ),
    "password reset per IP": Case(
        _reset_per_ip,
        lambda: allauth_limit("reset_password", "ip"),
        (FOUND,),
        TOO_MANY,
        ALLAUTH_429,
    ),
    "booking page": Case(_booking_page, booking_limit, (FOUND,), TOO_MANY, TOO_FAST_BOOKING),
    "booking API": Case(_booking_api, booking_limit, (CREATED,), TOO_MANY, TOO_FAST_BOOKING),
    "message page": Case(_message_page, chat_limit, (FOUND,), TOO_MANY, TOO_FAST_MESSAGE),
    "message API": Case(_message_api, chat_limit, (CREATED,), TOO_MANY, TOO_FAST_MESSAGE),
}


@pytest.mark.parametrize("case", MATRIX.values(), ids=MATRIX.keys())
def test_each_limit_kicks_in_at_its_count_and_saves_nothing_past_it(case):
    attempt, saved = case.prepare()
    limit = case.limit()
    start = saved()

    for n in range(limit):
        response = attempt(n)
        assert response.status_code in case.allowed, (n, response.status_code, body(response))
    allowed_effects = saved() - start
    for n in (limit, limit + 1):
        response = attempt(n)
        assert response.status_code == case.refused, (n, response.status_code)
        assert case.refusal_text in body(response)

    assert saved() - start == allowed_effects
    if case.allowed != (HTTPStatus.OK,):  # the failed-login cases save nothing at all
        assert allowed_effects == limit


# ---------------------------------------------------------------------------------------------
# Details of the limits that the matrix does not show
# ---------------------------------------------------------------------------------------------


def test_the_booking_api_refusal_is_a_json_429_with_the_reason():
    attempt, _ = _booking_api()
    for n in range(booking_limit()):
        attempt(n)

    response = attempt(booking_limit())

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert response.json() == {"detail": TOO_FAST_BOOKING}


def test_the_booking_page_shows_the_refusal_as_a_form_error():
    attempt, _ = _booking_page()
    for n in range(booking_limit()):
        attempt(n)

    response = attempt(booking_limit())

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert response.templates[0].name == "bookings/confirm.html"
    assert response.context["form"].non_field_errors() == [TOO_FAST_BOOKING]


def test_refused_booking_attempts_count_towards_the_limit():
    service, client, browser, starts = _bookable()
    taken = starts[0]
    booking_services.booking_create(client=make_user(), service=service, starts_at=taken)
    payload = {"service": service.pk, "starts_at": taken.isoformat()}

    answers = [
        browser.post("/api/v1/bookings", payload, content_type="application/json").status_code
        for _ in range(booking_limit())
    ]
    free = {"service": service.pk, "starts_at": starts[1].isoformat()}
    last = browser.post("/api/v1/bookings", free, content_type="application/json")

    assert answers == [HTTPStatus.CONFLICT] * booking_limit()
    assert last.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert not Booking.objects.filter(client=client).exists()


def test_one_clients_limit_does_not_hold_back_another_client():
    service, _, browser, starts = _bookable()
    for n in range(booking_limit() + 1):
        browser.post(
            "/api/v1/bookings",
            {"service": service.pk, "starts_at": starts[n].isoformat()},
            content_type="application/json",
        )
    other = Client()
    other.force_login(make_user())

    response = other.post(
        "/api/v1/bookings",
        {"service": service.pk, "starts_at": starts[20].isoformat()},
        content_type="application/json",
    )

    assert response.status_code == HTTPStatus.CREATED


@pytest.mark.django_db(transaction=True)
def test_racing_attempts_of_one_client_never_exceed_the_limit():
    service, client, _, starts = _bookable()
    attempts = booking_limit() + 5
    barrier = threading.Barrier(attempts)
    outcomes, lock = [], threading.Lock()

    def attempt(n):
        try:
            barrier.wait()
            booking_services.booking_create(client=client, service=service, starts_at=starts[n])
            outcome = "booked"
        except RateLimited:
            outcome = "limited"
        except Exception as exc:  # reported by the assertion below
            outcome = repr(exc)
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["booked"] * booking_limit() + ["limited"] * 5
    assert Booking.objects.filter(client=client).count() == booking_limit()


def test_the_hourly_booking_window_applies_too(settings):
    settings.BOOKING_RATE_LIMIT = "100/10m,4/h"
    service, client, _, starts = _bookable()
    for n in range(4):
        booking_services.booking_create(client=client, service=service, starts_at=starts[n])

    with pytest.raises(RateLimited) as refused:
        booking_services.booking_create(client=client, service=service, starts_at=starts[4])

    assert refused.value.messages == [TOO_FAST_BOOKING]
    assert Booking.objects.filter(client=client).count() == 4


def test_a_booking_window_reopens_when_its_period_is_over(settings):
    settings.BOOKING_RATE_LIMIT = "2/1s"
    service, client, _, starts = _bookable()
    for n in range(2):
        booking_services.booking_create(client=client, service=service, starts_at=starts[n])
    with pytest.raises(RateLimited):
        booking_services.booking_create(client=client, service=service, starts_at=starts[2])

    time.sleep(1.1)
    booking = booking_services.booking_create(client=client, service=service, starts_at=starts[2])

    assert booking.starts_at == starts[2]


def test_the_booking_rate_limit_can_be_switched_off(settings):
    settings.BOOKING_RATE_LIMIT = "off"
    service, client, _, starts = _bookable()

    for n in range(15):
        booking_services.booking_create(client=client, service=service, starts_at=starts[n])

    assert Booking.objects.filter(client=client).count() == 15


def test_demo_and_bulk_creation_can_bypass_the_limit():
    service, client, _, starts = _bookable()

    for n in range(booking_limit() + 2):
        booking_services.booking_create(
            client=client, service=service, starts_at=starts[n], enforce_rate_limit=False
        )

    assert Booking.objects.filter(client=client).count() == booking_limit() + 2


def test_invalid_input_is_refused_before_it_counts_as_an_attempt():
    service, client, _, starts = _bookable()
    for _ in range(booking_limit() + 5):
        with pytest.raises(ValidationError):
            booking_services.booking_create(
                client=client, service=service, starts_at=starts[0], note="x" * 5000
            )

    booking = booking_services.booking_create(client=client, service=service, starts_at=starts[0])

    assert booking.client == client


@pytest.mark.parametrize("text", ["10", "10/10x", "0/m", "10/0m", "ten/m", "10/m,"])
def test_a_malformed_booking_rate_limit_setting_is_a_configuration_error(settings, text):
    settings.BOOKING_RATE_LIMIT = text
    service, client, _, starts = _bookable()

    with pytest.raises(ImproperlyConfigured, match="BOOKING_RATE_LIMIT"):
        booking_services.booking_create(client=client, service=service, starts_at=starts[0])


@pytest.mark.parametrize(
    ("setting", "default", "windows"),
    [
        ("BOOKING_RATE_LIMIT", "10/10m,30/h", ((10, 600), (30, 3600))),
        ("CHAT_RATE_LIMIT", "20/10s", ((20, 10),)),
        ("ACCOUNT_DELETE_RATE_LIMIT", "5/15m", ((5, 900),)),
    ],
)
def test_the_default_limits(setting, default, windows):
    source = (settings.BASE_DIR / "timz" / "settings.py").read_text()

    assert f'env.str("{setting}", default="{default}")' in source
    assert ratelimit.parse(default) == tuple(ratelimit.Window(*w) for w in windows)


# Chat messages and account deletion -----------------------------------------------------------


def test_the_chat_limit_is_the_one_of_its_setting(settings):
    settings.CHAT_RATE_LIMIT = "3/10s"
    conversation, _ = _conversation()
    sender = conversation.client
    for n in range(3):
        chat_services.message_send(conversation=conversation, sender=sender, body=f"m{n}")

    with pytest.raises(RateLimited) as refused:
        chat_services.message_send(conversation=conversation, sender=sender, body="m3")

    assert refused.value.messages == [TOO_FAST_MESSAGE]
    assert Message.objects.filter(conversation=conversation).count() == 3


def test_an_invalid_message_does_not_count_towards_the_chat_limit(settings):
    settings.CHAT_RATE_LIMIT = "1/10s"
    conversation, _ = _conversation()
    sender = conversation.client
    for _ in range(3):
        with pytest.raises(ValidationError, match="cannot be empty"):
            chat_services.message_send(conversation=conversation, sender=sender, body=" ")

    message = chat_services.message_send(conversation=conversation, sender=sender, body="Hello")

    assert message.body == "Hello"


def test_the_account_deletion_limit_is_the_one_of_its_setting(settings):
    settings.ACCOUNT_DELETE_RATE_LIMIT = "2/15m"
    user = make_user()
    for _ in range(2):
        with pytest.raises(ValidationError) as wrong:
            account_services.account_delete(user=user, password="guess")
        assert wrong.value.error_dict["password"][0].code == "wrong_password"

    with pytest.raises(RateLimited):
        account_services.account_delete(user=user, password=PASSWORD)

    user.refresh_from_db()
    assert user.is_active


def test_the_account_deletion_refusal_says_how_long_to_wait(settings):
    settings.ACCOUNT_DELETE_RATE_LIMIT = "5/15m"
    user = make_user()
    for _ in range(5):
        with pytest.raises(ValidationError):
            account_services.account_delete(user=user, password="guess")

    with pytest.raises(RateLimited) as refused:
        account_services.account_delete(user=user, password=PASSWORD)

    assert refused.value.messages == [
        "Too many wrong passwords. Please wait 15 minutes and try again."
    ]
