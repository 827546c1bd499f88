"""Helpers shared by the "your data" tests (account deletion and data export).

A review through the real service, an offline payment taken through payments' services, and an
online-paid service. Bookings come from the root conftest (`book`, `make_booking`).
Imported by test_account_deletion.py and test_data_export.py.
"""

import pytest

from bookings import services as booking_services
from bookings.models import Review, Service
from conftest import make_service


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
