"""Standing appointments in a real browser: a client books a weekly series from the confirm
step, moves the one date that conflicts, and lands on the first booking, part of the series;
then cancels from the third one onward. A pro books a series for a client from the client's
page. Each page is photographed on a phone and on a laptop (e2e/artifacts/series-*.png)."""

import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from e2e.conftest import LAPTOP, PHONE, log_in, screenshot, setup_people
from e2e.test_accessibility import AXE_JS, Auditor

PASSWORD = "correct-horse-battery"
SHOTS = Path("/tmp/shots/series")

SETUP = (
    setup_people(PASSWORD)
    + """
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo
from django.utils import timezone
from accounts.models import ProProfile
from bookings import services
from bookings.models import Booking, Service

pro_user = user("sara.series@example.com", "Sara Series", role="pro")
pro, _ = ProProfile.objects.get_or_create(
    user=pro_user, defaults=dict(display_name="Sara Series", slug="sara-series", city="Paris",
    timezone="Europe/Paris"))
for weekday in range(7):
    services.weekly_hours_set(pro=pro, weekday=weekday, intervals=[(time(9), time(17))])
massage, _ = Service.objects.get_or_create(pro=pro, name="Sports massage", defaults=dict(
    duration_minutes=60, price_amount=6500, currency="EUR"))
user("rita.repeats@example.com", "Rita Repeats")
other = user("otto.takes@example.com", "Otto Takes")
paris = ZoneInfo("Europe/Paris")
first = timezone.now().astimezone(paris).date() + timedelta(days=3)
taken = datetime.combine(first + timedelta(days=7), time(10), tzinfo=paris)
if not Booking.objects.filter(pro=pro, starts_at=taken).exists():
    services.booking_create(client=other, service=massage, starts_at=taken,
        enforce_rate_limit=False)
start = datetime.combine(first, time(10), tzinfo=paris)
print(f"{pro.slug} {massage.pk} {start.isoformat()}")
"""
)


@pytest.fixture(scope="module")
def data(server):
    slug, service_id, start = server.manage("shell", "-c", SETUP).split()[-3:]
    return {"slug": slug, "service_id": int(service_id), "start": start}


def shot(page, name: str) -> None:
    # From the top: a page scrolled to a field would draw the sticky header mid-page.
    page.evaluate("window.scrollTo(0, 0)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(screenshot(page, f"series-{name}"), SHOTS / f"{name}.png")


def shots(page, name: str) -> None:
    """`name`-phone.png and `name`-laptop.png of the page as it stands (the page is a phone's)."""
    shot(page, f"{name}-phone")
    page.set_viewport_size(LAPTOP)
    shot(page, f"{name}-laptop")
    page.set_viewport_size(PHONE)


def test_a_client_books_a_weekly_series_moving_the_one_conflict(new_page, server, data):
    page = new_page(PHONE)
    axe = Auditor(page, AXE_JS.read_text())
    log_in(page, "rita.repeats@example.com", PASSWORD)
    page.goto(
        f"/bookings/new/{data['slug']}/{data['service_id']}/confirm/"
        f"?start={data['start'].replace('+', '%2B')}"
    )
    page.get_by_test_id("repeat-every").select_option("1")
    page.get_by_test_id("repeat-count").fill("4")
    shots(page, "confirm")
    page.get_by_test_id("repeat-preview").click()

    items = page.get_by_test_id("occurrence")
    assert items.count() == 4
    assert "Conflict" in items.nth(1).inner_text()
    assert "not available" in page.get_by_test_id("conflict-reason").inner_text()
    move = page.get_by_test_id("move-1")
    # The nearest free time that day is chosen for it; take the afternoon instead.
    assert "09:00" in move.locator("option:checked").inner_text()
    afternoon = move.locator("option", has_text="14:00").get_attribute("value")
    move.select_option(afternoon)
    shots(page, "preview")
    axe.audit("series preview")

    page.get_by_test_id("book-series").click()
    page.wait_for_load_state()
    assert "/bookings/" in page.url
    assert "4 appointments booked" in page.inner_text("body")
    where = page.get_by_test_id("series-where").inner_text()
    assert "Part of a series: every week, 1 of 4" in where
    shots(page, "booked")

    # The second one is at 14:00, the others at 10:00.
    page.get_by_role("link", name="Next").click()
    assert "14:00" in page.inner_text("main")
    page.get_by_role("link", name="Next").click()
    assert "3 of 4" in page.get_by_test_id("series-where").inner_text()
    page.get_by_test_id("cancel-following").click()
    assert page.get_by_test_id("to-cancel").locator("li").count() == 2
    shots(page, "cancel-following")
    axe.audit("cancel this and following")
    page.get_by_role("button", name="Yes, cancel 2 appointments").click()
    assert "2 appointments cancelled" in page.inner_text("body")
    page.set_viewport_size(LAPTOP)
    shot(page, "cancelled-laptop")
    axe.audit("booking in a series")
    axe.check()


def test_the_pro_books_a_series_for_a_client_from_the_clients_page(new_page, server, data):
    page = new_page(PHONE)
    log_in(page, "sara.series@example.com", PASSWORD)
    page.goto("/bookings/clients/")
    page.get_by_role("link", name="Rita Repeats").click()
    card = page.locator("#series")
    first = (date.fromisoformat(data["start"][:10]) + timedelta(days=1)).isoformat()
    card.locator("input[name=date]").fill(first)
    card.locator("input[name=time]").fill("15:30")
    card.get_by_test_id("repeat-every").select_option("3")
    card.get_by_test_id("repeat-count").fill("3")
    shots(page, "pro-client-form")
    card.get_by_role("button", name="See the dates").click()
    assert page.get_by_test_id("occurrence").count() == 3
    assert "every 3 weeks, 3 times at 15:30" in page.get_by_test_id("series-summary").inner_text()
    shots(page, "pro-preview")
    page.get_by_test_id("book-series").click()
    page.wait_for_load_state()
    assert "/bookings/clients/" in page.url
    assert "3 appointments booked, every 3 weeks" in page.inner_text("body")
