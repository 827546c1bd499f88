"""Places and distances: the pure table and arithmetic, `ProProfile.objects.near()` in the
database. The profile form placing a pro is tested in test_profiles."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from accounts import geo
from accounts.models import ProProfile
from conftest import make_pro

PARIS = geo.CITIES["Paris"]


def test_haversine_paris_to_london_is_about_344_km():
    london = geo.CITIES["London"]

    assert geo.haversine_km(PARIS.lat, PARIS.lng, london.lat, london.lng) == pytest.approx(
        343.5, abs=1
    )


def test_haversine_of_a_point_to_itself_is_zero():
    assert geo.haversine_km(10, 20, 10, 20) == 0


@pytest.mark.parametrize(
    ("lat", "lng", "km"), [(48.85, 2.35, 10), (-33.9, 151.2, 300), (70, 25, 50)]
)
def test_bounding_box_holds_the_whole_circle(lat, lng, km):
    min_lat, max_lat, min_lng, max_lng = geo.bounding_box(lat, lng, km)

    # The circle's northmost, southmost and widest points are inside the box.
    assert geo.haversine_km(lat, lng, max_lat, lng) == pytest.approx(km, rel=1e-6)
    assert geo.haversine_km(lat, lng, min_lat, lng) == pytest.approx(km, rel=1e-6)
    for bearing_lat in [lat + d / 10 for d in range(-10, 11)]:
        if geo.haversine_km(lat, lng, bearing_lat, max_lng) < km * 0.999:
            pytest.fail("a point of the circle lies east of the box")


def test_bounding_box_gives_up_near_the_pole_and_the_antimeridian():
    assert geo.bounding_box(89.9, 0, 50) is None
    assert geo.bounding_box(0, 179.9, 50) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("paris", (PARIS.lat, PARIS.lng)),
        ("  New   York ", (40.7128, -74.0060)),
        ("48.1,-2.5", (48.1, -2.5)),
        ("Atlantis", None),
        ("", None),
    ],
)
def test_resolve_place_reads_coordinates_and_known_cities(text, expected):
    place = geo.resolve_place(text)

    assert (place and (place.lat, place.lng)) == expected


def test_resolve_place_refuses_coordinates_out_of_range():
    with pytest.raises(ValueError, match="latitude from -90 to 90"):
        geo.resolve_place("91,0")


def test_a_geocoder_plugs_in_through_the_setting(settings):
    settings.PLACE_RESOLVER = "accounts.tests.test_geo.everywhere_is_nice"

    assert geo.resolve_place("10 Downing Street").name == "Nice"


def everywhere_is_nice(text):
    return geo.CITIES["Nice"]


# near() -------------------------------------------------------------------------------------


def _at(lat, lng, **extra):
    return make_pro(latitude=Decimal(str(lat)), longitude=Decimal(str(lng)), **extra)


@pytest.mark.django_db
def test_near_keeps_pros_within_the_distance_and_annotates_it():
    here = _at(48.8566, 2.3522)
    versailles = _at(48.8049, 2.1204)
    _at(45.7640, 4.8357)  # Lyon
    make_pro()  # no coordinates

    found = {p.pk: p.distance_km for p in ProProfile.objects.near(PARIS.lat, PARIS.lng, 20)}

    assert set(found) == {here.pk, versailles.pk}
    assert found[here.pk] == pytest.approx(0, abs=0.01)
    assert found[versailles.pk] == pytest.approx(
        geo.haversine_km(PARIS.lat, PARIS.lng, 48.8049, 2.1204), abs=0.01
    )


@pytest.mark.django_db
def test_near_with_travel_adds_pros_who_come_that_far():
    stays = _at(48.8049, 2.1204)  # Versailles, ~18 km
    travels = _at(48.8049, 2.1205, travel_km=25)

    close = ProProfile.objects.near(PARIS.lat, PARIS.lng, 5)
    reach = ProProfile.objects.near(PARIS.lat, PARIS.lng, 5, with_travel=True)

    assert list(close) == []
    assert [p.pk for p in reach] == [travels.pk]
    assert stays.pk not in {p.pk for p in reach}


@pytest.mark.django_db
def test_the_database_refuses_half_a_position():
    with pytest.raises(IntegrityError), transaction.atomic():
        make_pro(latitude=Decimal("48.1"))


@pytest.mark.django_db
def test_demo_pros_of_a_city_are_placed_around_it():
    from accounts.demo import demo_coordinates

    points = {demo_coordinates("Paris", n) for n in range(1, 6)}

    assert len(points) == 5
    for lat, lng in points:
        assert 0.5 < geo.haversine_km(PARIS.lat, PARIS.lng, lat, lng) < 5
