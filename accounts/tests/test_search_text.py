"""accounts.selectors.pros_matching_text: exact words everywhere, typos on PostgreSQL."""

from http import HTTPStatus

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from accounts import selectors
from accounts.models import ProProfile
from conftest import make_pro, make_service

pytestmark = pytest.mark.django_db

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
postgres_only = pytest.mark.skipif(
    not ON_POSTGRES, reason="trigram similarity is pg_trgm's: the PostgreSQL stage runs it"
)


def matching(q):
    qs, relevance = selectors.pros_matching_text(ProProfile.objects.public(), q=q)
    return [p.slug for p in qs.annotate(relevance=relevance).order_by("-relevance", "slug")]


@pytest.fixture
def barber(db):
    pro = make_pro(slug="barber", name="Karim", headline="Sharp cuts in the centre")
    make_service(pro=pro, name="Men's haircut")
    return pro


@pytest.fixture
def tutor(db):
    pro = make_pro(slug="tutor", name="Ines", headline="Maths and physics")
    make_service(pro=pro, name="Maths lesson")
    return pro


def test_every_word_must_be_somewhere_in_the_pros_text(barber, tutor):
    assert matching("HAIRCUT karim") == ["barber"]
    assert matching("maths lesson") == ["tutor"]


def test_no_words_keeps_every_pro(barber, tutor):
    assert matching("  ") == ["barber", "tutor"]


@pytest.mark.skipif(ON_POSTGRES, reason="the portable rule: SQLite has no trigram functions")
def test_without_postgresql_a_typo_or_a_word_nobody_has_finds_nothing(barber, tutor):
    assert matching("hiar cut") == []
    assert matching("haircut maths") == []


@postgres_only
def test_a_typo_finds_the_similar_service(barber, tutor):
    assert matching("hiar cut") == ["barber"]
    assert matching("mahts") == ["tutor"]


@postgres_only
def test_similar_pros_do_not_dilute_exact_matches(barber, tutor):
    other = make_pro(slug="other", name="Léa", headline="Hair colour")
    make_service(pro=other, name="Colour")
    assert matching("haircut") == ["barber"]


@postgres_only
def test_the_trigram_indexes_exist():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE %s", ["%_trgm"])
        names = {row[0] for row in cursor.fetchall()}
    assert names == {
        "proprofile_name_trgm",
        "proprofile_headline_trgm",
        "category_name_trgm",
        "service_name_trgm",
    }


def test_the_home_page_searches_with_the_same_rule(client, barber, tutor):
    response = client.get(reverse("home"), {"q": "haircut"})
    assert response.status_code == HTTPStatus.OK
    assert "Karim" in response.text
    assert "Ines" not in response.text
