"""Places and distances, with no online geocoder.

- `CITIES` is the built-in table of known cities (name, coordinates, zone, country): the demo
  data seeds pros from it, the pro's profile form fills coordinates from it (and the default
  currency from its country, `city_currency`), and clients search near one.
- `resolve_place(text)` turns what a person typed into a `Place`: "lat,lng" is read as
  coordinates, anything else goes to the resolver named by the `PLACE_RESOLVER` setting (default
  `accounts.geo.city_table_resolver`, this table). A real geocoder plugs in there: any callable
  `(text: str) -> Place | None`.
- `haversine_km` and `bounding_box` are the pure arithmetic; `ProProfile.objects.near()` runs the
  same formula in the database.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG)
MAX_SEARCH_KM = 500
# The furthest a pro may say they travel (ProProfile.travel_km's validator says the same);
# `near(..., with_travel=True)` widens its bounding box to this, so keep it modest.
MAX_TRAVEL_KM = 200


@dataclass(frozen=True, slots=True)
class Place:
    name: str
    lat: float
    lng: float
    timezone: str = ""
    country: str = ""  # ISO 3166-1 alpha-2 (its currencies: timz.money.settlement_currencies)


# name -> Place. Centres of cities, rounded to 4 decimals (about 10 m).
CITIES: dict[str, Place] = {
    p.name: p
    for p in (
        Place("Amsterdam", 52.3676, 4.9041, "Europe/Amsterdam", "NL"),
        Place("Barcelona", 41.3874, 2.1686, "Europe/Madrid", "ES"),
        Place("Berlin", 52.5200, 13.4050, "Europe/Berlin", "DE"),
        Place("Bordeaux", 44.8378, -0.5792, "Europe/Paris", "FR"),
        Place("Brooklyn", 40.6782, -73.9442, "America/New_York", "US"),
        Place("Brussels", 50.8503, 4.3517, "Europe/Brussels", "BE"),
        Place("Hamburg", 53.5511, 9.9937, "Europe/Berlin", "DE"),
        Place("Lille", 50.6292, 3.0573, "Europe/Paris", "FR"),
        Place("London", 51.5072, -0.1276, "Europe/London", "GB"),
        Place("Lyon", 45.7640, 4.8357, "Europe/Paris", "FR"),
        Place("Madrid", 40.4168, -3.7038, "Europe/Madrid", "ES"),
        Place("Manchester", 53.4808, -2.2426, "Europe/London", "GB"),
        Place("Marseille", 43.2965, 5.3698, "Europe/Paris", "FR"),
        Place("Munich", 48.1351, 11.5820, "Europe/Berlin", "DE"),
        Place("Nantes", 47.2184, -1.5536, "Europe/Paris", "FR"),
        Place("New York", 40.7128, -74.0060, "America/New_York", "US"),
        Place("Nice", 43.7102, 7.2620, "Europe/Paris", "FR"),
        Place("Paris", 48.8566, 2.3522, "Europe/Paris", "FR"),
        Place("Toulouse", 43.6047, 1.4442, "Europe/Paris", "FR"),
        Place("Versailles", 48.8049, 2.1204, "Europe/Paris", "FR"),
    )
}


def city_names() -> list[str]:
    return sorted(CITIES, key=str.casefold)


def city_table_resolver(text: str) -> Place | None:
    """The default place resolver: a known city, by name (case and spacing ignored)."""
    key = " ".join(text.split()).casefold()
    for name, place in CITIES.items():
        if name.casefold() == key:
            return place
    return None


def city_country(city: str | None) -> str | None:
    """The country (ISO 3166-1 alpha-2) of a city of the table, by name; None when unknown."""
    place = city_table_resolver(city or "")
    return place.country if place and place.country else None


def zone_country(zone: str | None) -> str | None:
    """The country of the first known city in the IANA zone `zone` ("Europe/London" -> "GB"),
    or None: a client has a zone but no city, and this is the country their zone says."""
    return next((p.country for p in CITIES.values() if zone and p.timezone == zone), None)


def city_currency(city: str | None) -> str | None:
    """The default currency of a pro in `city` (its country's, `timz.money`), or None."""
    from timz import money

    return money.currency_for_country(city_country(city))


@cache
def _resolver(path: str):
    return import_string(path)


def parse_lat_lng(text: str) -> tuple[float, float] | None:
    """ "48.85,2.35" -> (48.85, 2.35); None when the text is not two numbers; ValueError when
    it is two numbers out of range (latitude -90..90, longitude -180..180)."""
    parts = text.split(",")
    if len(parts) != 2:
        return None
    try:
        lat, lng = (Decimal(p.strip()) for p in parts)
    except InvalidOperation:
        return None
    if not (lat.is_finite() and lng.is_finite()):
        return None
    if not -90 <= lat <= 90 or not -180 <= lng <= 180:
        raise ValueError(
            _("Coordinates must be a latitude from -90 to 90 and a longitude from -180 to 180.")
        )
    return float(lat), float(lng)


def resolve_place(text: str) -> Place | None:
    """The place `text` names: "lat,lng" coordinates, else whatever the `PLACE_RESOLVER`
    setting's callable finds (None when it knows no such place). ValueError for coordinates out
    of range."""
    text = (text or "").strip()
    if not text:
        return None
    coords = parse_lat_lng(text)
    if coords is not None:
        return Place("", *coords)
    return _resolver(settings.PLACE_RESOLVER)(text)


def haversine_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in kilometres between two points given in degrees."""
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp = p2 - p1
    dl = math.radians(float(lng2) - float(lng1))
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def bounding_box(lat: float, lng: float, km: float) -> tuple[float, float, float, float] | None:
    """(min_lat, max_lat, min_lng, max_lng) holding every point within `km` of (lat, lng): a
    cheap index-friendly prefilter before the exact distance. None when the box would reach a
    pole or cross the antimeridian (then filter on the distance alone)."""
    r = km / EARTH_RADIUS_KM
    dlat = math.degrees(r)
    min_lat, max_lat = lat - dlat, lat + dlat
    if min_lat <= -90 or max_lat >= 90:
        return None
    # The widest longitude span of the circle (not at its centre's latitude: nearer the pole).
    ratio = math.sin(r) / math.cos(math.radians(lat))
    if ratio >= 1:
        return None
    dlng = math.degrees(math.asin(ratio))
    min_lng, max_lng = lng - dlng, lng + dlng
    if min_lng < -180 or max_lng > 180:
        return None
    return min_lat, max_lat, min_lng, max_lng


DEFAULT_KM = 10


def parse_near(text: str | None, km: float | None) -> tuple[Place | None, float]:
    """A search's place and radius from what a person typed: (None, km) without a place.
    ValueError, with a message for them, for an unknown place or a radius out of range."""
    radius = DEFAULT_KM if km is None else km
    if not 0 < radius <= MAX_SEARCH_KM or math.isnan(radius):
        raise ValueError(
            _("The distance must be more than 0 and at most %(km)s km.") % {"km": MAX_SEARCH_KM}
        )
    if not (text or "").strip():
        return None, radius
    place = resolve_place(text)
    if place is None:
        raise ValueError(
            _(
                "We do not know the place “%(place)s”: pick a city from the list or give "
                "coordinates as latitude,longitude."
            )
            % {"place": text.strip()[:60]}
        )
    return place, radius
