"""A deposit booking in a real browser, on a phone and on a laptop: the pro page and the confirm
step state the policy, the client pays the deposit on the offline test page, then the balance
from the booking page; the pro's service form shows the no-show protection fieldset."""

import re
import shutil
from pathlib import Path

import pytest

from e2e.conftest import LAPTOP, PHONE, log_in, screenshot, setup_people

PASSWORD = "deposit-horse-battery"
SHOTS = Path("/tmp/shots/deposit")

SETUP = (
    setup_people(PASSWORD)
    + """
from datetime import time
from accounts.models import ProProfile
from bookings import services
from bookings.models import Service
from payments.services import connected_account_enable_simulated

pro_user = user("dora-deposit@example.com", "Dora Colour", role="pro")
pro, _ = ProProfile.objects.get_or_create(
    user=pro_user, defaults=dict(display_name="Dora Colour", slug="dora-colour", city="Paris",
    headline="Colour and balayage", address_line="3 rue Oberkampf", timezone="Europe/Paris"))
for weekday in range(7):
    services.weekly_hours_set(pro=pro, weekday=weekday, intervals=[(time(9), time(18))])
services.booking_rules_update(pro=pro, cancellation_window_hours=24, horizon_days=60)
connected_account_enable_simulated(pro=pro)
balayage, _ = Service.objects.get_or_create(pro=pro, name="Balayage", defaults=dict(
    duration_minutes=120, price_amount=6000, currency="EUR", position=0,
    description="Hand-painted highlights.", protection="deposit", deposit_amount=1500))
Service.objects.get_or_create(pro=pro, name="Blow-dry", defaults=dict(
    duration_minutes=30, price_amount=2500, currency="EUR", position=1))
user("dina-deposit-phone@example.com", "Dina Phone")
user("luc-deposit-laptop@example.com", "Luc Laptop")
print(f"{pro.slug} {balayage.pk}")
"""
)


@pytest.fixture(scope="module")
def data(server):
    slug, service_id = server.manage("shell", "-c", SETUP).split()[-2:]
    return {"slug": slug, "service_id": int(service_id)}


def shot(page, name):
    path = screenshot(page, name)
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SHOTS / path.name)


@pytest.mark.parametrize(
    ("viewport", "name", "email"),
    [
        (PHONE, "phone", "dina-deposit-phone@example.com"),
        (LAPTOP, "laptop", "luc-deposit-laptop@example.com"),
    ],
)
def test_a_client_pays_a_deposit_then_the_balance(new_page, data, viewport, name, email):
    client = new_page(viewport)
    log_in(client, email, PASSWORD)

    client.goto(f"/p/{data['slug']}/")
    policy = client.get_by_test_id("protection-policy")
    assert policy.count() == 1  # the Blow-dry asks nothing
    assert "A deposit of €15.00 is paid when booking" in policy.inner_text()
    shot(client, f"deposit-pro-page-{name}")
    client.get_by_role("link", name="Book Balayage").click()
    day = client.locator("a.day:not(.is-selected)").nth(1 if name == "phone" else 2)
    day_value = day.get_attribute("data-day")
    day.click()
    client.wait_for_url(re.compile(rf"date={day_value}"))
    client.locator("a.time").first.click()

    assert client.get_by_role("heading", name="Confirm your booking").is_visible()
    assert "Cancel until 24 hours before" in client.get_by_test_id("protection-policy").inner_text()
    assert "Pay a deposit of €15.00 now" in client.get_by_test_id("pay-now").inner_text()
    shot(client, f"deposit-confirm-{name}")
    client.get_by_role("button", name="Confirm booking and pay").click()

    # The payment page: the deposit is what is paid now.
    assert client.get_by_role("heading", name="Pay for your booking").is_visible()
    shot(client, f"deposit-checkout-{name}")
    client.get_by_role("button", name="Pay €15.00").click()
    assert client.get_by_role("heading", name="Test payment").is_visible()
    client.get_by_role("button", name="Pay €15.00").click()
    client.wait_for_load_state()

    # Back on the booking: confirmed, the balance due at the visit or online.
    client.goto("/bookings/mine/")
    client.get_by_test_id("booking-card").first.get_by_role("link").first.click()
    summary = client.get_by_test_id("deposit-summary")
    assert "Balance, due at the visit" in summary.inner_text()
    shot(client, f"deposit-booking-{name}")
    client.get_by_test_id("pay-balance").click()
    assert client.get_by_role("heading", name="Test payment").is_visible()
    client.get_by_role("button", name="Pay €45.00").click()
    client.wait_for_load_state()
    assert "Balance, paid online" in client.get_by_test_id("deposit-summary").inner_text()
    assert client.get_by_test_id("pay-balance").count() == 0
    shot(client, f"deposit-booking-paid-{name}")
    assert client.csp_violations == []


@pytest.mark.parametrize(("viewport", "name"), [(PHONE, "phone"), (LAPTOP, "laptop")])
def test_the_service_form_shows_only_the_chosen_protection(new_page, data, viewport, name):
    pro = new_page(viewport)
    log_in(pro, "dora-deposit@example.com", PASSWORD)
    pro.goto(f"/bookings/services/{data['service_id']}/edit/")
    fieldset = pro.get_by_test_id("protection")
    assert pro.get_by_label("Deposit amount (EUR)").is_visible()
    assert not pro.get_by_label("No-show fee (percent of the price)").is_visible()
    shot(pro, f"deposit-service-form-{name}")
    fieldset.get_by_label("A percentage of the price").check()
    assert pro.get_by_label("Deposit (percent of the price)").is_visible()
    assert not pro.get_by_label("Deposit amount (EUR)").is_visible()
    pro.get_by_label("Deposit (percent of the price)").fill("100")
    pro.get_by_role("button", name="Save changes").click()
    error = pro.locator(".field.has-error")
    assert error.count() == 1
    assert "The deposit must be between 1% and 99% of the price." in error.inner_text()
    shot(pro, f"deposit-service-form-error-{name}")
    fieldset = pro.get_by_test_id("protection")
    fieldset.get_by_label("A card on file", exact=False).check()
    assert pro.get_by_label("No-show fee (percent of the price)").is_visible()
    assert not pro.get_by_label("Deposit (percent of the price)").is_visible()
    assert pro.csp_violations == []
