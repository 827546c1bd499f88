"""`manage.py seed_demo`: demo data that is complete, idempotent and lets the demo logins in."""

import io
from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.urls import reverse

from accounts import demo
from accounts.models import Category, ClientProfile, ProProfile, User
from bookings.models import Service
from conftest import make_user

pytestmark = pytest.mark.django_db


def seed(*args) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def counts(media_root) -> dict:
    return {
        "users": User.objects.count(),
        "client_profiles": ClientProfile.objects.count(),
        "pros": ProProfile.objects.count(),
        "services": Service.objects.count(),
        "categories": Category.objects.count(),
        "emails": EmailAddress.objects.count(),
        "avatar_files": len(list((media_root / "avatars").iterdir())),
    }


def test_seed_creates_the_documented_demo_data(settings):
    output = seed()

    assert {c.name for c in Category.objects.all()} >= {
        "Barbers",
        "Hair stylists",
        "Personal trainers",
        "Tutors",
        "Massage therapists",
        "Nail artists",
    }
    pros = list(ProProfile.objects.select_related("category", "user"))
    assert len(pros) >= 12
    assert len({p.category_id for p in pros}) >= 4
    assert len({p.city for p in pros}) >= 3
    for pro in pros:
        assert pro.user.role == User.Role.PRO
        assert pro.avatar, pro
        assert pro.headline and pro.bio
        assert 2 <= pro.services.filter(is_active=True).count() <= 4
    assert {s.currency for s in Service.objects.all()} == {"EUR", "GBP", "USD"}
    assert ProProfile.objects.get(city="New York", slug="marcus-johnson").timezone == (
        "America/New_York"
    )
    assert User.objects.filter(email__regex=r"^client[1-5]@example\.com$").count() == 5
    admin = User.objects.get(email="admin@example.com")
    assert admin.is_staff and admin.is_superuser
    assert not EmailAddress.objects.filter(verified=False).exists()
    assert EmailAddress.objects.filter(primary=True).count() == User.objects.count()
    for email in ("admin@example.com", "client1@example.com", "pro1@example.com"):
        assert email in output
    assert "timz-demo-pass" in output


def test_avatars_are_generated_pictures_in_media_storage(settings):
    seed()

    pro = ProProfile.objects.get(slug="karim-benali")
    assert pro.avatar.name.startswith("avatars/")
    assert pro.avatar.width == pro.avatar.height == 512
    assert (settings.MEDIA_ROOT / pro.avatar.name).is_file()


def test_seeding_twice_gives_the_same_counts(settings):
    seed()
    first = counts(settings.MEDIA_ROOT)

    seed()

    assert counts(settings.MEDIA_ROOT) == first


def test_seeding_again_repairs_edited_demo_rows(settings):
    seed()
    pro = ProProfile.objects.get(slug="karim-benali")
    Service.objects.filter(pro=pro, name="Skin fade").update(price_amount=1)
    pro.avatar.delete(save=True)

    seed()

    pro.refresh_from_db()
    assert Service.objects.get(pro=pro, name="Skin fade").price_amount == 3500
    assert pro.avatar


@pytest.mark.parametrize("email", ["client1@example.com", "pro1@example.com", "admin@example.com"])
def test_demo_logins_work(client, email):
    seed()

    assert client.login(email=email, password=demo.PASSWORD)


def test_demo_login_through_the_login_page(client):
    seed()

    response = client.post(
        reverse("account_login"), {"login": "client3@example.com", "password": demo.PASSWORD}
    )

    assert response.status_code == HTTPStatus.FOUND
    assert client.get(reverse("api-v1:me")).json()["email"] == "client3@example.com"


def test_demo_staff_can_open_the_admin(client):
    seed()
    client.login(email="admin@example.com", password=demo.PASSWORD)

    assert client.get(reverse("admin:index")).status_code == HTTPStatus.OK


def test_if_empty_does_nothing_when_a_user_exists(db):
    make_user(email="someone@example.com")

    output = seed("--if-empty")

    assert "nothing to do" in output
    assert User.objects.count() == 1
    assert not ProProfile.objects.exists()


def test_if_empty_seeds_an_empty_database(db):
    seed("--if-empty")

    assert ProProfile.objects.count() == len(demo.PROS)


def test_demo_pros_are_searchable_on_the_home_page(client):
    seed()

    response = client.get(reverse("home"), {"city": "London"})

    assert response.status_code == HTTPStatus.OK
    assert {p.city for p in response.context["pros"]} == {"London"}
    assert len(response.context["pros"]) == 3


SEEN = []


def seed_hook(*, stdout, pros, clients, scale=None):
    """Stands in for an app's demo.seed: records what seed_demo hands over."""
    SEEN.append(([p.slug for p in pros], [c.email for c in clients], scale))
    stdout.write("hook: called")


def test_each_present_app_demo_module_is_called_with_the_pros_and_clients(monkeypatch):
    # This module plays the part of an app's demo module; a missing module is skipped.
    monkeypatch.setattr(
        "accounts.management.commands.seed_demo.APP_DEMOS",
        ["no_such_app.demo", "accounts.tests.demo_hook"],
    )
    SEEN.clear()

    output = seed()

    [(pro_slugs, client_emails, scale)] = SEEN
    assert pro_slugs == [p.slug for p in demo.PROS]
    assert client_emails == [f"client{n}@example.com" for n in range(1, 6)]
    assert scale is None
    assert "hook: called" in output
