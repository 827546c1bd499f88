"""A pro's own calendars in a browser, on a phone and on a laptop: the list with each
calendar's last sync and status, a refused address shown on its field, "Sync now" on a
failing calendar, and removing one after the confirmation; axe on the page.

The server refuses loopback addresses (production's rule), so the calendars are set up with
`manage shell` and the browser meets the refusal itself.
"""

import re

import pytest

from e2e.conftest import DEMO_PASSWORD, LAPTOP, PHONE, log_in, screenshot, setup_people
from e2e.test_accessibility import AXE_JS, Auditor

SCENE = """
from datetime import timedelta
from django.utils import timezone
from accounts.models import ProProfile
from bookings import services
from bookings.models import BusyInterval, ExternalCalendar
from timz import crypto

u = user({email!r}, "Calendar Pro", role="pro")
pro, _ = ProProfile.objects.get_or_create(
    user=u, defaults={{"display_name": "Calendar Pro", "slug": {slug!r}, "city": "Paris",
                      "timezone": "Europe/Paris"}}
)
ExternalCalendar.objects.filter(pro=pro).delete()
now = timezone.now()
good = ExternalCalendar.objects.create(
    pro=pro, name="Personal (Google)", kind="ics", host="calendar.google.com",
    url_encrypted=crypto.encrypt(
        "https://calendar.google.com/calendar/ical/x/private-abc/basic.ics"),
    status="ok", last_synced_at=now - timedelta(minutes=4), last_attempt_at=now,
    next_sync_at=now + timedelta(minutes=11),
)
for day in (1, 2, 8):
    BusyInterval.objects.create(calendar=good, pro=pro, starts_at=now + timedelta(days=day),
                                ends_at=now + timedelta(days=day, hours=1))
ExternalCalendar.objects.create(
    pro=pro, name="Studio (iCloud)", kind="caldav", host="127.0.0.1",
    url_encrypted=crypto.encrypt("http://127.0.0.1:5232/studio/"),
    username="studio@icloud.example", status="error",
    last_error="The calendar server refused the user name or password.",
    last_synced_at=now - timedelta(hours=3), last_attempt_at=now,
    next_sync_at=now + timedelta(minutes=15),
)
"""

VIEWPORTS = [pytest.param(PHONE, id="phone"), pytest.param(LAPTOP, id="laptop")]


@pytest.fixture(scope="module")
def axe_js() -> str:
    return AXE_JS.read_text()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_a_pro_sees_checks_and_removes_their_calendars(server, new_page, axe_js, viewport):
    label = "phone" if viewport is PHONE else "laptop"
    email = f"calendars-{label}@example.com"
    server.manage(
        "shell",
        "-c",
        setup_people(DEMO_PASSWORD) + SCENE.format(email=email, slug=f"calendar-pro-{label}"),
    )
    page = new_page(viewport)
    log_in(page, email)
    axe = Auditor(page, axe_js)
    axe.visit("/dashboard/", "dashboard")
    page.get_by_role("link", name=re.compile(r"^Your calendars")).click()
    page.wait_for_url(re.compile(r"/bookings/calendars/$"))
    assert page.get_by_role("heading", name="Your calendars", level=1).is_visible()

    google = page.locator(".calendar-row", has_text="Personal (Google)")
    assert google.get_by_text("Up to date").is_visible()
    assert google.get_by_text(re.compile(r"Last synced 4\xa0minutes ago")).is_visible()
    assert google.get_by_text("3 busy times ahead").is_visible()
    assert "private-abc" not in page.content()  # the secret part of the link stays hidden
    icloud = page.locator(".calendar-row", has_text="Studio (iCloud)")
    assert icloud.get_by_text("Cannot be read").is_visible()
    assert icloud.get_by_text("refused the user name or password").is_visible()
    axe.audit("calendars")
    screenshot(page, f"calendars-{label}")

    # A link to the machine itself is refused, and said so on its field.
    page.get_by_role("textbox", name="Secret ICS link").fill("http://127.0.0.1:8000/admin/")
    page.get_by_role("button", name="Connect link").click()
    page.wait_for_load_state()
    assert page.get_by_text("it points to a loopback address").is_visible()
    assert (
        page.get_by_role("textbox", name="Secret ICS link").input_value()
        == "http://127.0.0.1:8000/admin/"
    )
    screenshot(page, f"calendars-refused-{label}")

    # "Sync now" on the failing one: tried again, still refused (a loopback address).
    icloud.get_by_role("button", name=re.compile("^Sync now")).click()
    page.wait_for_url(re.compile(r"/bookings/calendars/$"))
    assert page.get_by_text(re.compile("“Studio \\(iCloud\\)” could not be read")).is_visible()

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(".calendar-row", has_text="Studio (iCloud)").get_by_role(
        "button", name=re.compile("^Remove")
    ).click()
    page.wait_for_url(re.compile(r"/bookings/calendars/$"))
    assert page.get_by_text("“Studio (iCloud)” is disconnected").is_visible()
    assert page.locator(".calendar-row").count() == 1
    axe.check()
