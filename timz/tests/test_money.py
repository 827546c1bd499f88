"""timz.money: ISO 4217 exponents, Babel formatting, parsing, and Stripe's amount rules."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.template import Context, Template
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st
from iso4217 import Currency

from accounts.languages import speaking
from timz import money

NBSP = "\xa0"
NNBSP = "\u202f"  # the narrow no-break space of French grouping and of "F CFA"

ISO_CODES = sorted(c.code for c in Currency if c.exponent is not None)
amounts = st.integers(min_value=0, max_value=10**15)


@pytest.mark.parametrize(
    ("currency", "places"),
    [("EUR", 2), ("usd", 2), ("JPY", 0), ("XOF", 0), ("ISK", 0), ("KWD", 3), ("CLF", 4)],
)
def test_exponent_comes_from_the_iso_4217_table(currency, places):
    assert money.exponent(currency) == places


def test_exponent_refuses_a_code_iso_4217_does_not_list():
    with pytest.raises(ValueError, match="“ZZZ” is not an ISO 4217 currency code"):
        money.exponent("ZZZ")


def test_exponent_refuses_a_currency_without_a_minor_unit():
    with pytest.raises(ValueError, match="XAU has no minor unit"):
        money.exponent("XAU")


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (3500, "EUR", "€35.00"),
        (1250, "USD", "$12.50"),
        (5, "USD", "$0.05"),
        (123456, "GBP", "£1,234.56"),
        (1500, "JPY", "¥1,500"),
        (4000, "CHF", f"CHF{NBSP}40.00"),
        (1234, "BHD", f"BHD{NBSP}1.234"),
        (5000, "XOF", f"F{NNBSP}CFA{NBSP}5,000"),
        (5000, "ISK", f"ISK{NBSP}5,000"),
        (1999, "SEK", f"SEK{NBSP}19.99"),
        (5, "eur", "€0.05"),
        (0, "EUR", "€0.00"),
        (-500, "EUR", "\N{MINUS SIGN}€5.00"),
    ],
)
def test_format_money_in_english_uses_the_iso_decimals_and_the_cldr_symbol(amount, currency, shown):
    assert money.format_money(amount, currency, "en") == shown


@pytest.mark.parametrize(
    ("locale", "shown"),
    [
        ("fr", f"1{NNBSP}234,56{NBSP}€"),
        ("de", f"1.234,56{NBSP}€"),
        ("de_CH", f"EUR{NBSP}1’234.56"),
    ],
)
def test_format_money_follows_the_locale(locale, shown):
    assert money.format_money(123456, "EUR", locale) == shown


def test_a_negative_amount_takes_the_minus_sign_in_every_locale():
    assert money.format_money(-123456, "EUR", "fr") == f"\N{MINUS SIGN}1{NNBSP}234,56{NBSP}€"
    assert money.format_money(-500, "GBP", "de") == f"\N{MINUS SIGN}5,00{NBSP}£"


def test_format_money_defaults_to_the_active_django_language():
    with translation.override("fr"):
        assert money.format_money(3500, "EUR") == f"35,00{NBSP}€"


def test_format_money_falls_back_to_english_for_a_locale_babel_does_not_know():
    assert money.format_money(3500, "EUR", "xx_YY") == "€35.00"


def test_format_money_falls_back_to_english_when_translations_are_off():
    with translation.override(None):
        assert money.format_money(3500, "EUR") == "€35.00"


@pytest.mark.parametrize("amount", [35.0, Decimal("35"), "3500", True, None])
def test_format_money_refuses_anything_but_int_minor_units(amount):
    with pytest.raises(TypeError):
        money.format_money(amount, "EUR")


def test_currency_symbol_is_the_locales():
    assert money.currency_symbol("eur") == "€"
    assert money.currency_symbol("USD", "fr") == "$US"


@pytest.mark.parametrize(
    ("major", "currency", "minor"),
    [
        ("35.5", "EUR", 3550),
        ("35.500", "EUR", 3550),
        ("0", "USD", 0),
        ("40", "JPY", 40),
        ("1.234", "BHD", 1234),
    ],
)
def test_to_minor_converts_major_units_exactly(major, currency, minor):
    assert money.to_minor(Decimal(major), currency) == minor


@pytest.mark.parametrize(
    ("major", "currency", "message"),
    [
        ("10.5", "JPY", "Amounts in JPY take no decimals."),
        ("1.2345", "KWD", "Amounts in KWD take at most 3 decimals."),
        ("0.001", "EUR", "Amounts in EUR take at most 2 decimals."),
        ("NaN", "EUR", "Enter the amount as a number."),
        ("Infinity", "EUR", "Enter the amount as a number."),
    ],
)
def test_to_minor_refuses_what_the_currency_cannot_hold(major, currency, message):
    with pytest.raises(ValueError) as raised:
        money.to_minor(Decimal(major), currency)
    assert str(raised.value) == message


@given(amount=amounts, currency=st.sampled_from(ISO_CODES))
def test_to_major_and_to_minor_round_trip(amount, currency):
    assert money.to_minor(money.to_major(amount, currency), currency) == amount


@pytest.mark.parametrize(
    ("text", "currency", "locale", "minor"),
    [
        ("12.50", "EUR", "en", 1250),
        ("12", "EUR", "en", 1200),
        (" 1,234.5 ", "USD", "en", 123450),
        ("€12.50", "EUR", "en", 1250),
        ("12.50 eur", "EUR", "en", 1250),
        ("3,500", "JPY", "en", 3500),
        ("1.230", "KWD", "en", 1230),
        ("12,50", "EUR", "fr", 1250),
        ("1 234,50 €", "EUR", "fr", 123450),
        ("1.234,50", "EUR", "de", 123450),
        ("0", "EUR", "en", 0),
    ],
)
def test_parse_amount_reads_what_people_type(text, currency, locale, minor):
    assert money.parse_amount(text, currency, locale) == minor


@pytest.mark.parametrize(
    ("text", "currency", "locale", "message"),
    [
        ("", "EUR", "en", "Enter an amount."),
        ("€", "EUR", "en", "Enter an amount."),
        ("twelve", "EUR", "en", "Enter an amount such as 1,234.50."),
        ("1e3", "EUR", "en", "Enter an amount such as 1,234.50."),
        ("12,50", "EUR", "en", "Enter an amount such as 1,234.50."),
        ("12.50", "EUR", "de", "Enter an amount such as 1.234,50."),
        ("-5", "EUR", "en", "Enter an amount of zero or more."),
        ("−5,00 €", "EUR", "fr", "Enter an amount of zero or more."),
        ("10.5", "JPY", "en", "Amounts in JPY take no decimals."),
        ("1.2345", "KWD", "en", "Amounts in KWD take at most 3 decimals."),
    ],
)
def test_parse_amount_explains_what_is_wrong(text, currency, locale, message):
    with pytest.raises(ValueError) as raised:
        money.parse_amount(text, currency, locale)
    assert str(raised.value) == message


def test_parse_amount_uses_the_active_django_language_by_default():
    with translation.override("de"):
        assert money.parse_amount("1.234,50", "EUR") == 123450


@given(
    amount=amounts,
    currency=st.sampled_from(ISO_CODES),
    locale=st.sampled_from(["en", "fr", "de"]),
)
def test_parse_amount_reads_back_what_format_money_writes(amount, currency, locale):
    shown = money.format_money(amount, currency, locale)
    assert money.parse_amount(shown, currency, locale) == amount


@pytest.mark.parametrize(
    ("amount", "currency", "sent"),
    [
        (5000, "EUR", 5000),
        (5000, "JPY", 5000),
        (5000, "XOF", 5000),
        (5000, "ISK", 500000),  # 5,000 krónur in Stripe's two-decimal units
        (50000, "MGA", 500),  # 500.00 ariary: two decimals in ISO 4217, none at Stripe
        (1230, "KWD", 1230),
    ],
)
def test_to_stripe_amount_uses_stripes_units(amount, currency, sent):
    assert money.to_stripe_amount(amount, currency) == sent


@pytest.mark.parametrize(
    ("amount", "currency", "message"),
    [
        (1235, "KWD", f"multiple of KWD{NBSP}0.010; KWD{NBSP}1.235 is not."),
        (50050, "MGA", f"multiple of MGA{NBSP}1.00; MGA{NBSP}500.50 is not."),
        (-100, "EUR", "Stripe cannot charge a negative amount."),
    ],
)
def test_stripe_amount_error_names_what_stripe_cannot_charge(amount, currency, message):
    assert message in money.stripe_amount_error(amount, currency)


@pytest.mark.parametrize(
    ("amount", "currency"), [(1, "EUR"), (1, "ISK"), (1, "JPY"), (1230, "BHD"), (100, "MGA")]
)
def test_stripe_amount_error_is_none_for_chargeable_amounts(amount, currency):
    assert money.stripe_amount_error(amount, currency) is None


def test_to_stripe_amount_refuses_a_three_decimal_amount_not_ending_in_zero():
    with pytest.raises(ValueError, match="Online payments in TND must be a multiple"):
        money.to_stripe_amount(1235, "TND")


@given(amount=amounts, currency=st.sampled_from(ISO_CODES))
def test_from_stripe_amount_reverses_to_stripe_amount(amount, currency):
    if money.stripe_amount_error(amount, currency) is None:
        sent = money.to_stripe_amount(amount, currency)
        assert money.from_stripe_amount(sent, currency) == amount


def test_from_stripe_amount_refuses_a_fraction_of_a_minor_unit():
    with pytest.raises(ValueError, match="not a whole number of ISK units"):
        money.from_stripe_amount(500050, "ISK")


def render(source: str, **context) -> str:
    return Template("{% load money %}" + source).render(Context(context))


def test_money_filter_formats_minor_units_in_the_active_language():
    assert render("{{ a|money:c }}", a=1999, c="GBP") == "£19.99"


def test_money_filter_is_empty_for_a_missing_amount():
    assert render("[{{ a|money:c }}]", a=None, c="GBP") == "[]"


def test_money_filter_is_empty_for_an_unknown_currency():
    assert render("[{{ a|money:c }}]", a=1999, c="ZZZ") == "[]"


@pytest.mark.parametrize(
    ("currency", "minimum"),
    [("EUR", 50), ("GBP", 30), ("JPY", 50), ("HUF", 17500), ("MXN", 1000), ("THB", 1000)],
)
def test_stripe_minimum_charge_is_in_iso_minor_units(currency, minimum):
    assert money.stripe_minimum_charge(currency) == minimum


def test_stripe_minimum_charge_is_none_for_a_currency_without_a_published_minimum():
    assert money.stripe_minimum_charge("ISK") is None


def test_stripe_charge_error_gives_the_minimum_for_a_price_below_it():
    assert money.stripe_charge_error(49, "EUR") == "Online payments in EUR must be at least €0.50."


def test_stripe_charge_error_accepts_the_minimum_itself():
    assert money.stripe_charge_error(30, "GBP") is None


def test_stripe_charge_error_keeps_the_decimal_rules():
    assert "must be a multiple of" in money.stripe_charge_error(1235, "KWD")


# --- which currencies a pro may price in --------------------------------------------------------


def test_settlement_currencies_put_the_countrys_own_first():
    assert money.settlement_currencies("gb")[0] == "GBP"
    assert money.settlement_currencies("FR")[0] == "EUR"
    assert money.settlement_currencies("US") == ("USD",)
    assert money.settlement_currencies("ZZ") == ()
    assert money.settlement_currencies(None) == ()


def test_every_settlement_currency_can_be_written_and_charged():
    for code in money.all_settlement_currencies():
        assert money.is_currency(code)
        assert money.stripe_minimum_charge(code) is not None, code


@pytest.mark.parametrize(
    ("header", "currency"),
    [
        ("en-GB,en;q=0.9", "GBP"),
        ("en-US", "USD"),
        ("fr-FR,fr;q=0.9,en;q=0.5", "EUR"),
        ("fr,en-GB;q=0.5", "GBP"),  # the first entry naming a known region
        ("en", None),
        ("*", None),
        ("", None),
        (None, None),
        ("xx-ZZ", None),
    ],
)
def test_currency_for_accept_language(header, currency):
    assert money.currency_for_accept_language(header) == currency


def test_currency_label_names_the_currency_with_its_symbol():
    assert money.currency_label("GBP", "en") == "GBP · British pound (£)"
    assert money.currency_label("CHF", "en") == "CHF · Swiss franc"


# --- amounts in the reader's language ---------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "euros", "yen"),
    [
        ("en", "€12.50", "¥1,500"),
        ("fr", f"12,50{NBSP}€", f"1{NNBSP}500{NBSP}JPY"),
        ("de", f"12,50{NBSP}€", f"1.500{NBSP}¥"),
        ("es", f"12,50{NBSP}€", f"1.500{NBSP}JPY"),
    ],
)
def test_pages_write_amounts_as_the_active_language_does(language, euros, yen):
    with translation.override(language):
        assert render("{{ a|money:'EUR' }}", a=1250) == euros
        assert render("{{ a|money:'JPY' }}", a=1500) == yen  # no decimals in any language


def test_an_email_to_a_german_reader_shows_german_amounts_whoever_sends_it():
    reader = SimpleNamespace(language="de")

    with translation.override("en"):
        with speaking(reader):
            assert render("{{ a|money:'EUR' }}", a=1250) == f"12,50{NBSP}€"
        assert render("{{ a|money:'EUR' }}", a=1250) == "€12.50"


def test_a_message_naming_an_amount_writes_it_in_the_active_language():
    with translation.override("de"):
        assert money.stripe_charge_error(49, "EUR") == (
            f"Online-Zahlungen in EUR müssen mindestens 0,50{NBSP}€ betragen."
        )
