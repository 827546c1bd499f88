"""The authorization matrix: every URL that takes an object id, slug or token, asked by everyone.

The list of URLs is not written by hand: it is generated from the URL configuration
(`get_resolver()` walked recursively: every non-admin route with a path parameter) and from the
API's own schema (`/api/v1/openapi.json`: every operation, path + method, with a path parameter
or a body field naming another object such as `service` or `client`); a further check makes sure
no API route with an id hides from the schema. The websocket routes have the same matrix in
test_authorization_websockets.py. The MATRIX below says, for each URL, which objects of a small
but real world fill its ids and what each of six people gets:

    anonymous · the booking's client · another client · the pro · another pro · staff

A test fails when a URL that takes an id appears without a row here ("add <name> to the
matrix"), when a row no longer matches a URL, when anyone gets a 5xx, when someone gets a status
other than the table's, when a refused request changed any data, and when a refused response
shows a private detail of the world (a booking note, a message, a calendar token...).

Each (row, variant, method) is one test; inside it the six people are tried one after another,
each in a savepoint that is rolled back, so a POST that works for one person does not change what
the next one meets. The world is built once per module (see `_module_world`).

Admin URLs are left to Django's admin (staff only); one test checks that it refuses the others.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from http import HTTPStatus
from urllib.parse import urlencode, urlsplit

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from allauth.mfa.models import Authenticator
from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone

from accounts.models import ClientProfile, User
from bookings import services as booking_services
from bookings.models import (
    Booking,
    ExternalCalendar,
    Review,
    Service,
    WaitlistEntry,
    WaitlistOffer,
)
from bookings.selectors import slot_is_free
from chat.models import Conversation, Message
from conftest import (
    give_totp,
    local_at,
    make_booking,
    make_calendar,
    make_category,
    make_pro,
    make_service,
    make_user,
    module_data,
    set_every_day,
)

pytestmark = pytest.mark.django_db

API_PREFIX = "/api/v1/"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

# The six people of the matrix, in the order of its columns.
ANON, CLIENT, OTHER_CLIENT, PRO, OTHER_PRO, STAFF = ROLES = (
    "anonymous",
    "client",
    "other_client",
    "pro",
    "other_pro",
    "staff",
)

# Private details of the world: none may appear in a refused response.
NOTE = "note-7f3a: ring the back door"
MESSAGE = "msg-91c2: my door code is 4711"
PHONE = "+33 6 12 34 56 78"
CALENDAR_SECRET = "ics-secret-4c1d"  # the path of a pro's secret ICS link


# ---------------------------------------------------------------------------------------------
# What a person should get
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Want:
    """The expected answer: a status, whether the person is let through (`allowed`), the URL
    name a redirect must point to (`to`, "login" for the login page) and, for an allowed write,
    that data really changed (`writes`)."""

    status: int
    allowed: bool
    to: str | None = None
    writes: bool = False

    def __str__(self):
        kind = "ok" if self.allowed else "refused"
        target = f"->{self.to}" if self.to else ""
        return f"{kind} {self.status}{target}{' (writes)' if self.writes else ''}"


def ok(status: int = 200, *, to: str | None = None, writes: bool = False) -> Want:
    return Want(status, True, to, writes)


def no(status: int = 404, *, to: str | None = None) -> Want:
    return Want(status, False, to)


LOGIN = no(302, to="login")  # HTML pages send anonymous visitors to the login page
UNAUTH = no(401)  # the JSON API answers 401
NOPE = no(405)  # wrong method (after login, for pages)
DETAIL = no(302, to="bookings:detail")  # let in, but the action is not theirs: back with a message


def m(anon: Want, client: Want, other_client: Want, pro: Want, other_pro: Want, staff: Want):
    """One line of the matrix, in the column order of ROLES."""
    return (anon, client, other_client, pro, other_pro, staff)


def everyone(want: Want):
    return (want,) * len(ROLES)


@dataclass(frozen=True)
class Case:
    """One way to fill a URL's ids, with the expected answers per method."""

    kwargs: Callable[[World], dict]
    GET: tuple | None = None
    POST: tuple | None = None
    PUT: tuple | None = None
    PATCH: tuple | None = None
    DELETE: tuple | None = None
    query: Callable[[World], dict] | None = None
    body: Callable[[World], dict] | None = None
    path: str | None = None  # for an unnamed route (nothing to reverse): the path to ask


# ---------------------------------------------------------------------------------------------
# The world: real objects, made through the services where they exist
# ---------------------------------------------------------------------------------------------


def _place(*, client, service, starts_at, status, **extra) -> Booking:
    """A booking row as the lifecycle would have left it (also in the past, which
    booking_create refuses)."""
    return make_booking(
        client=client, service=service, starts_at=starts_at, status=status, note=NOTE, **extra
    )


@dataclass
class World:
    users: dict
    pro: object
    other_pro: object
    hidden_pro: object
    service: Service
    other_service: Service
    hidden_service: Service
    gone_pro: object
    gone_service: Service
    bookings: dict[str, Booking]
    review: Review
    conversation: Conversation
    pro_message: Message
    override: object
    time_off: object
    calendar_token: str
    payment: object
    paid_payment: object
    email_key: str
    reset_uidb36: str
    reset_key: str
    waitlist_entry: object
    other_waitlist_entry: object
    waitlist_offer: object
    series_bookings: list[Booking]
    calendar: ExternalCalendar
    other_calendar: ExternalCalendar
    passkey: Authenticator
    secrets: list[str] = field(default_factory=list)
    card_session_id: str = ""
    sessions: dict[str, str] = field(default_factory=dict)

    def http(self, role: str) -> Client:
        """A test client signed in as `role` (anonymous for ANON), on the session made for it
        with the world: a sign-in per request cost a session row and the login signals."""
        http = Client()
        if role in self.sessions:
            http.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[role]
        return http

    def free_start(self) -> datetime:
        """A start time the pro has free for `service` (checked, not assumed)."""
        start = local_at(4, 11)
        assert slot_is_free(
            pro=self.pro,
            duration_minutes=self.service.duration_minutes,
            starts_at=start,
            now=timezone.now(),
        )
        return start


# Payments run on the offline backend.
WORLD_SETTINGS = {
    "STRIPE_SECRET_KEY": "",
    "STRIPE_API_BASE": "",
    "SITE_URL": "http://testserver",
}


@pytest.fixture(scope="module")
def _module_world(django_db_setup, django_db_blocker):
    """The world, built once for the module (see `conftest.module_data`)."""
    with module_data(django_db_blocker), override_settings(**WORLD_SETTINGS):
        yield build_world()


@pytest.fixture
def world(_module_world, db, settings) -> World:
    for name, value in WORLD_SETTINGS.items():
        setattr(settings, name, value)
    return _module_world


