"""Money display: integer minor units plus an ISO 4217 code -> "€35.00", "$12.50", "CHF 40.00".

`{% load money %}{{ service.price_amount|money:service.currency }}`. The number of decimals is the
currency's minor-unit exponent (JPY has none, BHD has three); unknown codes use two.
"""

from decimal import Decimal

from django import template

register = template.Library()

SYMBOLS = {
    "EUR": "€",
    "USD": "$",
    "GBP": "£",
    "JPY": "¥",
    "CAD": "CA$",
    "AUD": "A$",
    "NZD": "NZ$",
    "INR": "₹",
    "KRW": "₩",
    "BRL": "R$",
    "MXN": "MX$",
}
EXPONENTS = {
    **dict.fromkeys(
        [
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
}


def currency_exponent(currency: str) -> int:
    return EXPONENTS.get((currency or "").upper(), 2)


def to_minor_units(amount: Decimal, currency: str) -> int:
    """Major units (Decimal) to integer minor units, e.g. Decimal("35.5"), "EUR" -> 3550."""
    return int((Decimal(amount) * (10 ** currency_exponent(currency))).to_integral_value())


def format_money(amount: int | None, currency: str) -> str:
    if amount is None or amount == "":
        return ""
    code = (currency or "").upper()
    exponent = currency_exponent(code)
    amount = int(amount)
    sign = "-" if amount < 0 else ""
    number = f"{Decimal(abs(amount)).scaleb(-exponent):,.{exponent}f}"
    symbol = SYMBOLS.get(code)
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{code} {number}".strip()


@register.filter(name="money")
def money(amount, currency="EUR"):
    """Format integer minor units in `currency`; empty for a missing amount."""
    try:
        return format_money(amount, currency)
    except (TypeError, ValueError):
        return ""
