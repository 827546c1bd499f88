"""A pro's texts in several languages (accounts.content): reading them in the viewer's language,
checking them, writing them (form, API), changing the content language, and the directory's
search over every version."""

from http import HTTPStatus

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from accounts import content, selectors, services
from accounts.forms import ProProfileForm
from accounts.models import ProProfile
from bookings import services as booking_services
from conftest import login, make_pro, make_service, make_user

pytestmark = pytest.mark.django_db

HEADLINE_FIELDS = {"headline": 140, "bio": 4000}


@pytest.fixture(autouse=True)
def _english_after_each_test():
    """A request in French leaves French active in this thread (LocaleMiddleware does not
    deactivate it): the tests after this module's must not read French."""
    yield
    translation.deactivate()


@pytest.fixture
def bilingual(db, category):
    """A pro writing in English, with a French headline (no French bio) and a French service."""
    pro = make_pro(
        name="Paula Pro",
        slug="paula-pro",
        category=category,
        headline="Sharp cuts, no fuss",
        bio="Ten years behind the chair.",
        translations={"fr": {"headline": "Coupes nettes, sans chichis"}},
    )
    make_service(pro=pro, name="Haircut", translations={"fr": {"name": "Coupe de cheveux"}})
    return pro


@pytest.fixture
def german(db, category):
    """A pro writing in German, with no French version."""
    pro = make_pro(
        name="Greta Grün",
        slug="greta",
        category=category,
        content_language="de",
        headline="Schnitte mit Gefühl",
    )
    make_service(pro=pro, name="Herrenschnitt")
    return pro


# Reading -------------------------------------------------------------------------------------


def test_a_version_in_the_viewers_language_is_shown(bilingual):
    assert content.localized(bilingual, "headline", "fr") == "Coupes nettes, sans chichis"
    with translation.override("fr"):
        assert bilingual.localized_headline == "Coupes nettes, sans chichis"


def test_without_a_version_in_the_viewers_language_the_base_text_is_shown(bilingual):
    assert content.localized(bilingual, "headline", "de") == "Sharp cuts, no fuss"
    with translation.override("es"):
        assert bilingual.localized_headline == "Sharp cuts, no fuss"


def test_a_field_missing_from_a_version_falls_back_to_the_base_text(bilingual):
    with translation.override("fr"):
        assert bilingual.localized_bio == "Ten years behind the chair."


def test_the_content_language_reads_the_base_text(bilingual):
    with translation.override("en"):
        assert bilingual.localized_headline == "Sharp cuts, no fuss"


def test_a_regional_variant_reads_its_language(bilingual):
    assert content.localized(bilingual, "headline", "fr-CA") == "Coupes nettes, sans chichis"


def test_a_service_and_its_bookings_snapshot_read_the_version(bilingual, client_user):
    from bookings.models import Booking

    service = bilingual.services.get()
    booking = Booking.from_service(
        service=service, client=client_user, starts_at=service.created_at
    )
    with translation.override("fr"):
        assert service.localized_name == "Coupe de cheveux"
        assert booking.localized_service_name == "Coupe de cheveux"
    assert booking.localized_service_name == "Haircut"


# Checking ------------------------------------------------------------------------------------


def test_clean_translations_drops_empty_texts_and_languages():
    cleaned = content.clean_translations(
        {"de": {"headline": "  Schnitte  ", "bio": ""}, "fr": {"headline": " ", "bio": None}},
        fields=HEADLINE_FIELDS,
        content_language="en",
    )
    assert cleaned == {"de": {"headline": "Schnitte"}}


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ({"it": {"headline": "Tagli"}}, "unknown_language"),
        ({"en": {"headline": "Cuts"}}, "content_language"),
        ({"de": {"headline": "x" * 141}}, "max_length"),
        ({"de": {"slogan": "Schnitte"}}, "unknown_field"),
        ({"de": "Schnitte"}, "invalid_translations"),
        ({"de": {"headline": 3}}, "invalid_translations"),
        (["de"], "invalid_translations"),
    ],
)
def test_clean_translations_refuses(value, code):
    with pytest.raises(ValidationError) as caught:
        content.clean_translations(value, fields=HEADLINE_FIELDS, content_language="en")
    assert code in [e.code for e in caught.value.error_list]


def test_the_refusal_names_the_language():
    with pytest.raises(ValidationError) as caught:
        content.clean_translations(
            {"de": {"headline": "x" * 141}}, fields=HEADLINE_FIELDS, content_language="en"
        )
    assert caught.value.messages == [
        "German version, headline: at most 140 characters (it has 141)."
    ]


def test_saving_drops_empty_versions(pro):
    pro.translations = {"de": {"headline": "", "bio": "  "}, "fr": {"headline": "Coupes"}}
    pro.save()
    pro.refresh_from_db()
    assert pro.translations == {"fr": {"headline": "Coupes"}}


