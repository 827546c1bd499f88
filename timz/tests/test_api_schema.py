"""Schemathesis against /api/v1/openapi.json: no 5xx, every response matches the schema.

The schema is loaded from Django's WSGI handler (the project's middleware, URLs and views, as
daphne serves them through Django's ASGI handler) and every operation is called in-process, in
the test's own thread, with property-based inputs, valid and invalid, as an
anonymous visitor, as a logged-in client and as a logged-in pro. A logged-in call carries what a
browser sends: the session cookie, the CSRF cookie and the X-CSRFToken header. Each response
must not be a 5xx, must have a status code the operation declares, and must match the schema
declared for that code (4xx bodies are timz.schemas.ErrorOut, `{"detail": str}`).

The seeded world is committed (once for the module, emptied after it): the calls write as a
request does, in autocommit, and the world must outlive each of them. It has two
listed pros with services and opening hours, a client with bookings in several states and a
conversation with messages; generated ids, slugs, actions and times are swapped, three times in
four, for values of that world, so calls reach real objects and their owners' code paths (201
bookings, 200 transitions, a 201 review), not only 404s.

Bounded and reproducible: a fixed seed, deterministic generation, no example database, a small
max_examples per operation (about 1,900 calls, 25-30 s on a 2-core machine).

Why WSGI and not the ASGI application: schemathesis' ASGI transport runs each call through an
event loop and a thread of its own (twice the time: 58 s), and it hands the application the
path without decoding it, so a URL holding an encoded line break never reached the URL
resolver as one (the WSGI handler found the HTML 404 it caused). The ASGI layer in front of
Django (routing, the body size limit) is tested on its own (test_input, test_serve, the
browser tests on daphne).

Run the module whole (or with test_the_world_is_seeded selected): see the `world` fixture.
"""

import os
import zlib
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import schemathesis
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from django.db import connection
from django.test import Client
from django.utils import timezone
from django.utils.crypto import get_random_string
from hypothesis import HealthCheck, settings
from ninja import Schema
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from bookings import lifecycle
from bookings import services as booking_services
from bookings.models import Booking
from chat.models import Conversation, Message
from conftest import make_booking, make_category, make_pro, make_service, make_user, set_every_day
from timz.api import api

SEED = 20261126
MAX_EXAMPLES = 10
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _load(*, coverage: bool):
    """The schema as the app serves it. `coverage` adds schemathesis' coverage phase: the
    boundary and invalid values of every parameter, deterministic, on top of the random ones."""
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {"mode": "all", "deterministic": True, "database": "none"},
            # One unexpected method per operation is enough to check the 405 answers.
            "phases": {"coverage": {"enabled": coverage, "unexpected-methods": ["delete"]}},
        }
    )
    return schemathesis.openapi.from_wsgi(
        "/api/v1/openapi.json", get_wsgi_application(), config=config
    )


SCHEMA = _load(coverage=True)
schema = SCHEMA
# Logged out, every operation but the directory's stops at authentication, before the input
# is read: random inputs suffice there, the coverage phase is for the logged-in runs.
visitor_schema = _load(coverage=False)

bounded = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


class World:
    """The seeded objects, and the real values generated calls are aimed at, by field name."""

    def __init__(self, *, client, pro, values):
        self.client = client
        self.pro = pro
        self.values = values

    def aim(self, case) -> None:
        """Three in four of the generated path, query and top-level body values whose name the
        world knows become one of its real values (an id, a slug, an action, a free time), so
        that calls combining several of them (a real booking and a real action) happen too.

        The choice hashes the generated value, so it is as reproducible as the value itself."""
        for container in (case.path_parameters, case.query, case.body):
            if not isinstance(container, dict):
                continue
            for name, value in list(container.items()):
                choices = self.values.get(name)
                if not choices:
                    continue
                digest = zlib.crc32(repr(value).encode())
                if digest % 4:
                    container[name] = choices[(digest >> 2) % len(choices)]


