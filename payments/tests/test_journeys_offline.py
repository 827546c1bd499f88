"""Whole journeys with the offline backend: the test payment page calls the same services as
Stripe's webhooks, refunds succeed at once."""

from datetime import timedelta
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.services import account_delete
from bookings import services as booking_services
from bookings.models import Booking
from conftest import PASSWORD, book, local_at, login
from payments.models import Payment, Refund
from payments.tests.conftest import pay_offline

pytestmark = pytest.mark.django_db

S = Booking.Status


@pytest.fixture
def setup(offline_account, paid_service, client_user):
    return paid_service


def test_booking_a_pay_online_service_holds_the_slot_awaiting_payment(setup, client_user):
    booking = book(client=client_user, service=setup)
    assert booking.status == S.PENDING_PAYMENT
    assert booking.expires_at - timezone.now() == pytest.approx(
        timedelta(minutes=30), abs=timedelta(seconds=5)
    )
    # Its checkout is opened with the booking, so its payment link exists at once.
    (payment,) = booking.payments.all()
    assert (payment.kind, payment.status, payment.amount) == ("full", "pending", 5000)
    assert payment.checkout_url


def test_paying_on_the_test_page_confirms_the_booking_and_sends_a_receipt(
    setup, client_user, commit
):
    booking = book(client=client_user, service=setup)
    http = login(client_user)
    with commit():
        payment = pay_offline(http=http, booking=booking)
    booking.refresh_from_db()
    assert booking.status == S.CONFIRMED
    assert (payment.status, payment.amount, payment.fee, payment.currency) == (
        Payment.Status.SUCCEEDED,
        5000,
        500,
        "EUR",
    )
    assert payment.backend == Payment.Backend.OFFLINE and payment.paid_at is not None
    receipts = [m for m in mail.outbox if m.subject.startswith("[Timz] Receipt")]
    assert [m.to for m in receipts] == [[client_user.email]]
    assert "€50.00" in receipts[0].body


def test_receipt_shows_the_time_in_the_clients_zone(setup, client_user, commit):
    client_user.client_profile.timezone = "America/New_York"
    client_user.client_profile.save()
    booking = book(client=client_user, service=setup)
    with commit():
        pay_offline(http=login(client_user), booking=booking)
    (receipt,) = [m for m in mail.outbox if m.subject.startswith("[Timz] Receipt")]
    local = booking.starts_at.astimezone(ZoneInfo("America/New_York"))
    assert f"{local:%H:%M} (America/New_York)" in receipt.body


def test_success_page_shows_the_paid_booking(setup, client_user, commit):
    booking = book(client=client_user, service=setup)
    http = login(client_user)
    with commit():
        pay_offline(http=http, booking=booking)
    response = http.get(reverse("payments:checkout_return", args=[booking.pk]))
    assert "Payment received" in response.text
    assert "is confirmed" in response.text


def test_request_mode_payment_sends_a_request(offline_account, request_mode, client_user, commit):
    from conftest import make_service

    service = make_service(pro=request_mode, payment_mode="online", price_amount=4000)
    booking = book(client=client_user, service=service)
    with commit():
        pay_offline(http=login(client_user), booking=booking)
    booking.refresh_from_db()
    assert booking.status == S.REQUESTED


def test_paying_twice_takes_one_payment(setup, client_user, commit):
    booking = book(client=client_user, service=setup)
    http = login(client_user)
    first = http.post(reverse("payments:checkout", args=[booking.pk]))
    second = http.post(reverse("payments:checkout", args=[booking.pk]))
    assert first["Location"] == second["Location"]
    assert booking.payments.count() == 1
    with commit():
        http.post(first["Location"], {"outcome": "pay"})
        again = http.post(first["Location"], {"outcome": "pay"})
    assert again.status_code == HTTPStatus.FOUND
    assert booking.payments.get().status == Payment.Status.SUCCEEDED
    assert Refund.objects.count() == 0


