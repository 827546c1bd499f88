"""accounts.selectors.pros_matching_text: word prefixes everywhere (full text on PostgreSQL),
typos on PostgreSQL; the search document kept current by the writes it is made of."""

import re
from http import HTTPStatus

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts import selectors, services, text_search
from accounts.models import ProProfile
from bookings.services import pro_offer_withdraw, service_create, service_delete, service_update
from conftest import make_category, make_pro, make_service

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


def test_a_word_matches_the_start_of_a_word_not_its_middle(barber, tutor):
    # "cut" begins "cuts" in Karim's headline; "aircut" begins no word of anybody's.
    make_service(pro=make_pro(slug="stylist", name="Léa", headline="Colour"), name="Haircut")
    assert matching("hair") == ["barber", "stylist"]
    assert matching("cut") == ["barber"]
    assert matching("MATH") == ["tutor"]


def test_punctuation_is_not_a_word(barber, tutor):
    assert matching("men's") == ["barber"]  # "men" and "s", both word starts of the service
    assert matching("  !!! *** ") == ["barber", "tutor"]  # no word: no filter


def test_a_name_ranks_above_a_headline_above_a_service(db):
    make_service(pro=make_pro(slug="by-service", name="Ana"), name="Yoga class")
    make_pro(slug="by-headline", name="Bea", headline="Yoga at home")
    make_pro(slug="by-name", name="Yoga Carla")
    assert matching("yoga") == ["by-name", "by-headline", "by-service"]


def test_the_words_of_a_search_are_letters_and_digits_only():
    assert text_search.search_terms("Hair-cut & (colour):* O'Neil\x00 ü2") == [
        "hair",
        "cut",
        "colour",
        "o",
        "neil",
    ]
    assert text_search.prefix_tsquery(["hair", "cut"]) == "hair:* & cut:*"
    assert text_search.prefix_tsquery(text_search.search_terms("İSTANBUL")) == "i:* & stanbul:*"
    with pytest.raises(ValueError):
        text_search.prefix_tsquery(["hair:*|x"])


# --- the search document (PostgreSQL) -----------------------------------------------------------


def document(pro) -> str:
    pro.refresh_from_db(fields=["search_document"])
    return pro.search_document or ""


@postgres_only
def test_the_document_weighs_name_headline_and_services(barber):
    barber.category = make_category(name="Barbers", slug="barbers")
    barber.save()
    make_service(pro=barber, name="Old style", is_active=False)
    assert document(barber) == (
        "'barbers':7C 'centre':6B 'cuts':3B 'haircut':10C 'in':4B 'karim':1A 'men':8C "
        "'s':9C 'sharp':2B 'the':5B"
    )


def home_finds(client, q, name) -> bool:
    response = client.get(reverse("home"), {"q": q})
    assert response.status_code == HTTPStatus.OK
    return name in response.text


@postgres_only
def test_a_renamed_or_removed_service_is_found_by_its_new_name_on_the_next_request(
    client, barber, commit
):
    service = barber.services.get()
    assert home_finds(client, "haircut", "Karim")
    with commit():
        service_update(service=service, name="Beard sculpting")
    assert home_finds(client, "beard", "Karim")
    assert not home_finds(client, "haircut", "Karim")
    with commit():
        service_update(service=service, is_active=False)
    assert not home_finds(client, "beard", "Karim")
    with commit():
        added = service_create(
            pro=barber,
            name="Hot towel shave",
            duration_minutes=30,
            price_amount=2000,
            currency="EUR",
        )
    assert home_finds(client, "towel", "Karim")
    with commit():
        service_delete(service=added)
    assert not home_finds(client, "towel", "Karim")


@postgres_only
def test_an_edited_profile_is_found_by_its_new_words_on_the_next_request(client, barber, commit):
    assert not home_finds(client, "fades", "Karim")
    with commit():
        services.pro_profile_update(pro=barber, headline="Fades and beards")
    assert home_finds(client, "fades", "Karim")
    with commit():
        services.pro_profile_update(pro=barber, display_name="Karl")
    assert home_finds(client, "karl", "Karl")


