"""accounts.timezones: the viewer's zone (fallback order), zone names, DST-correct display."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import Context, Template

from accounts.models import ClientProfile, ProProfile
from accounts.timezones import own_zone, parse_zone, viewer_zone, zone_of
from conftest import make_pro, make_user

TOKYO = ZoneInfo("Asia/Tokyo")


# --- names ------------------------------------------------------------------------------------


def test_parse_zone_reads_an_iana_name():
    assert parse_zone("Europe/Paris") == ZoneInfo("Europe/Paris")


def test_parse_zone_passes_a_zone_through():
    assert parse_zone(TOKYO) is TOKYO


@pytest.mark.parametrize("name", ["Mars/Olympus", "Europe", "../../etc/passwd", "", "x" * 300])
def test_parse_zone_refuses_anything_but_a_known_zone_with_a_readable_message(name):
    with pytest.raises(ValueError, match="is not a known time zone"):
        parse_zone(name)


def test_parse_zone_quotes_at_most_64_characters_of_the_name():
    with pytest.raises(ValueError) as raised:
        parse_zone("x" * 300)
    assert str(raised.value) == f"“{'x' * 64}” is not a known time zone."


@pytest.mark.parametrize("value", [None, "", "Mars/Olympus"])
def test_zone_of_a_blank_or_unknown_name_is_utc(value):
    assert zone_of(value) == ZoneInfo("UTC")


def test_zone_of_a_known_name_is_that_zone():
    assert zone_of("America/New_York") == ZoneInfo("America/New_York")


# --- the user's own zone --------------------------------------------------------------------------


def test_an_anonymous_visitor_has_no_own_zone():
    assert own_zone(AnonymousUser()) is None


@pytest.mark.django_db
def test_a_clients_own_zone_is_their_client_profiles():
    assert own_zone(make_user(timezone="Asia/Tokyo")) == TOKYO


@pytest.mark.django_db
def test_a_pros_own_zone_is_their_pro_profiles_even_when_their_client_profile_differs():
    pro = make_pro(timezone="America/New_York")
    ClientProfile.objects.filter(user=pro.user).update(timezone="Asia/Tokyo")
    assert own_zone(type(pro.user).objects.get(pk=pro.user_id)) == ZoneInfo("America/New_York")


@pytest.mark.django_db
def test_a_pro_without_a_pro_profile_reads_their_client_profiles_zone():
    pro = make_pro(timezone="Asia/Tokyo")
    ProProfile.objects.filter(pk=pro.pk).delete()
    assert own_zone(type(pro.user).objects.get(pk=pro.user_id)) == TOKYO


@pytest.mark.django_db
def test_a_stored_name_that_is_not_a_zone_counts_as_no_own_zone():
    user = make_user()
    ClientProfile.objects.filter(user=user).update(timezone="Mars/Olympus")
    assert own_zone(type(user).objects.get(pk=user.pk)) is None


# --- viewer_zone: the fallback order ------------------------------------------------------------


@pytest.mark.django_db
def test_the_users_own_zone_wins_over_the_requested_zone_and_the_fallback():
    user = make_user(timezone="Asia/Tokyo")
    zone = viewer_zone(user, requested="Europe/London", fallback="America/New_York")
    assert zone == TOKYO


@pytest.mark.django_db
def test_a_user_with_their_own_zone_is_not_refused_for_a_bad_requested_zone():
    assert viewer_zone(make_user(timezone="Asia/Tokyo"), requested="Mars/Olympus") == TOKYO


def test_a_visitor_gets_the_requested_zone_before_the_fallback():
    zone = viewer_zone(AnonymousUser(), requested="Europe/London", fallback="America/New_York")
    assert zone == ZoneInfo("Europe/London")


@pytest.mark.django_db
def test_a_user_without_a_profile_gets_the_requested_zone():
    user = make_user()
    ClientProfile.objects.filter(user=user).delete()
    user = type(user).objects.get(pk=user.pk)
    assert viewer_zone(user, requested="Europe/London") == ZoneInfo("Europe/London")


def test_without_a_user_the_requested_zone_comes_first():
    assert viewer_zone(requested="Asia/Tokyo", fallback="Europe/Paris") == TOKYO


def test_a_visitor_who_requested_nothing_gets_the_fallback():
    assert viewer_zone(AnonymousUser(), fallback="America/New_York") == ZoneInfo("America/New_York")


def test_an_unknown_requested_zone_is_refused():
    with pytest.raises(ValueError, match="“Mars/Olympus” is not a known time zone."):
        viewer_zone(AnonymousUser(), requested="Mars/Olympus", fallback="Europe/Paris")


@pytest.mark.parametrize("fallback", [None, "", "Mars/Olympus"])
def test_with_no_usable_fallback_the_zone_is_utc(fallback):
    assert viewer_zone(AnonymousUser(), fallback=fallback) == ZoneInfo("UTC")


# --- display: Django's timezone filter with the viewer's zone ------------------------------------


@pytest.mark.parametrize(
    ("instant", "shown"),
    [
        # Europe/Paris springs forward on 28 March 2027 at 01:00 UTC (02:00 CET -> 03:00 CEST).
        (datetime(2027, 3, 28, 0, 30, tzinfo=UTC), "28 Mar 01:30"),
        (datetime(2027, 3, 28, 1, 30, tzinfo=UTC), "28 Mar 03:30"),
        # And falls back on 31 October 2027 at 01:00 UTC (03:00 CEST -> 02:00 CET).
        (datetime(2027, 10, 31, 0, 30, tzinfo=UTC), "31 Oct 02:30"),
        (datetime(2027, 10, 31, 1, 30, tzinfo=UTC), "31 Oct 02:30"),
        (datetime(2027, 10, 31, 2, 30, tzinfo=UTC), "31 Oct 03:30"),
    ],
)
def test_templates_show_a_time_in_the_viewers_zone_on_both_sides_of_a_dst_change(instant, shown):
    zone = viewer_zone(AnonymousUser(), fallback="Europe/Paris")
    template = Template('{% load tz %}{{ t|timezone:zone|date:"j M H:i" }}')
    assert template.render(Context({"t": instant, "zone": zone})) == shown
