"""A service's name and description in several languages (accounts.content): the service form,
the pro's API, a booking's snapshot, and what a client reads (pages, emails) in their language."""

from http import HTTPStatus

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from bookings import services
from bookings.models import Service
from conftest import local_at, login, make_user

pytestmark = pytest.mark.django_db

FRENCH = {"fr": {"name": "Coupe de cheveux", "description": "Shampooing compris"}}


@pytest.fixture(autouse=True)
def _english_after_each_test():
    """A request in French leaves French active in this thread (LocaleMiddleware does not
    deactivate it): the tests after this module's must not read French."""
    yield
    translation.deactivate()


@pytest.fixture
def french_service(service):
    services.service_update(service=service, translations=FRENCH)
    return service


def form_data(**overrides):
    data = {
        "name": "Balayage",
        "description": "",
        "duration_minutes": "90",
        "price": "60.00",
        "payment_mode": "at_appointment",
        "is_active": "on",
        "protection": "none",
    }
    data.update(overrides)
    return data


# The form --------------------------------------------------------------------------------------


def test_the_service_form_offers_a_version_per_other_language(pro):
    pro.content_language = "de"
    pro.save()
    body = login(pro.user).get(reverse("bookings:service_create")).content.decode()
    assert "Written in German" in body
    for code in ("en", "fr", "es"):
        assert f'data-testid="version-{code}"' in body
    assert 'data-testid="version-de"' not in body


def test_the_pro_writes_versions_with_the_service_form(pro):
    response = login(pro.user).post(
        reverse("bookings:service_create"),
        form_data(name__fr="Balayage à main levée", description__fr="", name__de=" "),
    )
    assert response.status_code == HTTPStatus.FOUND
    assert Service.objects.get(name="Balayage").translations == {
        "fr": {"name": "Balayage à main levée"}
    }


def test_the_edit_form_shows_the_versions_written(pro, french_service):
    url = reverse("bookings:service_edit", args=[french_service.pk])
    body = login(pro.user).get(url).content.decode()
    assert 'value="Coupe de cheveux"' in body and "Shampooing compris" in body


def test_a_version_too_long_is_refused_by_the_form(pro):
    response = login(pro.user).post(
        reverse("bookings:service_create"), form_data(name__fr="x" * 121)
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not Service.objects.filter(name="Balayage").exists()


def test_a_version_in_the_pros_content_language_is_refused(pro, service):
    with pytest.raises(ValidationError) as caught:
        services.service_update(service=service, translations={"en": {"name": "Cut"}})
    assert "English is the language of the main text" in str(caught.value)


# The pro's API ---------------------------------------------------------------------------------


def test_a_pro_lists_their_services_texts(pro, french_service):
    data = login(pro.user).get("/api/v1/me/services").json()
    assert data == [
        {
            "id": french_service.pk,
            "name": "Haircut",
            "description": "",
            "translations": FRENCH,
            "is_active": True,
        }
    ]


def test_a_pro_writes_a_services_versions_through_the_api(pro, service):
    response = login(pro.user).patch(
        f"/api/v1/me/services/{service.pk}",
        {"translations": {"de": {"name": "Haarschnitt", "description": ""}}},
        content_type="application/json",
    )
    assert response.status_code == HTTPStatus.OK
    service.refresh_from_db()
    assert service.translations == {"de": {"name": "Haarschnitt"}}
    assert service.name == "Haircut"


def test_the_api_refuses_an_unknown_language(pro, service):
    response = login(pro.user).patch(
        f"/api/v1/me/services/{service.pk}",
        {"translations": {"xx": {"name": "Haircut"}}},
        content_type="application/json",
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Unknown language code “xx”" in response.json()["detail"]


def test_the_api_names_the_service_in_the_requests_language(client, working_pro, french_service):
    url = f"/api/v1/pros/{working_pro.slug}"
    assert client.get(url, HTTP_ACCEPT_LANGUAGE="fr").json()["services"][0]["name"] == (
        "Coupe de cheveux"
    )
    assert client.get(url).json()["services"][0]["name"] == "Haircut"


# A booking's snapshot --------------------------------------------------------------------------


def test_a_booking_keeps_the_versions_of_the_name_it_was_booked_under(
    working_pro, french_service, client_user
):
    booking = services.booking_create(
        client=client_user, service=french_service, starts_at=local_at(4, 10)
    )
    services.service_update(service=french_service, translations={})
    booking.refresh_from_db()
    with translation.override("fr"):
        assert booking.localized_service_name == "Coupe de cheveux"


def test_the_booking_api_names_the_service_in_the_requests_language(
    working_pro, french_service, client_user
):
    booking = services.booking_create(
        client=client_user, service=french_service, starts_at=local_at(4, 10)
    )
    http = login(client_user)
    french = http.get(f"/api/v1/bookings/{booking.pk}", HTTP_ACCEPT_LANGUAGE="fr").json()
    assert french["service"]["name"] == "Coupe de cheveux"
    assert http.get(f"/api/v1/bookings/{booking.pk}").json()["service"]["name"] == "Haircut"


# What a client reads ---------------------------------------------------------------------------


def test_the_booking_email_to_a_french_client_names_the_service_in_french(
    working_pro, french_service, commit, mailoutbox
):
    client = make_user(email="claire@example.com", language="fr")
    with commit():
        services.booking_create(client=client, service=french_service, starts_at=local_at(4, 10))
    to_client, to_pro = mailoutbox
    assert "Coupe de cheveux" in to_client.subject
    assert "Coupe de cheveux" in to_client.body
    assert "Coupe de cheveux" in to_client.alternatives[0][0]
    # The pro reads their own (English) text.
    assert "Haircut" in to_pro.subject and "Coupe de cheveux" not in to_pro.body


def test_the_booking_page_in_french_names_the_service_in_french(
    working_pro, french_service, client_user
):
    booking = services.booking_create(
        client=client_user, service=french_service, starts_at=local_at(4, 10)
    )
    body = (
        login(client_user)
        .get(reverse("bookings:detail", args=[booking.pk]), HTTP_ACCEPT_LANGUAGE="fr")
        .content.decode()
    )
    assert "Coupe de cheveux" in body


def test_the_booking_flow_in_french_shows_the_french_name_and_description(
    client, working_pro, french_service
):
    url = reverse(
        "bookings:book", kwargs={"slug": working_pro.slug, "service_id": french_service.pk}
    )
    body = client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Coupe de cheveux" in body and "Shampooing compris" in body


def test_the_invitation_names_the_service_in_the_recipients_language(
    working_pro, french_service, commit, mailoutbox
):
    client = make_user(email="claire@example.com", language="fr")
    with commit():
        services.booking_create(client=client, service=french_service, starts_at=local_at(4, 10))
    _name, ics, _type = mailoutbox[0].attachments[0]
    assert "Coupe de cheveux" in (ics.decode() if isinstance(ics, bytes) else ics)
