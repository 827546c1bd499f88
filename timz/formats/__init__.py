"""How dates read where nobody's own zone applies (the admin, object names, staff messages).

`en/formats.py` replaces Django's English formats (settings.FORMAT_MODULE_PATH);
`platform_datetime` writes an instant in the platform's zone (settings.TIME_ZONE) with them.
"""

from datetime import datetime

from django.utils import formats, timezone


def platform_datetime(value: datetime) -> str:
    """An aware instant as staff read it: "2 Dec 2026, 09:15 UTC" (24-hour, zone named)."""
    local = timezone.localtime(value, timezone.get_default_timezone())
    return formats.date_format(local, "DATETIME_FORMAT")
