"""Currencies in a real browser: a Manchester pro is priced in pounds from the moment they say
where they work, and the directory compares prices within one currency (phone and laptop)."""

import pytest

from e2e.conftest import LAPTOP, PHONE, log_in, screenshot, setup_people

PASSWORD = "correct-horse-battery"

SETUP = (
    setup_people(PASSWORD)
    + """
from accounts.models import ProProfile
from bookings.models import Service

for viewport in ("phone", "laptop"):
    u = user(f"cur-pro-{viewport}@example.com", f"Mancunian {viewport}", role="pro")
    ProProfile.objects.get_or_create(user=u, defaults=dict(
        display_name=f"Mancunian {viewport}", slug=f"mancunian-{viewport}", city="",
        timezone="Europe/London", currency="EUR"))

for slug, city, currency, price in [
    ("zorbly-paris", "Paris", "EUR", 2000),
    ("zorbly-lyon", "Lyon", "EUR", 4000),
    ("zorbly-new-york", "New York", "USD", 2500),
    ("zorbly-london", "London", "GBP", 2800),
]:
    u = user(f"{slug}@example.com", slug, role="pro")
    pro, _ = ProProfile.objects.get_or_create(user=u, defaults=dict(
        display_name=slug.replace("-", " ").title(), slug=slug, city=city, currency=currency))
    Service.objects.get_or_create(pro=pro, name="Zorbly trim", defaults=dict(
        duration_minutes=30, price_amount=price, currency=currency, position=0))
"""
)

VIEWPORTS = [(PHONE, "phone"), (LAPTOP, "laptop")]


@pytest.fixture(scope="module")
def data(server):
    server.manage("shell", "-c", SETUP)


@pytest.mark.parametrize(("viewport", "name"), VIEWPORTS)
def test_a_manchester_pro_is_priced_in_pounds(new_page, data, viewport, name):
    page = new_page(viewport)
    log_in(page, f"cur-pro-{name}@example.com", PASSWORD)

    page.goto("/dashboard/profile/")
    page.get_by_label("City").fill("Manchester")
    page.get_by_role("button", name="Save public profile").click()

    assert page.get_by_text("Your prices are now in GBP.").is_visible()
    currency = page.get_by_label("Your prices are in")
    assert currency.input_value() == "GBP"
    options = currency.locator("option").all_inner_texts()
    assert options[0] == "GBP · British pound (£)"
    assert len(options) == 7 and not any("CAD" in o or "JPY" in o for o in options)
    currency.scroll_into_view_if_needed()
    screenshot(page, f"currency-profile-{name}")

    page.goto("/bookings/services/new/")
    assert page.get_by_label("Price (GBP)").is_visible()


@pytest.mark.parametrize(("viewport", "name"), VIEWPORTS)
def test_the_directory_compares_prices_in_the_visitors_currency(
    browser, server, data, viewport, name
):
    # A British browser: the currency select starts on pounds.
    context = browser.new_context(viewport=viewport, base_url=server.url, locale="en-GB")
    try:
        page = context.new_page()
        page.goto("/?q=zorbly")
        assert page.get_by_label("Currency").input_value() == "GBP"
        results = page.locator(".results")
        heading = page.get_by_role("heading", name="Priced in other currencies")
        assert heading.is_visible()
        cards = results.locator(".pro-card h3").all_inner_texts()
        assert cards[0] == "Zorbly London"
        screenshot(page, f"currency-directory-gbp-{name}")

        # Up to €30: the €20 pro only; the $25 pro is not "up to €30".
        page.get_by_label("Currency").select_option("EUR")
        page.get_by_label("Max price").fill("30")
        page.get_by_role("button", name="Search").click()
        page.wait_for_load_state()
        assert results.locator(".pro-card h3").all_inner_texts() == ["Zorbly Paris"]
        assert page.get_by_text("up to €30.00").is_visible()
        assert "$25.00" not in page.content()
        screenshot(page, f"currency-directory-eur-{name}")
    finally:
        context.close()