def test_relabel_swaps_the_base_text_and_the_new_languages_version(bilingual):
    moved = content.relabel(bilingual, ProProfile.TRANSLATED_FIELDS, old="en", new="fr")
    assert moved
    assert bilingual.headline == "Coupes nettes, sans chichis"
    assert bilingual.bio == "Ten years behind the chair."  # no French bio: it stays
    assert bilingual.translations == {"en": {"headline": "Sharp cuts, no fuss"}}


def test_a_new_pro_writes_in_their_own_language():
    user = make_user(language="de")
    pro = services.pro_profile_create(user=user, display_name="Greta")
    assert pro.content_language == "de"


def test_a_new_pro_without_a_language_writes_in_the_sites():
    pro = services.pro_profile_create(user=make_user(), display_name="Paula")
    assert pro.content_language == "en"


# Writing: the profile page -------------------------------------------------------------------


def _profile_post(pro, **extra):
    data = {
        "display_name": pro.display_name,
        "slug": pro.slug,
        "headline": pro.headline,
        "bio": pro.bio,
        "content_language": pro.content_language,
        "city": pro.city,
        "timezone": pro.timezone,
        "currency": pro.currency,
    }
    data.update(extra)
    return data


def test_the_profile_page_offers_a_version_per_other_language(pro):
    response = login(pro.user).get(reverse("accounts:pro_profile_edit"))
    body = response.content.decode()
    for code, legend in (("fr", "French"), ("es", "Spanish"), ("de", "German")):
        assert f'data-testid="version-{code}"' in body
        assert f"{legend} version (optional)" in body
    assert 'data-testid="version-en"' not in body
    assert 'name="headline__de"' in body and 'lang="de"' in body


def test_the_pro_writes_versions_on_the_profile_page(pro):
    http = login(pro.user)
    response = http.post(
        reverse("accounts:pro_profile_edit"),
        _profile_post(pro, headline__de="Schnitte mit Gefühl", bio__de="", headline__fr=""),
    )
    assert response.status_code == HTTPStatus.FOUND
    pro.refresh_from_db()
    assert pro.translations == {"de": {"headline": "Schnitte mit Gefühl"}}


def test_a_version_too_long_is_refused_by_the_form(pro):
    form = ProProfileForm(
        _profile_post(pro, headline__fr="x" * 141),
        pro=pro,
        initial={"content_language": "en", "city": pro.city, "currency": pro.currency},
    )
    assert not form.is_valid()
    assert "headline__fr" in form.errors


def test_a_profile_form_without_the_language_keeps_it(pro):
    pro.content_language = "fr"
    pro.save()
    data = _profile_post(pro)
    del data["content_language"]
    response = login(pro.user).post(reverse("accounts:pro_profile_edit"), data)
    assert response.status_code == HTTPStatus.FOUND
    pro.refresh_from_db()
    assert pro.content_language == "fr"


def test_changing_the_content_language_makes_its_versions_the_main_texts(bilingual):
    service = bilingual.services.get()
    response = login(bilingual.user).post(
        reverse("accounts:pro_profile_edit"),
        _profile_post(bilingual, content_language="fr", headline__fr="Coupes nettes, sans chichis"),
    )
    assert response.status_code == HTTPStatus.FOUND
    bilingual.refresh_from_db()
    service.refresh_from_db()
    assert bilingual.content_language == "fr"
    assert bilingual.headline == "Coupes nettes, sans chichis"
    assert bilingual.translations == {"en": {"headline": "Sharp cuts, no fuss"}}
    assert service.name == "Coupe de cheveux"
    assert service.translations == {"en": {"name": "Haircut"}}


def test_an_unknown_content_language_is_refused(pro):
    with pytest.raises(ValidationError) as caught:
        services.pro_profile_update(pro=pro, content_language="it")
    assert "content_language" in caught.value.message_dict


def test_account_deletion_erases_the_versions(bilingual):
    services._anonymise_profiles(user=bilingual.user)
    bilingual.refresh_from_db()
    assert bilingual.translations == {}


# Reading: pages ------------------------------------------------------------------------------


def test_the_pro_page_in_french_shows_the_french_version(client, bilingual):
    url = reverse("accounts:pro_detail", kwargs={"slug": bilingual.slug})
    french = client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Coupes nettes, sans chichis" in french and "Coupe de cheveux" in french
    assert "Ten years behind the chair." in french  # no French bio: the base one
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Sharp cuts, no fuss" in english and "Coupe de cheveux" not in english


