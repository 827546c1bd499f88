"""Template filters and form conversions used by the bookings pages."""

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template

from bookings.forms import ServiceForm, TimeOffForm, price_to_minor
from bookings.templatetags.bookings_tags import money, status_label

WINTER = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "amount, currency, shown",
    [
        (3500, "EUR", "€35.00"),
        (5, "USD", "$0.05"),
        (3500, "JPY", "¥3,500"),
        (1999, "SEK", "19.99 SEK"),
    ],
)
def test_money_shows_minor_units_in_major_units(amount, currency, shown):
    assert money(amount, currency) == shown


def test_when_tag_labels_the_time_with_the_zone_abbreviation():
    rendered = Template('{% load bookings_tags %}{% when t "Europe/Paris" "H:i" %}')
    assert rendered.render(Context({"t": WINTER})) == "09:00 CET"


@pytest.mark.parametrize(
    ("instant", "shown"),
    [
        # Europe/Paris repeats 02:00-03:00 on 31 October 2027 (CEST, then CET).
        (datetime(2027, 10, 31, 0, 30, tzinfo=UTC), "02:30 CEST"),
        (datetime(2027, 10, 31, 1, 30, tzinfo=UTC), "02:30 CET"),
    ],
)
def test_when_tag_names_the_zone_in_the_hour_a_dst_change_repeats(instant, shown):
    rendered = Template('{% load bookings_tags %}{% when t "Europe/Paris" "H:i" %}')
    assert rendered.render(Context({"t": instant})) == shown


def test_when_tag_with_an_unknown_zone_shows_utc():
    rendered = Template('{% load bookings_tags %}{% when t "Nowhere/Land" "H:i" %}')
    assert rendered.render(Context({"t": WINTER})) == "08:00 UTC"


def test_status_label_uses_the_model_labels():
    assert status_label("no_show") == "No-show"
    assert status_label("pending_payment") == "Awaiting payment"


def test_prices_in_zero_decimal_currencies_refuse_cents():
    assert price_to_minor(Decimal("3500"), "JPY") == 3500
    form = ServiceForm(
        {"name": "Cut", "duration_minutes": 30, "price": "10.50", "payment_mode": "at_appointment"},
        pro=None,
        currency="JPY",
    )
    assert not form.is_valid()
    assert form.errors["price"] == ["Prices in JPY take no decimals."]


def test_time_off_form_reads_wall_clock_times_in_the_given_zone():
    form = TimeOffForm(
        {"starts_at": "2030-07-01T09:00", "ends_at": "2030-07-01T11:30"},
        tz=ZoneInfo("America/New_York"),
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["starts_at"] == datetime(2030, 7, 1, 13, 0, tzinfo=UTC)
    assert form.cleaned_data["ends_at"] == datetime(2030, 7, 1, 15, 30, tzinfo=UTC)
