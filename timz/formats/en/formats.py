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
