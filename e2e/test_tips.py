"""Issue 11 in a real browser (offline backend): the pro's share link (a new client booking
through it pays no platform fee), a tip after a completed visit, and the receipt page and PDF.
Screenshots on phone and laptop."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from e2e.conftest import LAPTOP, PHONE, authenticator_code, make_account, screenshot
from e2e.conftest import log_in as log_in_with_code

PASSWORD = "tips-e2e-password-1"

SETUP = f"""
from datetime import time, timedelta
from django.utils import timezone
from allauth.account.models import EmailAddress
from accounts.models import ClientProfile, ProProfile, User
from bookings import services
from bookings.models import Booking, BookingEvent, Service
from payments.models import Payment
from payments.services import connected_account_enable_simulated

def user(email, role="client"):
    u = User.objects.filter(email=email).first()
    if u is None:
        u = User.objects.create_user(email=email, password="{PASSWORD}", role=role)
        name = email.split("@")[0].replace("-", " ").title()
        ClientProfile.objects.create(user=u, display_name=name)
        EmailAddress.objects.create(user=u, email=email, verified=True, primary=True)
    return u

pro_user = user("tips-pro@example.com", "pro")
pro, _ = ProProfile.objects.get_or_create(
    user=pro_user, defaults=dict(display_name="Tara Tips", slug="tara-tips", city="Lyon",
    address_line="4 place Bellecour", business_name="Tara Beauté SARL", timezone="Europe/Paris"))
for weekday in range(7):
    services.weekly_hours_set(pro=pro, weekday=weekday, intervals=[(time(0), time(23, 45))])
services.booking_rules_update(pro=pro, horizon_days=365, min_notice_minutes=0)
connected_account_enable_simulated(pro=pro)
service, _ = Service.objects.get_or_create(pro=pro, name="Balayage", defaults=dict(
    duration_minutes=60, price_amount=5000, currency="EUR", payment_mode="online"))
for name in ("phone", "laptop"):
    user(f"tips-new-{{name}}@example.com")
    tipper = user(f"tips-tipper-{{name}}@example.com")
    if not Booking.objects.filter(client=tipper).exists():
        start = timezone.now() - timedelta(days=2)
        b = Booking.from_service(service=service, client=tipper, starts_at=start,
                                 status=Booking.Status.COMPLETED)
        b.save(force_insert=True)
        BookingEvent.objects.create(booking=b, actor=tipper, actor_role="client",
                                    action="create", to_status=b.status)
        Payment.objects.create(booking=b, backend="offline", amount=5000, fee=500,
            currency="EUR", status="succeeded", checkout_session_id=f"offline_e2e-tips-{{b.pk}}",
            payment_intent_id=f"offline_pi_e2e_tips_{{b.pk}}", paid_at=start - timedelta(days=1))
