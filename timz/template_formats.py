"""Template filters every template has without `{% load %}` (settings TEMPLATES "builtins")."""

from datetime import date, datetime

from django import template
from django.utils.dateformat import format as date_format

from timz.formats import pattern

register = template.Library()


@register.filter
def datefmt(value, name):
    """`value` written with a Timz format name in the active language (timz.formats):
    `{{ booking.starts_at|datefmt:"WEEKDAY_DATE" }}`. Aware datetimes are shown as they come:
    convert them to the reader's zone first (`|timezone:zone`, or the `when` tag)."""
    if not isinstance(value, (date, datetime)):
        return ""
    return date_format(value, pattern(name))
