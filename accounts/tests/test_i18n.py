"""accounts in the reader's language: the one kept at sign-up, the profile's choice, allauth's
emails in the account's language, and pages whose dates and zone names follow the language."""

from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from accounts.templatetags.directory import duration
from accounts.templatetags.wording import sentence_case
from accounts.timezones import zone_city
from bookings.models import Booking, Review
from conftest import login, make_booking, make_pro, make_service, make_user

pytestmark = pytest.mark.django_db

PASSWORD = "plum-orbit-lantern-42"
DECEMBER = datetime(2026, 12, 10, 12, tzinfo=UTC)


def _signup(client, email="anna@example.com", **headers):
    return client.post(
        reverse("account_signup"),
        {
            "role": "client",
            "display_name": "Anna Lee",
            "email": email,
            "password1": PASSWORD,
            "password2": PASSWORD,
            "timezone": "Europe/Berlin",
        },
        **headers,
    )


def _html_part(message) -> str:
    (html, _kind) = message.alternatives[0]
    return html


def _option(value: str, name: str, *, selected: bool) -> str:
    return f'<option value="{value}"{" selected" if selected else ""}>{name}</option>'


def html_lang(response_or_text) -> str:
    text = getattr(response_or_text, "content", None)
    text = text.decode() if text is not None else response_or_text
    start = text.index('<html lang="') + len('<html lang="')
    return text[start : text.index('"', start)]


# Sign-up ---------------------------------------------------------------------------------------


def test_signing_up_keeps_the_language_the_person_was_reading_in(client):
    response = _signup(client, HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9,en;q=0.5")

    assert response.status_code == HTTPStatus.FOUND
    assert User.objects.get(email="anna@example.com").language == "de"


def test_the_switchers_choice_beats_the_browser_at_sign_up(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"

    _signup(client, HTTP_ACCEPT_LANGUAGE="de")

    assert User.objects.get(email="anna@example.com").language == "es"


def test_a_browser_language_timz_does_not_speak_signs_up_in_the_sites_own(client):
    _signup(client, HTTP_ACCEPT_LANGUAGE="ja-JP")

    assert User.objects.get(email="anna@example.com").language == settings.LANGUAGE_CODE


def test_the_confirmation_email_of_a_german_sign_up_is_german(client, mailoutbox):
    _signup(client, HTTP_ACCEPT_LANGUAGE="de")

    (message,) = mailoutbox
    assert '<html lang="de">' in _html_part(message)


def test_the_profile_page_shows_the_language_kept_at_sign_up(client):
    _signup(client, HTTP_ACCEPT_LANGUAGE="de")
    client.force_login(User.objects.get(email="anna@example.com"))

    text = client.get(reverse("accounts:profile")).content.decode()

    assert 'name="language"' in text
    assert _option("de", "Deutsch", selected=True) in text
    assert _option("fr", "Français", selected=False) in text
    assert html_lang(text) == "de"


# allauth's emails --------------------------------------------------------------------------------


def test_a_password_reset_is_written_in_the_accounts_language_not_the_askers(client, mailoutbox):
    user = make_user(email="hans@example.com", language="de")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)

    client.post(reverse("account_reset_password"), {"email": user.email}, HTTP_ACCEPT_LANGUAGE="en")

    (message,) = mailoutbox
    assert '<html lang="de">' in _html_part(message)
    # allauth's own German subject (its catalogue ships with it).
    assert message.subject == "[Timz] E-Mail zum Zurücksetzen des Passworts"


def test_an_account_without_a_language_is_written_to_in_the_askers(client, mailoutbox):
    user = make_user(email="anne@example.com")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)

    client.post(reverse("account_reset_password"), {"email": user.email}, HTTP_ACCEPT_LANGUAGE="fr")

    (message,) = mailoutbox
    assert '<html lang="fr">' in _html_part(message)


# The profile's language ------------------------------------------------------------------------


