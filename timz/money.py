"""Money: integer minor units of an ISO 4217 currency, written and read for people and for Stripe.

Every amount in Timz is an ``int`` of the currency's minor unit (cents for EUR, yen for JPY, fils
for KWD) next to its three-letter code. This module is the one place that knows what a minor unit
is and turns amounts into text or text into amounts:

* ``exponent`` comes from the ISO 4217 table (the ``iso4217`` package), never from a list of ours.
* ``format_money`` writes an amount the way the locale does (Babel's CLDR data), in the active
  Django language unless a locale is given, with English as the fallback. The language is read
  at format time, so an email written inside ``accounts.languages.speaking(recipient)`` shows
  the recipient's notation. Every page, email, admin list and report shows money through it,
  so one amount reads the same everywhere.
* ``parse_amount`` reads what a person typed (or what ``format_money`` wrote) back into minor
  units; ``to_minor``/``to_major`` convert a ``Decimal`` that a form field already parsed.
* Stripe counts some currencies differently from ISO 4217: ``to_stripe_amount`` and
  ``from_stripe_amount`` convert, ``stripe_amount_error`` says what Stripe cannot charge and
  ``stripe_charge_error`` adds Stripe's minimum charge amounts.
* Which currencies a pro may price in: ``settlement_currencies(country)`` (Stripe's settlement
  currencies for a Connect account of that country, its own currency first) and
  ``currency_for_country``; ``currency_for_accept_language`` reads a browser's preferred region.

Pure functions, no ORM: the module is tested alone.
"""

from __future__ import annotations

import copy
import unicodedata
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.numbers import (
    SPACE_CHARS,
    NumberFormatError,
    NumberPattern,
    get_currency_name,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
    get_minus_sign_symbol,
    parse_decimal,
)
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from iso4217 import Currency

FALLBACK_LOCALE = "en"

# Stripe's "zero-decimal" currencies: the API amount is in whole units, whatever ISO 4217 says
# (MGA has two decimals in ISO 4217 but is charged in whole ariary).
STRIPE_ZERO_DECIMAL = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA"}
    | {"PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"}
)
# Only whole units can be charged, yet the API keeps two decimals: 5 ISK is sent as 500.
STRIPE_WHOLE_IN_TWO_DECIMALS = frozenset({"ISK"})
# Three decimals in the API, but Stripe's partners need the last digit to be 0.
STRIPE_THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})
# (Stripe's HUF and TWD special cases concern payouts, which Stripe makes on its own schedule;
# Timz creates none.)
# Stripe's minimum charge amounts, in major units (docs.stripe.com/currencies, "Minimum and
# maximum charge amounts"). A currency not listed is held to the equivalent of USD 0.50 in the
# account's settlement currency, which Stripe checks itself at payment time.
STRIPE_MINIMUM_CHARGE = {
    code: Decimal(amount)
    for code, amount in {
        "USD": "0.50", "EUR": "0.50", "GBP": "0.30", "CAD": "0.50", "AUD": "0.50",
        "CHF": "0.50", "JPY": "50", "SEK": "3.00", "NOK": "3.00", "DKK": "2.50",
        "PLN": "2.00", "CZK": "15.00", "HUF": "175.00", "MXN": "10", "SGD": "0.50",
        "HKD": "4.00", "NZD": "0.50", "BRL": "0.50", "INR": "0.50", "AED": "2.00",
        "RON": "2.00", "BGN": "1.00", "THB": "10",
    }.items()
}  # fmt: skip

# The currencies a Stripe Connect account of a country can settle in (ISO 3166-1 alpha-2 ->
# ISO 4217 codes), the country's own currency first: Stripe's "Supported settlement currencies"
# table of its Connect payouts guide (docs.stripe.com/connect/payouts-connected-accounts).
# Businesses in Europe settle in their own currency, EUR, GBP, USD and the region's other
# major currencies; US accounts in USD only. Only the countries of the places Timz knows
# (accounts.geo.CITIES) and their neighbours are listed; add a row with a city of a new country.
# A charge in any other currency is still possible (Stripe converts the presentment currency):
# this table is what a pro *prices* in, so that payouts need no conversion.
_EUROPE = ("EUR", "GBP", "USD", "CHF", "DKK", "NOK", "SEK")
STRIPE_SETTLEMENT_CURRENCIES: dict[str, tuple[str, ...]] = {
    "US": ("USD",),
    "CA": ("CAD", "USD"),
    "GB": ("GBP", *(c for c in _EUROPE if c != "GBP")),
    "CH": ("CHF", *(c for c in _EUROPE if c != "CHF")),
    **dict.fromkeys(("AT", "BE", "DE", "ES", "FI", "FR", "IE", "IT", "LU", "NL", "PT"), _EUROPE),
}

