"""The payments pages: get paid, onboarding return, checkout, processing, dashboard card."""

from datetime import timedelta
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from conftest import book, login
from payments.models import ConnectedAccount
from payments.tests.conftest import pay_offline

pytestmark = pytest.mark.django_db


def test_get_paid_is_for_pros_only(offline, client_user):
    response = login(client_user).get(reverse("payments:get_paid"))
    assert response.status_code == HTTPStatus.FORBIDDEN


def test_get_paid_needs_login(offline):
    from django.test import Client

    response = Client().get(reverse("payments:get_paid"))
    assert response.status_code == HTTPStatus.FOUND


def test_offline_get_paid_enables_a_simulated_account(offline, working_pro):
    http = login(working_pro.user)
    page = http.get(reverse("payments:get_paid"))
    assert "Set up payouts" in page.text and "Test mode" in page.text
    response = http.post(reverse("payments:get_paid"))
    assert response["Location"] == reverse("payments:onboarding_return")
    account = ConnectedAccount.objects.get(pro=working_pro)
    assert account.is_simulated and account.charges_enabled and account.payouts_enabled
    page = http.get(response["Location"])
    assert "You can take online payments" in page.text


def test_a_cross_site_get_of_the_refresh_page_creates_no_account(offline, working_pro):
    page = login(working_pro.user).get(
        reverse("payments:onboarding_refresh"),
        headers={"Referer": "https://evil.example/", "Sec-Fetch-Site": "cross-site"},
    )
    assert page.status_code == HTTPStatus.OK
    assert f'<form method="post" action="{reverse("payments:get_paid")}"' in page.text
    assert not ConnectedAccount.objects.exists()


def test_the_refresh_pages_button_is_refused_without_the_csrf_token(offline, working_pro):
    from django.test import Client

    http = Client(enforce_csrf_checks=True)
    http.force_login(working_pro.user)
    response = http.post(reverse("payments:get_paid"))
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not ConnectedAccount.objects.exists()


def test_get_paid_page_query_count(offline_account, working_pro, django_assert_max_num_queries):
    http = login(working_pro.user)
    with django_assert_max_num_queries(6):
        response = http.get(reverse("payments:get_paid"))
    assert "Online payments" in response.text and "enabled" in response.text


def test_checkout_page_query_count(
    offline_account, paid_service, client_user, django_assert_max_num_queries
):
    booking = book(client=client_user, service=paid_service)
    http = login(client_user)
    http.post(reverse("payments:checkout", args=[booking.pk]))
    # 5 for the layout (session, user, profiles, unread count) + booking, payment, refunds.
    with django_assert_max_num_queries(8):
        response = http.get(reverse("payments:checkout", args=[booking.pk]))
    assert "Pay €50.00" in response.text


def test_cancelled_checkout_says_nothing_was_charged(offline_account, paid_service, client_user):
    booking = book(client=client_user, service=paid_service)
    response = login(client_user).get(
        reverse("payments:checkout", args=[booking.pk]) + "?cancelled=1"
    )
    assert "Nothing was charged" in response.text


def test_processing_page_until_the_payment_lands(
    offline_account, paid_service, client_user, commit
):
    booking = book(client=client_user, service=paid_service)
    http = login(client_user)
    http.post(reverse("payments:checkout", args=[booking.pk]))
    page = http.get(reverse("payments:checkout_return", args=[booking.pk]))
    assert "Processing your payment" in page.text
    assert 'data-payment-done="false"' in page.text
    assert "js/payments.js" in page.text
    status = http.get(reverse("payments:checkout_status", args=[booking.pk])).json()
    assert status == {
        "payment_status": "pending",
        "booking_status": "pending_payment",
        "done": False,
    }
    with commit():
        pay_offline(http=http, booking=booking)
    status = http.get(reverse("payments:checkout_status", args=[booking.pk])).json()
    assert status == {"payment_status": "succeeded", "booking_status": "confirmed", "done": True}
    page = http.get(reverse("payments:checkout_return", args=[booking.pk]))
    assert "Payment received" in page.text


def _render_dashboard_card(user):
    request = RequestFactory().get("/")
    request.user = user
    return render_to_string("payments/includes/_dashboard_payouts.html", {}, request=request)


def test_dashboard_card_shows_the_account_status(offline, working_pro, client_user):
    assert "Set up payouts" in _render_dashboard_card(working_pro.user)
    ConnectedAccount.objects.create(
        pro=working_pro,
        stripe_account_id="acct_1",
        charges_enabled=True,
        requirements_due=["external_account"],
    )
    html = _render_dashboard_card(working_pro.user)
    assert "Charges enabled" in html and "Payouts not enabled" in html
    assert "1 more detail" in html
    assert _render_dashboard_card(client_user).strip() == ""


def test_pros_reach_payouts_from_their_dashboard(offline, working_pro):
    page = login(working_pro.user).get(reverse("accounts:dashboard"))
    assert f'href="{reverse("payments:get_paid")}"' in page.text


def test_payment_pages_have_no_inline_styles_or_scripts(offline_account, paid_service, client_user):
    booking = book(client=client_user, service=paid_service)
    http = login(client_user)
    test_url = http.post(reverse("payments:checkout", args=[booking.pk]))["Location"]
    for url in (
        test_url,
        reverse("payments:checkout", args=[booking.pk]),
        reverse("payments:checkout_return", args=[booking.pk]),
    ):
        html = http.get(url).text
        assert "style=" not in html
        assert "<script>" not in html


def test_paid_booking_receipt_is_sent_once(offline_account, paid_service, client_user, commit):
    from django.core import mail

    booking = book(client=client_user, service=paid_service)
    http = login(client_user)
    with commit():
        pay_offline(http=http, booking=booking)
    receipts = [m for m in mail.outbox if "Receipt" in m.subject]
    assert len(receipts) == 1
    html = receipts[0].alternatives[0].content
    assert "€50.00" in html


def test_checkout_shows_the_hold_deadline_in_the_clients_zone_counting_down(
    offline_account, paid_service, client_user, travel, now
):
    client_user.client_profile.timezone = "America/New_York"
    client_user.client_profile.save()
    booking = book(client=client_user, service=paid_service)
    deadline = booking.expires_at.astimezone(ZoneInfo("America/New_York"))
    http = login(client_user)
    html = http.get(reverse("payments:checkout", args=[booking.pk])).text
    assert "Pay by <strong><time datetime=" in html
    assert f"{deadline:%H:%M %Z}</time></strong>" in html
    assert 'data-seconds-left="1800">(in 30 minutes)</span>' in html
    assert "js/payments.js" in html

    travel(now + timedelta(minutes=29, seconds=30))
    html = http.get(reverse("payments:checkout", args=[booking.pk])).text
    assert "(in less than a minute)" in html


def test_checkout_after_the_hold_lapsed_says_so_and_offers_no_payment(
    offline_account, paid_service, client_user, travel, now
):
    booking = book(client=client_user, service=paid_service)
    travel(now + timedelta(minutes=31))
    html = login(client_user).get(reverse("payments:checkout", args=[booking.pk])).text
    assert "The hold on this time has expired" in html
    assert "Pay €50.00</button>" not in html
