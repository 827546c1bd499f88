"""Every pro has booking rules from the moment the pro exists; reading them never writes."""

import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import services as account_services
from accounts.models import ProProfile, User
from bookings import selectors
from bookings.models import BookingRules
from conftest import make_pro

pytestmark = pytest.mark.django_db

backfill = importlib.import_module("bookings.migrations.0005_booking_rules_for_every_pro")


def test_a_pro_who_signs_up_has_rules_with_the_defaults_before_any_page():
    user = User(email="new-pro@example.com")
    account_services.user_signup_complete(user=user, role=User.Role.PRO, display_name="Nina")
    rules = BookingRules.objects.get(pro__user=user)
    assert rules.confirmation_mode == BookingRules.ConfirmationMode.INSTANT
    assert rules.cancellation_window_hours == 24


def test_reading_a_pros_rules_is_one_select_and_no_write():
    pro = ProProfile.objects.get(pk=make_pro().pk)  # nothing cached
    with CaptureQueriesContext(connection) as queries:
        rules = selectors.booking_rules_for(pro)
    assert rules.pro_id == pro.pk
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["SELECT"]


def test_the_migration_gives_rules_to_pros_who_have_none():
    without, with_rules = make_pro(), make_pro()
    BookingRules.objects.filter(pro=without).delete()
    BookingRules.objects.filter(pro=with_rules).update(buffer_minutes=15)

    backfill.create_missing_rules(apps, None)

    assert BookingRules.objects.filter(pro=without).count() == 1
    assert BookingRules.objects.get(pro=with_rules).buffer_minutes == 15
