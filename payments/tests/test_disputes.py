"""Disputes: the stand-in's own charge.dispute.* events, signed and delivered to the webhook."""

from http import HTTPStatus
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from conftest import login
from payments import services
from payments.models import Dispute, Payment
from payments.tests.conftest import post_event

pytestmark = pytest.mark.django_db


def charge_of(standin, payment: Payment) -> str:
    return standin.objects[payment.payment_intent_id]["latest_charge"]


def deliver(standin, commit, type_: str, dispute_id: str):
    with commit():
        response = post_event(Client(), standin.last_event(type_, dispute_id))
    assert response.status_code == HTTPStatus.OK
    return response


@pytest.fixture
def opened(stripe_paid, stripe_backend, staff_user, commit):
    """`stripe_paid` disputed by the cardholder (charge.dispute.created delivered)."""
    dispute = stripe_backend.open_dispute(charge_of(stripe_backend, stripe_paid))
    deliver(stripe_backend, commit, "charge.dispute.created", dispute["id"])
    return dispute


def reversals(standin, payment: Payment):
    transfer = standin.objects[charge_of(standin, payment)]["transfer"]
    return standin.requests_for(f"/v1/transfers/{transfer}/reversals", "POST")


def test_an_opened_dispute_is_recorded_against_the_payment(opened, stripe_paid):
    dispute = stripe_paid.disputes.get()
    assert (dispute.stripe_dispute_id, dispute.amount, dispute.currency) == (
        opened["id"],
        5000,
        "EUR",
    )
    assert (dispute.reason, dispute.status, dispute.closed_at) == (
        "fraudulent",
        "needs_response",
        None,
    )


def test_staff_are_emailed_when_a_dispute_opens(opened, stripe_paid):
    (message,) = mail.outbox[-1:]
    assert message.to == ["admin@example.com"]
    assert message.subject == f"[Timz] Dispute opened: €50.00 on booking #{stripe_paid.booking_id}"
    assert opened["id"] in message.body


def test_a_dispute_event_delivered_again_changes_nothing(opened, stripe_backend, commit):
    sent = len(mail.outbox)
    again = stripe_backend.emit("charge.dispute.created", opened["id"])
    with commit():
        assert post_event(Client(), again).status_code == HTTPStatus.OK
    assert Dispute.objects.count() == 1
    assert len(mail.outbox) == sent


def test_an_older_dispute_status_arriving_late_does_not_move_it_back(
    opened, stripe_backend, commit
):
    stripe_backend.update_dispute(opened["id"], status="under_review")
    older = stripe_backend.last_event("charge.dispute.created", opened["id"])
    deliver(stripe_backend, commit, "charge.dispute.updated", opened["id"])
    with commit():
        post_event(Client(), {**older, "id": "evt_resent_created"})
    assert Dispute.objects.get().status == Dispute.Status.UNDER_REVIEW


def test_a_lost_dispute_takes_back_what_the_pro_received(
    opened, stripe_paid, stripe_backend, commit
):
    stripe_backend.close_dispute(opened["id"], won=False)
    deliver(stripe_backend, commit, "charge.dispute.closed", opened["id"])
    dispute = Dispute.objects.get()
    (request,) = reversals(stripe_backend, stripe_paid)
    # The pro received 4,500 of the 5,000 disputed; the platform bears its own 500 fee.
    assert request.params == {
        "amount": "4500",
        "metadata": {"booking_id": str(stripe_paid.booking_id), "dispute_id": opened["id"]},
    }
    assert request.idempotency_key.startswith(f"dispute-{dispute.pk}-recovery-")
    assert (dispute.status, dispute.funds_recovered) == (Dispute.Status.LOST, 4500)
    assert dispute.transfer_reversal_id.startswith("trr_") and dispute.closed_at is not None


def test_staff_are_emailed_when_a_dispute_is_lost(opened, stripe_paid, stripe_backend, commit):
    stripe_backend.close_dispute(opened["id"], won=False)
    deliver(stripe_backend, commit, "charge.dispute.closed", opened["id"])
    assert mail.outbox[-1].subject == (
        f"[Timz] Dispute lost: €50.00 on booking #{stripe_paid.booking_id}"
    )


