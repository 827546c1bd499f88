"""Every model registered in the admin has a changelist and an add page that load for staff."""

from http import HTTPStatus

import pytest
from django.contrib import admin
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _registered():
    return sorted((model._meta.app_label, model._meta.model_name) for model in admin.site._registry)


def test_every_project_model_is_registered_in_the_admin():
    from django.apps import apps

    registered = set(_registered())
    missing = [
        f"{m._meta.app_label}.{m.__name__}"
        for app in ("accounts", "bookings", "chat", "payments")
        for m in apps.get_app_config(app).get_models()
        if (m._meta.app_label, m._meta.model_name) not in registered and not m._meta.auto_created
    ]
    assert missing == [], f"not in the admin: {missing}"


@pytest.mark.parametrize("app_label,model_name", _registered())
def test_admin_changelist_loads_for_staff(client, staff_user, app_label, model_name):
    client.force_login(staff_user)

    response = client.get(reverse(f"admin:{app_label}_{model_name}_changelist"))

    assert response.status_code == HTTPStatus.OK


@pytest.mark.parametrize("app_label,model_name", _registered())
def test_admin_add_page_loads_or_is_refused_for_read_only_models(
    client, staff_user, app_label, model_name
):
    client.force_login(staff_user)
    model_admin = next(
        ma
        for m, ma in admin.site._registry.items()
        if (m._meta.app_label, m._meta.model_name) == (app_label, model_name)
    )

    response = client.get(reverse(f"admin:{app_label}_{model_name}_add"))

    # Read-only admins (events, messages, Stripe events) deny adding; everything else loads.
    rf_request = response.wsgi_request
    expected = HTTPStatus.OK if model_admin.has_add_permission(rf_request) else HTTPStatus.FORBIDDEN
    assert response.status_code == expected


def test_admin_refuses_anonymous_visitors(client):
    response = client.get(reverse("admin:index"))

    assert response.status_code == HTTPStatus.FOUND
    assert reverse("admin:login") in response["Location"]


def test_staff_see_one_accounts_section(client, staff_user):
    client.force_login(staff_user)

    response = client.get(reverse("admin:index"))

    sections = response.context["app_list"]
    names = [str(app["name"]) for app in sections]
    assert names.count("Accounts") == 1
    assert "Sign-in: email addresses" in names
