"""The booking flow in a real browser: a client books a slot through the day strip and the
times, the pro confirms the request in place from the agenda (two browser contexts). Both on a
phone and on a laptop viewport, with screenshots of every bookings page."""

import re

import pytest

from e2e.conftest import LAPTOP, PHONE, screenshot, setup_people
from e2e.conftest import log_in as shared_log_in

PASSWORD = "correct-horse-battery"

SETUP = (
    setup_people(PASSWORD)
    + """
from datetime import time, timedelta
from django.utils import timezone
from allauth.account.models import EmailAddress
from accounts.models import ClientProfile, ProProfile, User
from bookings import services
from bookings.models import Booking, BookingEvent, Service


pro_user = user("bea@example.com", "Bea Barber", role="pro")
pro, _ = ProProfile.objects.get_or_create(
    user=pro_user, defaults=dict(display_name="Bea Barber", slug="bea-barber", city="Paris",
    headline="Classic cuts and beard care", address_line="12 rue des Martyrs",
    timezone="Europe/Paris"))
for weekday in range(6):
    services.weekly_hours_set(pro=pro, weekday=weekday,
                              intervals=[(time(9), time(12, 30)), (time(13, 30), time(18))])
services.weekly_hours_set(pro=pro, weekday=6, intervals=[])
services.booking_rules_update(pro=pro, confirmation_mode="request", request_expiry_hours=12)
cut, _ = Service.objects.get_or_create(pro=pro, name="Haircut", defaults=dict(
    duration_minutes=45, price_amount=3500, currency="EUR", position=0,
    description="Wash, cut and style."))
Service.objects.get_or_create(pro=pro, name="Beard trim", defaults=dict(
    duration_minutes=20, price_amount=1500, currency="EUR", position=1))
nina = user("nina@example.com", "Nina Phone", tz="Europe/Paris")
leo = user("leo@example.com", "Leo Laptop", tz="America/New_York")
regular = user("regular@example.com", "Rita Regular")
if not Booking.objects.filter(pro=pro).exists():
    start = timezone.now().replace(minute=0, second=0, microsecond=0)
    for days, status, who in ((-3, "completed", nina), (-9, "completed", leo),
                              (-1, "completed", regular)):
        b = Booking.objects.create(client=who, pro=pro, service=cut, service_name=cut.name,
            duration_minutes=45, price_amount=3500, currency="EUR",
            starts_at=start + timedelta(days=days),
            ends_at=start + timedelta(days=days, minutes=45), status=status)
        BookingEvent.objects.create(booking=b, actor=who, actor_role="client", to_status=status)
print(f"{pro.slug} {cut.pk}")
"""
)


@pytest.fixture(scope="module")
def data(server):
    slug, service_id = server.manage("shell", "-c", SETUP).split()[-2:]
    return {"slug": slug, "service_id": int(service_id)}


def log_in(page, email):
    shared_log_in(page, email, PASSWORD)


@pytest.mark.parametrize(
    ("viewport", "name", "email", "client_name", "zone"),
    [
        (PHONE, "phone", "nina@example.com", "Nina Phone", "Europe/Paris"),
        (LAPTOP, "laptop", "leo@example.com", "Leo Laptop", "America/New York"),
    ],
)
def test_client_books_a_slot_and_the_pro_confirms_it(
    new_page, data, viewport, name, email, client_name, zone
):
    client = new_page(viewport)
    log_in(client, email)

    # Step 1: the service, from the pro's public page.
    client.goto(f"/p/{data['slug']}/")
    client.get_by_role("link", name="Book Haircut").click()
    assert re.search(rf"/bookings/new/{data['slug']}/{data['service_id']}/$", client.url)
    assert client.get_by_test_id("zone-label").inner_text() == zone

    # Step 2: another day (swapped in place by booking.js), then a time.
    other_day = client.locator("a.day:not(.is-selected)").nth(1)
    day = other_day.get_attribute("data-day")
    other_day.click()
    client.wait_for_url(re.compile(rf"date={day}"))
    assert client.locator(".day.is-selected").get_attribute("data-day") == day
    screenshot(client, f"bookings-flow-day-{name}")
    first_time = client.locator("a.time").first
    chosen = first_time.inner_text()
    first_time.click()

    # Step 3: confirmation with a note.
    assert client.get_by_role("heading", name="Confirm your booking").is_visible()
    assert chosen in client.get_by_test_id("confirm-when").inner_text()
    client.fill("textarea[name=note]", "First visit, short on the sides please.")
    screenshot(client, f"bookings-flow-confirm-{name}")
    client.get_by_role("button", name="Send booking request").click()

    # Step 4: done.
    assert client.get_by_role("heading", name="Request sent").is_visible()
    assert client.get_by_text("the pro will answer within 12 hours").is_visible()
    screenshot(client, f"bookings-flow-done-{name}")

    client.goto("/bookings/mine/")
    card = client.get_by_test_id("booking-card").first
    assert "Requested" in card.inner_text()
    screenshot(client, f"bookings-my-bookings-{name}")

    # The pro confirms it in place from the agenda (a second browser context).
    pro = new_page(viewport)
    log_in(pro, "bea@example.com")
    pro.goto("/bookings/agenda/")
    request_card = pro.locator(".requests [data-card]", has_text=client_name)
    assert request_card.count() == 1
    screenshot(pro, f"bookings-agenda-requests-{name}")
    request_card.get_by_role("button", name="Confirm").click()
    pro.get_by_role("status").filter(has_text="Booking confirmed.").wait_for()
    # It left "Requests waiting" at once and is now one of the day's bookings.
    assert pro.locator(".requests [data-card]", has_text=client_name).count() == 0
    assert "/bookings/agenda/" in pro.url  # no page load: the agenda was refreshed in place

    client.goto("/bookings/mine/")
    assert "Confirmed" in client.get_by_test_id("booking-card").first.inner_text()
    client.get_by_test_id("booking-card").first.get_by_role("link").first.click()
    assert client.get_by_role("heading", name=re.compile("Haircut")).is_visible()
    screenshot(client, f"bookings-detail-client-{name}")

    assert client.csp_violations == [] and pro.csp_violations == []


