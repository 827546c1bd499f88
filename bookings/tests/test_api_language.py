"""The API's language (accounts.languages): an explicit Accept-Language wins over the signed-in
user's own choice, which wins without the header; every answer, errors included, says its
language in Content-Language; a language Timz does not speak is English, never a 4xx."""

from http import HTTPStatus

import pytest
from django.conf import settings

from bookings.tests.catalogue import install_german
from conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def german(settings, tmp_path):
    return install_german(settings, tmp_path)


BOOKINGS = "/api/v1/bookings"


@pytest.fixture
def french(client):
    """A test client signed in (session) as a user whose own language is French."""
    client.force_login(make_user(email="fr@example.com", language="fr"))
    return client


def test_an_explicit_accept_language_wins_over_the_users_own_language(french):
    response = french.get(BOOKINGS, HTTP_ACCEPT_LANGUAGE="de")

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Language"] == "de"


def test_without_the_header_the_api_speaks_the_users_own_language(french):
    response = french.get(BOOKINGS)

    assert response["Content-Language"] == "fr"


def test_an_empty_header_is_no_choice(french):
    assert french.get(BOOKINGS, HTTP_ACCEPT_LANGUAGE="")["Content-Language"] == "fr"


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("de-AT", "de"),  # a region reads as its language
        ("ja, es;q=0.8, de;q=0.5", "es"),  # the first Timz speaks, by weight
        ("ja", "en"),  # none Timz speaks: English, not the user's French
        ("*", "en"),
        ("x" * 300, "en"),  # nonsense is no error
    ],
)
def test_the_header_picks_the_first_language_timz_speaks_else_english(french, header, language):
    response = french.get(BOOKINGS, HTTP_ACCEPT_LANGUAGE=header)

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Language"] == language


def test_an_unsupported_language_is_english_for_a_visitor_too(client):
    response = client.get("/api/v1/availability", HTTP_ACCEPT_LANGUAGE="ja-JP")

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Language"] == "en"
    assert "Accept-Language" in response["Vary"]


def test_the_header_beats_the_switchers_cookie_on_the_api(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"

    assert client.get("/api/v1/availability")["Content-Language"] == "es"
    assert client.get("/api/v1/availability", HTTP_ACCEPT_LANGUAGE="de")["Content-Language"] == "de"


@pytest.mark.parametrize(
    ("url", "status"),
    [
        (f"{BOOKINGS}?role=nobody", HTTPStatus.BAD_REQUEST),  # our own check
        (f"{BOOKINGS}/999999", HTTPStatus.NOT_FOUND),  # a selector's Http404
        ("/api/v1/no-such-endpoint", HTTPStatus.NOT_FOUND),  # no route at all
        ("/api/v1/pros/x/slots?service=abc", HTTPStatus.BAD_REQUEST),  # pydantic's refusal
    ],
)
def test_error_answers_carry_the_language_too(french, url, status):
    response = french.get(url, HTTP_ACCEPT_LANGUAGE="de")

    assert response.status_code == status
    assert response["Content-Language"] == "de"
    assert response.json()["detail"]


def test_an_anonymous_401_carries_the_language(client):
    response = client.get(BOOKINGS, HTTP_ACCEPT_LANGUAGE="es")

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["Content-Language"] == "es"


def test_error_details_are_written_in_the_language_asked_for(french, german):
    missing = french.get(f"{BOOKINGS}/999999", HTTP_ACCEPT_LANGUAGE="de")
    bad = french.get(f"{BOOKINGS}?role=nobody", HTTP_ACCEPT_LANGUAGE="de")

    assert missing.json() == {"detail": german["No such booking."]}
    assert bad.json() == {"detail": german["role must be client or pro."]}


def test_without_the_header_details_follow_the_users_language_not_the_last_request(french, german):
    french.get(f"{BOOKINGS}/999999", HTTP_ACCEPT_LANGUAGE="de")

    # French has no catalogue here: English, as French readers will see it until it is written.
    assert french.get(f"{BOOKINGS}/999999").json() == {"detail": "No such booking."}


def test_a_service_refusal_reaches_the_api_in_the_language_asked_for(client, pro, service, german):
    client.force_login(pro.user)

    response = client.post(
        BOOKINGS,
        {"service": service.pk, "starts_at": "2030-01-07T10:00:00+01:00"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="de",
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == {"detail": german["You cannot book your own service."]}
