"""Booking.from_service: the one place a booking's row is built from the service it books."""

from datetime import timedelta

import pytest
from django.utils import timezone

from bookings import services
from bookings.models import Booking
from conftest import local_at, make_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def massage(working_pro):
    return make_service(
        pro=working_pro, name="Massage", duration_minutes=50, price_amount=6000, currency="CHF"
    )


def test_from_service_copies_the_services_snapshot(massage, client_user):
    booking = Booking.from_service(
        service=massage, client=client_user, starts_at=timezone.now() + timedelta(days=2)
    )

    assert (booking.pro, booking.service, booking.client) == (massage.pro, massage, client_user)
    assert (booking.service_name, booking.duration_minutes) == ("Massage", 50)
    assert (booking.price_amount, booking.currency) == (6000, "CHF")


def test_from_service_ends_the_booking_after_the_services_duration(massage, client_user):
    starts_at = timezone.now() + timedelta(days=2)

    booking = Booking.from_service(service=massage, client=client_user, starts_at=starts_at)

    assert (booking.starts_at, booking.ends_at) == (starts_at, starts_at + timedelta(minutes=50))


def test_from_service_sets_the_other_fields_given_and_saves_nothing(massage, client_user):
    booking = Booking.from_service(
        service=massage,
        client=client_user,
        starts_at=timezone.now() + timedelta(days=2),
        status=Booking.Status.REQUESTED,
        note="First visit",
    )

    assert (booking.status, booking.note) == (Booking.Status.REQUESTED, "First visit")
    assert booking.pk is None
    assert not Booking.objects.exists()


def test_booking_create_builds_its_row_with_from_service(massage, client_user, monkeypatch):
    built = []
    from_service = Booking.from_service.__func__

    def spy(cls, **fields):
        built.append(from_service(cls, **fields))
        return built[-1]

    monkeypatch.setattr(Booking, "from_service", classmethod(spy))

    booking = services.booking_create(
        client=client_user, service=massage, starts_at=local_at(3, 10)
    )

    assert built == [booking]
    assert (booking.price_amount, booking.currency, booking.duration_minutes) == (6000, "CHF", 50)


def test_a_booking_copies_the_services_no_show_protection(massage, client_user):
    massage.protection = massage.Protection.DEPOSIT
    massage.deposit_percent = 25
    massage.no_show_fee_percent = 50
    massage.save()

    booking = Booking.from_service(
        service=massage, client=client_user, starts_at=timezone.now() + timedelta(days=2)
    )

    assert (booking.protection, booking.deposit_amount) == ("deposit", 1500)
    assert booking.no_show_fee_percent == 50


@pytest.mark.parametrize(
    ("protection", "amount", "percent", "expected"),
    [
        ("none", None, None, 0),
        ("deposit", 2000, None, 2000),
        ("deposit", 9000, None, 6000),
        ("deposit", None, 10, 600),
        ("card", None, None, 0),
    ],
)
def test_deposit_due_is_a_fixed_amount_or_a_share_never_above_the_price(
    massage, protection, amount, percent, expected
):
    massage.protection, massage.deposit_amount, massage.deposit_percent = (
        protection,
        amount,
        percent,
    )

    assert massage.deposit_due() == expected


def test_the_database_refuses_a_deposit_with_both_an_amount_and_a_percentage(massage):
    from django.db import IntegrityError, transaction

    massage.protection, massage.deposit_amount, massage.deposit_percent = "deposit", 500, 10
    with pytest.raises(IntegrityError), transaction.atomic():
        massage.save()