_MINUS_SIGNS = frozenset({"-", "\N{MINUS SIGN}"})
_DIGITS = frozenset("0123456789")


def _code(currency: str) -> str:
    return str(currency or "").strip().upper()


@lru_cache(maxsize=256)
def exponent(currency: str) -> int:
    """Decimals of `currency`'s minor unit in ISO 4217: EUR 2, JPY 0, KWD 3 (case-insensitive).

    Raises ValueError for a code ISO 4217 does not list, or one without a minor unit (XAU).
    """
    code = _code(currency)
    try:
        places = Currency(code).exponent
    except ValueError:
        raise ValueError(f"“{code}” is not an ISO 4217 currency code.") from None
    if places is None:
        raise ValueError(f"{code} has no minor unit and cannot be used for prices.")
    return places


def to_major(amount: int, currency: str) -> Decimal:
    """Minor units as an exact Decimal of major units: 3550 EUR -> Decimal("35.50")."""
    return Decimal(_checked_int(amount)).scaleb(-exponent(currency))


def to_minor(amount: Decimal | int | str, currency: str) -> int:
    """Major units to minor units, exactly: Decimal("35.5") EUR -> 3550.

    Raises ValueError (a message for the person who typed it) when the amount has more decimals
    than the currency, or is not a finite number. The sign is kept: callers judge it.
    """
    places = exponent(currency)
    try:
        value = Decimal(amount)
        if not value.is_finite():
            raise InvalidOperation
        whole = value.quantize(Decimal(1).scaleb(-places))
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError(_("Enter the amount as a number.")) from None
    if whole != value:
        raise ValueError(_decimals_message(_code(currency), places))
    return int(whole.scaleb(places))


def _decimals_message(code: str, places: int) -> str:
    if places == 0:
        return _("Amounts in %(currency)s take no decimals.") % {"currency": code}
    return ngettext(
        "Amounts in %(currency)s take at most %(places)s decimal.",
        "Amounts in %(currency)s take at most %(places)s decimals.",
        places,
    ) % {"currency": code, "places": places}


def _checked_int(amount: int) -> int:
    # bool is an int subclass; True cents is a bug, not an amount.
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"Amounts are int minor units, got {amount!r}.")
    return amount


def _locale(locale: str | Locale | None) -> Locale:
    """The Babel locale to use: the given one, else the active Django language, else English."""
    if isinstance(locale, Locale):
        return locale
    if locale is None:
        language = translation.get_language()
        locale = translation.to_locale(language) if language else FALLBACK_LOCALE
    return _parse_locale(locale)


@lru_cache(maxsize=64)
def _parse_locale(name: str) -> Locale:
    try:
        return Locale.parse(name)
    except (UnknownLocaleError, ValueError, TypeError):
        return Locale.parse(FALLBACK_LOCALE)


def _symbol_needs_space(char: str) -> bool:
    """CLDR's currencySpacing rule: a symbol whose edge is a letter ("CHF", "F CFA") is kept
    apart from the digits by a no-break space; a sign such as "€" or "$" is not."""
    return not unicodedata.category(char).startswith(("S", "Z"))


@lru_cache(maxsize=512)
def _currency_pattern(locale: Locale, code: str) -> NumberPattern:
    """The locale's currency pattern with the ISO 4217 decimals of `code` (CLDR's own counts differ
    for a few currencies) and CLDR's currency spacing, which Babel does not apply itself."""
    pattern = copy.copy(locale.currency_formats["standard"])
    places = exponent(code)
    pattern.frac_prec = (places, places)
    symbol = get_currency_symbol(code, locale)
    if symbol and _symbol_needs_space(symbol[-1]):
        pattern.prefix = tuple(p + "\xa0" if p.endswith("¤") else p for p in pattern.prefix)
    if symbol and _symbol_needs_space(symbol[0]):
        pattern.suffix = tuple("\xa0" + s if s.startswith("¤") else s for s in pattern.suffix)
    return pattern


@lru_cache(maxsize=512)
def _number_pattern(locale: Locale, places: int) -> NumberPattern:
    pattern = copy.copy(locale.decimal_formats[None])
    pattern.frac_prec = (places, places)
    return pattern


