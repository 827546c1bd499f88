"""A booking in US dollars shows dollars everywhere: the client's and the pro's pages, the
payment steps and every email. Never a € (the payment step's icon once was one)."""

import pytest
from django.urls import reverse

from bookings import services
from bookings.models import Booking, Service
from conftest import local_at, login, make_service
from payments.services import connected_account_enable_simulated
from payments.tests.conftest import pay_offline

pytestmark = pytest.mark.django_db

DOLLARS = "$45.00"


@pytest.fixture
def usd_service(offline, working_pro):
    working_pro.city, working_pro.currency = "New York", "USD"
    working_pro.save()
    connected_account_enable_simulated(pro=working_pro)
    return make_service(
        pro=working_pro,
        name="Colour",
        price_amount=4500,
        payment_mode=Service.PaymentMode.ONLINE,
    )


def assert_dollars(content: str, where: str, *, shows_price: bool = True) -> None:
    assert "€" not in content, where
    assert "EUR" not in content, where
    if shows_price:
        assert DOLLARS in content, where


def test_a_usd_booking_shows_dollars_on_every_page_and_email(
    usd_service, client_user, commit, mailoutbox
):
    pro = usd_service.pro
    with commit():
        booking = services.booking_create(
            client=client_user, service=usd_service, starts_at=local_at(4, 10)
        )
    assert (booking.status, booking.currency) == (Booking.Status.PENDING_PAYMENT, "USD")
    client_http, pro_http = login(client_user), login(pro.user)

    # The client is sent on to pay; the pro sees the step with its icon.
    done = pro_http.get(reverse("bookings:done", args=[booking.pk])).content.decode()
    assert '<p class="done-icon" aria-hidden="true">$</p>' in done
    assert_dollars(done, "done page")
    checkout = client_http.get(reverse("bookings:done", args=[booking.pk]), follow=True)
    assert checkout.redirect_chain[-1][0] == reverse("payments:checkout", args=[booking.pk])
    assert_dollars(checkout.content.decode(), "checkout")
    assert_dollars(
        client_http.get(reverse("bookings:detail", args=[booking.pk])).content.decode(), "detail"
    )
    assert_dollars(client_http.get(reverse("bookings:my_bookings")).content.decode(), "mine")

    with commit():
        payment = pay_offline(http=client_http, booking=booking)
    assert (payment.amount, payment.currency) == (4500, "USD")

    client_pages = {
        "client detail": reverse("bookings:detail", args=[booking.pk]),
        "my bookings": reverse("bookings:my_bookings"),
    }
    pro_pages = {
        "pro detail": reverse("bookings:detail", args=[booking.pk]),
        "client card": reverse("bookings:client_detail", args=[client_user.pk]),
        "services": reverse("bookings:services"),
        "pro page": pro.get_absolute_url(),
    }
    for where, url in client_pages.items():
        assert_dollars(client_http.get(url).content.decode(), where)
    for where, url in pro_pages.items():
        assert_dollars(pro_http.get(url).content.decode(), where)
    for where, url in {
        "agenda": reverse("bookings:agenda"),
        "clients": reverse("bookings:clients"),  # spend counts completed bookings only
    }.items():
        assert_dollars(pro_http.get(url).content.decode(), where, shows_price=False)

    assert mailoutbox, "the booking and the payment send emails"
    for message in mailoutbox:
        assert_dollars(message.body, message.subject, shows_price=False)
        for content, mimetype in message.alternatives:
            # The HTML part and the calendar invitation (bookings.ics) alike.
            text = content.decode() if isinstance(content, bytes) else content
            assert_dollars(text, f"{message.subject} ({mimetype})", shows_price=False)
    assert any(DOLLARS in m.body for m in mailoutbox)