@pytest.mark.parametrize(("viewport", "name"), [(PHONE, "phone"), (LAPTOP, "laptop")])
def test_pro_dashboard_pages_look_finished(new_page, data, viewport, name):
    pro = new_page(viewport)
    log_in(pro, "bea@example.com")
    for path, shot in (
        ("/bookings/agenda/?view=week", "agenda-week"),
        ("/bookings/services/", "services"),
        ("/bookings/services/new/", "service-form"),
        ("/bookings/schedule/", "schedule"),
        ("/bookings/rules/", "rules"),
    ):
        response = pro.goto(path)
        assert response.status == 200, path
        screenshot(pro, f"bookings-{shot}-{name}")
    if name == "laptop":
        # "Add interval" (booking.js) adds a fourth row; the server accepts every posted row.
        pro.goto("/bookings/schedule/")
        sunday = pro.locator("#day-6")
        sunday.get_by_role("button", name="Add interval").click()
        assert sunday.locator(".interval-row").count() == 4
        sunday.locator("input[name=day-6-start_0]").fill("10:00")
        sunday.locator("input[name=day-6-end_0]").fill("12:00")
        sunday.locator("input[name=day-6-start_3]").fill("14:00")
        sunday.locator("input[name=day-6-end_3]").fill("16:00")
        pro.get_by_role("button", name="Save the week").click()
        assert pro.get_by_text("Weekly hours saved.").is_visible()
        assert "10:00–12:00, 14:00–16:00" in pro.locator("#day-6").inner_text()
    assert pro.csp_violations == []


def test_visitor_sees_times_in_the_browsers_zone(browser, server, data):
    context = browser.new_context(viewport=LAPTOP, base_url=server.url, timezone_id="Asia/Tokyo")
    page = context.new_page()
    page.goto(f"/bookings/new/{data['slug']}/{data['service_id']}/")
    page.get_by_test_id("zone-label").filter(has_text="Asia/Tokyo").wait_for()
    assert "tz=Asia%2FTokyo" in page.url
    screenshot(page, "bookings-flow-visitor-tokyo-laptop")
    page.locator("a.time").first.click()
    assert "/accounts/login/" in page.url
    context.close()


def test_client_reschedules_then_cancels(new_page, data):
    client = new_page(PHONE)
    log_in(client, "regular@example.com")
    client.goto(f"/bookings/new/{data['slug']}/{data['service_id']}/")
    client.locator("a.day:not(.is-selected)").nth(3).click()
    client.wait_for_url(re.compile(r"date="))
    client.locator("a.time").last.click()
    client.get_by_role("button", name="Send booking request").click()
    client.get_by_role("link", name="View booking").click()
    detail_url = client.url

    client.get_by_role("link", name="Reschedule").click()
    assert client.get_by_role("heading", name="Pick a new time").is_visible()
    screenshot(client, "bookings-reschedule-phone")
    new_time = client.locator("a.time").first
    label = new_time.inner_text()
    new_time.click()
    client.get_by_role("button", name="Confirm the new time").click()
    assert client.url == detail_url
    assert client.get_by_text("The booking was moved to the new time.").is_visible()
    assert label in client.locator(".summary").inner_text()

    client.get_by_role("link", name="Cancel booking").click()
    assert client.get_by_role("heading", name="Cancel this booking?").is_visible()
    screenshot(client, "bookings-cancel-phone")
    client.fill("textarea[name=reason]", "Plans changed")
    client.get_by_role("button", name="Yes, cancel the booking").click()
    assert client.get_by_test_id("status").inner_text() == "Cancelled"
    screenshot(client, "bookings-detail-cancelled-phone")
    assert client.csp_violations == []


def test_client_reviews_a_completed_booking_and_the_pro_replies(new_page, data):
    client = new_page(LAPTOP)
    log_in(client, "regular@example.com")
    client.goto("/bookings/mine/?scope=past")
    client.get_by_role("link", name="Leave a review").first.click()
    client.get_by_label("5 stars").check()
    client.fill("textarea[name=text]", "Quick, friendly and a great fade.")
    screenshot(client, "bookings-review-laptop")
    client.get_by_role("button", name="Publish review").click()
    assert client.get_by_text("Thank you for your review!").is_visible()
    detail_url = client.url.split("#")[0]

    pro = new_page(PHONE)
    log_in(pro, "bea@example.com")
    pro.goto(detail_url)
    pro.fill("textarea[name=text]", "Thank you Rita, see you next time!")
    pro.get_by_role("button", name="Publish reply").click()
    assert pro.get_by_text("Your reply was published.").is_visible()
    assert pro.get_by_text("Bea Barber replied:").is_visible()
    pro.evaluate("window.scrollTo(0, 0)")
    screenshot(pro, "bookings-detail-pro-reviewed-phone")
    assert client.csp_violations == [] and pro.csp_violations == []
