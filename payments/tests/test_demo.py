"""payments.demo.seed: simulated payout accounts and some pay-online services."""

from io import StringIO

import pytest

from bookings.models import Service
from conftest import local_at, make_booking, make_pro, make_service
from payments import demo
from payments.selectors import pro_accepts_online_payments

pytestmark = pytest.mark.django_db


def test_seed_makes_every_demo_pro_payable_and_some_services_online(offline):
    pros = [make_pro() for _ in range(3)]
    for pro in pros:
        for _ in range(3):
            make_service(pro=pro)
    out = StringIO()
    demo.seed(stdout=out, pros=pros, clients=[], scale=None)
    assert all(pro_accepts_online_payments(pro) for pro in pros)
    online = Service.objects.filter(payment_mode=Service.PaymentMode.ONLINE)
    assert online.count() == 4  # first two services of pros 1 and 3
    assert {s.pro_id for s in online} == {pros[0].pk, pros[2].pk}
    deposit = Service.objects.get(protection="deposit")  # the second pro's first service
    assert (deposit.pro_id, deposit.deposit_percent, deposit.deposit_due()) == (
        pros[1].pk,
        25,
        1250,
    )
    assert (
        "3 simulated payout accounts, 4 pay-online services, 1 deposit services, 0 paid"
        in out.getvalue()
    )
    demo.seed(stdout=StringIO(), pros=pros, clients=[])  # idempotent
    assert Service.objects.filter(payment_mode=Service.PaymentMode.ONLINE).count() == 4
    assert Service.objects.filter(protection="deposit").count() == 1


def test_seed_gives_confirmed_bookings_of_online_services_a_paid_payment(offline, client_user):
    from payments.models import Payment

    pro = make_pro()
    service = make_service(pro=pro, price_amount=4000)
    booking = make_booking(client=client_user, service=service, starts_at=local_at(2, 10))
    demo.seed(stdout=StringIO(), pros=[pro], clients=[client_user])
    payment = Payment.objects.get(booking=booking)
    assert (payment.status, payment.amount, payment.fee) == ("succeeded", 4000, 400)
    demo.seed(stdout=StringIO(), pros=[pro], clients=[client_user])
    assert Payment.objects.count() == 1


def test_seed_gives_the_demo_pros_a_money_page_with_tips_refunds_and_payouts(offline, client_user):
    from bookings.models import Booking
    from payments import selectors
    from payments.models import Payment, Payout, Refund

    pro = make_pro()
    service = make_service(pro=pro, price_amount=4000)
    for day in range(1, 9):
        make_booking(
            client=client_user,
            service=service,
            starts_at=local_at(-day, 10),
            status=Booking.Status.COMPLETED,
        )
    demo.seed(stdout=StringIO(), pros=[pro], clients=[client_user])

    assert Payment.objects.filter(kind="tip").count() == 2
    assert Refund.objects.filter(status="succeeded").count() == 1
    [payout] = Payout.objects.filter(pro=pro)
    month = selectors.pro_month(pro=pro, month=payout.arrival_date.strftime("%Y-%m"))
    assert selectors.payouts_for_month(pro=pro, month=month).items
    # Everything earned so far is paid out: payments net of fees, less the refund (net of its fee).
    earned = sum(p.amount - p.fee for p in Payment.objects.all())
    given_back = sum(r.amount - r.application_fee_refunded for r in Refund.objects.all())
    assert payout.amount == earned - given_back > 0
