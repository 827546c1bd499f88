"""Fixtures of the page tests (imported by bookings/tests/test_views_*.py).

A pro in Paris who works 09:00-18:00 every day, logged-in test clients for each side, and a
helper placing bookings in any state (in the past too, which booking_create refuses).
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from bookings import selectors, services
from bookings.models import Booking
from conftest import make_booking, make_user

PARIS = ZoneInfo("Europe/Paris")

__all__ = [
    "PARIS",
    "as_client",
    "as_other",
    "as_pro",
    "book",
    "day_at",
    "open_pro",
    "open_service",
    "page_client",
]


def day_at(days: int, hour: int, minute: int = 0, tz=PARIS) -> datetime:
    """An aware datetime `days` local dates after today at hour:minute in `tz`."""
    day = timezone.now().astimezone(tz).date() + timedelta(days=days)
    return datetime.combine(day, time(hour, minute)).replace(tzinfo=tz)


def book(*, client, service, starts_at, status=Booking.Status.CONFIRMED, **extra) -> Booking:
    """A booking row in any state, with its creation event."""
    return make_booking(client=client, service=service, starts_at=starts_at, status=status, **extra)


@pytest.fixture
def open_pro(pro):
    """The `pro` fixture (Europe/Paris) working 09:00-18:00 every day, default rules."""
    for weekday in range(7):
        services.weekly_hours_set(pro=pro, weekday=weekday, intervals=[(time(9), time(18))])
    selectors.booking_rules_for(pro)  # a pro has rules once they have used any page
    return pro


@pytest.fixture
def open_service(open_pro, service):
    return service


def page_client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def as_client(client_user):
    return page_client(client_user)


@pytest.fixture
def as_pro(pro):
    return page_client(pro.user)


@pytest.fixture
def as_other(db):
    """A logged-in user who is neither the client nor the pro of the bookings."""
    return page_client(make_user(email="stranger@example.com", name="Stan Stranger"))
