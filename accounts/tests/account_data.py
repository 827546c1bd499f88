"""Helpers shared by the "your data" tests (account deletion and data export).

A pro who works every day, bookings placed through the real services (or inserted directly when
they must lie in the past), an offline payment taken through payments' services, a conversation.
Imported by test_account_deletion.py and test_data_export.py.
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from bookings import services as booking_services
from bookings.models import Booking, Review, Service
from conftest import PASSWORD, make_booking, make_service

PARIS = ZoneInfo("Europe/Paris")


def local_at(days: int, hour: int, minute: int = 0) -> datetime:
    """An aware datetime `days` Paris dates from today at hour:minute."""
    day = timezone.now().astimezone(PARIS).date() + timedelta(days=days)
    return datetime.combine(day, time(hour, minute)).replace(tzinfo=PARIS)


def login(user) -> Client:
    http = Client()
    assert http.login(email=user.email, password=PASSWORD)
    return http


def book(*, client, service, days=3, hour=10) -> Booking:
    return booking_services.booking_create(
        client=client, service=service, starts_at=local_at(days, hour)
    )


def place_past_booking(*, client, service, days_ago=3, status=Booking.Status.COMPLETED):
    """A finished booking (booking_create refuses the past), with its event row."""
    starts_at = local_at(-days_ago, 10)
    return make_booking(client=client, service=service, starts_at=starts_at, status=status)


def review(*, booking, rating=5, text="Great cut, thank you!") -> Review:
    return booking_services.review_create(
        booking=booking, by=booking.client, rating=rating, text=text
    )


def pay_offline(*, booking):
    """Take the payment of a pending_payment booking with the offline gateway."""
    from payments.services import checkout_start, payment_succeeded

    payment = checkout_start(booking=booking, user=booking.client)
    return payment_succeeded(
        payment=payment,
        payment_intent_id=f"pi_offline_{payment.pk}",
        amount=payment.amount,
        currency=payment.currency,
    )


@pytest.fixture
def working_pro(pro):
    """`pro` (Europe/Paris) working 08:00-20:00 every day, instant confirmation."""
    for weekday in range(7):
        booking_services.weekly_hours_set(pro=pro, weekday=weekday, intervals=[(time(8), time(20))])
    return pro


@pytest.fixture
def paid_service(working_pro, offline_payments):
    """An online-paid service of a pro whose (simulated) payout account can take payments."""
    from payments.services import connected_account_enable_simulated

    connected_account_enable_simulated(pro=working_pro)
    return make_service(
        pro=working_pro,
        name="Colour",
        duration_minutes=60,
        price_amount=5000,
        payment_mode=Service.PaymentMode.ONLINE,
    )


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """`with commit(): ...` runs on_commit work (file deletions, emails) at the block's end."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