@postgres_only
def test_a_renamed_category_is_found_by_its_new_name_on_the_next_request(client, barber, commit):
    barber.category = make_category(name="Barbers", slug="barbers")
    barber.save()
    assert not home_finds(client, "grooming", "Karim")
    with commit():
        barber.category.name = "Grooming"
        barber.category.save()
    assert home_finds(client, "grooming", "Karim")


@postgres_only
def test_a_withdrawn_offer_leaves_the_document(barber):
    pro_offer_withdraw(pro=barber)
    assert "haircut" not in document(barber)


@postgres_only
def test_search_reindex_rewrites_every_document(barber, tutor, capsys):
    ProProfile.objects.update(search_document=None)  # e.g. rows written with SQL
    call_command("search_reindex")
    assert "2 pros reindexed" in capsys.readouterr().out
    assert "'haircut'" in document(barber)
    assert "'maths'" in document(tutor)


@postgres_only
def test_the_directory_query_uses_the_gin_index_of_the_document(barber, tutor):
    qs, _ = selectors.pros_matching_text(ProProfile.objects.public(), q="hair karim")
    with connection.cursor() as cursor:
        # Tiny tables: without these the planner may read any index and filter (statistics
        # left by earlier tests' rows vary). With plain index scans off too, an index is used
        # only through its condition, and the document's condition is the GIN index's.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        sql, params = qs.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "proprofile_search_document_gin" in plan, plan


@postgres_only
@hypothesis_settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(q=st.text(alphabet=st.sampled_from("&|!():*<>'\\\x00 -abcéßİ1_\"%;") | st.characters()))
def test_no_typed_text_breaks_the_search(barber, q):
    found = matching(q)  # never a database error, whatever the text
    assert set(found) <= {"barber"}


@postgres_only
def test_a_deleted_account_leaves_nothing_of_the_pro_in_the_document(barber):
    barber.user.set_password("a long pass phrase")
    barber.user.save()
    services.account_delete(user=barber.user, password="a long pass phrase")
    assert document(barber) == "'former':1A 'pro':2A"


@pytest.mark.parametrize("n_pros", [2, 30])
def test_a_text_search_of_the_home_page_costs_five_queries_whatever_the_pros(
    client, django_assert_max_num_queries, n_pros
):
    for n in range(n_pros):
        make_service(pro=make_pro(name=f"Karim {n}", headline="Barber"), name="Haircut")
    # categories, cities, count, pros, services: as without words (test_directory).
    with django_assert_max_num_queries(5):
        response = client.get(reverse("home"), {"q": "hair karim"})
    assert response.status_code == HTTPStatus.OK
    assert len(response.context["pros"]) == min(n_pros, 12)


@hypothesis_settings(max_examples=300, deadline=None)
@given(text=st.text(), q=st.text())
def test_the_sqlite_regex_and_the_python_rule_agree(text, q):
    # SQLite's REGEXP is Django's re.search: the directory without PostgreSQL and the free-time
    # search's service choice (bookings.search) apply one rule.
    for term in text_search.search_terms(q):
        by_regex = re.search("(?i)" + text_search.word_start_regex(term), text) is not None
        assert by_regex == text_search.word_starts(text, term)


@postgres_only
def test_the_migrations_backfill_writes_what_the_app_writes(barber, tutor):
    import importlib

    migration = importlib.import_module("accounts.migrations.0008_pro_search_document")
    barber.category = make_category(name="Barbers", slug="barbers")
    barber.save()
    written = dict(ProProfile.objects.values_list("pk", "search_document"))
    ProProfile.objects.update(search_document=None)
    with connection.cursor() as cursor:
        cursor.execute(migration.BACKFILL)
    assert dict(ProProfile.objects.values_list("pk", "search_document")) == written
