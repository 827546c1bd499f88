"""Query counts of the booking pages are pinned and do not grow with the number of bookings."""

from datetime import timedelta

import pytest
from django.urls import reverse

from bookings.models import Booking
from bookings.tests.conftest_pages import *  # noqa: F403
from conftest import local_at, make_booking, make_service, make_user

pytestmark = pytest.mark.django_db

# Measured bounds (SQLite). Each is the same with 2 and with 30 bookings.
# Flow page: pro, services, and 2 for the slot engine (one load gives the strip and the times).
FLOW_PAGE = 4
# + session, user and the client's profile (their time zone).
FLOW_FRAGMENT = 7
CONFIRM_PAGE = 9
# Session, user, client profile, the tab's bookings, the tabs' counts, header (unread messages,
# user's pro profile).
MY_BOOKINGS = 7
# Session, user + pro profile, rules, the range's bookings, the requests, unread messages.
AGENDA = 7
# Session, user, booking, events, event actors, review, client profile, header, payment.
DETAIL = 10


def fill(n, *, open_service, client_user, other_pro):
    """`n` bookings of `client_user`: half with the pro of `open_service`, half with another pro,
    every 3 hours from tomorrow; some past, some requests, some completed."""
    other_service = make_service(pro=other_pro, name="Massage")
    for i in range(n):
        service = open_service if i % 2 == 0 else other_service
        start = local_at(1, 9) + timedelta(hours=3 * i) if i % 5 else local_at(-i - 1, 9)
        status = [Booking.Status.CONFIRMED, Booking.Status.REQUESTED, Booking.Status.COMPLETED][
            i % 3
        ]
        if i % 5 == 0:
            status = Booking.Status.COMPLETED
        make_booking(
            client=client_user if i % 4 else make_user(),
            service=service,
            starts_at=start,
            status=status,
        )


@pytest.fixture(params=[2, 30], ids=["2-bookings", "30-bookings"])
def many(request, open_service, client_user, other_pro):
    fill(request.param, open_service=open_service, client_user=client_user, other_pro=other_pro)
    return request.param


def test_booking_flow_page(client, open_service, many, django_assert_max_num_queries):
    url = reverse("bookings:book", args=[open_service.pro.slug, open_service.pk])
    with django_assert_max_num_queries(FLOW_PAGE):
        assert client.get(url).status_code == 200


def test_booking_flow_fragment_for_a_logged_in_client(
    as_client, open_service, many, django_assert_max_num_queries
):
    url = reverse("bookings:book", args=[open_service.pro.slug, open_service.pk])
    date = local_at(3, 9).date().isoformat()
    with django_assert_max_num_queries(FLOW_FRAGMENT):
        response = as_client.get(f"{url}?date={date}", headers={"X-Timz-Fragment": "picker"})
        assert response.status_code == 200


def test_confirm_page(as_client, open_service, many, django_assert_max_num_queries):
    url = reverse("bookings:confirm", args=[open_service.pro.slug, open_service.pk])
    start = local_at(20, 11).isoformat()
    with django_assert_max_num_queries(CONFIRM_PAGE):
        response = as_client.get(url, {"start": start})
        assert response.status_code == 200


@pytest.mark.parametrize("scope", ["upcoming", "past", "cancelled"])
def test_my_bookings(as_client, many, scope, django_assert_max_num_queries):
    with django_assert_max_num_queries(MY_BOOKINGS):
        response = as_client.get(reverse("bookings:my_bookings"), {"scope": scope})
        assert response.status_code == 200
    assert sum(tab["count"] for tab in response.context["tabs"]) >= min(many, 2) - 1


@pytest.mark.parametrize("view", ["day", "week"])
def test_agenda(as_pro, many, view, django_assert_max_num_queries):
    date = local_at(1, 9).date().isoformat()
    with django_assert_max_num_queries(AGENDA):
        response = as_pro.get(reverse("bookings:agenda"), {"view": view, "date": date})
        assert response.status_code == 200


def test_detail(as_client, client_user, many, django_assert_max_num_queries):
    booking = Booking.objects.filter(client=client_user).first()
    with django_assert_max_num_queries(DETAIL):
        assert as_client.get(reverse("bookings:detail", args=[booking.pk])).status_code == 200