def test_the_directory_in_french_shows_each_pro_in_french_or_in_their_own(
    client, bilingual, german
):
    body = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Coupes nettes, sans chichis" in body and "Coupe de cheveux" in body
    assert "Schnitte mit Gefühl" in body and "Herrenschnitt" in body
    assert "Sharp cuts, no fuss" not in body
    # Each text says which language it is in (screen readers pronounce it so).
    assert 'lang="fr">Coupes nettes, sans chichis' in body
    assert 'lang="de">Schnitte mit Gefühl' in body


# The API ---------------------------------------------------------------------------------------


def test_the_api_answers_in_the_requests_language(client, bilingual):
    url = f"/api/v1/pros/{bilingual.slug}"
    french = client.get(url, HTTP_ACCEPT_LANGUAGE="fr").json()
    assert french["headline"] == "Coupes nettes, sans chichis"
    assert french["services"][0]["name"] == "Coupe de cheveux"
    plain = client.get(url).json()
    assert plain["headline"] == "Sharp cuts, no fuss"
    assert plain["services"][0]["name"] == "Haircut"


def test_a_pro_reads_their_texts_as_written(bilingual):
    data = login(bilingual.user).get("/api/v1/me/pro", HTTP_ACCEPT_LANGUAGE="fr").json()
    assert data == {
        "content_language": "en",
        "headline": "Sharp cuts, no fuss",
        "bio": "Ten years behind the chair.",
        "translations": {"fr": {"headline": "Coupes nettes, sans chichis"}},
    }


def test_a_pro_writes_versions_through_the_api(pro):
    response = login(pro.user).patch(
        "/api/v1/me/pro",
        {"translations": {"de": {"headline": "Schnitte", "bio": ""}}},
        content_type="application/json",
    )
    assert response.status_code == HTTPStatus.OK
    assert response.json()["translations"] == {"de": {"headline": "Schnitte"}}
    pro.refresh_from_db()
    assert pro.translations == {"de": {"headline": "Schnitte"}}


def test_the_api_refuses_a_version_in_the_content_language(pro):
    response = login(pro.user).patch(
        "/api/v1/me/pro",
        {"translations": {"en": {"headline": "Cuts"}}},
        content_type="application/json",
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "English is the language of the main text" in response.json()["detail"]


def test_the_api_changes_the_content_language(bilingual):
    response = login(bilingual.user).patch(
        "/api/v1/me/pro", {"content_language": "fr"}, content_type="application/json"
    )
    assert response.status_code == HTTPStatus.OK
    assert response.json()["headline"] == "Coupes nettes, sans chichis"
    assert bilingual.services.get().name == "Coupe de cheveux"


def test_the_texts_api_is_for_pros(client_user):
    assert login(client_user).get("/api/v1/me/pro").status_code == HTTPStatus.FORBIDDEN


# The search ----------------------------------------------------------------------------------


def _matching(q):
    qs, _relevance = selectors.pros_matching_text(ProProfile.objects.public(), q=q)
    return sorted(p.slug for p in qs)


def test_the_search_finds_a_pro_by_a_version_of_the_headline(bilingual, german):
    assert _matching("nettes") == ["paula-pro"]


def test_the_search_finds_a_pro_by_a_version_of_a_service_name(db, category):
    pro = make_pro(slug="karim", category=category)
    service = make_service(pro=pro, name="Men's haircut")
    booking_services.service_update(
        service=service, translations={"de": {"name": "Haarschnitt für Herren"}}
    )
    assert _matching("haarschnitt") == ["karim"]
    assert _matching("haircut") == ["karim"]


def test_a_versions_service_name_comes_first_on_the_card(client, db, category):
    pro = make_pro(slug="karim", category=category, headline="Haare")
    make_service(pro=pro, name="Beard trim")
    make_service(pro=pro, name="Men's haircut", translations={"de": {"name": "Haarschnitt"}})
    body = client.get(reverse("home"), {"q": "haarschnitt"}, HTTP_ACCEPT_LANGUAGE="de")
    text = body.content.decode()
    assert text.index("Haarschnitt") < text.index("Beard trim")


@pytest.mark.skipif(
    "postgresql" not in __import__("django").conf.settings.DATABASES["default"]["ENGINE"],
    reason="the search document is PostgreSQL's: the PostgreSQL stage runs it",
)
def test_the_search_document_holds_every_version(db, category):
    from django.db import connection

    pro = make_pro(slug="karim", category=category, headline="Sharp cuts")
    service = make_service(pro=pro, name="Haircut")
    services.pro_profile_update(pro=pro, translations={"fr": {"headline": "Coupes nettes"}})
    booking_services.service_update(service=service, translations={"de": {"name": "Haarschnitt"}})
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT search_document::text FROM accounts_proprofile WHERE id = %s", [pro.pk]
        )
        document = cursor.fetchone()[0]
    assert "'nettes':" in document and "'haarschnitt':" in document
    assert _matching("haarsch") == ["karim"]
    assert _matching("harschnit") == ["karim"]  # a typo: the trigram fallback reads versions too
