"""Receipts: every payment taken has one, as a page and as a PDF (parsed here with pypdf), for
the booking's client, its pro and staff only."""

from datetime import timedelta
from http import HTTPStatus
from io import BytesIO

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from bookings import services as booking_services
from conftest import book, login, make_user
from payments.models import Payment
from payments.tests.conftest import pay_offline

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(offline_account, paid_service, client_user, commit):
    pro = paid_service.pro
    pro.business_name = "Salon Paula SARL"
    pro.address_line = "12 rue de Lévis"
    pro.save()
    booking = book(client=client_user, service=paid_service)
    with commit():
        return pay_offline(http=login(client_user), booking=booking)


def pdf_text(response) -> str:
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_client_reads_the_receipt_page(paid, client_user):
    page = login(client_user).get(reverse("payments:receipt", args=[paid.pk]))
    assert page.status_code == HTTPStatus.OK
    for text in (
        f"TZ-{paid.paid_at:%Y}-{paid.pk:06d}",
        "Salon Paula SARL",
        "12 rue de Lévis",
        "Paris",
        client_user.display_name,
        "Colour",
        "€50.00",
        "Download PDF",
    ):
        assert text in page.text, text
    assert "Platform fee" not in page.text  # the client does not see the platform's cut


def test_the_pdf_carries_number_amount_names_and_vat_line(paid, client_user, settings):
    settings.PLATFORM_LEGAL_NAME = "Timz SAS"
    settings.PLATFORM_VAT_ID = "FR12345678901"
    response = login(client_user).get(reverse("payments:receipt_pdf", args=[paid.pk]))
    assert response.status_code == HTTPStatus.OK
    assert "attachment" in response["Content-Disposition"]
    text = pdf_text(response)
    for expected in (
        f"TZ-{paid.paid_at:%Y}-{paid.pk:06d}",
        "Salon Paula SARL",
        "12 rue de Lévis",
        client_user.display_name,
        "Booking: Colour",
        "€50.00",
        "Timz SAS",
        "VAT ID FR12345678901",
    ):
        assert expected in text, (expected, text)


def test_no_vat_line_without_a_vat_id_and_the_display_name_without_a_business_name(
    paid, client_user, settings
):
    settings.PLATFORM_VAT_ID = ""
    pro = paid.booking.pro
    pro.business_name = ""
    pro.save()
    text = pdf_text(login(client_user).get(reverse("payments:receipt_pdf", args=[paid.pk])))
    assert "VAT" not in text
    assert pro.display_name in text


def test_the_page_carries_the_vat_line_only_when_one_is_configured(paid, client_user, settings):
    settings.PLATFORM_LEGAL_NAME = "Timz SAS"
    settings.PLATFORM_VAT_ID = "FR12345678901"
    http = login(client_user)
    page = http.get(reverse("payments:receipt", args=[paid.pk])).text
    assert "Timz SAS · VAT ID FR12345678901" in page

    settings.PLATFORM_VAT_ID = ""
    page = http.get(reverse("payments:receipt", args=[paid.pk])).text
    assert "VAT" not in page


@pytest.mark.parametrize(
    ("kind", "label"),
    [
        ("deposit", "Deposit"),
        ("balance", "Balance"),
        ("no_show_fee", "No-show or late-cancellation fee"),
        ("tip", "Tip"),
    ],
)
def test_every_kind_of_payment_taken_has_a_receipt_page_and_pdf(paid, client_user, kind, label):
    other = Payment.objects.create(
        booking=paid.booking,
        kind=kind,
        attempt=2,
        backend="offline",
        amount=1250,
        fee=0,
        currency="EUR",
        status=Payment.Status.SUCCEEDED,
        paid_at=paid.paid_at,
    )
    http = login(client_user)
    page = http.get(reverse("payments:receipt", args=[other.pk]))
    assert page.status_code == HTTPStatus.OK
    assert label in page.text and "€12.50" in page.text and "Salon Paula SARL" in page.text
    text = pdf_text(http.get(reverse("payments:receipt_pdf", args=[other.pk])))
    assert f"{label}: Colour" in text and "€12.50" in text and "12 rue de Lévis" in text