def _booking(*, client, service, starts_at, status):
    return make_booking(client=client, service=service, starts_at=starts_at, status=status)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The world, committed once for the whole module, and the database emptied after it.

    Committed, because each call's request commits as it goes; once per module, not per
    test, because emptying the database (what a transactional test does after each test) costs
    seconds on PostgreSQL and there is one test per operation."""
    with django_db_blocker.unblock():
        # pytest-django creates the test database only when a collected test is marked
        # django_db (test_the_world_is_seeded is); never seed, then flush, a real database.
        name = os.path.basename(str(connection.settings_dict["NAME"]))
        if "test" not in name:
            pytest.fail(f"{name} is not a test database; run this module whole.")
        try:
            yield _seed_world()
        finally:
            call_command("flush", interactive=False, verbosity=0)


def _seed_world() -> World:
    category = make_category(name="Barbers", slug="barbers")
    pro = make_pro(email="pro@example.com", name="Paula Pro", slug="paula-pro", category=category)
    other_pro = make_pro(email="otto@example.com", name="Otto", slug="otto", category=category)
    haircut = make_service(pro=pro, name="Haircut", duration_minutes=45, price_amount=3500)
    beard = make_service(pro=pro, name="Beard", duration_minutes=30, price_amount=2000)
    shave = make_service(pro=other_pro, name="Shave", duration_minutes=30, price_amount=1500)
    for who in (pro, other_pro):
        set_every_day(who)
    client = make_user(email="client@example.com", name="Chloé Client")
    other_client = make_user(email="oscar@example.com", name="Oscar Other")
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    bookings = [
        _booking(
            client=client,
            service=haircut,
            starts_at=hour + timedelta(days=3),
            status=Booking.Status.CONFIRMED,
        ),
        _booking(
            client=client,
            service=beard,
            starts_at=hour + timedelta(days=5),
            status=Booking.Status.REQUESTED,
        ),
        _booking(
            client=client,
            service=haircut,
            starts_at=hour - timedelta(days=2),
            status=Booking.Status.COMPLETED,
        ),
        _booking(
            client=other_client,
            service=haircut,
            starts_at=hour + timedelta(days=4),
            status=Booking.Status.CONFIRMED,
        ),
    ]
    conversation = Conversation.objects.create(client=client, pro=pro, pro_user_id=pro.user_id)
    messages = [
        Message.objects.create(conversation=conversation, sender=client, body="Hello!"),
        Message.objects.create(conversation=conversation, sender=pro.user, body="See you soon."),
    ]
    Conversation.objects.filter(pk=conversation.pk).update(last_message_at=timezone.now())
    # Whole local hours inside the opening hours, days ahead: free unless a call booked them.
    paris = ZoneInfo("Europe/Paris")
    today = timezone.now().astimezone(paris).date()
    free_times = [
        datetime.combine(today + timedelta(days=days), time(hour), tzinfo=paris).isoformat()
        for days in (7, 8, 9)
        for hour in (10, 14)
    ]
    entries = [
        booking_services.waitlist_join(
            client=someone,
            day=today + timedelta(days=6),
            from_time=time(10),
            to_time=time(12),
            zone="Europe/Paris",
            pro=pro,
            service=haircut,
        )
        for someone in (client, other_client)
    ]
    return World(
        client=client,
        pro=pro.user,
        values={
            "slug": [pro.slug, other_pro.slug],
            "pro": [pro.slug, other_pro.slug],
            "client": [client.pk, other_client.pk],
            "client_id": [client.pk, other_client.pk],
            "booking_id": [b.pk for b in bookings],
            "action": list(lifecycle.USER_ACTIONS),
            "conversation_id": [conversation.pk],
            "service": [haircut.pk, beard.pk, shave.pk],
            "starts_at": free_times,
            "start": [today.isoformat()],
            "tz": ["Europe/Paris", "America/New_York"],
            "up_to": [m.pk for m in messages],
            "before": [m.pk for m in messages],
            "after": [m.pk for m in messages],
            "category": ["barbers"],
            "rating": [1, 4, 5],
            "reason": ["Something came up."],
            "entry_id": [e.pk for e in entries],
            "date": [(today + timedelta(days=d)).isoformat() for d in (2, 6)],
            "from": ["09:00", "10:00"],
            "to": ["12:00", "18:00"],
            "timezone": ["Europe/Paris", "America/New_York"],
        },
    )


def _browser(user=None) -> dict:
    """What a browser sends: a CSRF cookie and header, and the session cookie when logged in."""
    token = get_random_string(32)
    cookies = {"csrftoken": token}
    if user is not None:
        browser = Client()
        browser.force_login(user)
        cookies["sessionid"] = browser.cookies["sessionid"].value
    return {"cookies": cookies, "headers": {"X-CSRFToken": token}}


@pytest.fixture(scope="module")
def browsers(world) -> dict[str, dict]:
    """Who makes the calls: a visitor whose browser never got a CSRF token (unsafe calls stop
    at the CSRF check, 403), a visitor with one (401 behind login), the client and the pro."""
    return {
        "visitor without token": {},
        "visitor": _browser(),
        "client": _browser(world.client),
        "pro": _browser(world.pro),
    }


def _call(case, world, browser, checks=CHECKS):
    world.aim(case)
    # The browser's cookies win over a session cookie schemathesis may have generated.
    case.call_and_validate(checks=checks, **browser)


@pytest.mark.django_db
def test_the_world_is_seeded(world):
    """The objects the calls aim at exist (and this mark makes pytest-django set up the test
    database that the module-scoped world is written to)."""
    assert Booking.objects.filter(pk__in=world.values["booking_id"]).count() == 4
    assert Conversation.objects.filter(pk__in=world.values["conversation_id"]).exists()


@visitor_schema.parametrize()
@bounded
def test_api_as_visitor_without_csrf_token(case, world, browsers):
    _call(case, world, browsers["visitor without token"])


@visitor_schema.parametrize()
@bounded
def test_api_as_visitor(case, world, browsers):
    _call(case, world, browsers["visitor"])


@schema.parametrize()
@bounded
def test_api_as_client(case, world, browsers):
    _call(case, world, browsers["client"])


@schema.parametrize()
@bounded
def test_api_as_pro(case, world, browsers):
    _call(case, world, browsers["pro"])


def _models(annotation, seen):
    """Every ninja Schema class reachable from a response annotation."""
    origin_args = getattr(annotation, "__args__", ())
    for arg in origin_args:
        _models(arg, seen)
    if isinstance(annotation, type) and issubclass(annotation, Schema) and annotation not in seen:
        seen.add(annotation)
        for field in annotation.model_fields.values():
            _models(field.annotation, seen)
    return seen


def test_openapi_component_names_are_unique():
    """OpenAPI keys components by class name: two response schemas sharing a name would
    silently replace each other (chat's ProOut once replaced the directory's in GET /pros)."""
    seen = set()
    for router in [r for _, r in api._routers]:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for model in (operation.response_models or {}).values():
                    field = getattr(model, "model_fields", {}).get("response")
                    if field is not None:
                        _models(field.annotation, seen)
    by_name = {}
    for model in seen:
        by_name.setdefault(model.__name__, set()).add(f"{model.__module__}.{model.__qualname__}")
    assert {"ProOut", "ChatProOut", "BookingOut", "ErrorOut"} <= set(by_name)
    clashes = {name: sorted(where) for name, where in by_name.items() if len(where) > 1}
    assert clashes == {}


def test_every_operation_declares_its_error_responses():
    """Reads and writes behind the session answer 401 when anonymous; writes 403 without the
    CSRF token; both are declared, with the shared error schema, so clients can rely on them."""
    doc = api.get_openapi_schema()
    missing = []
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            if operation.get("security"):
                needed = {401, 403} if method != "get" else {401}
                missing += [f"{method.upper()} {path} {c}" for c in sorted(needed - codes)]
            for code in codes:
                if code >= 400:
                    ref = operation["responses"][code]["content"]["application/json"]["schema"]
                    assert ref == {"$ref": "#/components/schemas/ErrorOut"}, (path, code)
    assert missing == []
