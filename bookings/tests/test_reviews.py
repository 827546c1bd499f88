"""Reviews: the client of a completed booking, once, within 30 days; the pro replies once."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from bookings import services
from bookings.models import Booking
from conftest import make_booking

pytestmark = pytest.mark.django_db


@pytest.fixture
def completed(working_pro, service, client_user):
    return make_booking(
        client=client_user,
        service=service,
        starts_at=timezone.now() - timedelta(days=2),
        status=Booking.Status.COMPLETED,
    )


def test_client_reviews_a_completed_booking_and_the_pro_rating_updates(
    completed, client_user, other_client, service
):
    services.review_create(booking=completed, by=client_user, rating=5, text="Great cut")
    second = make_booking(
        client=other_client,
        service=service,
        starts_at=timezone.now() - timedelta(days=3),
        status=Booking.Status.COMPLETED,
    )
    services.review_create(booking=second, by=other_client, rating=4)
    pro = completed.pro
    pro.refresh_from_db()
    assert pro.review_count == 2
    assert pro.rating_avg == Decimal("4.50")


def test_only_the_client_may_review(completed, working_pro, other_client):
    for stranger in (working_pro.user, other_client):
        with pytest.raises(ValidationError, match="Only the client"):
            services.review_create(booking=completed, by=stranger, rating=5)


def test_a_booking_is_reviewed_once(completed, client_user):
    services.review_create(booking=completed, by=client_user, rating=3)
    with pytest.raises(ValidationError, match="already reviewed"):
        services.review_create(booking=completed, by=client_user, rating=5)


@pytest.mark.parametrize(
    "status", [s for s in Booking.Status.values if s != Booking.Status.COMPLETED]
)
def test_only_completed_bookings_can_be_reviewed(working_pro, service, client_user, status):
    booking = make_booking(
        client=client_user,
        service=service,
        starts_at=timezone.now() - timedelta(days=1),
        status=status,
    )
    with pytest.raises(ValidationError, match="once it is completed"):
        services.review_create(booking=booking, by=client_user, rating=5)


def test_reviews_close_thirty_days_after_the_end(working_pro, service, client_user):
    booking = make_booking(
        client=client_user,
        service=service,
        starts_at=timezone.now() - timedelta(days=31),
        status=Booking.Status.COMPLETED,
    )
    with pytest.raises(ValidationError, match="30 days"):
        services.review_create(booking=booking, by=client_user, rating=5)


@pytest.mark.parametrize("rating", [0, 6, -1, "5", None, True])
def test_rating_must_be_one_to_five(completed, client_user, rating):
    with pytest.raises(ValidationError, match="1 to 5"):
        services.review_create(booking=completed, by=client_user, rating=rating)


def test_text_is_at_most_2000_characters(completed, client_user):
    with pytest.raises(ValidationError, match="2000"):
        services.review_create(booking=completed, by=client_user, rating=4, text="x" * 2001)
    review = services.review_create(booking=completed, by=client_user, rating=4, text="x" * 2000)
    assert len(review.text) == 2000


def test_pro_replies_once(completed, client_user, working_pro):
    review = services.review_create(booking=completed, by=client_user, rating=2)
    replied = services.review_reply(review=review, by=working_pro.user, text="Sorry to hear")
    assert replied.reply == "Sorry to hear"
    assert replied.replied_at is not None
    with pytest.raises(ValidationError, match="already replied"):
        services.review_reply(review=review, by=working_pro.user, text="Again")


def test_only_the_reviewed_pro_may_reply(completed, client_user, other_pro):
    review = services.review_create(booking=completed, by=client_user, rating=2)
    for someone in (client_user, other_pro.user):
        with pytest.raises(ValidationError, match="Only the reviewed professional"):
            services.review_reply(review=review, by=someone, text="Hi")


def test_empty_reply_is_refused(completed, client_user, working_pro):
    review = services.review_create(booking=completed, by=client_user, rating=2)
    with pytest.raises(ValidationError, match="Write a reply"):
        services.review_reply(review=review, by=working_pro.user, text="   ")


def test_review_refusal_is_none_for_the_client_of_a_fresh_completed_booking(completed, client_user):
    assert services.review_refusal(booking=completed, by=client_user, now=timezone.now()) is None


def test_review_refusal_says_a_reviewed_booking_was_reviewed(completed, client_user):
    services.review_create(booking=completed, by=client_user, rating=4)
    completed.refresh_from_db()
    refusal = services.review_refusal(booking=completed, by=client_user, now=timezone.now())
    assert refusal == "You have already reviewed this booking."