def format_money(amount: int, currency: str, locale: str | Locale | None = None) -> str:
    """`amount` minor units of `currency` as the locale writes it, with the ISO 4217 decimals.

    3500 EUR -> "€35.00" (en), "35,00 €" (fr, de); 1500 JPY -> "¥1,500"; 4000 CHF -> "CHF 40.00"
    (the spaces are no-break spaces). A negative amount takes the minus sign U+2212 ("−€5.00"),
    as the pages write a deduction before a positive amount, not the hyphen-minus CLDR's
    patterns give. `locale` is a Babel/POSIX name ("fr", "de_CH"); by default the active Django
    language, and English for a language Babel does not know. Raises ValueError for an unknown
    currency and TypeError for an amount that is not an int.
    """
    code = _code(currency)
    where = _locale(locale)
    text = _currency_pattern(where, code).apply(
        to_major(amount, code), where, currency=code, currency_digits=False
    )
    return text.replace("-", "\N{MINUS SIGN}", 1) if amount < 0 else text


def currency_symbol(currency: str, locale: str | Locale | None = None) -> str:
    """The symbol the locale writes for `currency`: "€" for EUR, "CHF" for CHF (en)."""
    return get_currency_symbol(_code(currency), _locale(locale))


def currency_label(currency: str, locale: str | Locale | None = None) -> str:
    """A currency for a select: "GBP · British pound (£)"; the code alone when the locale
    writes no other symbol."""
    code = _code(currency)
    where = _locale(locale)
    name = get_currency_name(code, locale=where)
    symbol = get_currency_symbol(code, where)
    name = name[:1].upper() + name[1:].lower() if name and name != code else code
    return f"{code} · {name}" + (f" ({symbol})" if symbol and symbol != code else "")


def parse_amount(text: str, currency: str, locale: str | Locale | None = None) -> int:
    """Minor units of an amount of `currency` written in the locale's notation, >= 0.

    Reads what a person types ("12.50", "1,234.50", "12") and what ``format_money`` writes
    ("€1,234.50"; "1 234,50 €" in French): the currency's symbol or code may stand before or
    after the number, and group separators must sit where the locale puts them. Raises
    ValueError with a message for that person: empty, not a number, negative, too many decimals.
    """
    code = _code(currency)
    exponent(code)  # an unknown currency fails before the text is read
    where = _locale(locale)
    number = _without_currency(str(text).strip(), code, where)
    if not number:
        raise ValueError(_("Enter an amount."))
    if any(sign in number for sign in _MINUS_SIGNS | {get_minus_sign_symbol(where)}):
        raise ValueError(_("Enter an amount of zero or more."))
    group, decimal = get_group_symbol(where), get_decimal_symbol(where)
    if group in SPACE_CHARS:
        # People type an ordinary space where the locale groups with a (narrow) no-break one.
        number = "".join(group if ch in SPACE_CHARS else ch for ch in number)
    if not set(number) <= _DIGITS | {group, decimal}:
        raise ValueError(_example_message(code, where))
    try:
        value = parse_decimal(number, where, strict=True)
    except NumberFormatError:
        raise ValueError(_example_message(code, where)) from None
    return to_minor(value, code)


def _without_currency(text: str, code: str, locale: Locale) -> str:
    """`text` without the currency's symbol or code at its start or end."""
    for mark in filter(None, (get_currency_symbol(code, locale), code)):
        if text[: len(mark)].upper() == mark.upper():
            return text[len(mark) :].strip()
        if text[len(text) - len(mark) :].upper() == mark.upper():
            return text[: len(text) - len(mark)].strip()
    return text


def _example_message(code: str, locale: Locale) -> str:
    places = exponent(code)
    example = _number_pattern(locale, places).apply(Decimal("1234.5"), locale)
    return _("Enter an amount such as %(example)s.") % {"example": example}


def stripe_exponent(currency: str) -> int:
    """Decimals of the amounts Stripe's API takes for `currency` (ISK: 2, MGA: 0, JPY: 0)."""
    code = _code(currency)
    if code in STRIPE_ZERO_DECIMAL:
        return 0
    if code in STRIPE_WHOLE_IN_TWO_DECIMALS:
        return 2
    return exponent(code)


def _stripe_step(code: str) -> int:
    """The minor units (ISO 4217) that every amount Stripe charges is a multiple of."""
    if code in STRIPE_ZERO_DECIMAL | STRIPE_WHOLE_IN_TWO_DECIMALS:
        return 10 ** exponent(code)  # whole units only
    if code in STRIPE_THREE_DECIMAL:
        return 10
    return 1


