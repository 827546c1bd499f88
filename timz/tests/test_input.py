"""The input layer (timz.input): NUL characters and oversized bodies are refused with a clear
4xx, JSON under /api/ and a page elsewhere, and nothing is saved.

These run on SQLite and on PostgreSQL (CI stage 2), where a NUL reaching a query was a 500."""

import asyncio
import json
from http import HTTPStatus

import pytest
from channels.testing import HttpCommunicator

from bookings.models import Booking, Review
from chat.models import Conversation
from conftest import local_at, make_booking, set_every_day
from timz.asgi import application
from timz.input import NUL_MESSAGE

pytestmark = pytest.mark.django_db

TOO_LARGE = "The request is too large"


def _json(client, url, payload: str):
    return client.post(url, payload, content_type="application/json")


@pytest.fixture
def logged_in(client, client_user):
    client.force_login(client_user)
    return client


@pytest.mark.parametrize(
    "query",
    ["q=hair%00cut", "city=%00", "category=%00", "q%00=x", "max_price=1%00", "sort=%00"],
)
def test_a_nul_in_the_directorys_query_parameters_is_a_json_400(client, pro, query):
    response = client.get(f"/api/v1/pros?{query}")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == {"detail": NUL_MESSAGE}


def test_a_nul_in_a_pro_slug_is_a_json_400_in_the_api(client, pro):
    response = client.get(f"/api/v1/pros/{pro.slug}%00")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == {"detail": NUL_MESSAGE}


def test_a_nul_in_a_page_address_is_a_400_page(client, pro):
    response = client.get(f"/p/{pro.slug}%00/")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response["Content-Type"].startswith("text/html")
    assert str(NUL_MESSAGE) in response.content.decode()


def test_a_nul_in_the_slots_parameters_is_a_json_400(client, pro, service):
    response = client.get(f"/api/v1/pros/{pro.slug}/slots", {"service": service.pk, "tz": "\x00"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == {"detail": NUL_MESSAGE}


def test_a_nul_in_a_booking_note_is_refused_and_nothing_is_booked(logged_in, pro, service):
    set_every_day(pro)
    payload = json.dumps(
        {"service": service.pk, "starts_at": local_at(3, 10).isoformat(), "note": "hi\u0000"}
    )

    response = _json(logged_in, "/api/v1/bookings", payload)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == {"detail": NUL_MESSAGE}
    assert not Booking.objects.exists()


def test_an_escaped_backslash_before_u0000_is_text_not_a_nul(logged_in, pro, service):
    set_every_day(pro)
    note = "path C:\\u0000 is fine"
    payload = json.dumps(
        {"service": service.pk, "starts_at": local_at(3, 10).isoformat(), "note": note}
    )

    response = _json(logged_in, "/api/v1/bookings", payload)

    assert response.status_code == HTTPStatus.CREATED
    assert Booking.objects.get().note == note


def test_a_nul_in_a_cancel_reason_form_leaves_the_booking_as_it_was(
    client, client_user, pro, service
):
    booking = make_booking(client=client_user, service=service, starts_at=local_at(5, 10))
    client.force_login(client_user)

    response = client.post(
        f"/bookings/{booking.pk}/action/cancel/", {"reason": "changed my mind\x00"}
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert str(NUL_MESSAGE) in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


def test_a_nul_in_a_conversations_pro_is_refused(logged_in, pro):
    response = _json(logged_in, "/api/v1/conversations", json.dumps({"pro": pro.slug + "\0"}))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == {"detail": NUL_MESSAGE}
    assert not Conversation.objects.exists()


def test_a_raw_nul_byte_in_a_json_body_is_refused(logged_in):
    response = logged_in.post(
        "/api/v1/conversations", b'{"pro": "a\x00"}', content_type="application/json"
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == {"detail": NUL_MESSAGE}


def test_a_json_body_over_the_data_limit_gets_a_json_413(logged_in, settings):
    body = json.dumps({"note": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1024)})

    response = _json(logged_in, "/api/v1/bookings", body)

    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert response.json()["detail"].startswith(TOO_LARGE)


def test_a_form_over_the_data_limit_gets_a_413_page(client, client_user, settings):
    client.force_login(client_user)

    response = client.post("/profile/", {"display_name": "x" * (6 * 1024 * 1024 + 10)})

    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert response["Content-Type"].startswith("text/html")
    assert TOO_LARGE in response.content.decode()


# Through the ASGI application, as daphne calls it ------------------------------------------


def _asgi_post(path: str, body: bytes, *, headers=()):
    async def scenario():
        communicator = HttpCommunicator(
            application,
            "POST",
            path,
            body=body,
            headers=[(b"host", b"testserver"), *headers],
        )
        return await communicator.get_response(timeout=10)

    return asyncio.run(scenario())


@pytest.mark.django_db(transaction=True)
def test_a_body_over_the_request_limit_gets_a_json_413_through_asgi(settings):
    settings.MAX_REQUEST_BYTES = 1024
    body = b"{" + b" " * 4096 + b"}"

    response = _asgi_post(
        "/api/v1/bookings",
        body,
        headers=[(b"content-type", b"application/json"), (b"content-length", b"4098")],
    )

    assert response["status"] == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert json.loads(response["body"]) == {"detail": "The request is too large: at most 1 KB."}


@pytest.mark.django_db(transaction=True)
def test_a_streamed_body_without_length_is_counted_and_cut_at_the_limit(settings):
    settings.MAX_REQUEST_BYTES = 1024

    response = _asgi_post(
        "/profile/", b"display_name=" + b"x" * 4096, headers=[(b"content-type", b"text/plain")]
    )

    assert response["status"] == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert TOO_LARGE.encode() in response["body"]


@pytest.mark.django_db(transaction=True)
def test_a_body_under_the_limit_reaches_the_view(settings):
    settings.MAX_REQUEST_BYTES = 1024

    response = _asgi_post(
        "/api/v1/bookings",
        b"{}",
        headers=[(b"content-type", b"application/json"), (b"content-length", b"2")],
    )

    # Without a CSRF token the API refuses it: the request went past the size guard.
    assert response["status"] == HTTPStatus.FORBIDDEN
    assert json.loads(response["body"])["detail"].lower().startswith("csrf check failed")


# Ids in JSON bodies are strict integers ---------------------------------------------------


@pytest.mark.parametrize("value", [True, "1", 1.0, 0, -3, 2**63])
def test_a_service_id_must_be_a_json_integer(logged_in, pro, service, other_pro, value):
    set_every_day(other_pro)
    payload = json.dumps({"service": value, "starts_at": local_at(3, 10).isoformat()})

    response = _json(logged_in, "/api/v1/bookings", payload)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["detail"].startswith("service: ")
    assert not Booking.objects.exists()


@pytest.mark.parametrize(
    "url, payload",
    [
        ("/api/v1/conversations", {"client": True}),
        ("/api/v1/conversations/1/read", {"up_to": True}),
    ],
)
def test_chat_ids_must_be_json_integers(logged_in, url, payload):
    response = _json(logged_in, url, json.dumps(payload))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not Conversation.objects.exists()


def test_a_rating_of_true_is_not_five_stars_or_one(logged_in, client_user, service):
    booking = make_booking(
        client=client_user,
        service=service,
        starts_at=local_at(-2, 10),
        status=Booking.Status.COMPLETED,
    )

    response = _json(logged_in, f"/api/v1/bookings/{booking.pk}/review", '{"rating": true}')

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["detail"].startswith("rating: ")
    assert not Review.objects.exists()
