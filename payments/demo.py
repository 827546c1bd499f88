"""Demo data for payments, called by ``manage.py seed_demo``.

Every demo pro gets a simulated, enabled payout account (so the offline backend offers online
payment), and about half of the pros' services become pay-online, so a newcomer running
``make run`` meets the whole flow: book, pay on the test page, confirm, cancel, refund. The
other pros ask a 25 % deposit on their first service (pay the deposit, then the balance online
or at the visit). Some
existing bookings of those services get a simulated paid payment (history for the pages, the
admin and ``fee_report``): past visits are paid when they started, so last month's money page
has lines too; every fourth completed visit also got a tip and every seventh a partial refund.
Then the offline backend pays each pro out (``payouts_offline_run``), so the money page shows
payouts.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

from bookings.models import Booking, Protection, Service
from payments import fees
from payments.models import Payment, Refund
from payments.services import connected_account_enable_simulated, fee_policy, payouts_offline_run

PAID_HISTORY = 40  # at most this many past/confirmed bookings get a (simulated) paid payment


def seed(*, stdout, pros, clients, scale=None) -> None:
    pros = list(pros)
    online = deposits = 0
    for index, pro in enumerate(pros):
        connected_account_enable_simulated(pro=pro)
        services = list(Service.objects.filter(pro=pro, is_active=True).order_by("position", "id"))
        # Every other pro takes payment online for their first two services.
        if index % 2 == 0:
            chosen = [s.pk for s in services[:2]]
            online += Service.objects.filter(pk__in=chosen).update(
                payment_mode=Service.PaymentMode.ONLINE
            )
        elif services and _deposit_ok(services[0]):
            deposits += Service.objects.filter(
                pk=services[0].pk, payment_mode=Service.PaymentMode.AT_APPOINTMENT
            ).update(
                protection=Protection.DEPOSIT,
                deposit_percent=DEMO_DEPOSIT_PERCENT,
                deposit_amount=None,
            )
    paid = _paid_history(pros)
    payouts = payouts_offline_run(now=timezone.now())
    stdout.write(
        f"payments: {len(pros)} simulated payout accounts, {online} pay-online services, "
        f"{deposits} deposit services, {paid} paid bookings, {payouts} payouts"
    )


DEMO_DEPOSIT_PERCENT = 25


def _deposit_ok(service: Service) -> bool:
    """Whether the demo deposit of `service` passes the service form's rule."""
    from bookings.services.catalog import check_protection

    try:
        check_protection(
            pro=service.pro,
            price_amount=service.price_amount,
            currency=service.currency,
            payment_mode=Service.PaymentMode.AT_APPOINTMENT,
            protection=Protection.DEPOSIT,
            deposit_percent=DEMO_DEPOSIT_PERCENT,
        )
    except ValidationError:
        return False
    return True


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
    for n, booking in enumerate(bookings, start=1):
        policy = fee_policy(booking=booking)
        split = fees.split(price=booking.price_amount, currency=booking.currency, policy=policy)
        paid_at = min(booking.created_at, booking.starts_at)
        payment = Payment.objects.create(
            booking=booking,
            backend=Payment.Backend.OFFLINE,
            amount=split.price,
            fee=split.fee,
            currency=booking.currency,
            status=Payment.Status.SUCCEEDED,
            checkout_session_id=f"offline_demo-{booking.pk}",
            payment_intent_id=f"offline_pi_demo_{booking.pk}",
            paid_at=paid_at,
        )
        created += 1
        if booking.status != Booking.Status.COMPLETED:
            continue
        tip = fees.percent_of(amount=split.price, percent=10)
        if n % 4 == 0 and tip:
            Payment.objects.create(
                booking=booking,
                kind=Payment.Kind.TIP,
                attempt=2,
                backend=Payment.Backend.OFFLINE,
                amount=tip,
                fee=0,
                currency=booking.currency,
                status=Payment.Status.SUCCEEDED,
                paid_at=booking.ends_at,
            )
        if n % 7 == 0 and payment.amount >= 5:
            _demo_refund(payment, paid_at=paid_at)
    return created


def _demo_refund(payment: Payment, *, paid_at) -> None:
    """A fifth of the payment given back a day after it was paid (the fee in proportion)."""
    amount = payment.amount // 5
    fee = fees.percent_of(amount=payment.fee, percent=20)
    Refund.objects.create(
        payment=payment,
        amount=amount,
        application_fee_refunded=fee,
        reason="Demo: part of the visit was not delivered.",
        status=Refund.Status.SUCCEEDED,
        completed_at=paid_at + timedelta(days=1),
    )
    Payment.objects.filter(pk=payment.pk).update(
        status=Payment.Status.PARTIALLY_REFUNDED, amount_refunded=amount, fee_refunded=fee
    )
