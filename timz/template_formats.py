"""Template filters every template has without `{% load %}` (settings TEMPLATES "builtins")."""

from datetime import date, datetime

from django import template
from django.utils.dateformat import format as date_format

from timz.formats import pattern

register = template.Library()


@register.filter(expects_localtime=True)
def datefmt(value, name):
    """`value` written with a Timz format name in the active language (timz.formats):
    `{{ booking.starts_at|datefmt:"WEEKDAY_DATE" }}`. An aware datetime is shown in the current
    time zone, as Django's `date` filter does (`{% timezone zone %}`, the activated zone), or
    in the zone a `|timezone:zone` before it converted it to."""
    if not isinstance(value, (date, datetime)):
        return ""
    return date_format(value, pattern(name))