def build_world() -> World:
    from payments.card_on_file import card_setup_start
    from payments.models import SavedCard
    from payments.services import checkout_start, connected_account_enable_simulated

    category = make_category(name="Barbers", slug="barbers")
    client_user = make_user(email="client@example.com", name="Chloé Client")
    other_client = make_user(email="other-client@example.com", name="Oscar Other")
    pro = make_pro(email="pro@example.com", name="Paula Pro", slug="paula-pro", category=category)
    other_pro = make_pro(
        email="other-pro@example.com", name="Otto Other", slug="otto-other", category=category
    )
    service = make_service(pro=pro, name="Haircut", duration_minutes=45, price_amount=3500)
    staff_user = give_totp(
        User.objects.create_superuser(email="admin@example.com", password="x" * 20)
    )
    ClientProfile.objects.filter(user=client_user).update(phone=PHONE)
    for someone in (pro, other_pro):
        set_every_day(someone)
    other_service = make_service(pro=other_pro, name="Beard trim")
    online_service = make_service(
        pro=pro, name="Colour", price_amount=6000, payment_mode=Service.PaymentMode.ONLINE
    )
    hidden_pro = make_pro(name="Hidden Hugo", slug="hidden-hugo", is_listed=False)
    hidden_service = make_service(pro=hidden_pro, name="Secret cut")
    # A listed pro whose account was deactivated (closed, or banned by staff).
    gone_pro = make_pro(name="Gone Gina", slug="gone-gina")
    set_every_day(gone_pro)
    gone_service = make_service(pro=gone_pro, name="Last cut")
    User.objects.filter(pk=gone_pro.user_id).update(is_active=False)

    bookings = {
        "requested": _place(
            client=client_user,
            service=service,
            starts_at=local_at(5, 10),
            status=Booking.Status.REQUESTED,
            expires_at=timezone.now() + timedelta(hours=20),
        ),
        "confirmed": _place(
            client=client_user,
            service=service,
            starts_at=local_at(6, 10),
            status=Booking.Status.CONFIRMED,
        ),
        "started": _place(
            client=client_user,
            service=service,
            starts_at=timezone.now() - timedelta(minutes=20),
            status=Booking.Status.CONFIRMED,
        ),
        "completed": _place(
            client=client_user,
            service=service,
            starts_at=local_at(-2, 10),
            status=Booking.Status.COMPLETED,
        ),
        "reviewed": _place(
            client=client_user,
            service=service,
            starts_at=local_at(-3, 10),
            status=Booking.Status.COMPLETED,
        ),
        "cancelled": _place(
            client=client_user,
            service=service,
            starts_at=local_at(7, 10),
            status=Booking.Status.CANCELLED,
        ),
        "pending_payment": _place(
            client=client_user,
            service=online_service,
            starts_at=local_at(8, 10),
            status=Booking.Status.PENDING_PAYMENT,
            expires_at=timezone.now() + timedelta(minutes=30),
        ),
    }
    # The others have their own life: a booking and a conversation between them.
    _place(
        client=other_client,
        service=other_service,
        starts_at=local_at(5, 12),
        status=Booking.Status.CONFIRMED,
    )
    Conversation.objects.create(client=other_client, pro=other_pro, pro_user_id=other_pro.user_id)

    review = booking_services.review_create(
        booking=bookings["reviewed"], by=client_user, rating=4, text="Good cut."
    )
    conversation = Conversation.objects.create(client=client_user, pro=pro, pro_user_id=pro.user_id)
    Message.objects.create(conversation=conversation, sender=client_user, body="Hello!")
    pro_message = Message.objects.create(conversation=conversation, sender=pro.user, body=MESSAGE)
    Conversation.objects.filter(pk=conversation.pk).update(last_message_at=pro_message.created_at)

    override = booking_services.date_override_set(
        pro=pro, day=local_at(10, 0).date(), intervals=[(time(9), time(12))], note="Short day"
    )
    booking_services.date_override_set(pro=other_pro, day=local_at(10, 0).date(), intervals=[])
    time_off = booking_services.time_off_create(
        pro=pro, starts_at=local_at(12, 8), ends_at=local_at(13, 20), reason="Holiday"
    )
    booking_services.time_off_create(
        pro=other_pro, starts_at=local_at(12, 8), ends_at=local_at(13, 20), reason="Fishing"
    )
    calendar_token = booking_services.calendar_token_regenerate(pro=pro)
    booking_services.calendar_token_regenerate(pro=other_pro)
    # A standing appointment of the client's: two weeks running, far from the others (booked
    # before the pros' own calendars exist: a calendar never synced turns bookings into requests).
    _, series_bookings, _ = booking_services.booking_series_create(
        by=client_user,
        client=client_user,
        service=service,
        starts_at=local_at(20, 14),
        every_weeks=1,
        count=2,
    )

    # The pros' own calendars. Syncing one only reaches the address check: a loopback address
    # is refused without a connection (CALENDAR_ALLOW_PRIVATE_HOSTS is off here).
    calendar, other_calendar = (
        make_calendar(pro=owner, name="Personal", url=f"http://127.0.0.1:9/{secret}.ics")
        for owner, secret in ((pro, CALENDAR_SECRET), (other_pro, "other-ics-secret"))
    )

    connected_account_enable_simulated(pro=pro)
    payment = checkout_start(booking=bookings["pending_payment"], user=client_user)
    # The completed visit was paid online: it has a receipt, and its client may tip.
    from payments.models import Payment

    paid_payment = Payment.objects.create(
        booking=bookings["completed"],
        backend=Payment.Backend.OFFLINE,
        amount=3500,
        fee=350,
        currency="EUR",
        status=Payment.Status.SUCCEEDED,
        checkout_session_id="offline_world-paid",
        payment_intent_id="offline_pi_world",
        paid_at=timezone.now() - timedelta(days=3),
    )

    # Card on file: a booking waiting for its card, and a no-show whose card was saved.
    card_service = make_service(
        pro=pro, name="Colour with a card", protection="card", no_show_fee_percent=40
    )
    bookings["card_hold"] = _place(
        client=client_user,
        service=card_service,
        starts_at=local_at(8, 14),
        status=Booking.Status.PENDING_PAYMENT,
        expires_at=timezone.now() + timedelta(minutes=30),
    )
    card_hold = card_setup_start(booking=bookings["card_hold"], user=client_user)
    bookings["no_show"] = _place(
        client=client_user,
        service=card_service,
        starts_at=local_at(-5, 10),
        status=Booking.Status.NO_SHOW,
    )
    SavedCard.objects.create(
        booking=bookings["no_show"],
        backend="offline",
        status="saved",
        customer_id=card_hold.customer_id,
        payment_method_id="offline_pm_world",
        brand="visa",
        last4="4242",
    )

    # The client waits for the pro's service; a time is held for them (far from free_start).
    waitlist_entry = booking_services.waitlist_join(
        client=client_user,
        day=local_at(9, 12).date(),
        from_time=time(10),
        to_time=time(11),
        zone="Europe/Paris",
        pro=pro,
        service=service,
    )
    # Under a transactional test the join's on-commit check may have offered a time already:
    # the world holds this one instead, whatever the test's transaction mode.
    WaitlistOffer.objects.filter(entry=waitlist_entry).delete()
    waitlist_offer = WaitlistOffer.objects.create(
        entry=waitlist_entry,
        pro=pro,
        service=service,
        starts_at=local_at(9, 10),
        ends_at=local_at(9, 10, 45),
        offered_at=timezone.now(),
        expires_at=timezone.now() + timedelta(days=1),
        token="offer-token-5d1e",
    )
    WaitlistEntry.objects.filter(pk=waitlist_entry.pk).update(status=WaitlistEntry.Status.OFFERED)
    other_waitlist_entry = booking_services.waitlist_join(
        client=other_client,
        day=local_at(9, 12).date(),
        from_time=time(10),
        to_time=time(11),
        zone="Europe/Paris",
        pro=other_pro,
        service=other_service,
    )

    address = EmailAddress.objects.create(
        user=client_user, email="client-second@example.com", primary=False, verified=False
    )
    users = {
        ANON: None,
        CLIENT: client_user,
        OTHER_CLIENT: other_client,
        PRO: pro.user,
        OTHER_PRO: other_pro.user,
        STAFF: staff_user,
    }
    # Signed in before the password-reset key below is made: a sign-in changes last_login, which
    # the key is made from.
    sessions = {}
    for role, user in users.items():
        if user is not None:
            http = Client()
            http.force_login(user)
            sessions[role] = http.cookies[settings.SESSION_COOKIE_NAME].value
    return World(
        sessions=sessions,
        users=users,
        pro=pro,
        other_pro=other_pro,
        hidden_pro=hidden_pro,
        service=service,
        other_service=other_service,
        hidden_service=hidden_service,
        gone_pro=gone_pro,
        gone_service=gone_service,
        bookings=bookings,
        review=review,
        conversation=conversation,
        pro_message=pro_message,
        override=override,
        time_off=time_off,
        calendar_token=calendar_token,
        payment=payment,
        paid_payment=paid_payment,
        email_key=EmailConfirmationHMAC(address).key,
        reset_uidb36=user_pk_to_url_str(client_user),
        reset_key=default_token_generator.make_token(client_user),
        waitlist_entry=waitlist_entry,
        other_waitlist_entry=other_waitlist_entry,
        waitlist_offer=waitlist_offer,
        series_bookings=series_bookings,
        calendar=calendar,
        other_calendar=other_calendar,
        passkey=Authenticator.objects.create(
            user=client_user, type=Authenticator.Type.WEBAUTHN, data={"name": "Phone"}
        ),
        secrets=[
            NOTE,
            MESSAGE,
            PHONE,
            calendar_token,
            payment.checkout_session_id,
            CALENDAR_SECRET,
            card_hold.checkout_session_id,
        ],
        card_session_id=card_hold.checkout_session_id,
    )


# Every row that could be written by a request; a refused request must leave all of them as
# they were. (User is left out: logging in writes last_login.)
FINGERPRINT_MODELS = (
    "accounts.ClientProfile",
    "accounts.ProProfile",
    "account.EmailAddress",
    "mfa.Authenticator",
    "bookings.Service",
    "bookings.BookingRules",
    "bookings.WeeklyHours",
    "bookings.DateOverride",
    "bookings.DateOverrideInterval",
    "bookings.TimeOff",
    "bookings.Booking",
    "bookings.BookingSeries",
    "bookings.BookingEvent",
    "bookings.Review",
    "bookings.ClientNote",
    "bookings.RebookNudge",
    "bookings.WaitlistEntry",
    "bookings.WaitlistOffer",
    "bookings.ExternalCalendar",
    "bookings.BusyInterval",
    "chat.Conversation",
    "chat.Message",
    "payments.ConnectedAccount",
    "payments.Payment",
    "payments.Refund",
    "payments.SavedCard",
    "payments.StripeCustomer",
)


