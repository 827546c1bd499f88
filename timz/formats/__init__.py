"""How dates read, per language: the one home of date formats.

`<lang>/formats.py` (settings.FORMAT_MODULE_PATH) give Django's standard names (the admin's
defaults; `en` replaces Django's English ones) and the Timz names below, which pages and
emails use through `pattern()`: `{{ value|datefmt:"WEEKDAY_DATE" }}` (a builtin template
filter, timz/template_formats.py) or `{% when value tz "WEEKDAY_DATETIME" %}`. A name reads as
the active language writes it ("Tue 1 Dec 2026" in English, "Di., 1. Dez. 2026" in German);
anything else is taken as a Django date pattern. Times use a 24-hour clock in every language.
`platform_datetime` writes an instant in the platform's zone (settings.TIME_ZONE).
"""

from datetime import datetime

from django.utils import formats, timezone
from django.utils.translation import get_language

# Each is defined in every `<lang>/formats.py`; the English pattern is given for reference.
TIMZ_NAMES = frozenset(
    {
        "DAY_MONTH",  # 1 Dec
        "DAY_MONTH_YEAR",  # 1 Dec 2026
        "LONG_DATE",  # 1 December 2026
        "WEEKDAY_DAY",  # Tue 1
        "WEEKDAY_DAY_MONTH",  # Tue 1 Dec
        "WEEKDAY_DATE",  # Tue 1 Dec 2026
        "LONG_WEEKDAY_DAY_MONTH",  # Tuesday 1 December
        "LONG_WEEKDAY_DATE",  # Tuesday 1 December 2026
        "MONTH_YEAR",  # Dec 2026
        "DAY_MONTH_TIME",  # 1 Dec, 09:00
        "WEEKDAY_DAY_TIME",  # Tue 1, 09:00
        "WEEKDAY_DAY_MONTH_TIME",  # Tue 1 Dec, 09:00
        "DAY_MONTH_YEAR_TIME",  # 1 Dec 2026, 09:00
        "WEEKDAY_DATETIME",  # Tue 1 Dec 2026, 09:00
        "LONG_WEEKDAY_DATETIME",  # Tuesday 1 December 2026, 09:00
    }
)


def pattern(name: str, lang: str | None = None) -> str:
    """The Django date pattern of a Timz format name in `lang` (default: the active
    language); a standard Django name (YEAR_MONTH_FORMAT...) through Django; any other text
    is returned as it is (a literal pattern such as "H:i")."""
    if name in TIMZ_NAMES:
        for module in formats.get_format_modules(lang or get_language() or "en"):
            if hasattr(module, name):
                return getattr(module, name)
        from timz.formats.en import formats as english

        return getattr(english, name)
    return formats.get_format(name, lang) if name in formats.FORMAT_SETTINGS else name


def first_day_of_week(lang: str | None = None) -> int:
    """The locale's first day of the week as Python counts (0 = Monday .. 6 = Sunday);
    Django's FIRST_DAY_OF_WEEK counts from Sunday."""
    return (int(formats.get_format("FIRST_DAY_OF_WEEK", lang)) - 1) % 7


def platform_datetime(value: datetime) -> str:
    """An aware instant as staff read it: "2 Dec 2026, 09:15 UTC" (24-hour, zone named)."""
    local = timezone.localtime(value, timezone.get_default_timezone())
    return formats.date_format(local, "DATETIME_FORMAT")