def _profile_form(**changes) -> dict:
    return {"display_name": "Chloé Client", "phone": "", "timezone": "Europe/Paris", **changes}


def test_the_profile_saves_the_language_and_the_next_page_speaks_it(client_user):
    http = login(client_user)

    response = http.post(reverse("accounts:profile"), _profile_form(language="fr"), follow=True)

    client_user.refresh_from_db()
    assert client_user.language == "fr"
    assert html_lang(response) == "fr"
    text = response.content.decode()
    assert "Votre profil est enregistré." in text  # the confirmation, in French
    assert "Your profile is saved." not in text


def test_a_blank_language_follows_the_browser_again(client_user):
    client_user.language = "fr"
    client_user.save()
    http = login(client_user)

    response = http.post(
        reverse("accounts:profile"),
        _profile_form(language=""),
        follow=True,
        HTTP_ACCEPT_LANGUAGE="es",
    )

    client_user.refresh_from_db()
    assert client_user.language == ""
    assert html_lang(response) == "es"


def test_a_language_timz_does_not_speak_is_refused(client_user):
    http = login(client_user)

    response = http.post(reverse("accounts:profile"), _profile_form(language="xx"))

    assert response.status_code == HTTPStatus.OK
    assert "Choose one of the languages in the list." in response.content.decode()
    client_user.refresh_from_db()
    assert client_user.language == ""


def test_member_since_is_written_the_readers_way(travel):
    travel(DECEMBER)
    user = make_user(language="de")

    text = login(user).get(reverse("accounts:profile")).content.decode()

    assert "10. Dezember 2026" in text


# Pages in German -------------------------------------------------------------------------------


def _review_in_december(*, pro, author):
    service = make_service(pro=pro)
    starts = DECEMBER - timedelta(days=1)
    booking = make_booking(
        client=author, service=service, starts_at=starts, status=Booking.Status.COMPLETED
    )
    review = Review.objects.create(booking=booking, pro=pro, author=author, rating=5, text="Top")
    Review.objects.filter(pk=review.pk).update(created_at=starts + timedelta(hours=2))


def test_the_directory_answers_a_german_browser_in_german(client, pro, service):
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")

    assert response.status_code == HTTPStatus.OK
    assert html_lang(response) == "de"
    assert "Paula Pro" in response.content.decode()


def test_the_pro_page_writes_review_dates_in_the_readers_language(client, travel):
    travel(DECEMBER)
    pro = make_pro(name="Paula Pro", slug="paula-pro")
    _review_in_december(pro=pro, author=make_user())
    url = reverse("accounts:pro_detail", kwargs={"slug": pro.slug})

    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    german = client.get(url, HTTP_ACCEPT_LANGUAGE="de")  # after the English one was cached

    assert html_lang(english) == "en" and "9 Dec 2026" in english.content.decode()
    assert html_lang(german) == "de" and "9. Dez. 2026" in german.content.decode()


def test_a_zone_is_named_after_its_city_in_the_readers_language():
    with translation.override("en"):
        assert zone_city("Europe/Vienna") == "Vienna"
    with translation.override("de"):
        assert zone_city("Europe/Vienna") == "Wien"
    with translation.override("es"):
        assert zone_city("America/New_York") == "Nueva York"


def test_the_pro_page_names_the_pros_zone_in_the_readers_language(client, pro):
    pro.timezone = "Europe/Vienna"
    pro.save()

    german = client.get(pro.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert "Wien" in german


def test_durations_read_as_before_in_english():
    with translation.override("en"):
        assert (duration(45), duration(60), duration(90)) == ("45 min", "1 h", "1 h 30 min")


def test_headings_are_put_in_sentence_case_only_in_english():
    with translation.override("en"):
        assert sentence_case("Change Password") == "Change password"
    with translation.override("de"):
        # German nouns keep their capitals inside a sentence.
        assert sentence_case("E-Mail Adressen Verwalten") == "E-Mail Adressen Verwalten"