print(pro.slug, service.pk)
"""


@pytest.fixture(scope="module")
def data(server):
    slug, service_id = server.manage("shell", "-c", SETUP).split()[-2:]
    return {"slug": slug, "service_id": int(service_id)}


def days_ahead(days: int) -> str:
    """The date `days` from now (UTC), ISO: a whole day ahead in every zone for days >= 2."""
    return (datetime.now(UTC) + timedelta(days=days)).date().isoformat()


def log_in(page, email):
    log_in_with_code(page, email, PASSWORD)


VIEWPORTS = [(PHONE, "phone"), (LAPTOP, "laptop")]


@pytest.mark.parametrize(("viewport", "name"), VIEWPORTS)
def test_the_pro_finds_their_share_link_on_the_profile_page(new_page, data, viewport, name):
    page = new_page(viewport)
    log_in(page, "tips-pro@example.com")
    page.goto("/dashboard/profile/")
    link = page.locator("#share-link-url")
    assert link.input_value().endswith("/go/tara-tips/")
    assert page.get_by_role("button", name="Copy link").is_visible()
    assert page.get_by_label("Business name on receipts").input_value() == "Tara Beauté SARL"
    screenshot(page, f"tips-share-link-{name}")
    assert page.csp_violations == []


@pytest.mark.parametrize(("viewport", "name"), VIEWPORTS)
def test_a_new_client_through_the_link_books_and_the_pro_pays_no_fee(
    new_page, data, viewport, name
):
    page = new_page(viewport)
    page.goto("/go/tara-tips/")
    assert page.url.endswith("/p/tara-tips/")  # the cookie is set, the pro's page shown
    log_in(page, f"tips-new-{name}@example.com")
    # A day with all its times still ahead, whatever the hour the test runs at (today may have
    # fewer than seven left).
    page.goto(f"/bookings/new/{data['slug']}/{data['service_id']}/?date={days_ahead(2)}")
    page.locator("a.time").nth(3 if name == "phone" else 6).click()
    page.get_by_role("button", name=re.compile("Confirm booking")).click()
    page.get_by_role("button", name="Pay €50.00").click()
    page.get_by_role("button", name="Pay €50.00").click()
    assert page.get_by_role("heading", name="Payment received").is_visible()
    page.get_by_role("link", name="View the booking").click()
    booking_url = page.url

    pro_page = new_page(viewport)
    log_in(pro_page, "tips-pro@example.com")
    pro_page.goto(booking_url)
    box = pro_page.locator(".pay-box")
    assert box.get_by_text("€0.00", exact=True).is_visible()  # the platform fee, no minus
    assert box.get_by_text("(booked through your share link)").is_visible()
    assert box.get_by_text("Your net").is_visible()
    assert box.locator(".pay-total").get_by_text("€50.00").is_visible()
    screenshot(pro_page, f"tips-pro-link-booking-pro-{name}")
    assert page.csp_violations == [] and pro_page.csp_violations == []


@pytest.mark.parametrize(("viewport", "name"), VIEWPORTS)
def test_a_client_tips_after_the_visit_and_reads_the_receipt(new_page, data, viewport, name):
    page = new_page(viewport)
    log_in(page, f"tips-tipper-{name}@example.com")
    page.goto("/bookings/mine/?scope=past")
    page.locator("a[href*='/bookings/']", has_text="Balayage").first.click()
    assert page.get_by_role("heading", name="Add a tip").is_visible()
    screenshot(page, f"tips-add-a-tip-{name}")
    page.get_by_role("button", name=re.compile(r"^15%")).click()
    assert "/payments/test-payment/" in page.url
    screenshot(page, f"tips-test-page-{name}")
    page.get_by_role("button", name="Pay €7.50").click()
    assert page.get_by_text("Thank you!").is_visible()
    assert page.get_by_test_id("tip-amount").inner_text() == "€7.50"
    screenshot(page, f"tips-thanks-{name}")

    page.get_by_role("link", name="Tip receipt").click()
    assert page.get_by_role("heading", name="Receipt").is_visible()
    assert page.get_by_text("Tara Beauté SARL").first.is_visible()
    assert page.get_by_text("4 place Bellecour").is_visible()
    screenshot(page, f"tips-receipt-{name}")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    pdf = download.value
    assert pdf.suggested_filename.startswith("timz-receipt-TZ-")
    with open(pdf.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"
    assert page.csp_violations == []


@pytest.mark.parametrize(("viewport", "name"), VIEWPORTS)
def test_staff_schedule_a_fee_rate_in_the_admin(new_page, server, viewport, name):
    # A rate far in the future, removed at the end: the other files share this server and its
    # fee (e2e/test_payments.py expects the default 10 %).
    email = make_account(server, f"tips-staff-{name}@example.com", staff=True, totp=True)
    page = new_page(viewport)
    try:
        log_in_with_code(page, email, code=authenticator_code())
        page.goto("/admin/payments/feerate/add/")
        page.fill("input[name=percent]", "8")
        page.fill("input[name=effective_from_0]", "2099-01-01")
        page.fill("input[name=effective_from_1]", "00:00:00")
        page.fill("input[name=note]", f"e2e-tips {name}")
        page.get_by_role("button", name="Save", exact=True).click()
        page.wait_for_load_state()
        assert "/admin/payments/feerate/" in page.url
        assert page.get_by_text("8.00").first.is_visible()
        screenshot(page, f"tips-admin-fee-rates-{name}")
        assert page.csp_violations == []
    finally:
        server.manage(
            "shell",
            "-c",
            "from payments.models import FeeRate; "
            "FeeRate.objects.filter(note__startswith='e2e-tips').delete()",
        )
