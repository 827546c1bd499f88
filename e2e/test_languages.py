"""Timz in French, Spanish and German, in a real browser: a visitor's home page in their
browser's language, a client whose profile says their language reading a pro page, booking in it
and receiving the confirmation email in it, and a pro switching the agenda's language with the
footer switcher. Every page is screenshotted per language (e2e/artifacts/i18n-<lang>-*.png).

The expected words come from the catalogues themselves (gettext in this process, under
`translation.override`), and each is checked to differ from the English, so the test fails if a
page falls back to English."""

import re
from email.header import decode_header, make_header

import pytest
from django.utils import translation
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext, pgettext

from e2e.conftest import LAPTOP, PHONE, log_in, screenshot, setup_people

PASSWORD = "languages-pass-1234"

# The pro writes in English and gives a version of their headline and service in each language.
HEADLINES = {
    "fr": "Coupes classiques et soin de la barbe",
    "es": "Cortes clásicos y cuidado de la barba",
    "de": "Klassische Haarschnitte und Bartpflege",
}
SERVICE_NAMES = {"fr": "Coupe homme", "es": "Corte de caballero", "de": "Herrenhaarschnitt"}

SETUP = (
    setup_people(PASSWORD)
    + f"HEADLINES = {HEADLINES!r}\nSERVICE_NAMES = {SERVICE_NAMES!r}\n"
    + """
import json
from datetime import time
from accounts.models import ProProfile
from bookings import services
from bookings.models import Service

pro_user = user("lena@example.com", "Lena Lingua", role="pro")
pro, _ = ProProfile.objects.get_or_create(user=pro_user, defaults=dict(
    display_name="Lena Lingua", slug="lena-lingua", city="Paris", timezone="Europe/Paris",
    headline="Classic cuts and beard care", content_language="en"))
pro.translations = {code: {"headline": text} for code, text in HEADLINES.items()}
pro.save()
services.weekly_hours_set_week(pro=pro, week={d: [(time(8), time(20))] for d in range(7)})
services.booking_rules_update(pro=pro, confirmation_mode="instant", min_notice_minutes=0)
cut, _ = Service.objects.get_or_create(pro=pro, name="Men's haircut", defaults=dict(
    duration_minutes=30, price_amount=2500, currency="EUR"))
cut.translations = {code: {"name": name} for code, name in SERVICE_NAMES.items()}
cut.save()
for code in HEADLINES:
    reader = user(f"reader-{code}@example.com", f"Reader {code.upper()}")
    reader.language = code
    reader.save(update_fields=["language"])
print(json.dumps({"slug": pro.slug, "service": cut.pk}))
"""
)

LANGUAGES = ["fr", "es", "de"]


def words(code: str, message: str, context: str | None = None) -> str:
    """`message` as the `code` catalogue writes it; never the English (the check can fail)."""
    with translation.override(code):
        text = pgettext(context, message) if context else gettext(message)
    assert text != message, f"{message!r} has no {code} translation"
    return text


@pytest.fixture(scope="module")
def data(server):
    import json

    return json.loads(server.manage("shell", "-c", SETUP).strip().splitlines()[-1])


@pytest.mark.parametrize("code", LANGUAGES)
def test_a_visitor_reads_the_home_page_in_the_browsers_language(browser, server, data, code):
    for viewport, name in ((LAPTOP, "laptop"), (PHONE, "phone")):
        context = browser.new_context(viewport=viewport, base_url=server.url, locale=code)
        page = context.new_page()
        page.goto("/")
        assert page.locator("html").get_attribute("lang") == code
        hero = words(code, "Book trusted independent pros, in a few taps")
        assert page.get_by_role("heading", name=hero).is_visible()
        assert page.locator("#language-select").input_value() == code
        screenshot(page, f"i18n-{code}-home-{name}")
        context.close()


