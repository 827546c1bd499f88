"""The client's everyday flows in a real browser, on a phone and on a laptop, with axe on each
new page: paying before Done (offline gateway), rescheduling through its confirm step and the
timeline it leaves, the My bookings tabs, and the booking a conversation is about."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from e2e.conftest import LAPTOP, PHONE, screenshot, setup_people
from e2e.conftest import log_in as shared_log_in
from e2e.test_accessibility import AXE_JS, Auditor

PASSWORD = "correct-horse-battery"
VIEWPORTS = [(PHONE, "phone"), (LAPTOP, "laptop")]

SETUP = (
    setup_people(PASSWORD)
    + """
from datetime import time, timedelta
from django.utils import timezone
from allauth.account.models import EmailAddress
from accounts.models import ClientProfile, ProProfile, User
from bookings import services
from bookings.models import Booking, BookingEvent, Service
from payments.services import connected_account_enable_simulated


pro_user = user("cf-pro@example.com", "Oona Online", role="pro")
pro, _ = ProProfile.objects.get_or_create(
    user=pro_user, defaults=dict(display_name="Oona Online", slug="oona-online", city="Paris",
    timezone="Europe/Paris"))
for weekday in range(7):
    services.weekly_hours_set(pro=pro, weekday=weekday, intervals=[(time(0), time(23, 45))])
connected_account_enable_simulated(pro=pro)
massage, _ = Service.objects.get_or_create(pro=pro, name="Sports massage", defaults=dict(
    duration_minutes=60, price_amount=4500, currency="EUR", payment_mode="online"))
cut, _ = Service.objects.get_or_create(pro=pro, name="Haircut", defaults=dict(
    duration_minutes=45, price_amount=3000, currency="EUR"))

def booking(who, days, hour, status="confirmed"):
    start = (timezone.now() + timedelta(days=days)).replace(
        hour=hour, minute=0, second=0, microsecond=0)
    b = Booking.from_service(service=cut, client=who, starts_at=start, status=status)
    b.save(force_insert=True)
    BookingEvent.objects.create(
        booking=b, actor=who, actor_role="client", action="create", to_status=status)
    return b

for name, tz in (("phone", "Europe/Paris"), ("laptop", "America/New_York")):
    for flow in ("pay", "move", "tabs", "chat"):
        user(f"cf-{flow}-{name}@example.com", f"{flow.title()} {name.title()}", tz=tz)
    mover = User.objects.get(email=f"cf-move-{name}@example.com")
    chatter = User.objects.get(email=f"cf-chat-{name}@example.com")
    tabs = User.objects.get(email=f"cf-tabs-{name}@example.com")
    if not Booking.objects.filter(client=mover).exists():
        booking(mover, 5, 9)
        booking(chatter, 6, 9)
        booking(tabs, 7, 9)
        booking(tabs, -3, 9, "completed")
        booking(tabs, -9, 9, "completed")
        booking(tabs, 8, 9, "cancelled")
        booking(tabs, 9, 9, "expired")
