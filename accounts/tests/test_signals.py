"""accounts.signals.collect: how accounts merges the other apps' answers about a user."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.dispatch import Signal

from accounts.models import User
from accounts.signals import collect

pytestmark = pytest.mark.django_db


@pytest.fixture
def signal():
    return Signal()


def test_answers_are_merged_after_the_base_in_the_order_receivers_run(signal, client_user):
    def first(sender, **kwargs):
        return {"b": 2}

    def second(sender, **kwargs):
        return {"c": 3, "d": 4}

    signal.connect(first)
    signal.connect(second)
    merged = collect(signal, user=client_user, base={"a": 1})
    assert list(merged.items()) == [("a", 1), ("b", 2), ("c", 3), ("d", 4)]


def test_receivers_get_the_user_model_as_sender_and_the_user(signal, client_user):
    seen = {}

    def record(sender, *, user, **kwargs):
        seen.update(sender=sender, user=user)
        return {}

    signal.connect(record)
    collect(signal, user=client_user)
    assert seen == {"sender": User, "user": client_user}


def test_a_key_already_given_by_the_base_is_refused(signal, client_user):
    def overwrite(sender, **kwargs):
        return {"account": "someone else's"}

    signal.connect(overwrite)
    with pytest.raises(ImproperlyConfigured, match="keys already given: account"):
        collect(signal, user=client_user, base={"account": {}})


def test_a_key_already_given_by_another_receiver_is_refused(signal, client_user):
    def bookings_part(sender, **kwargs):
        return {"bookings": []}

    def same_key(sender, **kwargs):
        return {"bookings": ["twice"]}

    signal.connect(bookings_part)
    signal.connect(same_key)
    with pytest.raises(ImproperlyConfigured, match="same_key returned keys already given"):
        collect(signal, user=client_user)


def test_an_answer_that_is_not_a_dict_is_refused(signal, client_user):
    def no_answer(sender, **kwargs):
        return None

    signal.connect(no_answer)
    with pytest.raises(ImproperlyConfigured, match="must return a dict, not NoneType"):
        collect(signal, user=client_user)