@pytest.mark.parametrize("code", LANGUAGES)
def test_a_client_books_and_is_emailed_in_their_own_language(new_page, server, data, code):
    client = new_page(PHONE)
    log_in(client, f"reader-{code}@example.com", PASSWORD)  # the browser itself asks for English
    assert client.locator("html").get_attribute("lang") == code

    # The pro page: the interface in the reader's language, the pro's own words in theirs.
    client.goto(f"/p/{data['slug']}/")
    assert client.get_by_text(HEADLINES[code]).is_visible()
    assert client.get_by_text(SERVICE_NAMES[code]).first.is_visible()
    screenshot(client, f"i18n-{code}-pro-page-phone")

    # The booking flow: a day, a time, the confirmation, done.
    client.locator(f"a[href*='/bookings/new/{data['slug']}/{data['service']}/']").first.click()
    assert client.get_by_role("heading", name=words(code, "Pick a day and time")).is_visible()
    other_day = client.locator("a.day:not(.is-selected)").nth(1)
    day = other_day.get_attribute("data-day")
    other_day.click()
    client.wait_for_url(re.compile(rf"date={day}"))
    screenshot(client, f"i18n-{code}-booking-day-phone")
    client.locator("a.time").first.click()
    assert client.get_by_role("heading", name=words(code, "Confirm your booking")).is_visible()
    screenshot(client, f"i18n-{code}-booking-confirm-phone")
    client.get_by_role("button", name=words(code, "Confirm booking")).click()
    confirmed = words(code, "Confirmed", context="booking")
    assert client.get_by_role("heading", name=confirmed).is_visible()
    screenshot(client, f"i18n-{code}-booking-done-phone")

    # The confirmation email, in the client's language, with the service's name in it.
    sent = [m for m in server.emails() if m["To"] == f"reader-{code}@example.com"]
    assert sent, "no email reached the client"
    email = sent[-1]
    subject = str(make_header(decode_header(email["Subject"]))).replace("\n", "")
    opening = words(code, "Booking confirmed: %(service)s on %(when)s").split("%(service)s")[0]
    assert opening.strip() in subject and SERVICE_NAMES[code] in subject, subject
    html = next(
        part.get_payload(decode=True).decode()
        for part in email.walk()
        if part.get_content_type() == "text/html"
    )
    assert f'<html lang="{code}"' in html
    mail = new_page(LAPTOP)
    mail.set_content(html)
    assert mail.get_by_text(SERVICE_NAMES[code]).first.is_visible()
    screenshot(mail, f"i18n-{code}-email-laptop")


@pytest.mark.parametrize("code", LANGUAGES)
def test_a_pro_switches_the_agenda_to_their_language(new_page, data, code):
    for viewport, name, view in ((LAPTOP, "laptop", "week"), (PHONE, "phone", "day")):
        pro = new_page(viewport)
        log_in(pro, "lena@example.com", PASSWORD)
        pro.goto(f"/bookings/agenda/?view={view}")
        # The footer's switcher (timz.js submits it on change), saved on the pro's account.
        with pro.expect_navigation():
            pro.locator("#language-select").select_option(code)
        assert pro.locator("html").get_attribute("lang") == code
        assert "/bookings/agenda/" in pro.url
        zone_line = words(code, "Times in your zone, %(zone)s.").split("%(zone)s")[0].strip()
        assert pro.get_by_text(zone_line).first.is_visible()
        if view == "week":
            # The locale's week: Monday first in French, Spanish and German.
            column = pro.get_by_test_id("agenda-day").first
            first = pro.locator(f"#{column.get_attribute('aria-labelledby')}").inner_text()
            with translation.override(code):
                monday = str(WEEKDAYS_ABBR[0])  # the grid's column title: "Mo", "lun.", "lun"
            assert first.lower().startswith(monday.lower()), first
        screenshot(pro, f"i18n-{code}-agenda-{view}-{name}")
        pro.goto("/bookings/agenda/")  # still in that language: it is the pro's own now
        assert pro.locator("html").get_attribute("lang") == code
