"""The public pro page /p/<slug>/."""

import io
from datetime import timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from bookings import services as booking_services
from bookings.models import Booking, Review, Service
from conftest import make_booking, make_pro, make_service, make_user

pytestmark = pytest.mark.django_db


def png_file(name="a.png"):
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 80, 40)).save(buf, "PNG")
    return ContentFile(buf.getvalue(), name=name)


def page(client, pro):
    return client.get(reverse("accounts:pro_detail", kwargs={"slug": pro.slug}))


def make_review(*, pro, author, rating=5, text="", days_ago=1, reply=""):
    service = make_service(pro=pro)
    starts = timezone.now() - timedelta(days=days_ago)
    booking = make_booking(
        client=author, service=service, starts_at=starts, status=Booking.Status.COMPLETED
    )
    review = Review.objects.create(
        booking=booking, pro=pro, author=author, rating=rating, text=text, reply=reply
    )
    Review.objects.filter(pk=review.pk).update(created_at=starts + timedelta(hours=2))
    return review


def test_pro_page_shows_profile_and_services(client, pro, service):
    pro.headline = "Sharp cuts, no fuss"
    pro.address_line = "12 rue de la Paix"
    pro.save()

    response = page(client, pro)

    assert response.status_code == HTTPStatus.OK
    body = response.content.decode()
    for text in ("Paula Pro", "Sharp cuts, no fuss", "Barbers", "Paris", "12 rue de la Paix"):
        assert text in body
    assert "Paris time" in body
    assert "Haircut" in body and "45 min" in body and "€35.00" in body


def test_bio_keeps_line_breaks_and_is_escaped(client, pro):
    pro.bio = "First line\nSecond <b>line</b>\n\nNew paragraph"
    pro.save()

    body = page(client, pro).content.decode()

    assert "<p>First line<br>Second &lt;b&gt;line&lt;/b&gt;</p>" in body
    assert "<p>New paragraph</p>" in body


def test_only_active_services_are_listed_in_their_order(client, pro):
    make_service(pro=pro, name="Second", position=2)
    make_service(pro=pro, name="First", position=1)
    make_service(pro=pro, name="Retired", position=0, is_active=False)

    response = page(client, pro)

    assert [s.name for s in response.context["pro"].active_services] == ["First", "Second"]
    assert "Retired" not in response.content.decode()


def test_prices_use_the_service_currency(client, pro):
    make_service(pro=pro, name="Tokyo cut", price_amount=4500, currency="JPY")
    make_service(pro=pro, name="Swiss cut", price_amount=4000, currency="CHF")

    body = page(client, pro).content.decode()

    assert "¥4,500" in body
    assert "CHF\xa040.00" in body


def test_each_service_has_a_book_button(client, pro, service):
    body = page(client, pro).content.decode()

    url = reverse("bookings:book", kwargs={"slug": pro.slug, "service_id": service.id})
    assert f'href="{url}"' in body


def test_message_button_posts_to_the_chat(client, pro, client_user):
    client.force_login(client_user)

    body = page(client, pro).content.decode()

    url = reverse("chat:start_with_pro", kwargs={"slug": pro.slug})
    assert f'<form method="post" action="{url}"' in body
    assert "csrfmiddlewaretoken" in body


def test_photo_and_service_images_are_shown_when_present(client, pro):
    pro.avatar.save("paula.png", png_file(), save=True)
    with_image = make_service(pro=pro, name="Colour")
    with_image.image.save("colour.png", png_file(), save=True)
    make_service(pro=pro, name="Plain")

    body = page(client, pro).content.decode()

    assert f'src="{pro.avatar.url}"' in body
    assert f'src="{with_image.image.url}"' in body
    assert '<span class="service-thumb' in body  # the service without a picture


def test_pro_without_services_says_so(client, pro):
    body = page(client, pro).content.decode()

    assert "has not published any services yet" in body


def test_unknown_slug_is_not_found(client, db):
    response = client.get(reverse("accounts:pro_detail", kwargs={"slug": "nobody"}))

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_rating_summary_and_latest_five_reviews(client, pro):
    authors = [make_user(name=f"Reviewer {n}") for n in range(7)]
    for n, author in enumerate(authors):
        make_review(pro=pro, author=author, rating=4, text=f"Review number {n}", days_ago=n + 1)
    pro.rating_avg = Decimal("4.00")
    pro.review_count = 7
    pro.save()

    response = page(client, pro)

    body = response.content.decode()
    assert [r.text for r in response.context["reviews"]] == [f"Review number {n}" for n in range(5)]
    assert "Review number 5" not in body
    assert "Reviewer 0" in body
    assert "★★★★☆" in body and "(7)" in body


def test_review_text_and_reply_are_escaped(client, pro, client_user):
    make_review(pro=pro, author=client_user, text="<img src=x>", reply="Thanks <3")

    body = page(client, pro).content.decode()

    assert "&lt;img src=x&gt;" in body
    assert "Thanks &lt;3" in body


def test_pro_without_reviews_shows_a_placeholder(client, pro):
    body = page(client, pro).content.decode()

    assert "No reviews yet" in body
    assert "New on Timz" in body


PRO_PAGE_MAX_QUERIES = 4  # measured 3: pro (+category, user, rules, min price), services, reviews


@pytest.mark.parametrize("n", [1, 15])
def test_pro_page_query_count_does_not_grow_with_services_or_reviews(
    client, django_assert_max_num_queries, pro, n
):
    for i in range(n):
        make_service(pro=pro, name=f"Service {i}")
        make_review(pro=pro, author=make_user(), text=f"Great {i}", days_ago=i + 1)
    # One reviewer is a pro: their public name comes from the pro profile.
    make_review(pro=pro, author=make_pro(name="Fellow Pro").user, text="From a pro")
    pro.review_count = n + 1
    pro.rating_avg = Decimal("5.00")
    pro.save()

    with django_assert_max_num_queries(PRO_PAGE_MAX_QUERIES):
        response = page(client, pro)
    assert response.status_code == HTTPStatus.OK
    assert "Fellow Pro" in response.content.decode()


def test_the_pro_sees_an_edit_link_instead_of_message_on_their_own_page(client, pro):
    client.force_login(pro.user)

    body = page(client, pro).content.decode()

    assert "Edit your page" in body
    assert "Message</button>" not in body


def test_the_zone_reads_as_its_city(client, db):
    pro = make_pro(slug="nyc", city="Brooklyn", timezone="America/New_York")

    body = page(client, pro).content.decode()

    assert "New York time" in body
    assert "America/New_York" not in body


def test_an_instant_mode_pro_promises_instant_confirmation(client, pro, service):
    body = page(client, pro).content.decode()

    assert "instant confirmation" in body
    assert "confirms within" not in body


def test_a_request_mode_pro_says_within_how_many_hours_they_confirm(client, pro, service):
    booking_services.booking_rules_update(
        pro=pro, confirmation_mode="request", request_expiry_hours=6
    )

    body = page(client, pro).content.decode()

    assert "Paula Pro confirms within 6 hours" in body
    assert "instant confirmation" not in body.lower()


def test_pay_online_services_are_marked(client, pro, service):
    make_service(pro=pro, name="Colour", payment_mode=Service.PaymentMode.ONLINE)

    body = page(client, pro).content.decode()

    assert body.count("Pay online") == 1
    assert body.index("Colour") < body.index("Pay online")
