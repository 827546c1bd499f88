"""Demo data for payments, called by ``manage.py seed_demo``.

Every demo pro gets a simulated, enabled payout account (so the offline backend offers online
payment), and about half of the pros' services become pay-online, so a newcomer running
``make run`` meets the whole flow: book, pay on the test page, confirm, cancel, refund. Some
existing bookings of those services get a simulated paid payment (history for the pages, the
admin and ``fee_report``).
"""

from __future__ import annotations

from bookings.models import Booking, Service
from payments import fees
from payments.models import Payment
from payments.services import connected_account_enable_simulated, fee_policy

PAID_HISTORY = 40  # at most this many past/confirmed bookings get a (simulated) paid payment


def seed(*, stdout, pros, clients, scale=None) -> None:
    pros = list(pros)
    online = 0
    for index, pro in enumerate(pros):
        connected_account_enable_simulated(pro=pro)
        services = list(Service.objects.filter(pro=pro, is_active=True).order_by("position", "id"))
        # Every other pro takes payment online for their first two services.
        if index % 2 == 0:
            chosen = [s.pk for s in services[:2]]
            online += Service.objects.filter(pk__in=chosen).update(
                payment_mode=Service.PaymentMode.ONLINE
            )
    paid = _paid_history(pros)
    stdout.write(
        f"payments: {len(pros)} simulated payout accounts, {online} pay-online services, "
        f"{paid} paid bookings"
    )


def _paid_history(pros) -> int:
    """Existing confirmed/completed bookings of pay-online services get a paid payment, so the
    booking pages, the admin and fee_report have something to show."""
    bookings = Booking.objects.filter(
        pro__in=pros,
        service__payment_mode=Service.PaymentMode.ONLINE,
        status__in=(Booking.Status.CONFIRMED, Booking.Status.COMPLETED),
        payments__isnull=True,
    ).order_by("starts_at")[:PAID_HISTORY]
    created = 0
    for booking in bookings:
        policy = fee_policy(booking=booking)
        split = fees.split(price=booking.price_amount, currency=booking.currency, policy=policy)
        Payment.objects.create(
            booking=booking,
            backend=Payment.Backend.OFFLINE,
            amount=split.price,
            fee=split.fee,
            currency=booking.currency,
            status=Payment.Status.SUCCEEDED,
            checkout_session_id=f"offline_demo-{booking.pk}",
            payment_intent_id=f"offline_pi_demo_{booking.pk}",
            paid_at=booking.created_at,
        )
        created += 1
    return created
