"""Fixtures of the page tests (imported by bookings/tests/test_views_*.py).

A pro in Paris who works 09:00-18:00 every day and logged-in test clients for each side.
"""

from datetime import time

import pytest
from django.test import Client

from conftest import make_user, set_every_day

__all__ = [
    "as_client",
    "as_other",
    "as_pro",
    "open_pro",
    "open_service",
    "page_client",
]


@pytest.fixture
def open_pro(pro):
    """The `pro` fixture (Europe/Paris) working 09:00-18:00 every day, default rules."""
    set_every_day(pro, time(9), time(18))
    return pro


@pytest.fixture
def open_service(open_pro, service):
    return service


def page_client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def as_client(client_user):
    return page_client(client_user)


@pytest.fixture
def as_pro(pro):
    return page_client(pro.user)


@pytest.fixture
def as_other(db):
    """A logged-in user who is neither the client nor the pro of the bookings."""
    return page_client(make_user(email="stranger@example.com", name="Stan Stranger"))
