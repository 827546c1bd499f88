"""The pro's reviews page: the list with its average, inline replies, and the email a pro gets
when a review arrives."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from bookings import services
from bookings.models import Booking, Review
from conftest import login, make_booking, make_user

pytestmark = pytest.mark.django_db


def reviewed(*, service, rating, text="", reply="", days_ago=2):
    author = make_user()
    booking = make_booking(
        client=author,
        service=service,
        starts_at=timezone.now() - timedelta(days=days_ago),
        status=Booking.Status.COMPLETED,
    )
    review = services.review_create(booking=booking, by=author, rating=rating, text=text)
    if reply:
        services.review_reply(review=review, by=service.pro.user, text=reply)
    return review


def test_the_pro_sees_every_review_with_the_average_and_what_awaits_a_reply(pro, service):
    reviewed(service=service, rating=5, text="Perfect fade", reply="Thanks!")
    reviewed(service=service, rating=3, text="A bit late")

    response = login(pro.user).get(reverse("bookings:reviews"))

    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "Perfect fade" in html and "A bit late" in html
    assert "<strong>4.0</strong>" in html
    assert 'Waiting for a reply <span class="muted">(1)</span>' in html
    assert html.count('name="text"') == 1  # only the unanswered one has a reply box


def test_the_filter_keeps_the_reviews_waiting_for_a_reply(pro, service):
    reviewed(service=service, rating=5, text="Perfect fade", reply="Thanks!")
    reviewed(service=service, rating=3, text="A bit late")

    html = login(pro.user).get(reverse("bookings:reviews"), {"show": "unanswered"}).content.decode()

    assert "A bit late" in html and "Perfect fade" not in html


def test_a_reply_from_the_reviews_page_comes_back_to_it(pro, service):
    review = reviewed(service=service, rating=3, text="A bit late")
    back = reverse("bookings:reviews") + f"#review-{review.pk}"

    response = login(pro.user).post(
        reverse("bookings:review_reply", args=[review.booking_id]),
        {"text": "Sorry, it won't happen again.", "next": back},
    )

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == back
    review.refresh_from_db()
    assert review.reply == "Sorry, it won't happen again."


def test_an_empty_reply_is_a_400_and_saves_nothing(pro, service):
    review = reviewed(service=service, rating=3)

    response = login(pro.user).post(
        reverse("bookings:review_reply", args=[review.booking_id]),
        {"text": "  ", "next": reverse("bookings:reviews")},
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert Review.objects.get(pk=review.pk).reply == ""


def test_the_reviews_page_is_for_pros(client_user, db):
    assert login(client_user).get(reverse("bookings:reviews")).status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize("n", [1, 15])
def test_the_reviews_page_runs_a_bounded_number_of_queries(
    pro, service, django_assert_max_num_queries, n
):
    for i in range(n):
        reviewed(service=service, rating=1 + i % 5, text=f"Review {i}")
    as_pro = login(pro.user)

    # session, user, pro, unread count; count, reviews, figures
    with django_assert_max_num_queries(7):
        response = as_pro.get(reverse("bookings:reviews"))

    assert len(response.context["page_obj"]) == n


def test_a_new_review_emails_the_pro_with_a_link_to_reply(pro, service, commit, settings):
    settings.SITE_URL = "https://timz.example"

    with commit():
        review = reviewed(service=service, rating=4, text="Lovely cut")

    [email] = mail.outbox
    assert email.to == [pro.user.email]
    assert "4/5" in email.subject
    assert "Lovely cut" in email.body
    link = f"https://timz.example{reverse('bookings:reviews')}#review-{review.pk}"
    assert link in email.body
    assert link in email.alternatives[0][0]


def test_no_email_leaves_while_the_review_is_not_committed(
    pro, service, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        reviewed(service=service, rating=5)

    assert mail.outbox == []
    assert callbacks  # the email waits for the commit
