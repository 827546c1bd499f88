"""`manage.py seed_demo --if-empty` once a user exists. Seeding an empty database with it is what
test_seed_demo.py's module data is built with (and its tests check); one seeding costs seconds
of CPU, so it is not done twice."""

import io

import pytest
from django.core.management import call_command

from accounts.models import ProProfile, User
from conftest import make_user

pytestmark = pytest.mark.django_db


def seed_if_empty() -> str:
    out = io.StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    return out.getvalue()


def test_if_empty_does_nothing_when_a_user_exists():
    make_user(email="someone@example.com")

    output = seed_if_empty()

    assert "nothing to do" in output
    assert User.objects.count() == 1
    assert not ProProfile.objects.exists()
