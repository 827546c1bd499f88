"""Payments in the reader's language (issue 15): each email in its recipient's language and
zone whoever's request sends it, the staff notice in the site's, receipts and the money page
in the viewer's, CSV columns that stay machine-readable, and the sentences Timz records in
English (refund reasons, declined cards) translated when shown.

What shows the language is Timz's own catalogues (subjects, column names), Django's (month
and day names, the date order) and the locale's number format."""

import csv
import io
from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from bookings import services as booking_services
from conftest import book, login, make_booking
from payments import emails
from payments import models as records
from payments.models import Dispute, Payment, Refund
from payments.selectors import Hold
from payments.tests.conftest import pay_offline

pytestmark = pytest.mark.django_db

# A Tuesday; `book(days=3, hour=10)` is then Friday 4 December, 10:00 in Paris.
NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)


@pytest.fixture
def tuesday(travel):
    return travel(NOW)


@pytest.fixture
def german_client(client_user):
    client_user.language = "de"
    client_user.save(update_fields=["language"])
    return client_user


@pytest.fixture
def paid(tuesday, offline_account, paid_service, client_user, commit):
    """The client's booking on Friday 4 December, 10:00 in Paris, paid on 1 December."""
    booking = book(client=client_user, service=paid_service, days=3, hour=10)
    with commit():
        return pay_offline(http=login(client_user), booking=booking)


def html_of(message) -> str:
    (html, mimetype) = message.alternatives[0]
    assert mimetype == "text/html"
    return html


# Emails ---------------------------------------------------------------------------------------


def test_a_receipt_sent_from_an_english_context_is_in_the_german_clients_language(
    german_client, paid
):
    mail.outbox.clear()
    with translation.override("en"):
        assert emails.send_payment_receipt(payment_id=paid.pk) == 1
        assert translation.get_language() == "en"  # the sender's language is left as it was

    (message,) = mail.outbox
    html = html_of(message)
    assert '<html lang="de">' in html
    for part in (html, message.body):
        assert "Freitag, 4. Dezember 2026, 10:00 (Europe/Paris)" in part  # the visit
        assert "1. Dezember 2026" in part  # the day it was paid
        assert "50,00\xa0€" in part  # German money


def test_a_refund_by_english_staff_reaches_the_german_client_in_german(
    german_client, paid, staff_user, commit
):
    mail.outbox.clear()
    admin = login(staff_user)
    with commit():
        page = admin.post(
            reverse("admin:payments_payment_changelist"),
            {
                "action": "refund_payments",
                "_selected_action": [paid.pk],
                "apply": "1",
                "amount": "",
                "reason": "Goodwill",
            },
            headers={"accept-language": "en"},
            follow=True,
        )
    assert '<html lang="en"' in page.text  # staff read the admin in English

    (message,) = [m for m in mail.outbox if m.to == [german_client.email]]
    assert message.subject == "[Timz] Erstattung: Colour"  # the German subject
    html = html_of(message)
    assert '<html lang="de">' in html
    assert "Freitag, 4. Dezember 2026, 10:00" in html
    assert "50,00\xa0€ — Goodwill" in html  # staff's words as they typed them


def test_the_staff_dispute_notice_is_in_the_sites_language_whatever_is_active(
    paid, staff_user, settings
):
    settings.LANGUAGE_CODE = "en"
    dispute = Dispute.objects.create(
        payment=paid,
        stripe_dispute_id="dp_1",
        amount=5000,
        currency="EUR",
        reason="fraudulent",
        status=Dispute.Status.NEEDS_RESPONSE,
        opened_at=NOW,
    )
    mail.outbox.clear()
    with translation.override("de"):
        assert emails.send_dispute_notice(dispute_id=dispute.pk, notice="opened") == 1
    (message,) = mail.outbox
    assert message.subject == f"[Timz] Dispute opened: €50.00 on booking #{paid.booking_id}"


def test_a_closing_notice_names_how_the_dispute_closed(paid, staff_user):
    dispute = Dispute.objects.create(
        payment=paid,
        stripe_dispute_id="dp_2",
        amount=5000,
        currency="EUR",
        status=Dispute.Status.WARNING_CLOSED,
        opened_at=NOW,
    )
    mail.outbox.clear()
    emails.send_dispute_notice(dispute_id=dispute.pk, notice="closed")
    (message,) = mail.outbox
    assert message.subject.startswith("[Timz] Dispute inquiry closed: €50.00 on booking #")
    assert "(no reason given)" in message.body


# Receipts -------------------------------------------------------------------------------------


@pytest.fixture
def accented(paid):
    """A receipt whose names use French, Spanish and German letters."""
    pro = paid.booking.pro
    pro.business_name = "Peluquería Muñoz & Çelik"
    pro.address_line = "12 rue de Lévis"
    pro.save()
    client = paid.booking.client
    client.client_profile.display_name = "Zoë Müller-Straße"
    client.client_profile.save()
    return paid