def test_the_date_is_in_the_viewers_zone(paid, client_user):
    client_user.client_profile.timezone = "America/New_York"
    client_user.client_profile.save()
    page = login(client_user).get(reverse("payments:receipt", args=[paid.pk]))
    assert "America/New_York" in page.text


def test_the_pro_and_staff_see_the_fee_and_net(paid, staff_user):
    for user in (paid.booking.pro.user, staff_user):
        page = login(user).get(reverse("payments:receipt", args=[paid.pk]))
        assert page.status_code == HTTPStatus.OK
        assert "Platform fee" in page.text and "€45.00" in page.text
        assert "−€5.00" in page.text


def test_a_pro_link_receipt_shows_a_fee_of_nothing_without_a_minus_sign(paid, client_user):
    paid.fee = 0
    paid.save()
    http = login(paid.booking.pro.user)
    page = http.get(reverse("payments:receipt", args=[paid.pk])).text
    assert '<td class="num">€0.00</td>' in page and "−€0.00" not in page
    text = pdf_text(http.get(reverse("payments:receipt_pdf", args=[paid.pk])))
    assert "Platform fee €0.00" in text.replace("\n", " ") and "−€0.00" not in text


def test_refunds_are_on_the_receipt(paid, client_user, commit):
    with commit():
        booking_services.booking_transition(booking=paid.booking, action="cancel", by=client_user)
    http = login(client_user)
    page = http.get(reverse("payments:receipt", args=[paid.pk]))
    assert "Refund" in page.text and "−€50.00" in page.text
    text = pdf_text(http.get(reverse("payments:receipt_pdf", args=[paid.pk])))
    assert "Refund" in text and "€0.00" in text


@pytest.mark.parametrize("name", ["payments:receipt", "payments:receipt_pdf"])
def test_others_get_404_and_visitors_log_in(paid, name):
    stranger = make_user(email="stranger@example.com")
    assert login(stranger).get(reverse(name, args=[paid.pk])).status_code == HTTPStatus.NOT_FOUND
    response = Client().get(reverse(name, args=[paid.pk]))
    assert response.status_code == HTTPStatus.FOUND and "login" in response["Location"]


def test_a_payment_not_taken_has_no_receipt(offline_account, paid_service, client_user):
    booking = book(client=client_user, service=paid_service)
    http = login(client_user)
    http.post(reverse("payments:checkout", args=[booking.pk]))
    pending = booking.payments.get()
    assert pending.status == Payment.Status.PENDING
    response = http.get(reverse("payments:receipt", args=[pending.pk]))
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_the_booking_page_links_the_receipt(paid, client_user):
    page = login(client_user).get(reverse("bookings:detail", args=[paid.booking_id]))
    assert reverse("payments:receipt", args=[paid.pk]) in page.text
    assert reverse("payments:receipt_pdf", args=[paid.pk]) in page.text


def test_a_tip_has_its_own_receipt(paid, client_user, commit, travel):
    booking = paid.booking
    travel(booking.ends_at + timedelta(minutes=5))
    booking_services.booking_transition(booking=booking, action="complete", by=booking.pro.user)
    http = login(client_user)
    http.post(reverse("payments:tip", args=[booking.pk]), {"percent": "10"})
    tip = booking.payments.get(kind="tip")
    with commit():
        http.post(tip.checkout_url, {"outcome": "pay"})
    text = pdf_text(http.get(reverse("payments:receipt_pdf", args=[tip.pk])))
    assert "Tip: Colour" in text and "€5.00" in text


def test_receipt_page_query_count(paid, client_user, django_assert_max_num_queries):
    http = login(client_user)
    http.get(reverse("payments:receipt", args=[paid.pk]))
    # session, user, payment, refunds, the viewer's profile, unread count, nav pro profile
    with django_assert_max_num_queries(7):
        assert http.get(reverse("payments:receipt", args=[paid.pk])).status_code == 200
