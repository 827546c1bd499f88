"""Dates per language: every Timz format name in every language, the builtin `datefmt`
filter, the `when` tag and the locale's first day of the week."""

from datetime import UTC, datetime
from importlib import import_module

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import translation

from timz.formats import TIMZ_NAMES, first_day_of_week, pattern

TUESDAY = datetime(2026, 12, 1, 9, 5)


@pytest.mark.parametrize("code", [code for code, _ in settings.LANGUAGES])
def test_every_language_writes_every_timz_name_with_a_24_hour_clock(code):
    module = import_module(f"timz.formats.{code}.formats")

    for name in TIMZ_NAMES:
        value = getattr(module, name)
        assert value and isinstance(value, str), (code, name)
        assert "A" not in value and "g" not in value and "P" not in value, (code, name, value)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("en", "Tuesday 1 December 2026, 09:05 | Tue 1 Dec 2026"),
        ("fr", "mardi 1 décembre 2026 à 09:05 | mar 1 déc. 2026"),
        ("es", "martes, 1 de diciembre de 2026, 09:05 | mar 1 dic. 2026"),
        ("de", "Dienstag, 1. Dezember 2026, 09:05 | Di, 1. Dez. 2026"),
    ],
)
def test_datefmt_writes_a_date_as_the_language_does(code, expected):
    template = Template('{{ v|datefmt:"LONG_WEEKDAY_DATETIME" }} | {{ v|datefmt:"WEEKDAY_DATE" }}')

    with translation.override(code):
        assert template.render(Context({"v": TUESDAY})) == expected


def test_datefmt_takes_a_plain_pattern_and_shows_nothing_for_a_non_date():
    template = Template('{{ v|datefmt:"H:i" }}|{{ w|datefmt:"DAY_MONTH" }}')

    assert template.render(Context({"v": TUESDAY, "w": "not a date"})) == "09:05|"


def test_pattern_reads_standard_names_through_django_and_an_explicit_language():
    assert pattern("YEAR_MONTH_FORMAT", "es") == r"F \d\e Y"
    assert pattern("DAY_MONTH", "de") == "j. N"
    assert pattern("DAY_MONTH", "en") == "j M"


def test_when_tag_uses_the_language_of_the_reader():
    template = Template('{% load bookings_tags %}{% when v "Europe/Berlin" %}')
    value = datetime(2026, 12, 1, 8, 5, tzinfo=UTC)

    with translation.override("de"):
        assert template.render(Context({"v": value})) == "Di, 1. Dez. 2026, 09:05 CET"
    with translation.override("en"):
        assert template.render(Context({"v": value})) == "Tue 1 Dec 2026, 09:05 CET"


@pytest.mark.parametrize(("code", "first"), [("en", 6), ("fr", 0), ("es", 0), ("de", 0)])
def test_first_day_of_week_is_the_locales(code, first):
    # Python's count: 0 is Monday, 6 is Sunday (English as Django writes it starts on Sunday).
    assert first_day_of_week(code) == first


def test_datefmt_shows_an_instant_in_the_current_zone_as_the_date_filter_does():
    late = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)  # already Wednesday in Paris
    template = Template(
        '{% load tz %}{% timezone "Europe/Paris" %}{{ v|datefmt:"WEEKDAY_DAY_TIME" }} | '
        '{{ v|timezone:"America/New_York"|datefmt:"WEEKDAY_DAY_TIME" }} | '
        '{{ v|date:"D j, H:i" }}{% endtimezone %}'
    )

    with translation.override("en"):
        assert template.render(Context({"v": late})) == "Wed 2, 00:30 | Tue 1, 18:30 | Wed 2, 00:30"


@pytest.mark.parametrize(
    ("code", "expected"),
    [("en", "Tue 1 Dec, 09:05"), ("fr", "mar 1 déc., 09:05"), ("de", "Di, 1. Dez., 09:05")],
)
def test_a_weekday_day_month_and_time_per_language(code, expected):
    with translation.override(code):
        assert (
            Template('{{ v|datefmt:"WEEKDAY_DAY_MONTH_TIME" }}').render(Context({"v": TUESDAY}))
            == expected
        )
