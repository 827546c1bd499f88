"""ProProfile's one rule for a public pro: the `public()` queryset and the `is_public` property."""

import pytest

from accounts.models import ProProfile
from conftest import make_pro

pytestmark = pytest.mark.django_db


def test_public_keeps_a_listed_pro_with_an_active_account():
    pro = make_pro()
    assert list(ProProfile.objects.public()) == [pro]


def test_public_leaves_out_a_pro_hidden_by_staff():
    make_pro(is_listed=False)
    assert not ProProfile.objects.public().exists()


def test_public_leaves_out_a_pro_whose_account_is_deactivated():
    pro = make_pro()
    pro.user.is_active = False
    pro.user.save()
    assert not ProProfile.objects.public().exists()


def test_public_chains_with_other_filters():
    make_pro(city="Paris")
    lyon = make_pro(city="Lyon")
    make_pro(city="Lyon", is_listed=False)
    assert list(ProProfile.objects.filter(city="Lyon").public()) == [lyon]


@pytest.mark.parametrize(
    ("is_listed", "user_active", "expected"),
    [(True, True, True), (False, True, False), (True, False, False), (False, False, False)],
)
def test_is_public_agrees_with_the_public_queryset(is_listed, user_active, expected):
    pro = make_pro(is_listed=is_listed)
    pro.user.is_active = user_active
    pro.user.save()
    assert pro.is_public is expected
    assert ProProfile.objects.public().filter(pk=pro.pk).exists() is expected
