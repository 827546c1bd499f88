"""API v1 for pros: /api/v1/me/clients (list, one, PATCH notes) and /api/v1/me/reviews."""

from datetime import UTC, timedelta
from http import HTTPStatus

import pytest
from django.test import Client
from django.utils import timezone

from bookings import services
from bookings.models import Booking, ClientNote
from conftest import local_at, make_booking, make_service, make_user

pytestmark = pytest.mark.django_db

API = "/api/v1/me"
COMPLETED = Booking.Status.COMPLETED


@pytest.fixture
def as_pro(client, pro) -> Client:
    client.force_login(pro.user)
    return client


@pytest.fixture
def regular(working_pro, service, client_user, now):
    make_booking(client=client_user, service=service, starts_at=local_at(-9, 10), status=COMPLETED)
    make_booking(client=client_user, service=service, starts_at=local_at(-2, 10), status="no_show")
    services.client_note_set(pro=working_pro, client=client_user, text="Short on the sides")
    return client_user


def test_the_pro_lists_their_clients_with_figures_and_notes(regular, as_pro):
    response = as_pro.get(f"{API}/clients")

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {
        "count": 1,
        "results": [
            {
                "id": regular.pk,
                "display_name": "Chloé Client",
                "bookings": 2,
                "visits": 1,
                "no_shows": 1,
                "last_visit": local_at(-2, 10).astimezone(UTC).isoformat(),
                "next_visit": None,
                "spend": [{"amount": 3500, "currency": "EUR"}],
                "notes": "Short on the sides",
                "nudged_at": None,
            }
        ],
    }


def test_one_client_comes_with_the_history(regular, as_pro):
    body = as_pro.get(f"{API}/clients/{regular.pk}").json()

    assert [(v["status"], v["service"]) for v in body["history"]] == [
        ("no_show", "Haircut"),
        ("completed", "Haircut"),
    ]
    assert body["history"][0]["price"] == {"amount": 3500, "currency": "EUR"}


def test_patch_sets_the_notes(regular, working_pro, as_pro):
    response = as_pro.patch(
        f"{API}/clients/{regular.pk}", {"notes": "Allergic to lavender"}, "application/json"
    )

    assert response.status_code == HTTPStatus.OK
    assert response.json()["notes"] == "Allergic to lavender"
    assert ClientNote.objects.get(pro=working_pro, client=regular).text == "Allergic to lavender"


def test_too_long_notes_are_a_400_and_keep_the_old_ones(regular, working_pro, as_pro):
    response = as_pro.patch(
        f"{API}/clients/{regular.pk}", {"notes": "x" * 2001}, "application/json"
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert ClientNote.objects.get(pro=working_pro, client=regular).text == "Short on the sides"


def test_another_pros_client_is_a_404(regular, other_pro, other_client, client):
    theirs = make_service(pro=other_pro)
    make_booking(client=other_client, service=theirs, starts_at=local_at(-1, 9), status=COMPLETED)
    client.force_login(other_pro.user)

    read = client.get(f"{API}/clients/{regular.pk}")
    write = client.patch(f"{API}/clients/{regular.pk}", {"notes": "Mine"}, "application/json")

    assert read.status_code == write.status_code == HTTPStatus.NOT_FOUND
    assert ClientNote.objects.get().text == "Short on the sides"


def test_clients_are_for_pros_only(regular, client):
    assert client.get(f"{API}/clients").status_code == HTTPStatus.UNAUTHORIZED
    client.force_login(regular)
    assert client.get(f"{API}/clients").status_code == HTTPStatus.FORBIDDEN
    assert client.get(f"{API}/reviews").status_code == HTTPStatus.FORBIDDEN


def test_a_page_past_the_end_is_a_400(regular, as_pro):
    response = as_pro.get(f"{API}/clients", {"page": 9})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "pages run from 1 to 1" in response.json()["detail"]


@pytest.mark.parametrize("n", [1, 12])
def test_the_client_list_runs_a_bounded_number_of_queries(
    working_pro, service, as_pro, django_assert_max_num_queries, n
):
    for i in range(n):
        someone = make_user()
        make_booking(
            client=someone, service=service, starts_at=local_at(-i - 1, 9), status=COMPLETED
        )

    # session, user, pro, count, clients, spend
    with django_assert_max_num_queries(6):
        response = as_pro.get(f"{API}/clients")

    assert response.json()["count"] == n


def test_the_pro_reads_their_reviews_with_the_average(working_pro, service, as_pro):
    for rating, text in ((5, "Perfect"), (2, "Late")):
        author = make_user()
        booking = make_booking(
            client=author,
            service=service,
            starts_at=timezone.now() - timedelta(days=3),
            status=COMPLETED,
        )
        review = services.review_create(booking=booking, by=author, rating=rating, text=text)
    services.review_reply(review=review, by=working_pro.user, text="Sorry!")

    body = as_pro.get(f"{API}/reviews").json()
    waiting = as_pro.get(f"{API}/reviews", {"unanswered": "true"}).json()

    assert (body["count"], body["average"], body["unanswered"]) == (2, 3.5, 1)
    assert [(r["rating"], r["reply"], r["service"]) for r in body["results"]] == [
        (2, "Sorry!", "Haircut"),
        (5, "", "Haircut"),
    ]
    assert [r["text"] for r in waiting["results"]] == ["Perfect"]