def fingerprint() -> dict:
    """Every row of FINGERPRINT_MODELS (raw SQL: this runs a few hundred times per test run)."""
    tables = {label: apps.get_model(label)._meta.db_table for label in FINGERPRINT_MODELS}
    with connection.cursor() as cursor:
        found = {}
        for label, table in tables.items():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)} ORDER BY 1")
            found[label] = cursor.fetchall()
    return found


def _changed(before: dict, after: dict) -> list[str]:
    return [label for label in before if before[label] != after[label]]


# ---------------------------------------------------------------------------------------------
# THE MATRIX. Columns: anonymous, client, other client, pro, other pro, staff.
# Keys: URL names for pages; "METHOD /api/v1/path" (as in openapi.json) for the API.
# ---------------------------------------------------------------------------------------------


def _booking(state: str) -> Callable[[World], dict]:
    return lambda w: {"pk": w.bookings[state].pk}


def _api_booking(state: str) -> Callable[[World], dict]:
    return lambda w: {"booking_id": w.bookings[state].pk}


def _waitlist_body(pro_slug: str, service_id: int) -> dict:
    day = local_at(9, 12).date().isoformat()
    return {"pro": pro_slug, "service": service_id, "date": day, "from": "14:00", "to": "16:00"}


def _start(w: World) -> dict:
    return {"start": w.free_start().isoformat()}


def _repeat(w: World, **extra) -> dict:
    """A weekly series of two from the free start (the preview's query, the booking's body)."""
    return {**_start(w), "every": "1", "count": "2", **extra}


def _series_booking(w: World) -> dict:
    return {"pk": w.series_bookings[0].pk}


NO_SUCH_ID = 987_654
HUGE_ID = 10**20  # the int converter takes any digits; the database's bigint does not
BOOKING_STATES = ("requested", "confirmed", "completed", "cancelled", "pending_payment")
# Reading a booking: its two parties and staff (support); nobody else even learns it exists.
READ_BOOKING = m(LOGIN, ok(), no(), ok(), no(), ok())
# A POST-only page asked with GET: login first, then 405 for everyone.
POST_ONLY = m(LOGIN, NOPE, NOPE, NOPE, NOPE, NOPE)
# Pro pages: clients and staff (not pros) are refused with 403 before any id is looked at.
PRO_POST_ONLY = m(LOGIN, no(403), no(403), NOPE, NOPE, no(403))
SERVICE_FORM = {
    "name": "Haircut",
    "duration_minutes": "45",
    "price": "35.00",
    "payment_mode": "at_appointment",
    "is_active": "on",
}
# Shorthands for allowed answers that redirect or write.
MOVED = ok(302, to="bookings:detail", writes=True)  # the booking changed; back to its page
BOOKED = ok(302, to="bookings:done", writes=True)
TO_WAITLIST = ok(302, to="bookings:waitlist", writes=True)
TO_SERVICES = ok(302, to="bookings:services", writes=True)
TO_SCHEDULE = ok(302, to="bookings:schedule", writes=True)
TO_CALENDARS = ok(302, to="bookings:calendars", writes=True)
TO_CLIENT = ok(302, to="bookings:client_detail", writes=True)
TO_CHAT = ok(302, to="chat:conversation")  # the conversation that already exists
NEW_CHAT = ok(302, to="chat:conversation", writes=True)
PAID = ok(302, to="payments:checkout_return", writes=True)
CREATED = ok(201, writes=True)
WROTE = ok(200, writes=True)
# Acting on a booking from its page: the act view always redirects back to the booking;
# whether it worked shows in the data (writes / refused-and-unchanged).
PRO_OR_STAFF_ACTION = m(LOGIN, DETAIL, no(), MOVED, no(), MOVED)
RESET_FORM = ok(302, to="account_reset_password_from_key")
# allauth asks for the password again before any change to sign-in factors, whose object it is
# is checked after that (accounts/tests/test_mfa.py).
REAUTHENTICATE = no(302, to="account_reauthenticate")
API_PRO_OR_STAFF_ACTION = m(UNAUTH, no(409), no(), WROTE, no(), WROTE)

