"""Every email Timz sends (bookings, payments, chat, allauth) takes the one layout in
templates/emails/: both parts extend emails/_base.html and emails/_base.txt, and the call to
action is the one brand-coloured button, emails/_button.html."""

import re
from datetime import datetime, time, timedelta
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.template.loader import render_to_string
from django.test.signals import template_rendered
from django.urls import reverse
from django.utils import timezone

from bookings import emails as booking_emails
from bookings.models import Booking
from chat.models import Conversation, Message
from chat.tasks import send_unread_email
from conftest import make_booking
from payments import emails as payment_emails
from payments.models import Payment, Refund

pytestmark = pytest.mark.django_db

LAYOUT = {"emails/_base.html", "emails/_base.txt"}


@pytest.fixture
def templates_used():
    """Names of the templates rendered during the test, parents and includes too."""
    names = []

    def record(sender, template, context, **kwargs):
        names.append(template.name)

    template_rendered.connect(record)
    yield names
    template_rendered.disconnect(record)


def button(*, url: str, label: str) -> str:
    return render_to_string("emails/_button.html", {"url": url, "label": label})


def site_url(name: str, pk: int) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(name, args=[pk])


def html_of(message) -> str:
    """The one HTML alternative (a booking email may also carry a text/calendar one)."""
    (alternative,) = [a for a in message.alternatives if a.mimetype != "text/calendar"]
    assert alternative.mimetype == "text/html"
    return alternative.content


@pytest.fixture
def booking(client_user, service):
    return make_booking(
        client=client_user, service=service, starts_at=timezone.now() + timedelta(days=3)
    )


@pytest.fixture
def payment(booking):
    return Payment.objects.create(
        booking=booking,
        backend=Payment.Backend.OFFLINE,
        amount=booking.price_amount,
        fee=350,
        currency=booking.currency,
        status=Payment.Status.SUCCEEDED,
        paid_at=timezone.now(),
    )


@pytest.mark.parametrize("kind", list(booking_emails.KINDS))
def test_booking_emails_use_the_layout_and_its_button(booking, templates_used, kind):
    message = booking_emails.build(booking, kind, "client")

    assert set(templates_used) >= LAYOUT
    url = site_url("bookings:detail", booking.pk)
    assert button(url=url, label="View the booking") in html_of(message)
    assert f"View the booking: {url}" in message.body


def test_payment_receipt_uses_the_layout_and_its_button(payment, templates_used, mailoutbox):
    payment_emails.send_payment_receipt(payment_id=payment.pk)

    (message,) = mailoutbox
    assert set(templates_used) >= LAYOUT
    url = site_url("bookings:detail", payment.booking_id)
    assert button(url=url, label="View the booking") in html_of(message)


def test_refund_receipt_uses_the_layout_and_its_button(payment, templates_used, mailoutbox):
    refund = Refund.objects.create(
        payment=payment, amount=1000, reason="Cancelled", status=Refund.Status.SUCCEEDED
    )

    payment_emails.send_refund_receipt(refund_id=refund.pk)

    (message,) = mailoutbox
    assert set(templates_used) >= LAYOUT
    url = site_url("bookings:detail", payment.booking_id)
    assert button(url=url, label="View the booking") in html_of(message)


def test_layout_shows_times_in_the_recipients_zone(payment, mailoutbox):
    new_york = ZoneInfo("America/New_York")
    profile = payment.booking.client.client_profile
    profile.timezone = new_york.key
    profile.save()
    day = timezone.now().astimezone(new_york).date() + timedelta(days=3)
    starts_at = datetime.combine(day, time(10), tzinfo=new_york)  # 14:00 or 15:00 in UTC
    Booking.objects.filter(pk=payment.booking_id).update(
        starts_at=starts_at, ends_at=starts_at + timedelta(minutes=45)
    )

    payment_emails.send_payment_receipt(payment_id=payment.pk)

    (message,) = mailoutbox
    shown = f"{day:%A} {day.day} {day:%B %Y}, 10:00 (America/New_York)"
    assert shown in message.body
    assert shown in html_of(message)


def test_chat_unread_email_uses_the_layout_and_its_button(
    client_user, pro, templates_used, mailoutbox
):
    conversation = Conversation.objects.create(client=client_user, pro=pro, pro_user_id=pro.user_id)
    message = Message.objects.create(conversation=conversation, sender=client_user, body="Hi")

    send_unread_email.call(
        conversation_id=conversation.pk, recipient_id=pro.user_id, up_to=message.pk
    )

    (email,) = mailoutbox
    assert set(templates_used) >= LAYOUT
    url = site_url("chat:conversation", conversation.pk)
    assert button(url=url, label="Read and reply") in html_of(email)


def test_allauth_confirmation_email_uses_the_layout_and_its_button(
    client, templates_used, mailoutbox
):
    response = client.post(
        reverse("account_signup"),
        {
            "role": "client",
            "display_name": "Anna Lee",
            "email": "anna@example.com",
            "password1": "plum-orbit-lantern-42",
            "password2": "plum-orbit-lantern-42",
            "timezone": "Europe/Berlin",
        },
    )

    assert response.status_code == HTTPStatus.FOUND
    (message,) = mailoutbox
    assert set(templates_used) >= LAYOUT
    url = re.search(r"https?://\S+/accounts/confirm-email/\S+/", message.body)[0]
    assert button(url=url, label="Confirm your address") in html_of(message)


def test_allauth_password_reset_email_uses_the_layout_and_its_button(
    client, client_user, templates_used, mailoutbox
):
    EmailAddress.objects.create(
        user=client_user, email=client_user.email, verified=True, primary=True
    )

    client.post(reverse("account_reset_password"), {"email": client_user.email})

    (message,) = mailoutbox
    assert set(templates_used) >= LAYOUT
    url = re.search(r"https?://\S+/accounts/password/reset/key/\S+/", message.body)[0]
    assert button(url=url, label="Reset your password") in html_of(message)
