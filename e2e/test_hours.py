"""The hours editor in a real browser: the whole week on one form with one save, "Copy Monday to
all weekdays", 24-hour time boxes, a bad time refused with nothing saved, and time off next to
special days. axe runs on the page."""

import json

from e2e.conftest import LAPTOP, PHONE, log_in, screenshot
from e2e.test_accessibility import AXE_JS, Auditor

PASSWORD = "hours-pass-1234"

SETUP = f"""
import json
from allauth.account.models import EmailAddress
from accounts.models import ClientProfile, ProProfile, User

def pro(email, name, slug):
    u = User.objects.filter(email=email).first()
    if u is None:
        u = User.objects.create_user(email=email, password="{PASSWORD}", role="pro")
        ClientProfile.objects.create(user=u, display_name=name, timezone="Europe/Paris")
        EmailAddress.objects.create(user=u, email=email, verified=True, primary=True)
        ProProfile.objects.create(user=u, display_name=name, slug=slug, city="Paris",
                                  timezone="Europe/Paris")

pro("hana@example.com", "Hana Hours", "hana-hours")
pro("omar@example.com", "Omar Off", "omar-off")
print(json.dumps("ok"))
"""


def setup_pros(server):
    assert json.loads(server.manage("shell", "-c", SETUP).strip().splitlines()[-1]) == "ok"


def test_the_whole_week_is_set_in_one_save_with_copy_to_weekdays(new_page, server):
    setup_pros(server)
    page = new_page(LAPTOP)
    log_in(page, "hana@example.com", PASSWORD)
    axe = Auditor(page, AXE_JS.read_text())
    axe.visit("/bookings/schedule/", "schedule laptop")
    monday = page.locator("#day-0")
    start = monday.get_by_label("Monday 1 from")
    assert start.get_attribute("type") == "text" and start.get_attribute("placeholder") == "HH:MM"
    start.fill("08:30")
    monday.get_by_label("Monday 1 until").fill("12:00")
    monday.get_by_label("Monday 2 from").fill("13:00")
    monday.get_by_label("Monday 2 until").fill("17:30")
    page.get_by_label("Saturday 1 from").fill("10:00")
    page.get_by_label("Saturday 1 until").fill("14:00")

    page.get_by_role("button", name="Copy Monday to all weekdays").click()
    page.get_by_text("Monday’s hours were copied to Tuesday–Friday").wait_for()
    assert page.get_by_label("Friday 2 until").input_value() == "17:30"
    assert page.get_by_label("Saturday 1 from").input_value() == "10:00"  # not a weekday
    screenshot(page, "hours-copied-laptop")

    page.get_by_role("button", name="Save the week").click()
    page.get_by_text("Weekly hours saved.").wait_for()
    for weekday in range(5):
        assert "08:30–12:00, 13:00–17:30" in page.locator(f"#day-{weekday}").inner_text()
    assert "10:00–14:00" in page.locator("#day-5").inner_text()
    assert "Day off" in page.locator("#day-6").inner_text()
    screenshot(page, "hours-saved-laptop")
    axe.audit("schedule saved laptop")
    axe.check()


def test_a_bad_time_saves_nothing_and_time_off_reads_24_hour(new_page, server):
    setup_pros(server)
    page = new_page(PHONE)
    log_in(page, "omar@example.com", PASSWORD)
    axe = Auditor(page, AXE_JS.read_text())
    axe.visit("/bookings/schedule/", "schedule phone")
    page.get_by_label("Tuesday 1 from").fill("09:00")
    page.get_by_label("Tuesday 1 until").fill("18:00")
    page.get_by_label("Wednesday 1 from").fill("9am")
    page.get_by_label("Wednesday 1 until").fill("17:00")
    page.get_by_role("button", name="Save the week").click()
    page.get_by_text("Nothing was saved: correct the days marked below.").wait_for()
    assert page.locator("#day-2").get_by_text("Enter a time as HH:MM").is_visible()
    assert page.get_by_label("Tuesday 1 from").input_value() == "09:00"  # kept for correcting
    assert "Day off" in page.locator("#day-1").inner_text()  # nothing saved
    screenshot(page, "hours-error-phone")
    axe.audit("schedule with errors phone")

    page.get_by_label("Wednesday 1 from").fill("09:00")
    page.get_by_role("button", name="Save the week").click()
    page.get_by_text("Weekly hours saved.").wait_for()
    assert "09:00–18:00" in page.locator("#day-1").inner_text()

    # Time off: a date box and a 24-hour time box; listed as "Away", apart from special days.
    off = page.locator("form", has=page.get_by_role("button", name="Add time off"))
    off.get_by_label("From: date").fill("2031-07-01")
    off.get_by_label("From: time (HH:MM)").fill("14:00")
    off.get_by_label("Until: date").fill("2031-07-15")
    off.get_by_label("Until: time (HH:MM)").fill("18:30")
    off.get_by_role("button", name="Add time off").click()
    page.get_by_text("Time off added.").wait_for()
    away = page.locator("#time-off li", has_text="Away")
    assert "Tue 1 Jul, 14:00" in away.inner_text() and "18:30" in away.inner_text()
    screenshot(page, "hours-time-off-phone")
    axe.check()
