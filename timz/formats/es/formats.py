"""Spanish formats: Django's own for the standard names, plus the Timz names
(timz.formats.TIMZ_NAMES) that pages and emails use; a 24-hour clock."""

FIRST_DAY_OF_WEEK = 1  # Monday

DAY_MONTH = "j N"
DAY_MONTH_YEAR = "j N Y"
LONG_DATE = "j \\d\\e F \\d\\e Y"
WEEKDAY_DAY = "D j"
WEEKDAY_DAY_MONTH = "D j N"
WEEKDAY_DATE = "D j N Y"
LONG_WEEKDAY_DAY_MONTH = "l j \\d\\e F"
LONG_WEEKDAY_DATE = "l, j \\d\\e F \\d\\e Y"
MONTH_YEAR = "N Y"
DAY_MONTH_TIME = "j N, H:i"
WEEKDAY_DAY_TIME = "D j, H:i"
WEEKDAY_DAY_MONTH_TIME = "D j N, H:i"
DAY_MONTH_YEAR_TIME = "j N Y, H:i"
WEEKDAY_DATETIME = "D j N Y, H:i"
LONG_WEEKDAY_DATETIME = "l, j \\d\\e F \\d\\e Y, H:i"