print(f"{pro.slug} {massage.pk}")
"""
)


@pytest.fixture(scope="module")
def axe_js():
    return AXE_JS.read_text()


@pytest.fixture(scope="module")
def data(server):
    slug, service_id = server.manage("shell", "-c", SETUP).split()[-2:]
    return {"slug": slug, "service_id": int(service_id)}


def log_in(page, email):
    shared_log_in(page, email, PASSWORD)


def current_step(page) -> str:
    return page.locator('.steps [aria-current="step"]').inner_text()


@pytest.mark.parametrize(("viewport", "name"), VIEWPORTS)
def test_pay_online_says_pay_now_and_reaches_done_only_after_paying(
    new_page, data, axe_js, viewport, name
):
    page = new_page(viewport)
    axe = Auditor(page, axe_js)
    log_in(page, f"cf-pay-{name}@example.com")
    page.goto(f"/bookings/new/{data['slug']}/{data['service_id']}/")
    month = page.get_by_test_id("strip-month").inner_text()
    assert re.fullmatch(r"\w+ (\d{4} )?(– \w+ )?\d{4}", month), month
    screenshot(page, f"client-flows-book-{name}")
    page.locator("a.time").first.click()

    pay_now = page.get_by_test_id("pay-now")
    button = page.get_by_role("button", name="Confirm booking and pay")
    assert pay_now.get_by_text("Pay €45.00 now").is_visible()
    assert pay_now.bounding_box()["y"] < button.bounding_box()["y"]
    screenshot(page, f"client-flows-confirm-pay-{name}")
    axe.audit("confirm, pay online")
    button.click()

    assert re.search(r"/payments/checkout/\d+/$", page.url)
    assert current_step(page).endswith("Pay")
    hold = page.get_by_test_id("hold")
    # The server writes "(in 30 minutes)"; payments.js turns it into a ticking "(in 29:59)".
    assert re.search(r"Pay by \d\d:\d\d \S+ \(in (30 minutes|30:00|29:\d\d)\)", hold.inner_text())
    timer = page.locator("[data-countdown]")
    expect(timer).to_have_text(re.compile(r"\(in 29:\d\d\)"))
    before = timer.inner_text()
    page.wait_for_timeout(1100)
    assert timer.inner_text() != before  # counting down
    screenshot(page, f"client-flows-checkout-hold-{name}")
    axe.audit("checkout with the hold")
    booking_id = re.search(r"/checkout/(\d+)/", page.url)[1]
    page.goto(f"/bookings/{booking_id}/done/")  # not done yet: back to paying
    assert re.search(r"/payments/checkout/\d+/$", page.url)

    page.get_by_role("button", name="Pay €45.00").click()
    page.get_by_role("button", name="Pay €45.00").click()  # the test payment page
    assert page.get_by_role("heading", name="Payment received").is_visible()
    assert current_step(page).endswith("Done")
    screenshot(page, f"client-flows-paid-done-{name}")
    axe.audit("paid")
    page.goto(f"/bookings/{booking_id}/done/")
    assert page.get_by_role("heading", name="Confirmed").is_visible()
    axe.check()


@pytest.mark.parametrize(("viewport", "name"), VIEWPORTS)
def test_reschedule_asks_to_confirm_and_the_timeline_says_moved_from_to(
    new_page, data, axe_js, viewport, name
):
    page = new_page(viewport)
    axe = Auditor(page, axe_js)
    log_in(page, f"cf-move-{name}@example.com")
    page.goto("/bookings/mine/")
    page.get_by_test_id("booking-card").first.get_by_role("link", name="Reschedule").click()
    # A day with all its times still ahead, whatever the hour the test runs at.
    page.goto(f"{page.url.split('?')[0]}?date={(datetime.now(UTC) + timedelta(days=2)).date()}")
    new_time = page.locator("a.time").nth(2)
    label = new_time.inner_text()
    new_time.click()

    question = page.get_by_test_id("move-question").inner_text()
    assert re.fullmatch(rf"Move your booking from .+ to \w+ \d+ \w+, {label} \S+\?", question)
    screenshot(page, f"client-flows-reschedule-confirm-{name}")
    axe.audit("reschedule confirm")
    page.get_by_role("button", name="Confirm the new time").click()

    assert page.get_by_text("The booking was moved to the new time.").is_visible()
    moved = page.locator(".timeline").get_by_text(re.compile(r"^Moved from .+ to .+"))
    assert label in moved.inner_text()
    zone = "EST" if name == "laptop" else "CET"
    assert moved.inner_text().count(zone) == 2  # both times in the client's own zone
    assert page.locator(".timeline").get_by_text("→").count() == 0
    moved.scroll_into_view_if_needed()
    screenshot(page, f"client-flows-reschedule-timeline-{name}")
    axe.audit("detail with the timeline")
    axe.check()


@pytest.mark.parametrize(("viewport", "name"), VIEWPORTS)
def test_my_bookings_tabs_split_upcoming_past_and_cancelled(new_page, data, axe_js, viewport, name):
    page = new_page(viewport)
    axe = Auditor(page, axe_js)
    log_in(page, f"cf-tabs-{name}@example.com")
    page.goto("/bookings/mine/")
    tabs = page.get_by_role("navigation", name="Bookings")
    assert tabs.get_by_role("link").all_inner_texts() == [
        "Upcoming 1",
        "Past 2",
        "Cancelled 2",
        "Waitlist",
    ]
    assert page.get_by_test_id("booking-card").count() == 1
    screenshot(page, f"client-flows-my-bookings-upcoming-{name}")
    axe.audit("my bookings, upcoming")

    tabs.get_by_role("link", name=re.compile("Cancelled")).click()
    assert page.url.endswith("?scope=cancelled")
    cards = page.get_by_test_id("booking-card")
    assert cards.count() == 2
    assert sorted(cards.locator(".badge").all_inner_texts()) == ["Cancelled", "Expired"]
    screenshot(page, f"client-flows-my-bookings-cancelled-{name}")
    axe.audit("my bookings, cancelled")

    tabs.get_by_role("link", name=re.compile("Past")).click()
    assert page.get_by_test_id("booking-card").count() == 2
    axe.check()


@pytest.mark.parametrize(("viewport", "name"), VIEWPORTS)
def test_conversation_shows_and_links_the_booking_it_is_about(
    new_page, data, axe_js, viewport, name
):
    page = new_page(viewport)
    axe = Auditor(page, axe_js)
    log_in(page, f"cf-chat-{name}@example.com")
    page.goto("/bookings/mine/")
    page.get_by_test_id("booking-card").first.get_by_role("link", name="Haircut").click()
    detail_url = page.url
    page.get_by_role("button", name="Message Oona Online").click()

    about = page.get_by_test_id("chat-booking")
    assert about.is_visible()
    assert re.search(r"Haircut, \w+ \d+ \w+, \d\d:\d\d \S+", about.inner_text())
    assert about.get_by_text("Confirmed").is_visible()
    screenshot(page, f"client-flows-chat-booking-{name}")
    axe.audit("conversation about a booking")
    about.get_by_role("link").click()
    assert page.url == detail_url
    axe.check()
