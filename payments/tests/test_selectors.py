"""Who may take online payments."""

import pytest

from payments.models import ConnectedAccount
from payments.selectors import pro_accepts_online_payments

pytestmark = pytest.mark.django_db


def test_offline_pro_without_an_account_does_not(offline, pro):
    assert not pro_accepts_online_payments(pro)


def test_offline_pro_with_a_simulated_enabled_account_does(offline_account, working_pro):
    assert pro_accepts_online_payments(working_pro)


def test_stripe_needs_a_real_account_with_charges_enabled(stripe_backend, pro):
    account = ConnectedAccount.objects.create(pro=pro, is_simulated=True, charges_enabled=True)
    assert not pro_accepts_online_payments(pro)
    account.is_simulated, account.stripe_account_id, account.charges_enabled = (
        False,
        "acct_1",
        False,
    )
    account.save()
    pro.refresh_from_db()
    assert not pro_accepts_online_payments(pro)
    account.charges_enabled = True
    account.save()
    pro.refresh_from_db()
    assert pro_accepts_online_payments(pro)


def test_uses_the_selected_relation_without_a_query(
    offline_account, working_pro, django_assert_num_queries
):
    from accounts.models import ProProfile

    pro = ProProfile.objects.select_related("connected_account").get(pk=working_pro.pk)
    with django_assert_num_queries(0):
        assert pro_accepts_online_payments(pro)


def test_reason_for_the_service_form(offline, pro):
    from payments.selectors import online_payment_unavailable_reason
    from payments.services import connected_account_enable_simulated

    assert "Payouts page" in online_payment_unavailable_reason(pro)
    connected_account_enable_simulated(pro=pro)
    pro.refresh_from_db()
    assert online_payment_unavailable_reason(pro) is None


def _payment(booking, kind, attempt):
    from payments.models import Payment

    return Payment.objects.create(
        booking=booking,
        kind=kind,
        attempt=attempt,
        backend="offline",
        amount=1000,
        fee=100,
        currency="EUR",
        status=Payment.Status.SUCCEEDED,
    )


def test_a_booking_has_one_active_payment_of_each_kind(working_pro, service, client_user):
    from django.db import IntegrityError, transaction

    from conftest import book
    from payments.models import Payment
    from payments.selectors import current_payment_for

    booking = book(client=client_user, service=service)
    full = _payment(booking, Payment.Kind.FULL, 1)
    _payment(booking, Payment.Kind.TIP, 2)  # a tip after the visit is a second active payment

    with pytest.raises(IntegrityError), transaction.atomic():
        _payment(booking, Payment.Kind.FULL, 3)
    # The booking's own payment is the one pages show, never the tip.
    assert current_payment_for(booking) == full
