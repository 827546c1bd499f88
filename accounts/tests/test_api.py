"""Directory API v1: /api/v1/categories, /pros, /pros/{slug}, /me, plus the schema and docs."""

import io
import re
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from accounts.models import User
from bookings import services as booking_services
from conftest import make_category, make_pro, make_service

pytestmark = pytest.mark.django_db

API = "/api/v1"


def png_file(name="a.png"):
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 120, 200)).save(buf, "PNG")
    return ContentFile(buf.getvalue(), name=name)


# --- categories -------------------------------------------------------------------------------


def test_categories_lists_slug_and_name_sorted_by_name(client, db):
    make_category(name="Tutors", slug="tutors")
    make_category(name="Barbers", slug="barbers")

    response = client.get(f"{API}/categories")

    assert response.status_code == HTTPStatus.OK
    assert response.json() == [
        {"slug": "barbers", "name": "Barbers"},
        {"slug": "tutors", "name": "Tutors"},
    ]


# --- pros -------------------------------------------------------------------------------------


def test_pros_returns_count_and_pros_in_the_documented_shape(client, pro, service):
    pro.headline = "Sharp cuts"
    pro.rating_avg = Decimal("4.50")
    pro.review_count = 8
    pro.latitude, pro.longitude, pro.travel_km = Decimal("48.8566"), Decimal("2.3522"), 12
    pro.save()
    make_service(pro=pro, name="Old", is_active=False)

    response = client.get(f"{API}/pros")

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {
        "count": 1,
        "results": [
            {
                "slug": "paula-pro",
                "display_name": "Paula Pro",
                "headline": "Sharp cuts",
                "category": "barbers",
                "city": "Paris",
                "location": {"city": "Paris", "lat": 48.8566, "lng": 2.3522, "travel_km": 12},
                "timezone": "Europe/Paris",
                "currency": "EUR",
                "avatar_url": None,
                "rating": 4.5,
                "review_count": 8,
                "confirmation_mode": "instant",
                "services": [
                    {
                        "id": service.id,
                        "name": "Haircut",
                        "duration_minutes": 45,
                        "currency": "EUR",
                        "price": {"amount": 3500, "currency": "EUR"},
                        "protection": {
                            "kind": "none",
                            "deposit": None,
                            "no_show_fee_percent": 0,
                        },
                    }
                ],
            }
        ],
    }


def test_pro_without_category_or_rating_gives_nulls(client, db):
    make_pro(slug="bare")

    [result] = client.get(f"{API}/pros").json()["results"]

    assert result["category"] is None
    assert result["rating"] is None
    assert result["services"] == []


def test_avatar_url_is_absolute(client, pro):
    pro.avatar.save("paula.png", png_file(), save=True)

    [result] = client.get(f"{API}/pros").json()["results"]

    assert result["avatar_url"].startswith("http://testserver/media/avatars/")


def test_pros_filters_by_text_category_city_and_max_price(client, category):
    other = make_category(name="Tutors", slug="tutors")
    match = make_pro(slug="match", name="Fade Expert", category=category, city="Lyon")
    make_service(pro=match, price_amount=2000)
    make_pro(slug="wrong-city", name="Fade Two", category=category, city="Paris")
    make_pro(slug="wrong-category", name="Fade Three", category=other, city="Lyon")
    pricey = make_pro(slug="pricey", name="Fade Four", category=category, city="Lyon")
    make_service(pro=pricey, price_amount=9000)

    response = client.get(
        f"{API}/pros",
        {"q": "fade", "category": "barbers", "city": "lyon", "max_price": "2500"},
    )

    assert response.json()["count"] == 1
    assert [p["slug"] for p in response.json()["results"]] == ["match"]


def test_pros_sorts_by_price(client, category):
    for slug, price in [("b", 3000), ("a", 1000), ("c", 2000)]:
        make_service(pro=make_pro(slug=slug), price_amount=price)

    response = client.get(f"{API}/pros", {"sort": "price"})

    assert [p["slug"] for p in response.json()["results"]] == ["a", "c", "b"]


def test_pros_pages_by_twenty(client, db):
    for n in range(23):
        make_pro(name=f"Pro {n:02}")

    first = client.get(f"{API}/pros").json()
    second = client.get(f"{API}/pros", {"page": 2}).json()

    assert (first["count"], len(first["results"])) == (23, 20)
    assert (second["count"], len(second["results"])) == (23, 3)
    assert {p["slug"] for p in first["results"]}.isdisjoint(p["slug"] for p in second["results"])


def test_empty_directory_has_an_empty_first_page(client, db):
    response = client.get(f"{API}/pros")

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"count": 0, "results": []}


@pytest.mark.parametrize("page", ["0", "-1", "3"])
def test_page_out_of_range_is_a_400_with_detail(client, db, page):
    for _ in range(21):
        make_pro()

    response = client.get(f"{API}/pros", {"page": page})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "does not exist" in response.json()["detail"]


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"page": "two"}, "page"),
        ({"max_price": "cheap"}, "max_price"),
        ({"max_price": "-1"}, "max_price"),
        ({"sort": "random"}, "sort"),
        ({"q": "x" * 101}, "q"),
        ({"category": "no-such"}, "Unknown category"),
    ],
)
def test_bad_query_values_are_a_400_with_detail(client, category, params, fragment):
    response = client.get(f"{API}/pros", params)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert set(response.json()) == {"detail"}
    assert fragment in response.json()["detail"]


