"""The bookings pages in the reader's language: Django's own day and month names, the locale's
date order, and the locale's first day of the week (Sunday in English, Monday in French,
Spanish and German) in the agenda's week, the weekly hours and the booking flow's day strip.

The catalogues come later: the pages' own sentences stay English here; what Django already
translates (weekday and month names) and the formats (timz/formats/<lang>) show the language.
"""

import re
from datetime import date, datetime
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import translation

from bookings.tests.conftest_pages import *  # noqa: F403
from bookings.views.flow import month_span
from conftest import PARIS

pytestmark = pytest.mark.django_db

WEDNESDAY = datetime(2026, 12, 2, 10, tzinfo=PARIS)  # Wednesday 2 December 2026, 10:00 in Paris


@pytest.fixture
def wednesday(travel):
    return travel(WEDNESDAY)


def agenda_week(page_client, language=None, **headers):
    if language:
        headers["HTTP_ACCEPT_LANGUAGE"] = language
    return page_client.get(reverse("bookings:agenda") + "?view=week&date=2026-12-02", **headers)


def texts(html: str, css_class: str) -> list[str]:
    return re.findall(rf'class="{css_class}">(.*?)<', html)


# The agenda ------------------------------------------------------------------------------------


def test_an_english_agenda_week_starts_on_sunday(as_pro, wednesday):
    response = agenda_week(as_pro, "en")

    days = [d["day"] for d in response.context["days"]]
    assert days[0] == date(2026, 11, 29) and days[-1] == date(2026, 12, 5)
    html = response.content.decode()
    assert texts(html, "day-name") == ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    assert '<h2 class="agenda-range">29 Nov – 5 Dec 2026</h2>' in html


@pytest.mark.parametrize(
    ("language", "names", "week"),
    [
        ("fr", ["lun", "mar", "mer", "jeu", "ven", "sam", "dim"], "30 nov. – 6 déc. 2026"),
        ("de", ["Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"], "30. Nov. – 6. Dez. 2026"),
    ],
)
def test_a_french_or_german_agenda_week_starts_on_monday_with_its_own_names(
    as_pro, wednesday, language, names, week
):
    response = agenda_week(as_pro, language)

    days = [d["day"] for d in response.context["days"]]
    assert days[0] == date(2026, 11, 30) and days[-1] == date(2026, 12, 6)
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    assert texts(html, "day-name") == names
    assert f'<h2 class="agenda-range">{week}</h2>' in html


def test_the_pros_own_language_decides_the_week_over_the_browsers(as_pro, pro, wednesday):
    pro.user.language = "de"
    pro.user.save(update_fields=["language"])

    response = agenda_week(as_pro, "en")

    assert response.context["days"][0]["day"] == date(2026, 11, 30)  # Monday
    assert '<html lang="de">' in response.content.decode()


def test_the_agenda_day_is_written_in_french(as_pro, wednesday):
    response = as_pro.get(
        reverse("bookings:agenda") + "?date=2026-12-02", HTTP_ACCEPT_LANGUAGE="fr"
    )

    html = response.content.decode()
    assert '<h2 class="agenda-range">mercredi 2 décembre 2026</h2>' in html
    assert 'aria-label="mercredi 2 décembre"' in html


# The weekly hours ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "order", "names"),
    [
        ("en", [6, 0, 1, 2, 3, 4, 5], ["Sunday", "Monday", "Tuesday", "Wednesday"]),
        ("fr", [0, 1, 2, 3, 4, 5, 6], ["Lundi", "Mardi", "Mercredi", "Jeudi"]),
        ("de", [0, 1, 2, 3, 4, 5, 6], ["Montag", "Dienstag", "Mittwoch", "Donnerstag"]),
    ],
)
def test_the_weekly_hours_follow_the_locales_week(as_pro, language, order, names):
    response = as_pro.get(reverse("bookings:schedule"), HTTP_ACCEPT_LANGUAGE=language)

    assert [d["weekday"] for d in response.context["days"]] == order
    titles = re.findall(r'<h3 id="day-(\d)-title">(.*?)</h3>', response.content.decode())
    assert [int(weekday) for weekday, _ in titles] == order
    assert [name for _, name in titles][:4] == names


def test_the_week_saved_from_a_sunday_first_page_keeps_each_days_hours(as_pro, pro):
    # The rows are shown Sunday first in English; each day's form keeps its own weekday.
    data = {f"day-{weekday}-start_0": "" for weekday in range(7)}
    data |= {"day-6-start_0": "10:00", "day-6-end_0": "14:00"}
    data |= {"day-0-start_0": "09:00", "day-0-end_0": "17:00"}

    response = as_pro.post(reverse("bookings:schedule"), data, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == HTTPStatus.FOUND
    hours = {h.weekday: (f"{h.start:%H:%M}", f"{h.end:%H:%M}") for h in pro.weekly_hours.all()}
    assert hours == {6: ("10:00", "14:00"), 0: ("09:00", "17:00")}


def test_a_special_days_message_writes_the_date_as_the_language_does(as_pro, wednesday):
    response = as_pro.post(
        reverse("bookings:override_create"),
        {"override-day": "2026-12-24", "override-closed": "on"},
        HTTP_ACCEPT_LANGUAGE="de",
        follow=True,
    )

    assert "Do, 24. Dez. 2026" in [str(m) for m in response.context["messages"]][0]


# The booking flow ------------------------------------------------------------------------------


def book_page(client, service, language, **params):
    url = reverse("bookings:book", kwargs={"slug": service.pro.slug, "service_id": service.pk})
    return client.get(url, params, HTTP_ACCEPT_LANGUAGE=language)


@pytest.mark.parametrize(
    ("language", "lead", "names", "day", "month"),
    [
        # The strip starts today, a Wednesday: blank cells put it under its weekday's column.
        ("en", 3, ["Wed", "Thu", "Fri"], "Thursday 3 December", "December 2026"),
        ("fr", 2, ["mer", "jeu", "ven"], "jeudi 3 décembre", "décembre 2026"),
        ("de", 2, ["Mi", "Do", "Fr"], "Donnerstag, 3. Dezember", "Dezember 2026"),
    ],
)
def test_the_day_strip_follows_the_locales_week_and_names(
    client, open_service, wednesday, language, lead, names, day, month
):
    response = book_page(client, open_service, language, date="2026-12-03")

    assert response.status_code == HTTPStatus.OK
    assert len(response.context["picker"]["lead"]) == lead
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    assert html.count('<li class="day-pad" aria-hidden="true"></li>') == lead
    assert texts(html, "day-name")[:3] == names
    assert f'<h3 class="times-title">{day}</h3>' in html
    assert f'data-testid="strip-month">{month}<' in html


def test_the_confirm_step_writes_the_time_in_french(as_client, open_service, wednesday):
    url = reverse(
        "bookings:confirm", kwargs={"slug": open_service.pro.slug, "service_id": open_service.pk}
    )
    start = datetime(2026, 12, 3, 11, tzinfo=PARIS)

    response = as_client.get(url, {"start": start.isoformat()}, HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == HTTPStatus.OK
    assert "jeudi 3 décembre 2026 à 11:00 CET" in response.content.decode()


@pytest.mark.parametrize(
    ("language", "header"),
    [
        ("en", "November – December 2026"),
        ("fr", "novembre – décembre 2026"),
        ("es", "noviembre – diciembre de 2026"),
        ("de", "November – Dezember 2026"),
    ],
)
def test_the_strips_month_header_is_written_in_the_language(language, header):
    with translation.override(language):
        assert month_span(date(2026, 11, 25), date(2026, 12, 8)) == header
