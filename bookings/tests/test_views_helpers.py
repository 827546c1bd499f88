"""Template filters and form conversions used by the bookings pages."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template

from bookings.forms import ServiceForm, TimeOffForm
from bookings.templatetags.bookings_tags import status_label
from payments.services import connected_account_enable_simulated

WINTER = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


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
    form = ServiceForm(
        {"name": "Cut", "duration_minutes": 30, "price": "10.50", "payment_mode": "at_appointment"},
        pro=None,
        currency="JPY",
    )
    assert not form.is_valid()
    assert form.errors["price"] == ["Amounts in JPY take no decimals."]


def test_service_price_is_read_into_minor_units_of_the_pros_currency():
    form = ServiceForm(
        {"name": "Cut", "duration_minutes": 30, "price": "1.235", "payment_mode": "at_appointment"},
        pro=None,
        currency="KWD",
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["price"] == 1235


@pytest.mark.parametrize(("currency", "step"), [("XOF", "1"), ("EUR", "0.01"), ("KWD", "0.001")])
def test_service_price_input_steps_by_one_minor_unit(currency, step):
    form = ServiceForm(pro=None, currency=currency)
    assert form.fields["price"].widget.attrs["step"] == step


@pytest.mark.django_db
def test_an_online_price_that_stripe_cannot_charge_is_refused(offline_payments, pro):
    connected_account_enable_simulated(pro=pro)
    form = ServiceForm(
        {"name": "Cut", "duration_minutes": 30, "price": "1.235", "payment_mode": "online"},
        pro=pro,
        currency="KWD",
    )
    assert not form.is_valid()
    assert form.errors["price"] == [
        "Online payments in KWD must be a multiple of KWD\xa00.010; KWD\xa01.235 is not."
    ]


@pytest.mark.django_db
def test_an_online_price_below_stripes_minimum_is_refused_with_the_minimum(offline_payments, pro):
    connected_account_enable_simulated(pro=pro)
    form = ServiceForm(
        {"name": "Cut", "duration_minutes": 30, "price": "0.40", "payment_mode": "online"},
        pro=pro,
        currency="EUR",
    )
    assert not form.is_valid()
    assert form.errors["price"] == ["Online payments in EUR must be at least €0.50."]


def test_time_off_form_reads_wall_clock_times_in_the_given_zone():
    form = TimeOffForm(
        {
            "starts_at_0": "2030-07-01",
            "starts_at_1": "09:00",
            "ends_at_0": "2030-07-01",
            "ends_at_1": "11:30",
        },
        tz=ZoneInfo("America/New_York"),
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["starts_at"] == datetime(2030, 7, 1, 13, 0, tzinfo=UTC)
    assert form.cleaned_data["ends_at"] == datetime(2030, 7, 1, 15, 30, tzinfo=UTC)