def test_declined_test_card_fails_the_attempt_and_a_new_attempt_can_pay(setup, client_user, commit):
    booking = book(client=client_user, service=setup)
    http = login(client_user)
    test_url = http.post(reverse("payments:checkout", args=[booking.pk]))["Location"]
    response = http.post(test_url, {"outcome": "decline"}, follow=True)
    assert "declined" in response.text
    first = booking.payments.get()
    assert first.status == Payment.Status.FAILED
    booking.refresh_from_db()
    assert booking.status == S.PENDING_PAYMENT
    with commit():
        payment = pay_offline(http=http, booking=booking)
    assert payment.attempt == 2 and payment.checkout_session_id != first.checkout_session_id
    booking.refresh_from_db()
    assert booking.status == S.CONFIRMED


def test_client_cancelling_early_is_refunded_in_full(setup, client_user, commit):
    booking = book(client=client_user, service=setup, days=5)
    with commit():
        pay_offline(http=login(client_user), booking=booking)
        booking_services.booking_transition(booking=booking, action="cancel", by=client_user)
    payment = booking.payments.get()
    refund = payment.refunds.get()
    assert (refund.amount, refund.application_fee_refunded, refund.status) == (
        5000,
        500,
        "succeeded",
    )
    assert payment.status == Payment.Status.REFUNDED
    assert (payment.amount_refunded, payment.fee_refunded) == (5000, 500)
    assert any(m.subject.startswith("[Timz] Refund") for m in mail.outbox)


def test_late_client_cancellation_keeps_the_pros_percent(setup, client_user, commit):
    booking_services.booking_rules_update(
        pro=setup.pro, cancellation_window_hours=48, late_cancellation_fee_percent=30
    )
    booking = book(client=client_user, service=setup, days=1, hour=12)
    with commit():
        pay_offline(http=login(client_user), booking=booking)
        booking_services.booking_transition(booking=booking, action="cancel", by=client_user)
    booking.refresh_from_db()
    assert booking.is_late_cancellation
    payment = booking.payments.get()
    refund = payment.refunds.get()
    # 30% of 50.00 kept: 35.00 back; the 5.00 fee refunded in proportion (3.50).
    assert (refund.amount, refund.application_fee_refunded) == (3500, 350)
    assert payment.status == Payment.Status.PARTIALLY_REFUNDED
    assert payment.amount_refunded == 3500


def test_pro_cancelling_refunds_in_full(setup, client_user, commit):
    booking = book(client=client_user, service=setup, days=1, hour=12)
    with commit():
        pay_offline(http=login(client_user), booking=booking)
        booking_services.booking_transition(
            booking=booking, action="cancel", by=setup.pro.user, reason="Sick"
        )
    refund = Refund.objects.get()
    assert (refund.amount, refund.reason) == (5000, "Booking cancelled by the professional.")


def test_declined_request_is_refunded_in_full(offline_account, request_mode, client_user, commit):
    from conftest import make_service

    service = make_service(pro=request_mode, payment_mode="online", price_amount=4000)
    booking = book(client=client_user, service=service)
    with commit():
        pay_offline(http=login(client_user), booking=booking)
        booking_services.booking_transition(
            booking=booking, action="decline", by=request_mode.user, reason="Fully booked"
        )
    payment = booking.payments.get()
    assert payment.status == Payment.Status.REFUNDED
    assert payment.refunds.get().reason == "The professional declined the request."


