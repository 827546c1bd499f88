"""Find a free time in a real browser: from the home page's form, near a city, to a time, to the
confirm step with that time, to a confirmed booking. Phone and laptop (the form's grid differs)."""

import re

import pytest

from e2e.conftest import LAPTOP, PHONE, log_in, screenshot, setup_people

PASSWORD = "correct-horse-battery"

SETUP = (
    setup_people(PASSWORD)
    + """
from datetime import time
from decimal import Decimal
from allauth.account.models import EmailAddress
from accounts.models import ClientProfile, ProProfile, User
from bookings import services
from bookings.models import Service


pro, _ = ProProfile.objects.get_or_create(
    user=user("sami@example.com", "Sami Searchable", role="pro"),
    defaults=dict(display_name="Sami Searchable", slug="sami-searchable", city="Lyon",
    latitude=Decimal("45.7600"), longitude=Decimal("4.8400"), timezone="Europe/Paris"))
for weekday in range(7):
    services.weekly_hours_set(pro=pro, weekday=weekday, intervals=[(time(8), time(20))])
services.booking_rules_update(pro=pro, min_notice_minutes=0, horizon_days=60)
Service.objects.get_or_create(pro=pro, name="Quokka fade", defaults=dict(
    duration_minutes=30, price_amount=2500, currency="EUR", position=0))
for n in (1, 2):
    user(f"finder{n}@example.com", f"Finder {n}")
"""
)


@pytest.fixture(scope="module")
def data(server):
    server.manage("shell", "-c", SETUP)


@pytest.mark.parametrize(
    ("viewport", "name", "email"),
    [(PHONE, "phone", "finder1@example.com"), (LAPTOP, "laptop", "finder2@example.com")],
)
def test_client_finds_a_free_time_near_a_city_and_books_it(new_page, data, viewport, name, email):
    page = new_page(viewport)
    log_in(page, email, PASSWORD)

    # The home page's "Find a free time" form: a service, tomorrow, near Lyon.
    page.goto("/")
    form = page.locator("form[data-free-form]")
    form.get_by_label("Service", exact=True).fill("quokka")
    form.get_by_label("Day", exact=True).select_option("tomorrow")
    form.get_by_label("Near", exact=True).fill("Lyon")
    form.get_by_label("Within (km)").fill("5")
    screenshot(page, f"search-home-form-{name}")
    form.get_by_role("button", name="Find free times").click()

    # The results: the pro, how far, and their free times.
    page.wait_for_url(re.compile(r"/bookings/find/\?"))
    offer = page.get_by_test_id("offer").filter(has_text="Sami Searchable")
    assert "Quokka fade" in offer.inner_text()
    assert re.search(r"\d+\.\d km away", offer.inner_text())
    screenshot(page, f"search-results-{name}")
    time_link = offer.locator("a.time").nth(2)
    chosen = time_link.get_attribute("data-time")
    time_link.click()

    # Straight to the confirm step with that time, then booked.
    assert page.get_by_role("heading", name="Confirm your booking").is_visible()
    assert chosen in page.get_by_test_id("confirm-when").inner_text()
    page.get_by_role("button", name="Confirm booking").click()
    assert page.get_by_role("heading", name="Confirmed").is_visible()
    screenshot(page, f"search-booked-{name}")