# Every line below is m(anonymous, client, other client, pro, other pro, staff).
MATRIX: dict[str, dict[str, Case]] = {
    # -- accounts ------------------------------------------------------------------------------
    "accounts:pro_detail": {
        "listed pro": Case(lambda w: {"slug": w.pro.slug}, GET=everyone(ok())),
        "unlisted pro": Case(lambda w: {"slug": w.hidden_pro.slug}, GET=everyone(no())),
        "deactivated pro": Case(lambda w: {"slug": w.gone_pro.slug}, GET=everyone(no())),
    },
    # -- bookings: the booking flow ------------------------------------------------------------
    "bookings:book": {
        "own service": Case(
            lambda w: {"slug": w.pro.slug, "service_id": w.service.pk}, GET=everyone(ok())
        ),
        "another pro's service": Case(
            lambda w: {"slug": w.pro.slug, "service_id": w.other_service.pk}, GET=everyone(no())
        ),
        "unlisted pro": Case(
            lambda w: {"slug": w.hidden_pro.slug, "service_id": w.hidden_service.pk},
            GET=everyone(no()),
        ),
        "deactivated pro": Case(
            lambda w: {"slug": w.gone_pro.slug, "service_id": w.gone_service.pk},
            GET=everyone(no()),
        ),
    },
    "bookings:confirm": {
        "free time": Case(
            lambda w: {"slug": w.pro.slug, "service_id": w.service.pk},
            query=_start,
            body=_start,
            # Anyone signed in may book, except the pro their own service (400 with the reason).
            GET=m(LOGIN, ok(), ok(), no(400), ok(), ok()),
            POST=m(LOGIN, BOOKED, BOOKED, no(400), BOOKED, BOOKED),
        ),
        "another pro's service": Case(
            lambda w: {"slug": w.pro.slug, "service_id": w.other_service.pk},
            query=_start,
            body=_start,
            GET=m(LOGIN, no(), no(), no(), no(), no()),
            POST=m(LOGIN, no(), no(), no(), no(), no()),
        ),
        "deactivated pro": Case(
            lambda w: {"slug": w.gone_pro.slug, "service_id": w.gone_service.pk},
            query=_start,
            body=_start,
            GET=m(LOGIN, no(), no(), no(), no(), no()),
            POST=m(LOGIN, no(), no(), no(), no(), no()),
        ),
    },
    # -- bookings: standing appointments ------------------------------------------------------
    "bookings:series_new": {
        "own service": Case(
            lambda w: {"slug": w.pro.slug, "service_id": w.service.pk},
            query=_repeat,
            body=lambda w: _repeat(w, action="book"),
            # Like a single booking: anyone signed in, except the pro their own service.
            GET=m(LOGIN, ok(), ok(), no(400), ok(), ok()),
            POST=m(LOGIN, MOVED, MOVED, no(400), MOVED, MOVED),
        ),
        "another pro's service": Case(
            lambda w: {"slug": w.pro.slug, "service_id": w.other_service.pk},
            query=_repeat,
            body=lambda w: _repeat(w, action="book"),
            GET=m(LOGIN, no(), no(), no(), no(), no()),
            POST=m(LOGIN, no(), no(), no(), no(), no()),
        ),
        "deactivated pro": Case(
            lambda w: {"slug": w.gone_pro.slug, "service_id": w.gone_service.pk},
            query=_repeat,
            GET=m(LOGIN, no(), no(), no(), no(), no()),
        ),
    },
    "bookings:series_cancel": {
        "the client's series": Case(
            _series_booking,
            body=lambda w: {"reason": "Moving away"},
            GET=m(LOGIN, ok(), no(), ok(), no(), ok()),
            POST=m(LOGIN, MOVED, no(), MOVED, no(), MOVED),
        ),
        "a booking of its own": Case(
            _booking("confirmed"),
            GET=m(LOGIN, DETAIL, no(), DETAIL, no(), DETAIL),
            POST=m(LOGIN, DETAIL, no(), DETAIL, no(), DETAIL),
        ),
    },
    "bookings:series_accept": {
        # Nothing waits in the client's series (booked confirmed): the pro is told so.
        "the client's series": Case(
            _series_booking,
            GET=PRO_POST_ONLY,
            POST=m(LOGIN, no(403), no(403), DETAIL, no(), no(403)),
        ),
    },
    "bookings:client_series": {
        "pro's client": Case(
            lambda w: {"client_id": w.users[CLIENT].pk},
            query=lambda w: _repeat(w, service=str(w.service.pk)),
            body=lambda w: _repeat(w, service=str(w.service.pk), action="book"),
            GET=m(LOGIN, no(403), no(403), ok(), no(), no(403)),
            POST=m(LOGIN, no(403), no(403), TO_CLIENT, no(), no(403)),
        ),
        "other pro's client": Case(
            lambda w: {"client_id": w.users[OTHER_CLIENT].pk},
            query=lambda w: _repeat(w, service=str(w.other_service.pk)),
            body=lambda w: _repeat(w, service=str(w.other_service.pk), action="book"),
            GET=m(LOGIN, no(403), no(403), no(), ok(), no(403)),
            POST=m(LOGIN, no(403), no(403), no(), TO_CLIENT, no(403)),
        ),
    },
    # -- bookings: one booking -----------------------------------------------------------------
    "bookings:detail": {
        **{state: Case(_booking(state), GET=READ_BOOKING) for state in BOOKING_STATES},
        "no such booking": Case(lambda w: {"pk": NO_SUCH_ID}, GET=m(LOGIN, *[no()] * 5)),
        "id beyond bigint": Case(lambda w: {"pk": HUGE_ID}, GET=m(LOGIN, *[no()] * 5)),
    },
    "bookings:done": {"confirmed": Case(_booking("confirmed"), GET=READ_BOOKING)},
    "bookings:ics": {"confirmed": Case(_booking("confirmed"), GET=READ_BOOKING)},
    "bookings:cancel": {
        # Staff may cancel any booking (with a reason), so they get the confirm step too.
        "confirmed": Case(_booking("confirmed"), GET=m(LOGIN, ok(), no(), ok(), no(), ok())),
    },
    "bookings:reschedule": {
        "confirmed": Case(
            _booking("confirmed"),
            body=_start,
            GET=m(LOGIN, ok(), no(), ok(), no(), DETAIL),
            POST=m(LOGIN, MOVED, no(), MOVED, no(), DETAIL),
        ),
    },
    "bookings:review": {
        "completed": Case(
            _booking("completed"),
            body=lambda w: {"rating": "5", "text": "Lovely"},
            GET=m(LOGIN, ok(), no(), DETAIL, no(), DETAIL),
            POST=m(LOGIN, MOVED, no(), DETAIL, no(), DETAIL),
        ),
    },
    "bookings:review_reply": {
        "reviewed": Case(
            _booking("reviewed"),
            body=lambda w: {"text": "Thank you!"},
            GET=POST_ONLY,
            POST=m(LOGIN, DETAIL, no(), MOVED, no(), DETAIL),
        ),
    },
    "bookings:act": {
        "confirm a request": Case(
            lambda w: {"pk": w.bookings["requested"].pk, "action": "confirm"},
            GET=POST_ONLY,
            POST=PRO_OR_STAFF_ACTION,
        ),
        "decline a request": Case(
            lambda w: {"pk": w.bookings["requested"].pk, "action": "decline"},
            body=lambda w: {"reason": "Fully booked"},
            POST=PRO_OR_STAFF_ACTION,
        ),
        "cancel": Case(
            lambda w: {"pk": w.bookings["confirmed"].pk, "action": "cancel"},
            body=lambda w: {"reason": "Something came up"},
            POST=m(LOGIN, MOVED, no(), MOVED, no(), MOVED),
        ),
        "complete": Case(
            lambda w: {"pk": w.bookings["started"].pk, "action": "complete"},
            POST=PRO_OR_STAFF_ACTION,
        ),
        "no-show": Case(
            lambda w: {"pk": w.bookings["started"].pk, "action": "no_show"},
            POST=PRO_OR_STAFF_ACTION,
        ),
        "unknown action": Case(
            lambda w: {"pk": w.bookings["confirmed"].pk, "action": "delete"},
            POST=m(LOGIN, no(), no(), no(), no(), no()),
        ),
    },
    # -- bookings: the waitlist (its client only) ---------------------------------------------
    "bookings:waitlist_leave": {
        "the client's entry": Case(
            lambda w: {"pk": w.waitlist_entry.pk},
            GET=POST_ONLY,
            POST=m(LOGIN, TO_WAITLIST, no(), no(), no(), no()),
        ),
        "no such entry": Case(
            lambda w: {"pk": NO_SUCH_ID}, GET=POST_ONLY, POST=m(LOGIN, *[no()] * 5)
        ),
    },
    "bookings:waitlist_offer": {
        "held for the client": Case(
            lambda w: {"token": w.waitlist_offer.token},
            GET=m(LOGIN, ok(), no(), no(), no(), no()),
        ),
        "no such offer": Case(lambda w: {"token": "nope"}, GET=m(LOGIN, *[no()] * 5)),
    },
    "bookings:waitlist_offer_decline": {
        "held for the client": Case(
            lambda w: {"token": w.waitlist_offer.token},
            GET=POST_ONLY,
            POST=m(LOGIN, TO_WAITLIST, no(), no(), no(), no()),
        ),
    },
    # -- bookings: the pro's own things --------------------------------------------------------
    "bookings:service_edit": {
        "id beyond bigint": Case(
            lambda w: {"pk": HUGE_ID}, GET=m(LOGIN, no(403), no(403), no(), no(), no(403))
        ),
        "pro's service": Case(
            lambda w: {"pk": w.service.pk},
            body=lambda w: SERVICE_FORM,
            GET=m(LOGIN, no(403), no(403), ok(), no(), no(403)),
            POST=m(LOGIN, no(403), no(403), ok(302, to="bookings:services"), no(), no(403)),
        ),
    },
    "bookings:service_delete": {
        "pro's service": Case(
            lambda w: {"pk": w.service.pk},
            GET=PRO_POST_ONLY,
            POST=m(LOGIN, no(403), no(403), TO_SERVICES, no(), no(403)),
        ),
    },
    "bookings:service_move": {
        "down": Case(
            lambda w: {"pk": w.service.pk, "direction": "down"},
            GET=PRO_POST_ONLY,
            POST=m(LOGIN, no(403), no(403), TO_SERVICES, no(), no(403)),
        ),
        "sideways": Case(
            lambda w: {"pk": w.service.pk, "direction": "sideways"},
            POST=m(LOGIN, no(403), no(403), no(), no(), no(403)),
        ),
    },
    "bookings:override_delete": {
        "pro's special day": Case(
            lambda w: {"pk": w.override.pk},
            GET=PRO_POST_ONLY,
            POST=m(LOGIN, no(403), no(403), TO_SCHEDULE, no(), no(403)),
        ),
    },
    "bookings:time_off_delete": {
        "pro's time off": Case(
            lambda w: {"pk": w.time_off.pk},
            GET=PRO_POST_ONLY,
            POST=m(LOGIN, no(403), no(403), TO_SCHEDULE, no(), no(403)),
        ),
    },
    "bookings:calendar_sync": {
        "pro's calendar": Case(
            lambda w: {"pk": w.calendar.pk},
            GET=PRO_POST_ONLY,
            POST=m(LOGIN, no(403), no(403), TO_CALENDARS, no(), no(403)),
        ),
        "id beyond bigint": Case(
            lambda w: {"pk": HUGE_ID}, POST=m(LOGIN, no(403), no(403), no(), no(), no(403))
        ),
    },
    "bookings:calendar_remove": {
        "pro's calendar": Case(
            lambda w: {"pk": w.calendar.pk},
            GET=PRO_POST_ONLY,
            POST=m(LOGIN, no(403), no(403), TO_CALENDARS, no(), no(403)),
        ),
        "other pro's calendar": Case(
            lambda w: {"pk": w.other_calendar.pk},
            POST=m(LOGIN, no(403), no(403), no(), TO_CALENDARS, no(403)),
        ),
    },
    "bookings:calendar_feed": {
        # The token is the credential (calendar apps cannot log in): whoever holds it reads.
        "pro's token": Case(lambda w: {"token": w.calendar_token}, GET=everyone(ok())),
        "unknown token": Case(lambda w: {"token": "x" * 43}, GET=everyone(no())),
        "short token": Case(lambda w: {"token": "abc"}, GET=everyone(no())),
    },
    # -- bookings: the pro's clients (someone who booked them; anyone else is a 404) ------------
    "bookings:client_detail": {
        "pro's client": Case(
            lambda w: {"client_id": w.users[CLIENT].pk},
            GET=m(LOGIN, no(403), no(403), ok(), no(), no(403)),
        ),
        "other pro's client": Case(
            lambda w: {"client_id": w.users[OTHER_CLIENT].pk},
            GET=m(LOGIN, no(403), no(403), no(), ok(), no(403)),
        ),
        "id beyond bigint": Case(
            lambda w: {"client_id": HUGE_ID}, GET=m(LOGIN, no(403), no(403), no(), no(), no(403))
        ),
    },
    "bookings:client_note": {
        "pro's client": Case(
            lambda w: {"client_id": w.users[CLIENT].pk},
            body=lambda w: {"text": "Prefers mornings"},
            GET=PRO_POST_ONLY,
            POST=m(LOGIN, no(403), no(403), TO_CLIENT, no(), no(403)),
        ),
    },
    "bookings:client_nudge": {
        "pro's client": Case(
            lambda w: {"client_id": w.users[CLIENT].pk},
            body=lambda w: {"weeks": "4"},
            GET=PRO_POST_ONLY,
            POST=m(LOGIN, no(403), no(403), TO_CLIENT, no(), no(403)),
        ),
        "other pro's client": Case(
            lambda w: {"client_id": w.users[OTHER_CLIENT].pk},
            body=lambda w: {"weeks": "4"},
            POST=m(LOGIN, no(403), no(403), no(), TO_CLIENT, no(403)),
        ),
    },
    # -- chat ----------------------------------------------------------------------------------
    "chat:conversation": {
        "id beyond bigint": Case(lambda w: {"pk": HUGE_ID}, GET=m(LOGIN, *[no()] * 5)),
        "client and pro": Case(
            lambda w: {"pk": w.conversation.pk},
            body=lambda w: {"body": "See you then"},
            # Staff are not part of anyone's conversation.
            GET=m(LOGIN, ok(), no(), ok(), no(), no()),
            POST=m(LOGIN, NEW_CHAT, no(), NEW_CHAT, no(), no()),
        ),
    },
    "chat:start_with_pro": {
        "listed pro": Case(
            lambda w: {"slug": w.pro.slug},
            # The client already talks to the pro: straight to that conversation.
            GET=m(LOGIN, TO_CHAT, ok(), no(403), ok(), ok()),
            POST=m(LOGIN, TO_CHAT, NEW_CHAT, no(403), NEW_CHAT, NEW_CHAT),
        ),
        "deactivated pro": Case(
            lambda w: {"slug": w.gone_pro.slug},
            GET=m(LOGIN, no(), no(), no(), no(), no()),
            POST=m(LOGIN, no(), no(), no(), no(), no()),
        ),
        "unlisted pro": Case(
            lambda w: {"slug": w.hidden_pro.slug},
            GET=m(LOGIN, no(), no(), no(), no(), no()),
            POST=m(LOGIN, no(), no(), no(), no(), no()),
        ),
    },
    "chat:start_with_client": {
        # Unknown ids get the same 403 as a user who never booked: ids reveal nobody.
        "no such user": Case(lambda w: {"client_id": NO_SUCH_ID}, POST=m(LOGIN, *[no(403)] * 5)),
        "id beyond bigint": Case(lambda w: {"client_id": HUGE_ID}, POST=m(LOGIN, *[no(403)] * 5)),
        "a client of the pro": Case(
            lambda w: {"client_id": w.users[CLIENT].pk},
            GET=PRO_POST_ONLY,
            POST=m(LOGIN, no(403), no(403), TO_CHAT, no(403), no(403)),
        ),
        "not a client of the pro": Case(
            lambda w: {"client_id": w.users[OTHER_CLIENT].pk},
            # ...but a client of the other pro, who may write to them.
            POST=m(LOGIN, no(403), no(403), no(403), TO_CHAT, no(403)),
        ),
    },
    "chat:for_booking": {
        "confirmed": Case(
            lambda w: {"booking_pk": w.bookings["confirmed"].pk},
            GET=m(LOGIN, TO_CHAT, no(), TO_CHAT, no(), no()),
            POST=m(LOGIN, TO_CHAT, no(), TO_CHAT, no(), no()),
        ),
    },
    # -- payments (only the booking's client pays; the pro and staff have the admin) ------------
    "payments:checkout": {
        "id beyond bigint": Case(lambda w: {"pk": HUGE_ID}, GET=m(LOGIN, *[no()] * 5)),
        "awaiting payment": Case(
            _booking("pending_payment"),
            GET=m(LOGIN, ok(), no(), no(), no(), no()),
            POST=m(LOGIN, ok(303, to="payments:test_checkout"), no(), no(), no(), no()),
        ),
    },
    "payments:checkout_return": {
        "awaiting payment": Case(
            _booking("pending_payment"), GET=m(LOGIN, ok(), no(), no(), no(), no())
        ),
    },
    "payments:checkout_status": {
        "awaiting payment": Case(
            _booking("pending_payment"), GET=m(LOGIN, ok(), no(), no(), no(), no())
        ),
    },
    "payments:test_checkout": {
        "client's session": Case(
            lambda w: {"session_id": w.payment.checkout_session_id},
            body=lambda w: {"outcome": "pay"},
            GET=m(LOGIN, ok(), no(), no(), no(), no()),
            POST=m(LOGIN, PAID, no(), no(), no(), no()),
        ),
        "unknown session": Case(
            lambda w: {"session_id": "offline_cs_0"},
            body=lambda w: {"outcome": "pay"},
            GET=m(LOGIN, no(), no(), no(), no(), no()),
            POST=m(LOGIN, no(), no(), no(), no(), no()),
        ),
    },
    # Tips: only the booking's client, on a completed visit paid online (the pro and staff do
    # not even see the form: 404 as for paying).
    "payments:tip": {
        "completed, paid online": Case(
            _booking("completed"),
            body=lambda w: {"percent": "10"},
            GET=POST_ONLY,
            POST=m(
                LOGIN, ok(303, to="payments:test_checkout", writes=True), no(), no(), no(), no()
            ),
        ),
        # The client is let in and sent back to the booking with the reason; nothing is written.
        "not completed": Case(
            _booking("confirmed"),
            body=lambda w: {"percent": "10"},
            POST=m(LOGIN, DETAIL, no(), no(), no(), no()),
        ),
    },
    # Receipts: the booking's two parties and staff, for a payment taken; nobody for the rest.
    **{
        name: {
            "paid": Case(lambda w: {"pk": w.paid_payment.pk}, GET=READ_BOOKING),
            "not paid yet": Case(lambda w: {"pk": w.payment.pk}, GET=m(LOGIN, *[no()] * 5)),
            "id beyond bigint": Case(lambda w: {"pk": HUGE_ID}, GET=m(LOGIN, *[no()] * 5)),
        }
        for name in ("payments:receipt", "payments:receipt_pdf")
    },
    # The share link: public for a listed pro (a cookie, then the pro's page); 404 otherwise.
    "share_link": {
        "listed pro": Case(
            lambda w: {"slug": w.pro.slug}, GET=everyone(ok(302, to="accounts:pro_detail"))
        ),
        "unlisted pro": Case(lambda w: {"slug": w.hidden_pro.slug}, GET=everyone(no())),
        "deactivated pro": Case(lambda w: {"slug": w.gone_pro.slug}, GET=everyone(no())),
    },
    # -- payments: card on file (the client saves it; only the booking's pro charges the fee) ---
    "payments:card_setup": {
        "waiting for a card": Case(
            _booking("card_hold"),
            GET=m(LOGIN, ok(), no(), no(), no(), no()),
            POST=m(LOGIN, ok(303, to="payments:test_card_setup"), no(), no(), no(), no()),
        ),
    },
    "payments:card_setup_return": {
        "waiting for a card": Case(
            _booking("card_hold"), GET=m(LOGIN, ok(), no(), no(), no(), no())
        ),
    },
    "payments:test_card_setup": {
        "client's session": Case(
            lambda w: {"session_id": w.card_session_id},
            body=lambda w: {"outcome": "save"},
            GET=m(LOGIN, ok(), no(), no(), no(), no()),
            POST=m(LOGIN, ok(302, to="payments:card_setup_return", writes=True), *[no()] * 4),
        ),
        "unknown session": Case(
            lambda w: {"session_id": "offline_booking-0-card-1"},
            body=lambda w: {"outcome": "save"},
            GET=m(LOGIN, *[no()] * 5),
            POST=m(LOGIN, *[no()] * 5),
        ),
    },
    "payments:fee_charge": {
        "no-show with a saved card": Case(
            _booking("no_show"),
            GET=m(LOGIN, no(), no(), ok(), no(), no()),
            POST=m(LOGIN, no(), no(), MOVED, no(), no()),
        ),
    },
    "payments:fee_pay": {
        # Nothing to pay: the client is sent back to the booking with a message.
        "no-show with nothing to pay": Case(
            _booking("no_show"), GET=POST_ONLY, POST=m(LOGIN, DETAIL, no(), no(), no(), no())
        ),
    },
    # -- allauth: the key in the link is the credential ----------------------------------------
    "account_confirm_email": {
        "real key": Case(lambda w: {"key": w.email_key}, GET=everyone(ok())),
        "forged key": Case(
            lambda w: {"key": "MQ:1tForged:abcdefghijklmnop"},
            GET=everyone(no(200)),  # allauth's "this link is invalid" page
            POST=everyone(no()),
        ),
    },
    "account_reset_password_from_key": {
        "real key": Case(
            lambda w: {"uidb36": w.reset_uidb36, "key": w.reset_key},
            # allauth keeps the key in the session and redirects to the form without it, for
            # whoever holds the link. The key is made after everyone's sign-in (a reset key
            # hashes last_login: a later sign-in spends it).
            GET=everyone(RESET_FORM),
        ),
        "forged key": Case(
            lambda w: {"uidb36": w.reset_uidb36, "key": "abc-0123456789abcdef"},
            GET=everyone(no(200)),  # allauth's "bad token" page
            POST=everyone(no(200)),
        ),
    },
    # -- allauth.mfa: a passkey is only its owner's; removing one asks for the password first ---
    "mfa_remove_webauthn": {
        "the client's passkey": Case(
            lambda w: {"pk": w.passkey.pk},
            GET=m(LOGIN, *[REAUTHENTICATE] * 5),
            POST=m(LOGIN, *[REAUTHENTICATE] * 5),
        ),
    },
    # -- the JSON API ---------------------------------------------------------------------------
    # Any other /api/ path: the API's JSON 404 for everyone, whatever follows.
    "^api/(?P<unmatched>(?s:.*))$": {
        "id that is not a number": Case(
            lambda w: {}, path="/api/v1/bookings/abc", GET=everyone(no()), POST=everyone(no())
        ),
        "unknown endpoint": Case(
            lambda w: {}, path="/api/v1/payments/1/refund", GET=everyone(no()), POST=everyone(no())
        ),
    },
    # -- API operations, as named in openapi.json ---------------------------------------------
    "POST /api/v1/bookings": {
        "a listed pro's service": Case(
            lambda w: {},
            body=lambda w: {"service": w.service.pk, "starts_at": w.free_start().isoformat()},
            POST=m(
                UNAUTH,
                CREATED,
                CREATED,
                no(400),  # not their own service
                CREATED,
                CREATED,
            ),
        ),
        "an unlisted pro's service": Case(
            lambda w: {},
            body=lambda w: {"service": w.hidden_service.pk, "starts_at": _start(w)["start"]},
            POST=m(UNAUTH, no(400), no(400), no(400), no(400), no(400)),
        ),
        "a deactivated pro's service": Case(
            lambda w: {},
            body=lambda w: {"service": w.gone_service.pk, "starts_at": _start(w)["start"]},
            POST=m(UNAUTH, no(400), no(400), no(400), no(400), no(400)),
        ),
    },
    "POST /api/v1/booking-series": {
        "a listed pro's service": Case(
            lambda w: {},
            body=lambda w: {
                "service": w.service.pk,
                "starts_at": w.free_start().isoformat(),
                "every_weeks": 1,
                "count": 2,
            },
            POST=m(UNAUTH, CREATED, CREATED, no(400), CREATED, CREATED),
        ),
        "an unlisted pro's service": Case(
            lambda w: {},
            body=lambda w: {
                "service": w.hidden_service.pk,
                "starts_at": _start(w)["start"],
                "every_weeks": 1,
                "count": 2,
            },
            POST=m(UNAUTH, *[no(400)] * 5),
        ),
    },
    "POST /api/v1/booking-series/{series_id}/cancel": {
        "the client's series": Case(
            lambda w: {"series_id": w.series_bookings[0].series_id},
            body=lambda w: {"from": w.series_bookings[0].pk, "reason": "Moving away"},
            # Someone else's series: 403 (it exists, it is not theirs); none at all: 404.
            POST=m(UNAUTH, WROTE, no(403), WROTE, no(403), WROTE),
        ),
        "no such series": Case(
            lambda w: {"series_id": NO_SUCH_ID},
            body=lambda w: {"from": w.series_bookings[0].pk},
            POST=m(UNAUTH, *[no(404)] * 5),
        ),
    },
    "POST /api/v1/waitlist": {
        "a listed pro's service": Case(
            lambda w: {},
            body=lambda w: _waitlist_body(w.pro.slug, w.service.pk),
            POST=m(UNAUTH, CREATED, CREATED, no(400), CREATED, CREATED),
        ),
        "an unlisted pro's service": Case(
            lambda w: {},
            body=lambda w: _waitlist_body(w.hidden_pro.slug, w.hidden_service.pk),
            POST=m(UNAUTH, *[no(400)] * 5),
        ),
        "another pro's service": Case(
            lambda w: {},
            body=lambda w: _waitlist_body(w.pro.slug, w.other_service.pk),
            POST=m(UNAUTH, *[no(400)] * 5),
        ),
    },
    "DELETE /api/v1/waitlist/{entry_id}": {
        "the client's entry": Case(
            lambda w: {"entry_id": w.waitlist_entry.pk},
            DELETE=m(UNAUTH, ok(204, writes=True), no(), no(), no(), no()),
        ),
        "another client's entry": Case(
            lambda w: {"entry_id": w.other_waitlist_entry.pk},
            DELETE=m(UNAUTH, no(), ok(204, writes=True), no(), no(), no()),
        ),
        "id beyond bigint": Case(lambda w: {"entry_id": HUGE_ID}, DELETE=m(UNAUTH, *[no()] * 5)),
    },
    "POST /api/v1/conversations": {
        "with a listed pro": Case(
            lambda w: {},
            body=lambda w: {"pro": w.pro.slug},
            POST=m(UNAUTH, ok(200), CREATED, no(400), CREATED, CREATED),
        ),
        "with an unlisted pro": Case(
            lambda w: {},
            body=lambda w: {"pro": w.hidden_pro.slug},
            POST=m(UNAUTH, no(), no(), no(), no(), no()),
        ),
        "with a deactivated pro": Case(
            lambda w: {},
            body=lambda w: {"pro": w.gone_pro.slug},
            POST=m(UNAUTH, no(), no(), no(), no(), no()),
        ),
        "with a client of the pro": Case(
            lambda w: {},
            body=lambda w: {"client": w.users[CLIENT].pk},
            POST=m(UNAUTH, no(403), no(403), ok(200), no(403), no(403)),
        ),
        "with a user who never booked the pro": Case(
            lambda w: {},
            body=lambda w: {"client": w.users[OTHER_CLIENT].pk},
            # ...but who booked the other pro, and already talks to them.
            POST=m(UNAUTH, no(403), no(403), no(403), ok(200), no(403)),
        ),
        "with an unknown user": Case(
            lambda w: {},
            body=lambda w: {"client": NO_SUCH_ID},
            POST=m(UNAUTH, *[no(403)] * 5),
        ),
    },
    "GET /api/v1/pros/{slug}": {
        "listed pro": Case(lambda w: {"slug": w.pro.slug}, GET=everyone(ok())),
        "unlisted pro": Case(lambda w: {"slug": w.hidden_pro.slug}, GET=everyone(no())),
        "deactivated pro": Case(lambda w: {"slug": w.gone_pro.slug}, GET=everyone(no())),
    },
    "GET /api/v1/pros/{slug}/slots": {
        "own service": Case(
            lambda w: {"slug": w.pro.slug},
            query=lambda w: {"service": w.service.pk},
            GET=everyone(ok()),
        ),
        "another pro's service": Case(
            lambda w: {"slug": w.pro.slug},
            query=lambda w: {"service": w.other_service.pk},
            GET=everyone(no()),
        ),
        "unlisted pro": Case(
            lambda w: {"slug": w.hidden_pro.slug},
            query=lambda w: {"service": w.hidden_service.pk},
            GET=everyone(no()),
        ),
        "deactivated pro": Case(
            lambda w: {"slug": w.gone_pro.slug},
            query=lambda w: {"service": w.gone_service.pk},
            GET=everyone(no()),
        ),
    },
    "GET /api/v1/bookings/{booking_id}": {
        **{
            state: Case(_api_booking(state), GET=m(UNAUTH, ok(), no(), ok(), no(), ok()))
            for state in BOOKING_STATES
        },
        "no such booking": Case(lambda w: {"booking_id": NO_SUCH_ID}, GET=m(UNAUTH, *[no()] * 5)),
        "id beyond bigint": Case(lambda w: {"booking_id": HUGE_ID}, GET=m(UNAUTH, *[no()] * 5)),
    },
    # A tip: the booking's client only (its pro and staff read the booking: 403), on a completed
    # visit paid online (400 otherwise).
    "POST /api/v1/bookings/{booking_id}/tip": {
        "completed, paid online": Case(
            _api_booking("completed"),
            body=lambda w: {"amount": 500},
            POST=m(UNAUTH, WROTE, no(), no(403), no(), no(403)),
        ),
        "not completed": Case(
            _api_booking("confirmed"),
            body=lambda w: {"amount": 500},
            POST=m(UNAUTH, no(400), no(), no(403), no(), no(403)),
        ),
        "id beyond bigint": Case(
            lambda w: {"booking_id": HUGE_ID},
            body=lambda w: {"amount": 500},
            POST=m(UNAUTH, *[no()] * 5),
        ),
    },
    "POST /api/v1/bookings/{booking_id}/pay": {
        "awaiting payment": Case(
            _api_booking("pending_payment"), POST=m(UNAUTH, ok(), no(), no(), no(), no())
        ),
    },
    "POST /api/v1/bookings/{booking_id}/card": {
        "waiting for a card": Case(
            _api_booking("card_hold"), POST=m(UNAUTH, ok(), no(), no(), no(), no())
        ),
    },
    "POST /api/v1/bookings/{booking_id}/no-show-fee": {
        "no-show with a saved card": Case(
            _api_booking("no_show"), POST=m(UNAUTH, no(), no(), WROTE, no(), no())
        ),
        "confirmed, nothing to charge": Case(
            _api_booking("confirmed"), POST=m(UNAUTH, no(), no(), no(400), no(), no())
        ),
    },
    # A pro's clients: only someone who booked them; clients and staff are not pros (403).
    "GET /api/v1/me/clients/{client_id}": {
        "pro's client": Case(
            lambda w: {"client_id": w.users[CLIENT].pk},
            GET=m(UNAUTH, no(403), no(403), ok(), no(), no(403)),
        ),
        "other pro's client": Case(
            lambda w: {"client_id": w.users[OTHER_CLIENT].pk},
            GET=m(UNAUTH, no(403), no(403), no(), ok(), no(403)),
        ),
        "id beyond bigint": Case(
            lambda w: {"client_id": HUGE_ID}, GET=m(UNAUTH, no(403), no(403), no(), no(), no(403))
        ),
    },
    # A pro's own calendars: the pro's only; clients and staff are not pros (403).
    "DELETE /api/v1/me/calendars/{calendar_id}": {
        "pro's calendar": Case(
            lambda w: {"calendar_id": w.calendar.pk},
            DELETE=m(UNAUTH, no(403), no(403), ok(204, writes=True), no(), no(403)),
        ),
        "other pro's calendar": Case(
            lambda w: {"calendar_id": w.other_calendar.pk},
            DELETE=m(UNAUTH, no(403), no(403), no(), ok(204, writes=True), no(403)),
        ),
        "id beyond bigint": Case(
            lambda w: {"calendar_id": HUGE_ID},
            DELETE=m(UNAUTH, no(403), no(403), no(), no(), no(403)),
        ),
    },
    "POST /api/v1/me/calendars/{calendar_id}/sync": {
        "pro's calendar": Case(
            lambda w: {"calendar_id": w.calendar.pk},
            POST=m(UNAUTH, no(403), no(403), WROTE, no(), no(403)),
        ),
        "other pro's calendar": Case(
            lambda w: {"calendar_id": w.other_calendar.pk},
            POST=m(UNAUTH, no(403), no(403), no(), WROTE, no(403)),
        ),
    },
    "PATCH /api/v1/me/clients/{client_id}": {
        "pro's client": Case(
            lambda w: {"client_id": w.users[CLIENT].pk},
            body=lambda w: {"notes": "Prefers mornings"},
            PATCH=m(UNAUTH, no(403), no(403), WROTE, no(), no(403)),
        ),
        "other pro's client": Case(
            lambda w: {"client_id": w.users[OTHER_CLIENT].pk},
            body=lambda w: {"notes": "Prefers mornings"},
            PATCH=m(UNAUTH, no(403), no(403), no(), WROTE, no(403)),
        ),
    },
    # A pro's own services' texts: the pro's only; clients and staff are not pros (403).
    "PATCH /api/v1/me/services/{service_id}": {
        "pro's service": Case(
            lambda w: {"service_id": w.service.pk},
            body=lambda w: {"translations": {"de": {"name": "Haarschnitt"}}},
            PATCH=m(UNAUTH, no(403), no(403), WROTE, no(), no(403)),
        ),
        "other pro's service": Case(
            lambda w: {"service_id": w.other_service.pk},
            body=lambda w: {"translations": {"de": {"name": "Haarschnitt"}}},
            PATCH=m(UNAUTH, no(403), no(403), no(), WROTE, no(403)),
        ),
        "id beyond bigint": Case(
            lambda w: {"service_id": HUGE_ID},
            body=lambda w: {"name": "Haircut"},
            PATCH=m(UNAUTH, no(403), no(403), no(), no(), no(403)),
        ),
    },
    "POST /api/v1/bookings/{booking_id}/review": {
        "completed": Case(
            _api_booking("completed"),
            body=lambda w: {"rating": 5, "text": "Lovely"},
            POST=m(UNAUTH, CREATED, no(), no(400), no(), no(400)),
        ),
    },
    "POST /api/v1/bookings/{booking_id}/{action}": {
        "confirm a request": Case(
            lambda w: {"booking_id": w.bookings["requested"].pk, "action": "confirm"},
            POST=API_PRO_OR_STAFF_ACTION,
        ),
        "decline a request": Case(
            lambda w: {"booking_id": w.bookings["requested"].pk, "action": "decline"},
            body=lambda w: {"reason": "Fully booked"},
            POST=API_PRO_OR_STAFF_ACTION,
        ),
        "cancel": Case(
            lambda w: {"booking_id": w.bookings["confirmed"].pk, "action": "cancel"},
            body=lambda w: {"reason": "Something came up"},
            POST=m(UNAUTH, WROTE, no(), WROTE, no(), WROTE),
        ),
        "complete": Case(
            lambda w: {"booking_id": w.bookings["started"].pk, "action": "complete"},
            POST=API_PRO_OR_STAFF_ACTION,
        ),
        "no-show": Case(
            lambda w: {"booking_id": w.bookings["started"].pk, "action": "no_show"},
            POST=API_PRO_OR_STAFF_ACTION,
        ),
        "reschedule": Case(
            lambda w: {"booking_id": w.bookings["confirmed"].pk, "action": "reschedule"},
            body=lambda w: {"starts_at": w.free_start().isoformat()},
            POST=m(UNAUTH, WROTE, no(), WROTE, no(), no(409)),
        ),
        "unknown action": Case(
            lambda w: {"booking_id": w.bookings["confirmed"].pk, "action": "delete"},
            POST=m(UNAUTH, no(), no(), no(), no(), no()),
        ),
    },
    "GET /api/v1/conversations/{conversation_id}/messages": {
        "id beyond bigint": Case(
            lambda w: {"conversation_id": HUGE_ID}, GET=m(UNAUTH, *[no()] * 5)
        ),
        "client and pro": Case(
            lambda w: {"conversation_id": w.conversation.pk},
            GET=m(UNAUTH, ok(), no(), ok(), no(), no()),
        ),
    },
    "POST /api/v1/conversations/{conversation_id}/messages": {
        "client and pro": Case(
            lambda w: {"conversation_id": w.conversation.pk},
            body=lambda w: {"body": "See you then"},
            POST=m(UNAUTH, CREATED, no(), CREATED, no(), no()),
        ),
    },
    "POST /api/v1/conversations/{conversation_id}/read": {
        "client and pro": Case(
            lambda w: {"conversation_id": w.conversation.pk},
            body=lambda w: {"up_to": w.pro_message.pk},
            POST=m(UNAUTH, WROTE, no(), ok(), no(), no()),
        ),
    },
}

