"""`manage.py seed_demo`: demo data that is complete, idempotent and lets the demo logins in.

Seeding takes seconds, so the module seeds once (`seeded`) and every test starts from that data.
That one seeding is `seed_demo --if-empty` on the module's empty database (what `make run` does
on a first start), so the tests of the data also show that `--if-empty` seeds an empty database;
`--if-empty` doing nothing once a user exists is in test_seed_demo_if_empty.py.
"""

import io
import shutil
from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from accounts import demo
from accounts.models import Category, ClientProfile, ProProfile, User
from bookings.models import Service
from conftest import give_totp, module_data

pytestmark = pytest.mark.django_db


def seed(*args) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def _seeded_once(django_db_setup, django_db_blocker, tmp_path_factory):
    """`seed_demo --if-empty`'s output on the empty database, run once for the module; its
    pictures in a folder of their own."""
    media = tmp_path_factory.mktemp("demo-media")
    with module_data(django_db_blocker), override_settings(MEDIA_ROOT=media):
        assert not User.objects.exists()
        yield seed("--if-empty"), media


@pytest.fixture
def seeded(_seeded_once, settings) -> str:
    """The demo data, with a copy of its pictures in this test's own media folder (a test may
    change files, which no rollback undoes). Returns seed_demo's output."""
    output, media = _seeded_once
    shutil.copytree(media, settings.MEDIA_ROOT, dirs_exist_ok=True)
    return output


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


def test_seed_creates_the_documented_demo_data(seeded):
    assert "nothing to do" not in seeded
    assert ProProfile.objects.count() == len(demo.PROS)
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
        assert email in seeded
    assert "timz-demo-pass" in seeded


@pytest.mark.usefixtures("seeded")
def test_if_empty_leaves_a_seeded_database_as_it_is(settings):
    before = counts(settings.MEDIA_ROOT)

    output = seed("--if-empty")

    assert "nothing to do" in output
    assert counts(settings.MEDIA_ROOT) == before


@pytest.mark.usefixtures("seeded")
def test_avatars_are_generated_pictures_in_media_storage(settings):
    pro = ProProfile.objects.get(slug="karim-benali")
    assert pro.avatar.name.startswith("avatars/")
    assert pro.avatar.width == pro.avatar.height == 512
    assert (settings.MEDIA_ROOT / pro.avatar.name).is_file()


@pytest.mark.usefixtures("seeded")
def test_seeding_twice_gives_the_same_counts(settings):
    first = counts(settings.MEDIA_ROOT)

    seed()

    assert counts(settings.MEDIA_ROOT) == first


@pytest.mark.usefixtures("seeded")
def test_seeding_again_repairs_edited_demo_rows():
    pro = ProProfile.objects.get(slug="karim-benali")
    Service.objects.filter(pro=pro, name="Skin fade").update(price_amount=1)
    pro.avatar.delete(save=True)

    seed()

    pro.refresh_from_db()
    assert Service.objects.get(pro=pro, name="Skin fade").price_amount == 3500
    assert pro.avatar


@pytest.mark.usefixtures("seeded")
@pytest.mark.parametrize("email", ["client1@example.com", "pro1@example.com", "admin@example.com"])
def test_demo_logins_work(client, email):
    assert client.login(email=email, password=demo.PASSWORD)


@pytest.mark.usefixtures("seeded")
def test_demo_login_through_the_login_page(client):
    response = client.post(
        reverse("account_login"), {"login": "client3@example.com", "password": demo.PASSWORD}
    )

    assert response.status_code == HTTPStatus.FOUND
    assert client.get(reverse("api-v1:me")).json()["email"] == "client3@example.com"


@pytest.mark.usefixtures("seeded")
def test_demo_staff_set_up_a_second_factor_then_open_the_admin(client):
    client.login(email="admin@example.com", password=demo.PASSWORD)

    assert client.get(reverse("admin:index"))["Location"] == reverse("mfa_index")
    give_totp(User.objects.get(email="admin@example.com"))
    assert client.get(reverse("admin:index")).status_code == HTTPStatus.OK


@pytest.mark.usefixtures("seeded")
def test_demo_pros_are_searchable_on_the_home_page(client):
    response = client.get(reverse("home"), {"city": "London"})

    assert response.status_code == HTTPStatus.OK
    assert {p.city for p in response.context["pros"]} == {"London"}
    assert len(response.context["pros"]) == 3


SEEN = []


def seed_hook(*, stdout, pros, clients, scale=None):
    """Stands in for an app's demo.seed: records what seed_demo hands over."""
    SEEN.append(([p.slug for p in pros], [c.email for c in clients], scale))
    stdout.write("hook: called")


@pytest.mark.usefixtures("seeded")
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


@pytest.mark.usefixtures("seeded")
def test_demo_avatars_have_their_responsive_sizes_and_seeding_again_makes_missing_ones(settings):
    from accounts.images import SIZE_WIDTHS, size_name

    pro = ProProfile.objects.get(slug="karim-benali")
    sizes = [settings.MEDIA_ROOT / size_name(pro.avatar.name, w) for w in SIZE_WIDTHS]
    assert all(path.is_file() for path in sizes)
    for path in sizes:
        path.unlink()

    seed()

    assert all(path.is_file() for path in sizes)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="search documents are PostgreSQL's")
def test_every_seeded_pro_has_a_search_document_with_their_services(seeded):
    # Pros and services are bulk-written: seed_demo writes the documents at its end.
    assert not ProProfile.objects.filter(search_document__isnull=True).exists()
    service = Service.objects.filter(is_active=True).select_related("pro").first()
    first_word = service.name.split()[0].lower()
    assert f"'{first_word}'" in str(service.pro.search_document).lower()
