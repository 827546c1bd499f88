"""Fixtures of the booking tests: a pro who works every day, and helpers to place bookings."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from bookings import services
from bookings.models import Booking
from conftest import make_booking

PARIS = ZoneInfo("Europe/Paris")


def local_at(days: int, hour: int, minute: int = 0, tz=PARIS) -> datetime:
    """An aware datetime `days` local dates from today at hour:minute in `tz`."""
    day = timezone.now().astimezone(tz).date() + timedelta(days=days)
    return datetime.combine(day, time(hour, minute)).replace(tzinfo=tz)


def set_every_day(pro, start=time(8), end=time(20)):
    for weekday in range(7):
        services.weekly_hours_set(pro=pro, weekday=weekday, intervals=[(start, end)])


@pytest.fixture
def working_pro(pro):
    """The `pro` fixture (Europe/Paris) working 08:00-20:00 every day, default rules."""
    set_every_day(pro)
    return pro


@pytest.fixture
def request_mode(working_pro):
    services.booking_rules_update(pro=working_pro, confirmation_mode="request")
    return working_pro


def place_booking(*, client, service, starts_at, status=Booking.Status.CONFIRMED, **extra):
    """Insert a booking row directly (e.g. in the past, which booking_create refuses)."""
    return make_booking(client=client, service=service, starts_at=starts_at, status=status, **extra)


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run on_commit callbacks (the emails) as the test's transaction never commits."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
