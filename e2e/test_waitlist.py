"""The waitlist in a real browser: a client joins the waitlist of a full time, another client
cancels the booking holding it, the waiting client hears of it live and by email, opens the
offer link and books the held time."""

import re

import pytest

from e2e.conftest import PHONE, log_in, screenshot, setup_people

PASSWORD = "correct-horse-battery"

SETUP = (
    setup_people(PASSWORD)
    + """
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo
from django.utils import timezone
from allauth.account.models import EmailAddress
from accounts.models import ClientProfile, ProProfile, User
from bookings import services
from bookings.models import Service


pro_user = user("wally@example.com", "Wally Waits", role="pro")
pro, _ = ProProfile.objects.get_or_create(
    user=pro_user, defaults=dict(display_name="Wally Waits", slug="wally-waits", city="Paris",
    timezone="Europe/Paris"))
for weekday in range(7):
    services.weekly_hours_set(pro=pro, weekday=weekday, intervals=[(time(9), time(12))])
cut, _ = Service.objects.get_or_create(pro=pro, name="Massage", defaults=dict(
    duration_minutes=60, price_amount=6000, currency="EUR"))
carl = user("carl.cancels@example.com", "Carl Cancels")
user("wendy.waits@example.com", "Wendy Waiting")
paris = ZoneInfo("Europe/Paris")
day = timezone.now().astimezone(paris).date() + timedelta(days=3)
booking = services.booking_create(client=carl, service=cut,
    starts_at=datetime.combine(day, time(10), tzinfo=paris), enforce_rate_limit=False)
print(f"{pro.slug} {cut.pk} {booking.pk} {day.isoformat()}")
"""
)


@pytest.fixture(scope="module")
def data(server):
    slug, service_id, booking_id, day = server.manage("shell", "-c", SETUP).split()[-4:]
    return {"slug": slug, "service_id": int(service_id), "booking_id": int(booking_id), "day": day}


def _offer_path(server, to: str) -> str:
    """The offer link of the newest waitlist email to `to` (its path: the server's port differs
    from the SITE_URL the email was written for)."""
    for message in reversed(server.emails()):
        if to in message["To"] and "A time freed up" in message["Subject"]:
            for part in message.walk():
                if part.get_content_type() == "text/plain":
                    text = part.get_payload(decode=True).decode()
                    return re.search(r"https?://[^/\s]+(/bookings/waitlist/offer/[\w-]+/)", text)[1]
    raise AssertionError(f"no waitlist email to {to}")


def test_a_waiting_client_gets_the_cancelled_time_and_books_it(new_page, server, data):
    wendy = new_page(PHONE)
    log_in(wendy, "wendy.waits@example.com", PASSWORD)

    # The 10:00 is taken: Wendy joins the waitlist from the times of that day.
    wendy.goto(f"/bookings/new/{data['slug']}/{data['service_id']}/?date={data['day']}")
    assert "10:00" not in wendy.locator("#picker .times").all_inner_texts()
    wendy.get_by_test_id("waitlist-cta").get_by_role("link", name="Join the waitlist").click()
    assert wendy.locator("#id_date").input_value() == data["day"]
    wendy.fill("#id_from_time", "10:00")
    wendy.fill("#id_to_time", "10:30")
    screenshot(wendy, "waitlist-join-phone")
    wendy.get_by_role("button", name="Join the waitlist").click()
    entry = wendy.get_by_test_id("waitlist-entry").first
    assert "Waiting" in entry.inner_text()

    # Carl cancels; Wendy's open page hears of it at once.
    carl = new_page()
    log_in(carl, "carl.cancels@example.com", PASSWORD)
    carl.goto(f"/bookings/{data['booking_id']}/cancel/")
    carl.get_by_role("button", name="Yes, cancel the booking").click()
    wendy.locator(".toast", has_text="A time freed up").wait_for()

    # The email's link opens the offer: the held time, the countdown, Book.
    wendy.goto(_offer_path(server, "wendy.waits@example.com"))
    assert "10:00" in wendy.get_by_test_id("offer-when").inner_text()
    assert re.fullmatch(r"1[45]:\d\d", wendy.get_by_test_id("offer-countdown").inner_text())
    screenshot(wendy, "waitlist-offer-phone")

    # While it is held, nobody else sees the time.
    carl.goto(f"/bookings/new/{data['slug']}/{data['service_id']}/?date={data['day']}")
    assert "10:00" not in carl.locator("#picker").inner_text()

    wendy.get_by_role("link", name="Book this time").click()
    assert wendy.get_by_role("heading", name="Confirm your booking").is_visible()
    wendy.get_by_role("button", name="Confirm booking").click()
    assert "/done/" in wendy.url

    wendy.goto("/bookings/waitlist/")
    assert "Booked" in wendy.get_by_test_id("waitlist-entry").first.inner_text()