def test_pros_excludes_unlisted_and_deactivated_pros(client, db):
    make_pro(slug="listed")
    make_pro(slug="unlisted", is_listed=False)
    gone = make_pro(slug="gone")
    User.objects.filter(pk=gone.user_id).update(is_active=False)

    assert [p["slug"] for p in client.get(f"{API}/pros").json()["results"]] == ["listed"]


def test_pros_query_count_does_not_grow(client, django_assert_max_num_queries, category):
    for n in range(25):
        pro = make_pro(category=category)
        for s in range(3):
            make_service(pro=pro, name=f"S{n}-{s}")

    with django_assert_max_num_queries(4):  # category check, count, pros, services
        response = client.get(f"{API}/pros", {"category": "barbers"})
    assert len(response.json()["results"]) == 20


# --- pros/{slug} ------------------------------------------------------------------------------


def test_pro_detail_returns_the_pro(client, pro, service):
    response = client.get(f"{API}/pros/paula-pro")

    assert response.status_code == HTTPStatus.OK
    assert response.json()["display_name"] == "Paula Pro"
    assert response.json()["services"][0]["price"] == {"amount": 3500, "currency": "EUR"}
    assert response.json()["confirmation_mode"] == "instant"


def test_a_request_mode_pro_says_so_in_the_search_and_the_pro(client, pro, service):
    booking_services.booking_rules_update(pro=pro, confirmation_mode="request")

    one = client.get(f"{API}/pros/paula-pro").json()
    found = client.get(f"{API}/pros").json()["results"]

    assert one["confirmation_mode"] == "request"
    assert [p["confirmation_mode"] for p in found] == ["request"]


@pytest.mark.parametrize("slug", ["nobody", "hidden"])
def test_unknown_or_unlisted_pro_is_a_404_with_detail(client, db, slug):
    make_pro(slug="hidden", is_listed=False)

    response = client.get(f"{API}/pros/{slug}")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert list(response.json()) == ["detail"]


# --- me ---------------------------------------------------------------------------------------


def test_me_is_401_with_detail_when_anonymous(client, db):
    response = client.get(f"{API}/me")

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json() == {"detail": "Authentication required."}


def test_me_for_a_client(client, client_user):
    client.force_login(client_user)

    response = client.get(f"{API}/me")

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {
        "email": "client@example.com",
        "role": "client",
        "display_name": "Chloé Client",
        "timezone": "Europe/Paris",
        "avatar_url": None,
        "pro": None,
    }


def test_me_for_a_pro_includes_the_pro_profile(client, pro):
    pro.avatar.save("p.png", png_file(), save=True)
    client.force_login(pro.user)

    body = client.get(f"{API}/me").json()

    assert body["role"] == "pro"
    assert body["display_name"] == "Paula Pro"
    assert body["avatar_url"].startswith("http://testserver/media/avatars/")
    assert body["pro"] == {
        "slug": "paula-pro",
        "display_name": "Paula Pro",
        "headline": "",
        "category": "barbers",
        "city": "Paris",
        "timezone": "Europe/Paris",
        "currency": "EUR",
        "avatar_url": body["avatar_url"],
        "is_listed": True,
    }


def test_me_gives_a_pro_the_zone_of_their_pro_profile(client, pro):
    pro.user.client_profile.timezone = "Asia/Tokyo"
    pro.user.client_profile.save()
    pro.timezone = "America/New_York"
    pro.save()
    client.force_login(pro.user)

    body = client.get(f"{API}/me").json()

    assert body["timezone"] == "America/New_York"


def test_me_for_a_user_without_any_profile(client, staff_user):
    client.force_login(staff_user)

    body = client.get(f"{API}/me").json()

    assert body == {
        "email": "admin@example.com",
        "role": "client",
        "display_name": "admin",
        "timezone": "UTC",
        "avatar_url": None,
        "pro": None,
    }


def test_me_refuses_unsafe_methods(client, client_user):
    client.force_login(client_user)

    response = client.post(f"{API}/me")

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED


# --- schema and docs --------------------------------------------------------------------------


def test_openapi_schema_lists_the_directory_endpoints(client, db):
    response = client.get(f"{API}/openapi.json")

    assert response.status_code == HTTPStatus.OK
    paths = response.json()["paths"]
    for path in ("/api/v1/categories", "/api/v1/pros", "/api/v1/pros/{slug}", "/api/v1/me"):
        assert "get" in paths[path]


def test_docs_page_loads_only_local_assets_under_the_csp(client, db):
    response = client.get(f"{API}/docs")

    assert response.status_code == HTTPStatus.OK
    body = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in body
    assert "cdn." not in body
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp


def test_docs_page_hands_the_csrf_token_to_swagger(client, db):
    body = client.get(f"{API}/docs").content.decode()

    assert 'data-api-csrf="true"' in body
    assert re.search(r'data-csrf-token="[A-Za-z0-9]{32,}"', body)
