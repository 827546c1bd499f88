"""English date formats with a 24-hour clock and the zone named.

Django's own English formats write "Nov. 29, 2026, 9:05 p.m."; staff read the admin in the
platform's zone (settings.TIME_ZONE) and want it unambiguous: "29 Nov 2026, 21:05 UTC". Pages
for pros and clients format their times explicitly (`|clock`, `{% when %}`), so these defaults
mostly reach the admin. Formats not named here fall back to Django's English ones.
"""

DATE_FORMAT = "j M Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j M Y, H:i T"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
MONTH_DAY_FORMAT = "j F"

# Timz names (timz.formats.TIMZ_NAMES): the pages' and emails' dates, per language.
DAY_MONTH = "j M"
DAY_MONTH_YEAR = "j M Y"
LONG_DATE = "j F Y"
WEEKDAY_DAY = "D j"
WEEKDAY_DAY_MONTH = "D j M"
WEEKDAY_DATE = "D j M Y"
LONG_WEEKDAY_DAY_MONTH = "l j F"
LONG_WEEKDAY_DATE = "l j F Y"
MONTH_YEAR = "M Y"
DAY_MONTH_TIME = "j M, H:i"
WEEKDAY_DAY_TIME = "D j, H:i"
WEEKDAY_DAY_MONTH_TIME = "D j M, H:i"
DAY_MONTH_YEAR_TIME = "j M Y, H:i"
WEEKDAY_DATETIME = "D j M Y, H:i"
LONG_WEEKDAY_DATETIME = "l j F Y, H:i"