def test_a_won_dispute_takes_nothing_from_the_pro(opened, stripe_paid, stripe_backend, commit):
    stripe_backend.close_dispute(opened["id"], won=True)
    deliver(stripe_backend, commit, "charge.dispute.closed", opened["id"])
    dispute = Dispute.objects.get()
    assert (dispute.status, dispute.funds_recovered) == (Dispute.Status.WON, 0)
    assert reversals(stripe_backend, stripe_paid) == []
    assert mail.outbox[-1].subject.startswith("[Timz] Dispute won:")


def test_a_lost_dispute_after_a_partial_refund_takes_back_only_what_the_pro_kept(
    stripe_paid, stripe_backend, staff_user, commit
):
    with commit():
        services.refund_create(payment=stripe_paid, amount=2000, reason="Goodwill", by=staff_user)
    dispute = stripe_backend.open_dispute(charge_of(stripe_backend, stripe_paid))
    stripe_backend.close_dispute(dispute["id"], won=False)
    deliver(stripe_backend, commit, "charge.dispute.closed", dispute["id"])
    # Disputed 3,000 (what was left of the charge); the pro kept 3,000 - 300 of fee = 2,700.
    (request,) = reversals(stripe_backend, stripe_paid)
    assert request.params["amount"] == "2700"
    assert Dispute.objects.get().funds_recovered == 2700


def test_a_recovery_that_cannot_reach_stripe_is_retried_once_by_payments_retry(
    opened, stripe_paid, stripe_backend, commit, settings
):
    stripe_backend.close_dispute(opened["id"], won=False)
    real_base = settings.STRIPE_API_BASE
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    with commit():
        post_event(Client(), stripe_backend.last_event("charge.dispute.closed", opened["id"]))
    dispute = Dispute.objects.get()
    assert (dispute.status, dispute.funds_recovered) == (Dispute.Status.LOST, 0)
    assert dispute.last_error
    settings.STRIPE_API_BASE = real_base
    call_command("payments_retry", stdout=StringIO())
    call_command("payments_retry", stdout=StringIO())
    dispute.refresh_from_db()
    assert (dispute.funds_recovered, dispute.last_error) == (4500, "")
    assert len(reversals(stripe_backend, stripe_paid)) == 1


def test_a_dispute_of_a_payment_timz_did_not_take_is_acknowledged_and_stores_nothing(
    stripe_backend, commit
):
    other = stripe_backend.create_payment(amount=3000)
    dispute = stripe_backend.open_dispute(other["latest_charge"])
    deliver(stripe_backend, commit, "charge.dispute.created", dispute["id"])
    assert not Dispute.objects.exists()


def test_the_admin_lists_disputed_payments_and_shows_the_dispute(opened, stripe_paid, staff_user):
    admin = login(staff_user)
    url = reverse("admin:payments_payment_changelist")
    assert f"#{stripe_paid.booking_id} " in admin.get(url, {"dispute": "open"}).text
    assert f"#{stripe_paid.booking_id} " not in admin.get(url, {"dispute": "none"}).text
    assert "Needs response" in admin.get(url).text
    page = admin.get(reverse("admin:payments_payment_change", args=[stripe_paid.pk]))
    assert opened["id"] in page.text


def test_fee_report_shows_the_months_lost_disputes_and_what_was_recovered(
    opened, stripe_backend, commit
):
    stripe_backend.close_dispute(opened["id"], won=False)
    deliver(stripe_backend, commit, "charge.dispute.closed", opened["id"])
    out = StringIO()
    call_command("fee_report", "--month", f"{Dispute.objects.get().closed_at:%Y-%m}", stdout=out)
    text = out.getvalue()
    disputes = text[text.index("Disputes") :].splitlines()
    assert disputes[2].split() == ["EUR", "1", "1", "€50.00", "€45.00", "€5.00"]
