"""Showing and reading money amounts (integer minor units + ISO 4217 code)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

# Currencies whose minor unit is not the cent.
_EXPONENTS = {"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "BHD": 3, "KWD": 3, "JOD": 3}
_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}


def exponent(currency: str) -> int:
    return _EXPONENTS.get((currency or "").upper(), 2)


def format_money(amount: int | None, currency: str) -> str:
    """1234, "EUR" -> "€12.34"; 500, "JPY" -> "¥500"; 100, "SEK" -> "1.00 SEK"."""
    if amount is None:
        return ""
    currency = (currency or "").upper()
    places = exponent(currency)
    text = f"{Decimal(int(amount)).scaleb(-places):,.{places}f}"
    symbol = _SYMBOLS.get(currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


def parse_major(text: str, currency: str) -> int:
    """ "12.50", "EUR" -> 1250. Raises ValueError with a readable message."""
    places = exponent(currency)
    try:
        value = Decimal(str(text).strip().replace(",", "."))
    except InvalidOperation:
        raise ValueError("Enter an amount such as 12.50.") from None
    if not value.is_finite() or value <= 0:
        raise ValueError("Enter an amount greater than zero.")
    minor = value.scaleb(places)
    if minor != minor.to_integral_value():
        raise ValueError(f"{currency.upper()} amounts have at most {places} decimals.")
    return int(minor)
