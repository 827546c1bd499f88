"""Branded error pages (400, 403, 404, 500 and the CSRF failure page) with DEBUG off.

The views below exist only in this module's URLconf (`@pytest.mark.urls`), which includes the
real site so the pages render exactly as in production.
"""

from http import HTTPStatus

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.test import Client
from django.urls import include, path

import timz.urls

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def raises_permission_denied(request):
    raise PermissionDenied("Only the pro may see this.")


def raises_suspicious(request):
    raise SuspiciousOperation("Tampered input.")


def raises_error(request):
    raise RuntimeError("Boom: an unexpected bug.")


urlpatterns = [
    path("test-errors/403/", raises_permission_denied),
    path("test-errors/400/", raises_suspicious),
    path("test-errors/500/", raises_error),
    path("", include(timz.urls.urlpatterns)),
]
handler400 = timz.urls.handler400
handler403 = timz.urls.handler403
handler404 = timz.urls.handler404
handler500 = timz.urls.handler500


@pytest.fixture(autouse=True)
def production_mode(settings):
    settings.DEBUG = False


def assert_branded(response, status, heading, *, csp=True):
    assert response.status_code == status
    body = response.content.decode()
    assert heading in body
    assert 'class="site-header"' in body
    assert "/static/css/timz.css" in body
    assert "Traceback" not in body
    if csp:
        assert "Content-Security-Policy" in response.headers


def test_missing_page_is_a_branded_404(client):
    response = client.get("/no/such/page/")

    assert_branded(response, HTTPStatus.NOT_FOUND, "Page not found")
    assert 'role="search"' in response.content.decode()  # a way back into the directory


def test_unknown_pro_is_a_branded_404(client):
    response = client.get("/p/nobody-here/")

    assert_branded(response, HTTPStatus.NOT_FOUND, "Page not found")


def test_permission_denied_is_a_branded_403(client):
    response = client.get("/test-errors/403/")

    assert_branded(response, HTTPStatus.FORBIDDEN, "Not allowed")


def test_suspicious_request_is_a_branded_400(client):
    response = client.get("/test-errors/400/")

    assert_branded(response, HTTPStatus.BAD_REQUEST, "Bad request")


def test_unexpected_error_is_a_branded_500_without_details():
    client = Client(raise_request_exception=False)

    response = client.get("/test-errors/500/")

    assert_branded(response, HTTPStatus.INTERNAL_SERVER_ERROR, "Something went wrong")
    assert "Boom" not in response.content.decode()


def test_csrf_failure_is_a_branded_403(client_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(client_user)

    response = client.post("/accounts/logout/")

    assert_branded(response, HTTPStatus.FORBIDDEN, "This form has expired")


def test_disallowed_host_is_a_branded_400(client):
    response = client.get("/", headers={"host": "evil.example"})

    # Rejected by the first middleware, before the CSP middleware runs: branded all the same.
    assert_branded(response, HTTPStatus.BAD_REQUEST, "Bad request", csp=False)


def test_api_errors_stay_json_with_debug_off(client):
    response = client.get("/api/v1/pros/nobody")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert list(response.json()) == ["detail"]


def test_an_api_post_without_the_csrf_token_gets_a_json_403():
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post("/api/v1/no-such-endpoint", data={})

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "X-CSRFToken" in response.json()["detail"]


def test_a_page_post_without_the_csrf_token_gets_the_branded_403():
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post("/accounts/login/", data={})

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert b"Timz" in response.content