def test_expired_request_is_refunded_in_full(offline_account, request_mode, client_user, commit):
    from conftest import make_service

    service = make_service(pro=request_mode, payment_mode="online", price_amount=4000)
    booking = book(client=client_user, service=service)
    with commit():
        pay_offline(http=login(client_user), booking=booking)
    Booking.objects.filter(pk=booking.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    booking.refresh_from_db()
    with commit():
        booking_services.booking_transition(booking=booking, action="expire", by=None)
    assert booking.payments.get().status == Payment.Status.REFUNDED


def test_unpaid_hold_expiry_frees_the_slot_and_closes_the_payment(setup, client_user, other_client):
    booking = book(client=client_user, service=setup)
    http = login(client_user)
    test_url = http.post(reverse("payments:checkout", args=[booking.pk]))["Location"]
    Booking.objects.filter(pk=booking.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    booking.refresh_from_db()
    booking_services.booking_transition(booking=booking, action="expire", by=None)
    booking.refresh_from_db()
    assert booking.status == S.EXPIRED
    assert booking.payments.get().status == Payment.Status.EXPIRED
    # The test page no longer takes the money.
    response = http.post(test_url, {"outcome": "pay"}, follow=True)
    assert "already closed" in response.text
    assert booking.payments.get().status == Payment.Status.EXPIRED
    # And the slot is free again for someone else.
    again = book(client=other_client, service=setup)
    assert again.status == S.PENDING_PAYMENT and again.starts_at == booking.starts_at


def test_lapsed_hold_cannot_be_paid_before_process_due_runs(setup, client_user):
    booking = book(client=client_user, service=setup)
    http = login(client_user)
    test_url = http.post(reverse("payments:checkout", args=[booking.pk]))["Location"]
    Booking.objects.filter(pk=booking.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = http.post(test_url, {"outcome": "pay"}, follow=True)
    assert "hold on this time has expired" in response.text
    assert not Payment.objects.filter(status=Payment.Status.SUCCEEDED).exists()
    response = http.post(reverse("payments:checkout", args=[booking.pk]), follow=True)
    assert "hold on this time has expired" in response.text


def test_client_cancelling_an_unpaid_booking_closes_the_payment(setup, client_user):
    booking = book(client=client_user, service=setup)
    http = login(client_user)
    http.post(reverse("payments:checkout", args=[booking.pk]))
    booking_services.booking_transition(booking=booking, action="cancel", by=client_user)
    assert booking.payments.get().status == Payment.Status.EXPIRED
    assert not Refund.objects.exists()


def test_test_page_needs_an_outcome(setup, client_user):
    booking = book(client=client_user, service=setup)
    http = login(client_user)
    test_url = http.post(reverse("payments:checkout", args=[booking.pk]))["Location"]
    response = http.post(test_url, {"outcome": "steal"}, follow=True)
    assert "Choose Pay or Decline" in response.text
    assert booking.payments.get().status == Payment.Status.PENDING


def test_test_page_is_gone_once_the_stripe_backend_is_configured(setup, client_user, settings):
    booking = book(client=client_user, service=setup)
    http = login(client_user)
    test_url = http.post(reverse("payments:checkout", args=[booking.pk]))["Location"]
    settings.STRIPE_SECRET_KEY = "sk_test_timz"  # switched to Stripe with the payment pending

    assert http.get(test_url).status_code == HTTPStatus.NOT_FOUND
    assert http.post(test_url, {"outcome": "pay"}).status_code == HTTPStatus.NOT_FOUND

    assert booking.payments.get().status == Payment.Status.PENDING
    booking.refresh_from_db()
    assert booking.status == S.PENDING_PAYMENT


def test_test_page_is_labelled_test_mode(setup, client_user):
    booking = book(client=client_user, service=setup)
    http = login(client_user)
    test_url = http.post(reverse("payments:checkout", args=[booking.pk]))["Location"]
    response = http.get(test_url)
    assert "TEST MODE" in response.text
    assert 'value="pay"' in response.text and 'value="decline"' in response.text


def test_service_at_appointment_needs_no_payment(offline_account, working_pro, client_user):
    from conftest import make_service

    service = make_service(pro=working_pro)
    booking = book(client=client_user, service=service)
    assert booking.status == S.CONFIRMED


def test_pay_online_service_of_a_pro_without_account_is_booked_without_payment(
    offline, paid_service, client_user
):
    booking = book(client=client_user, service=paid_service)
    assert booking.status == S.CONFIRMED


def test_booking_started_in_the_past_cannot_start_checkout(setup, client_user):
    booking = book(client=client_user, service=setup)
    booking_services.booking_transition(booking=booking, action="cancel", by=client_user)
    response = login(client_user).post(reverse("payments:checkout", args=[booking.pk]), follow=True)
    assert "not awaiting payment" in response.text


def test_staff_refund_from_the_admin_partial_then_rest(setup, client_user, staff_user, commit):
    booking = book(client=client_user, service=setup, days=4)
    with commit():
        payment = pay_offline(http=login(client_user), booking=booking)
    admin = login(staff_user)
    url = reverse("admin:payments_payment_changelist")
    form = admin.post(url, {"action": "refund_payments", "_selected_action": [payment.pk]})
    assert form.status_code == 200 and "Refund payments" in form.text
    bad = admin.post(
        url,
        {
            "action": "refund_payments",
            "_selected_action": [payment.pk],
            "apply": "1",
            "amount": "12.345",
            "reason": "Goodwill",
        },
    )
    assert "at most 2 decimals" in bad.text
    with commit():
        admin.post(
            url,
            {
                "action": "refund_payments",
                "_selected_action": [payment.pk],
                "apply": "1",
                "amount": "12.50",
                "reason": "Goodwill",
            },
        )
    refund = payment.refunds.get()
    assert (refund.amount, refund.application_fee_refunded, refund.reason) == (
        1250,
        125,
        "Goodwill",
    )
    assert refund.requested_by == staff_user
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PARTIALLY_REFUNDED
    with commit():
        admin.post(
            url,
            {
                "action": "refund_payments",
                "_selected_action": [payment.pk],
                "apply": "1",
                "amount": "",
                "reason": "Rest",
            },
        )
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded, payment.fee_refunded) == (
        Payment.Status.REFUNDED,
        5000,
        500,
    )
    # A later cancellation has nothing left to refund.
    with commit():
        booking_services.booking_transition(booking=booking, action="cancel", by=client_user)
    assert payment.refunds.count() == 2


def test_staff_cannot_refund_more_than_was_paid(setup, client_user, staff_user, commit):
    booking = book(client=client_user, service=setup, days=4)
    with commit():
        payment = pay_offline(http=login(client_user), booking=booking)
    admin = login(staff_user)
    url = reverse("admin:payments_payment_changelist")
    response = admin.post(
        url,
        {
            "action": "refund_payments",
            "_selected_action": [payment.pk],
            "apply": "1",
            "amount": "60",
            "reason": "Too much",
        },
        follow=True,
    )
    assert "at most 5000" in response.text
    assert not payment.refunds.exists()


def test_booking_payment_partial_shows_fee_to_the_pro_only(setup, client_user, commit):
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    booking = book(client=client_user, service=setup, days=5)
    with commit():
        pay_offline(http=login(client_user), booking=booking)
        booking_services.booking_transition(booking=booking, action="cancel", by=client_user)

    def render(user):
        request = RequestFactory().get("/")
        request.user = user
        return render_to_string(
            "payments/includes/_booking_payment.html", {"booking": booking}, request=request
        )

    pro_html, client_html = render(setup.pro.user), render(client_user)
    assert "Platform fee" in pro_html and "€45.00" in pro_html  # net
    assert "Platform fee" not in client_html
    for html in (pro_html, client_html):
        assert "Refunded" in html and "€50.00" in html


def test_pending_booking_partial_offers_pay_now_to_its_client(setup, client_user):
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    booking = book(client=client_user, service=setup)
    request = RequestFactory().get("/")
    request.user = client_user
    html = render_to_string(
        "payments/includes/_booking_payment.html", {"booking": booking}, request=request
    )
    assert "Pay now" in html
    request.user = setup.pro.user
    html = render_to_string(
        "payments/includes/_booking_payment.html", {"booking": booking}, request=request
    )
    assert "Pay now" not in html


def test_booking_at_local_time_helper_is_in_the_future():
    assert local_at(1, 10) > timezone.now()


def test_process_due_expires_an_unpaid_hold_and_frees_the_slot(
    setup, client_user, other_client, commit
):
    from io import StringIO

    from django.core.management import call_command

    booking = book(client=client_user, service=setup)
    login(client_user).post(reverse("payments:checkout", args=[booking.pk]))
    Booking.objects.filter(pk=booking.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    with commit():
        call_command("process_due", stdout=StringIO())
    booking.refresh_from_db()
    assert booking.status == S.EXPIRED
    assert booking.payments.get().status == Payment.Status.EXPIRED
    assert book(client=other_client, service=setup).starts_at == booking.starts_at


def test_refund_receipt_tells_the_client_what_came_back(setup, client_user, commit):
    booking_services.booking_rules_update(
        pro=setup.pro, cancellation_window_hours=48, late_cancellation_fee_percent=50
    )
    booking = book(client=client_user, service=setup, days=1, hour=12)
    with commit():
        pay_offline(http=login(client_user), booking=booking)
        booking_services.booking_transition(booking=booking, action="cancel", by=client_user)
    (message,) = [m for m in mail.outbox if m.subject.startswith("[Timz] Refund")]
    assert message.to == [client_user.email]
    assert "We have refunded €25.00" in message.body
    assert "the professional keeps 50% of the price" in message.body
    assert "€25.00" in message.alternatives[0].content


def test_no_refund_receipt_goes_to_a_client_who_deleted_their_account(setup, client_user, commit):
    booking = book(client=client_user, service=setup)
    with commit():
        pay_offline(http=login(client_user), booking=booking)
    mail.outbox.clear()

    with commit():
        account_delete(user=client_user, password=PASSWORD)  # cancels and refunds the booking

    assert booking.payments.get().refunds.get().status == Refund.Status.SUCCEEDED
    assert not [m for m in mail.outbox if m.subject.startswith("[Timz] Refund")]
    assert not [m for m in mail.outbox if "deleted.invalid" in " ".join(m.to)]


def test_no_payment_receipt_goes_to_a_client_who_deleted_their_account(setup, client_user, commit):
    from payments import emails

    booking = book(client=client_user, service=setup)
    with commit():
        payment = pay_offline(http=login(client_user), booking=booking)
        account_delete(user=client_user, password=PASSWORD)
    mail.outbox.clear()

    # A receipt still queued when the account was deleted sends nothing.
    assert emails.send_payment_receipt(payment_id=payment.pk) == 0
    assert mail.outbox == []


def test_pro_sees_what_they_keep_after_a_late_cancellation(setup, client_user, commit):
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    booking_services.booking_rules_update(
        pro=setup.pro, cancellation_window_hours=48, late_cancellation_fee_percent=30
    )
    booking = book(client=client_user, service=setup, days=1, hour=12)
    with commit():
        pay_offline(http=login(client_user), booking=booking)
        booking_services.booking_transition(booking=booking, action="cancel", by=client_user)
    request = RequestFactory().get("/")
    request.user = setup.pro.user
    html = render_to_string(
        "payments/includes/_booking_payment.html", {"booking": booking}, request=request
    )
    # Paid 50.00, fee 5.00; refunded 35.00 and 3.50 of the fee: the pro keeps 15.00 - 1.50.
    assert "−€35.00" in html and "+€3.50" in html
    assert "You keep" in html and "€13.50" in html


def test_fee_follows_the_platform_fee_settings(setup, client_user, settings):
    settings.PLATFORM_FEE_PERCENT = "12.5"
    settings.PLATFORM_FEE_FIXED = 30
    settings.PLATFORM_FEE_MIN = 100
    booking = book(client=client_user, service=setup)
    login(client_user).post(reverse("payments:checkout", args=[booking.pk]))
    payment = booking.payments.get()
    assert (payment.amount, payment.fee, payment.net) == (5000, 655, 4345)