def test_the_receipt_pdf_is_written_in_the_language_of_the_request(accented, client_user):
    http = login(client_user)  # no language of their own: the browser's applies
    response = http.get(
        reverse("payments:receipt_pdf", args=[accented.pk]), headers={"accept-language": "fr"}
    )
    reader = PdfReader(BytesIO(response.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "4 déc. 2026, 10:00" in text  # the visit, in French and the viewer's zone
    assert "1 déc. 2026, 10:00" in text  # paid at 09:00 UTC: 10:00 in Paris
    assert "50,00" in text
    for name in ("Zoë Müller-Straße", "Peluquería Muñoz & Çelik", "12 rue de Lévis"):
        assert name in text, (name, text)
    assert reader.trailer["/Root"]["/Lang"] == "fr"  # read aloud in French


def test_the_receipt_page_shows_the_viewers_time_in_their_language(accented, client_user):
    page = login(client_user).get(
        reverse("payments:receipt", args=[accented.pk]), headers={"accept-language": "fr"}
    )
    assert '<html lang="fr">' in page.text
    assert "1 déc. 2026, 10:00" in page.text and "4 déc. 2026, 10:00" in page.text
    assert "Zoë Müller-Straße" in page.text


# The money page and its CSV ---------------------------------------------------------------------


@pytest.fixture
def december(tuesday, pro, client_user, service):
    """A payment and a refund of `pro`'s in December."""
    booking = make_booking(
        client=client_user, service=service, starts_at=datetime(2026, 12, 2, 10, tzinfo=UTC)
    )
    payment = Payment.objects.create(
        booking=booking,
        backend="offline",
        amount=5000,
        fee=500,
        currency="EUR",
        status="partially_refunded",
        paid_at=datetime(2026, 12, 1, 8, tzinfo=UTC),
        amount_refunded=1250,
        fee_refunded=125,
    )
    Refund.objects.create(
        payment=payment,
        amount=1250,
        application_fee_refunded=125,
        reason="Goodwill",
        status="succeeded",
        completed_at=datetime(2026, 12, 1, 8, 30, tzinfo=UTC),
    )
    return pro


def test_the_money_page_follows_accept_language(december):
    page = login(december.user).get(reverse("payments:money"), headers={"accept-language": "de"})
    assert '<html lang="de">' in page.text
    assert "Dezember 2026" in page.text
    assert "45,00\xa0€" in page.text  # the payment's net, German money
    assert "1. Dez., 09:00" in page.text  # a line's date on the pro's clock, German order


def test_the_csv_keeps_its_columns_and_plain_numbers_in_any_language(december):
    response = login(december.user).get(
        reverse("payments:money"),
        {"month": "2026-12", "format": "csv"},
        headers={"accept-language": "de"},
    )
    rows = list(csv.reader(io.StringIO(response.content.decode().removeprefix("\ufeff"))))
    assert rows[0] == [  # the same eleven columns, named in the pro's language
        "Datum",
        "Buchung",
        "Kunde",
        "Leistung",
        "Art",
        "Währung",
        "Betrag",
        "Gebühr",
        "Erstattet",
        "Anfechtung",
        "Netto",
    ]
    payment, refund = rows[1:]
    assert payment[0] == "2026-12-01 09:00"  # machine-readable dates, on the pro's clock
    assert payment[6:] == ["50.00", "5.00", "0.00", "0.00", "45.00"]  # never "50,00"
    assert refund[6:] == ["0.00", "-1.25", "12.50", "0.00", "-11.25"]


# Sentences Timz records, translated when shown -------------------------------------------------


@pytest.fixture
def shouting(monkeypatch):
    """A stand-in catalogue: Timz's own sentences come out in capitals (placeholders kept)."""
    monkeypatch.setattr(
        records, "gettext", lambda text: text.upper().replace("%(PERCENT)S", "%(percent)s")
    )


def test_a_refund_reason_timz_wrote_is_translated_when_shown_and_a_persons_is_not(shouting):
    assert Refund(reason=records.REFUND_DECLINED).reason_text == (
        "THE PROFESSIONAL DECLINED THE REQUEST."
    )
    late = Refund(reason=records.LATE_CANCELLATION % {"percent": 50})
    assert late.reason == "Late cancellation: the professional keeps 50% of the price."
    assert late.reason_text == "LATE CANCELLATION: THE PROFESSIONAL KEEPS 50% OF THE PRICE."
    assert Refund(reason="Goodwill").reason_text == "Goodwill"
    assert Payment(failure_message=records.CARD_DECLINED).failure_text == ("THE CARD WAS DECLINED.")
    assert Payment(failure_message="Your card has insufficient funds.").failure_text == (
        "Your card has insufficient funds."
    )


def test_refund_reasons_are_recorded_in_english_whoever_cancels(
    german_client, paid, commit, shouting
):
    with translation.override("de"), commit():
        booking_services.booking_transition(
            booking=paid.booking, action="cancel", by=paid.booking.client
        )
    refund = paid.refunds.get()
    assert refund.reason == "Booking cancelled by the client."  # the record, in English
    assert refund.reason_text == "BOOKING CANCELLED BY THE CLIENT."  # read in the reader's


# Words -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(30, "in less than a minute"), (60, "in 1 minute"), (61, "in 2 minutes")],
)
def test_the_hold_in_words(seconds, words):
    assert Hold(deadline=NOW + timedelta(seconds=seconds), seconds_left=seconds).in_words == words
