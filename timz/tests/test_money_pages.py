"""One amount reads the same on every page: the directory and the booking pages both show money
through timz.money."""

import pytest
from django.urls import reverse

from conftest import make_service

pytestmark = pytest.mark.django_db

XOF_5000 = "F\u202fCFA\xa05,000"  # Babel's English for 5000 XOF (the franc has no minor unit)


def test_an_xof_price_reads_the_same_in_the_directory_and_on_the_booking_page(client, pro):
    service = make_service(pro=pro, name="Tresses", price_amount=5000, currency="XOF")
    book_url = reverse("bookings:book", kwargs={"slug": pro.slug, "service_id": service.pk})

    directory = client.get(reverse("home")).content.decode()
    booking_page = client.get(book_url).content.decode()

    assert f"from <strong>{XOF_5000}</strong>" in directory
    assert f'<span class="price">{XOF_5000}</span>' in booking_page
