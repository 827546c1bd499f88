"""The money filter of every template: `{{ booking.price_amount|money:booking.currency }}`.

`{% load money %}` and the filter shows integer minor units through `timz.money.format_money`,
in the active language, so an amount reads the same on every page and email.
"""

from django import template

from timz.money import currency_symbol as _currency_symbol
from timz.money import format_money

register = template.Library()


@register.filter
def money(amount, currency):
    """Minor units and an ISO 4217 code -> "€35.00". Empty for a missing amount, a non-integer
    or an unknown currency: a template shows nothing rather than fail the page."""
    if amount is None or amount == "":
        return ""
    try:
        minor = amount if isinstance(amount, int) else int(str(amount))
        return format_money(minor, currency)
    except (TypeError, ValueError):
        return ""


@register.filter
def currency_symbol(currency):
    """An ISO 4217 code -> its symbol in the active language ("$" for USD, "£" for GBP): the
    icon of a payment step. Empty for a missing code."""
    if not currency:
        return ""
    return _currency_symbol(str(currency))