# URLs with ids that are deliberately not in the matrix, each with the reason.
NOT_IN_MATRIX = {
    "^media/(?P<path>.*)$": "public uploaded pictures (avatars, services); only with SERVE_MEDIA",
    "jsi18n": "the JavaScript catalogue of a language: the same public text for everyone",
}


# ---------------------------------------------------------------------------------------------
# Generation: what the URL configuration and the API schema say takes an id
# ---------------------------------------------------------------------------------------------


def _walk(patterns, prefix="", namespace=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = namespace
            if pattern.namespace:
                ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            name = pattern.name and (f"{namespace}:{pattern.name}" if namespace else pattern.name)
            yield prefix + str(pattern.pattern), name, pattern


def _takes_ids(pattern: URLPattern) -> bool:
    return bool(pattern.pattern.regex.groupindex)


def _route_key(route: str, name: str | None) -> str:
    # An unnamed route (a re_path catch-all, media serving) is known by its pattern.
    return name or route


def id_taking_pages() -> set[str]:
    """URL names of every non-admin, non-API route with a path parameter."""
    found = set()
    for route, name, pattern in _walk(get_resolver().url_patterns):
        if route.startswith(("admin/", API_PREFIX.lstrip("/"))) or not _takes_ids(pattern):
            continue
        found.add(_route_key(route, name))
    return found


def api_routes_with_ids() -> set[str]:
    """The API's routes with a path parameter, as openapi paths ("/api/v1/bookings/{x}")."""
    found = set()
    for route, _name, pattern in _walk(get_resolver().url_patterns):
        if route.startswith(API_PREFIX.lstrip("/")) and _takes_ids(pattern):
            found.add("/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route))
    return found


@pytest.fixture
def schema(client) -> dict:
    response = client.get(API_PREFIX + "openapi.json")
    assert response.status_code == HTTPStatus.OK
    return response.json()


# Body fields that name another object (a service to book, a pro or client to talk to).
BODY_REFERENCES = {"service", "pro", "client", "booking", "conversation", "payment", "refund"}


def _body_fields(schema: dict, operation: dict) -> set[str]:
    def fields(node: dict) -> set[str]:
        if "$ref" in node:
            node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
        found = set(node.get("properties", {}))
        for alternative in node.get("anyOf", []) + node.get("allOf", []):
            found |= fields(alternative)
        return found

    content = operation.get("requestBody", {}).get("content", {})
    return set().union(*(fields(c.get("schema", {})) for c in content.values()))


def id_taking_operations(schema: dict) -> set[str]:
    """Operations with a path parameter, or whose body names another object."""
    return {
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if "{" in path or _body_fields(schema, operation) & BODY_REFERENCES
    }


def _missing_and_stale(generated: set[str], table: set[str]) -> str:
    lines = [f"add {name} to the matrix" for name in sorted(generated - table)]
    lines += [
        f"{name} is in the matrix but no longer in the URLs" for name in sorted(table - generated)
    ]
    return "\n".join(lines)


API_KEYS = {k for k in MATRIX if re.match(rf"[A-Z]+ {API_PREFIX}", k)}
PAGE_KEYS = set(MATRIX) - API_KEYS


def test_every_page_that_takes_an_id_is_in_the_matrix():
    generated = id_taking_pages() - set(NOT_IN_MATRIX)
    assert generated == PAGE_KEYS, _missing_and_stale(generated, PAGE_KEYS)


def test_every_api_operation_that_takes_an_id_is_in_the_matrix(schema):
    generated = id_taking_operations(schema)
    assert generated == API_KEYS, _missing_and_stale(generated, API_KEYS)


def test_every_api_route_with_an_id_is_in_the_schema(schema):
    """A route hidden from the schema (include_in_schema=False) would escape the matrix."""
    routes = api_routes_with_ids()
    documented = {path for path in schema["paths"] if "{" in path}
    assert routes == documented, _missing_and_stale(routes, documented)


def test_every_line_of_the_matrix_names_all_six_people_and_a_method():
    for key, cases in MATRIX.items():
        assert cases, f"{key} has no case"
        if key in PAGE_KEYS:
            assert any(c.GET for c in cases.values()), f"{key}: every page is also asked with GET"
        for variant, case in cases.items():
            lines = {method: getattr(case, method) for method in METHODS}
            assert any(lines.values()), f"{key} [{variant}] tests no method"
            for method, line in lines.items():
                assert line is None or len(line) == len(ROLES), f"{key} [{variant}] {method}"
            if key in API_KEYS:
                method = key.split(" ", 1)[0]
                assert lines[method] and all(v is None for k, v in lines.items() if k != method), (
                    f"{key} [{variant}] must test {method} only"
                )


# ---------------------------------------------------------------------------------------------
# The requests
# ---------------------------------------------------------------------------------------------


def _cases():
    for key, cases in MATRIX.items():
        for variant, case in cases.items():
            for method in METHODS:
                if getattr(case, method) is not None:
                    yield pytest.param(key, variant, method, id=f"{key} [{variant}] {method}")


def _url(key: str, case: Case, world: World) -> str:
    kwargs = case.kwargs(world)
    if case.path is not None:
        url = case.path
    elif key in API_KEYS:
        url = key.split(" ", 1)[1].format(**kwargs)
    else:
        url = reverse(key, kwargs=kwargs)
    if case.query:
        url += "?" + urlencode(case.query(world))
    return url


def _send(http: Client, method: str, url: str, body: dict | None, api: bool):
    if method == "GET":
        return http.get(url)
    if api:
        payload = json.dumps(body or {})
        return http.generic(method, url, payload, content_type="application/json")
    return http.post(url, data=body or {})


def _redirect_name(location: str) -> str | None:
    path = urlsplit(location).path
    if path.startswith(reverse("account_login")):
        return "login"
    try:
        return resolve(path).view_name
    except Exception:
        return None


def _problems(response, want: Want, before: dict, after: dict, secrets: list[str]) -> list[str]:
    got = response.status_code
    problems = []
    if got >= 500:
        problems.append(f"server error {got}")
    elif got != want.status:
        problems.append(f"got {got}")
    if want.to and got in (301, 302, 303):
        target = _redirect_name(response["Location"])
        if target != want.to:
            problems.append(f"redirected to {response['Location']} ({target})")
    changed = _changed(before, after)
    if not want.allowed and changed:
        problems.append(f"refused but changed {', '.join(changed)}")
    if want.writes and not changed:
        problems.append("let in but nothing was written")
    if not want.allowed:
        body = response.content.decode("utf-8", "replace")
        leaked = [s for s in secrets if s and s in body]
        if leaked:
            problems.append(f"refused but shows {leaked}")
    return problems


@pytest.mark.parametrize(("key", "variant", "method"), list(_cases()))
def test_access(world, key, variant, method):
    case = MATRIX[key][variant]
    url = _url(key, case, world)
    api = key in API_KEYS or key.startswith("^api/")
    body = case.body(world) if case.body else None
    failures = []
    before = fingerprint()  # the same for everyone: each person's savepoint is rolled back
    for role, want in zip(ROLES, getattr(case, method), strict=True):
        # Each person in a savepoint rolled back afterwards: the next one meets the same world.
        with transaction.atomic():
            http = world.http(role)
            try:
                response = _send(http, method, url, body, api)
            except Exception as exc:  # the test client re-raises what a view raised: a 500
                failures.append(f"  {role:<13} expected {want}: raised {exc!r}")
                transaction.set_rollback(True)
                continue
            # Data is compared where it matters: refused requests and writes that must happen.
            after = fingerprint() if not want.allowed or want.writes else before
            problems = _problems(response, want, before, after, world.secrets)
            if problems:
                failures.append(f"  {role:<13} expected {want}: {'; '.join(problems)}")
            transaction.set_rollback(True)
    assert not failures, f"{method} {url} ({key} [{variant}])\n" + "\n".join(failures)


# ---------------------------------------------------------------------------------------------
# Admin: staff only (Django's admin does the rest)
# ---------------------------------------------------------------------------------------------


def test_admin_refuses_everyone_but_staff(world):
    for role in ROLES:
        response = world.http(role).get("/admin/")
        if role == STAFF:
            assert response.status_code == HTTPStatus.OK, role
        else:
            assert response.status_code == HTTPStatus.FOUND, role
            assert reverse("admin:login") in response["Location"], role


def test_admin_object_pages_refuse_a_pro_looking_at_a_booking(world):
    booking = world.bookings["confirmed"]
    url = reverse("admin:bookings_booking_change", args=[booking.pk])
    for role in (CLIENT, PRO, OTHER_PRO):
        response = world.http(role).get(url)
        assert response.status_code == HTTPStatus.FOUND, role
        assert NOTE not in response.content.decode(), role