def stripe_amount_error(amount: int, currency: str) -> str | None:
    """Why Stripe cannot charge `amount` minor units of `currency`, or None when it can.

    Stripe charges only whole units of its zero-decimal currencies and of ISK, and only amounts
    ending in 0 in its three-decimal currencies (KWD 1.230, not KWD 1.235).
    """
    code = _code(currency)
    if _checked_int(amount) < 0:
        return _("Stripe cannot charge a negative amount.")
    step = _stripe_step(code)
    if amount % step:
        return _(
            "Online payments in %(currency)s must be a multiple of %(step)s; %(amount)s is not."
        ) % {
            "currency": code,
            "step": format_money(step, code),
            "amount": format_money(amount, code),
        }
    return None


def stripe_minimum_charge(currency: str) -> int | None:
    """Stripe's smallest charge in `currency`, in ISO minor units (EUR: 50), or None when Stripe
    publishes no fixed minimum for it."""
    minimum = STRIPE_MINIMUM_CHARGE.get(_code(currency))
    return None if minimum is None else to_minor(minimum, currency)


def stripe_charge_error(amount: int, currency: str) -> str | None:
    """Why Stripe cannot take a payment of `amount` minor units of `currency`, or None.

    ``stripe_amount_error``'s decimal rules plus Stripe's minimum charge amount (which refunds
    and application fees are not held to).
    """
    error = stripe_amount_error(amount, currency)
    if error:
        return error
    minimum = stripe_minimum_charge(currency)
    if minimum is not None and amount < minimum:
        return _("Online payments in %(currency)s must be at least %(minimum)s.") % {
            "currency": _code(currency),
            "minimum": format_money(minimum, currency),
        }
    return None


def to_stripe_amount(amount: int, currency: str) -> int:
    """`amount` ISO minor units as the integer Stripe's API expects for `currency`.

    5000 EUR -> 5000; 5000 ISK (5,000 krónur) -> 500000; 50000 MGA (500 ariary) -> 500.
    Raises ValueError with ``stripe_amount_error``'s message for an amount Stripe cannot charge.
    """
    error = stripe_amount_error(amount, currency)
    if error:
        raise ValueError(error)
    shift = stripe_exponent(currency) - exponent(currency)
    return amount * 10**shift if shift >= 0 else amount // 10**-shift


def from_stripe_amount(amount: int, currency: str) -> int:
    """An amount from Stripe's API (webhook, API answer) in ISO minor units of `currency`.

    The inverse of ``to_stripe_amount``. Raises ValueError when it is not a whole number of
    minor units (500050 ISK in Stripe's units is 5,000.5 krónur).
    """
    shift = exponent(currency) - stripe_exponent(currency)
    if shift >= 0:
        return _checked_int(amount) * 10**shift
    whole, rest = divmod(_checked_int(amount), 10**-shift)
    if rest:
        raise ValueError(f"{amount} from Stripe is not a whole number of {_code(currency)} units.")
    return whole


def settlement_currencies(country: str | None) -> tuple[str, ...]:
    """The currencies a pro in `country` (ISO 3166-1 alpha-2, any case) may price in: Stripe's
    settlement currencies there, the country's own first. Empty for a country not in
    ``STRIPE_SETTLEMENT_CURRENCIES`` (or none)."""
    return STRIPE_SETTLEMENT_CURRENCIES.get(_code(country), ())


def all_settlement_currencies() -> tuple[str, ...]:
    """Every currency some country's pros may price in, sorted: the choice when the country of a
    pro is not known, and the currencies the directory offers to compare within."""
    return tuple(sorted({c for codes in STRIPE_SETTLEMENT_CURRENCIES.values() for c in codes}))


def currency_for_country(country: str | None) -> str | None:
    """The default currency of a pro in `country` ("GB" -> "GBP"), or None when unknown."""
    codes = settlement_currencies(country)
    return codes[0] if codes else None


def is_currency(code: str | None) -> bool:
    """Whether `code` is an ISO 4217 code that amounts can be written in (has a minor unit)."""
    try:
        exponent(code or "")
    except ValueError:
        return False
    return len(_code(code)) == 3


def currency_for_accept_language(header: str | None) -> str | None:
    """The currency of the first region named in an Accept-Language header that has one:
    "en-GB,en;q=0.9" -> "GBP", "fr-FR" -> "EUR", "en-US" -> "USD"; None when no entry names a
    known region ("en", "*", empty)."""
    from django.utils.translation.trans_real import parse_accept_lang_header

    for language, _quality in parse_accept_lang_header(header or "")[:8]:
        parts = language.replace("_", "-").split("-")
        for part in parts[1:]:
            if len(part) == 2 and part.isalpha():
                currency = currency_for_country(part)
                if currency:
                    return currency
    return None
