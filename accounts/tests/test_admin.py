"""Staff admin for accounts: every page loads, users are created and found by email."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from accounts.models import Category, ClientProfile, ProProfile, User

pytestmark = pytest.mark.django_db

MODELS = [User, ClientProfile, ProProfile, Category]


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


def _admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_changelist_loads(staff_client, pro, model):
    response = staff_client.get(_admin_url(model, "changelist"))

    assert response.status_code == HTTPStatus.OK


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_add_page_loads(staff_client, model):
    assert staff_client.get(_admin_url(model, "add")).status_code == HTTPStatus.OK


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_change_page_loads(staff_client, pro, model):
    obj = {
        User: pro.user,
        ClientProfile: pro.user.client_profile,
        ProProfile: pro,
        Category: pro.category,
    }[model]

    response = staff_client.get(_admin_url(model, "change", obj.pk))

    assert response.status_code == HTTPStatus.OK


@pytest.mark.parametrize(
    ("model", "query"),
    [
        (User, {"q": "pro@example.com"}),
        (User, {"role__exact": "pro", "is_staff__exact": "0"}),
        (ProProfile, {"q": "pro@example.com"}),
        (ProProfile, {"city": "Paris", "is_listed__exact": "1"}),
    ],
)
def test_search_and_filters_find_the_pro(staff_client, pro, other_pro, client_user, model, query):
    response = staff_client.get(_admin_url(model, "changelist"), query)

    assert response.status_code == HTTPStatus.OK
    results = list(response.context["cl"].result_list)
    assert (pro.user if model is User else pro) in results
    assert client_user not in results


def test_pro_filter_by_category(staff_client, pro, category):
    response = staff_client.get(
        _admin_url(ProProfile, "changelist"), {"category__id__exact": category.pk}
    )

    assert list(response.context["cl"].result_list) == [pro]


def test_staff_can_add_a_user_without_a_username(staff_client):
    response = staff_client.post(
        _admin_url(User, "add"),
        {
            "email": "new-staff-made@example.com",
            "role": "client",
            "usable_password": "true",
            "password1": "plum-orbit-lantern-42",
            "password2": "plum-orbit-lantern-42",
        },
    )

    assert response.status_code == HTTPStatus.FOUND, response.context["adminform"].form.errors
    user = User.objects.get(email="new-staff-made@example.com")
    assert user.check_password("plum-orbit-lantern-42")
    assert user.client_profile.display_name == "new-staff-made"


def test_staff_can_hide_a_pro_from_the_directory(staff_client, pro):
    url = _admin_url(ProProfile, "change", pro.pk)
    form = staff_client.get(url).context["adminform"].form
    data = {
        name: ("" if value is None else value)
        for name, value in form.initial.items()
        if name not in ("avatar", "rating_avg", "review_count", "created_at", "updated_at")
    }
    data["is_listed"] = ""

    response = staff_client.post(url, data)

    assert response.status_code == HTTPStatus.FOUND
    pro.refresh_from_db()
    assert pro.is_listed is False


def test_admin_is_closed_to_non_staff(client, client_user):
    client.force_login(client_user)

    response = client.get(_admin_url(User, "changelist"))

    assert response.status_code == HTTPStatus.FOUND
    assert "/admin/login/" in response["Location"]
