"""Time zones: the zone a person reads times in, and zone names from input and storage.

Times are aware UTC in the database. Pages, emails and API answers show them in one zone,
chosen by `viewer_zone` in this order:

1. the user's own zone: a pro's profile zone (the zone of their working hours), for any other
   user their client profile's;
2. the zone the request asked for (`requested`: the browser's zone, which static/js/booking.js
   sends as `?tz=`), for visitors and users without a profile;
3. `fallback`, usually the zone of the pro whose times are shown;
4. UTC.

A stored name that is not a known zone counts as no zone.
"""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from babel import UnknownLocaleError
from babel.dates import get_timezone_location
from django.utils.translation import get_language, gettext, to_locale

UTC = ZoneInfo("UTC")


@cache
def known_zones() -> frozenset[str]:
    """The IANA zone names this system knows."""
    return frozenset(available_timezones())


def parse_zone(value: str | ZoneInfo) -> ZoneInfo:
    """The zone `value` names, or `value` itself when it is a ZoneInfo.

    Raises ValueError with a message a user can read for anything but a known IANA name.
    """
    if isinstance(value, ZoneInfo):
        return value
    name = str(value)
    # Only names from the IANA list reach ZoneInfo(), which would read any path it is given.
    if name not in known_zones():
        raise ValueError(gettext("“%(value)s” is not a known time zone.") % {"value": name[:64]})
    return ZoneInfo(name)


def zone_of(value: str | ZoneInfo | None) -> ZoneInfo:
    """The zone `value` names; UTC for a blank or unknown name."""
    try:
        return parse_zone(value) if value else UTC
    except ValueError:
        return UTC


def zone_city(value: str | ZoneInfo | None) -> str:
    """The place a zone is named after, for people: "America/New_York" -> "New York".

    Babel's CLDR exemplar city where it knows one, in the active language ("Europe/Vienna" is
    "Wien" in German), else the zone name's last part with underscores as spaces; "UTC" for a
    blank or unknown zone."""
    zone = zone_of(value)
    if zone.key in ("UTC", "Etc/UTC"):
        return "UTC"
    try:
        city = get_timezone_location(
            zone.key, locale=to_locale(get_language() or "en"), return_city=True
        )
    except (LookupError, UnknownLocaleError):
        city = ""
    if not city or "/" in city:
        city = zone.key.rsplit("/", 1)[-1].replace("_", " ")
    return city


def own_zone(user) -> ZoneInfo | None:
    """The zone `user` chose in their profile (see the module docstring), or None for an
    anonymous user, a user without a profile, or a stored name that is not a known zone."""
    if user is None or not user.is_authenticated:
        return None
    profiles = ("pro_profile", "client_profile") if user.is_pro else ("client_profile",)
    for attr in profiles:
        profile = getattr(user, attr, None)
        if profile is not None and profile.timezone in known_zones():
            return ZoneInfo(profile.timezone)
    return None


def viewer_zone(
    user=None, *, requested: str | None = None, fallback: str | ZoneInfo | None = None
) -> ZoneInfo:
    """The zone to show times to `user` in (anonymous or None: a visitor).

    In order: `own_zone(user)`; the `requested` zone name (ValueError when it is not a known
    zone); `fallback` (UTC when blank or unknown).
    """
    zone = own_zone(user)
    if zone is not None:
        return zone
    if requested:
        return parse_zone(requested)
    return zone_of(fallback)
