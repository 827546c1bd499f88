"""The pro's dashboard overview and money page in a browser, on a phone and on a laptop: the
overview's cards, the month's figures and lines, payouts, month navigation, the CSV download,
and axe on both pages; staff reading the same month in the admin. Screenshots go to
e2e/artifacts (and $TIMZ_SHOTS when set).

Each viewport works as its own demo pro (pro11, pro13: pay-online pros nobody else's file
uses), given a month of every kind of money by SCENE.
"""

import csv
import io
import os
import re
import shutil

import pytest

from e2e.conftest import LAPTOP, PHONE, authenticator_code, log_in, make_account, screenshot
from e2e.test_accessibility import AXE_JS, Auditor

PROS = [
    pytest.param(PHONE, "pro11@example.com", id="phone"),
    pytest.param(LAPTOP, "pro13@example.com", id="laptop"),
]

# This month for the pro: a paid visit partly refunded, a deposit and its balance, a tip, a
# no-show fee, a visit today and one in three days, and a payout; last month: one payment.
SCENE = """
from datetime import datetime, time, timedelta
from django.utils import timezone
from accounts.models import ProProfile, User
from accounts.timezones import zone_of
from bookings.models import Booking
from payments.models import Payment, Payout, Refund

pro = ProProfile.objects.get(user__email="{email}")
if not Payment.objects.filter(booking__pro=pro, kind="tip", payment_intent_id="e2e").exists():
    zone = zone_of(pro.timezone)
    now = timezone.now()
    today = now.astimezone(zone).date()
    first = today.replace(day=1)
    service = pro.services.filter(is_active=True).order_by("position", "id").first()
    client = User.objects.get(email="client2@example.com")

    def visit(day, hour, status="completed"):
        starts = datetime.combine(day, time(hour, 30)).replace(tzinfo=zone)
        booking = Booking.from_service(
            service=service, client=client, starts_at=starts, status=status
        )
        booking.save(force_insert=True)
        return booking

    def pay(booking, kind, amount, fee, at, status="succeeded", attempt=1):
        return Payment.objects.create(
            booking=booking, kind=kind, attempt=attempt, backend="offline", amount=amount,
            fee=fee, currency=service.currency, status=status, paid_at=at,
            payment_intent_id="e2e",
        )

    start = datetime.combine(first, time(7)).replace(tzinfo=zone)
    a = visit(first, 6)
    full = pay(a, "full", 6000, 600, start, status="partially_refunded")
    Refund.objects.create(payment=full, amount=1500, application_fee_refunded=150,
                          reason="Shorter visit", status="succeeded",
                          completed_at=min(now, start + timedelta(hours=5)))
    b = visit(first, 7)
    pay(b, "deposit", 2000, 200, start + timedelta(minutes=1))
    pay(b, "balance", 3000, 300, start + timedelta(minutes=2), attempt=2)
    pay(b, "tip", 700, 0, start + timedelta(minutes=3), attempt=3)
    c = visit(first, 5, status="no_show")
    pay(c, "no_show_fee", 1500, 150, start + timedelta(minutes=4))
    before = visit(first - timedelta(days=3), 6)
    pay(before, "full", 4000, 400, start - timedelta(days=3))
    visit(today, 22, status="confirmed")
    visit(today + timedelta(days=3), 6, status="confirmed")
    Payout.objects.create(pro=pro, amount=4321, currency=service.currency, arrival_date=first)
"""


@pytest.fixture(scope="module")
def axe_js() -> str:
    return AXE_JS.read_text()


def label_of(viewport) -> str:
    return "phone" if viewport is PHONE else "laptop"


def keep(page, name: str) -> None:
    path = screenshot(page, name)
    if shots := os.environ.get("TIMZ_SHOTS"):
        os.makedirs(shots, exist_ok=True)
        shutil.copy(path, os.path.join(shots, path.name))


@pytest.mark.parametrize("viewport, email", PROS)
def test_a_pro_reads_the_dashboard_and_the_months_money(new_page, demo, axe_js, viewport, email):
    demo.manage("shell", "-c", SCENE.format(email=email))
    label = label_of(viewport)
    page = new_page(viewport)
    log_in(page, email)
    axe = Auditor(page, axe_js)

    axe.visit("/dashboard/", "dashboard")
    today = page.get_by_test_id("dash-today")
    assert today.get_by_role("heading", name="Today").is_visible()
    assert today.locator("li").count() >= 1
    assert page.get_by_test_id("dash-week").locator("li").count() >= 1
    net = page.get_by_test_id("dash-money").locator("[data-figure=net]").first.inner_text()
    assert re.search(r"\d", net)
    assert page.get_by_test_id("dash-rating").is_visible()
    keep(page, f"dashboard-{label}")

    page.get_by_test_id("dash-money").get_by_role("link").click()
    page.wait_for_url(re.compile(r"/payments/money/$"))
    axe.audit("money")
    figures = page.locator("[data-testid^=figures-]").first
    for name in ("Gross", "Tips", "Platform fees", "Refunds", "Disputes lost", "Net"):
        assert figures.get_by_text(name, exact=True).is_visible()
    # The dashboard's net is the money page's.
    assert figures.locator("[data-figure=net]").inner_text() == net
    lines = page.get_by_test_id("money-line")
    assert lines.count() >= 6
    kinds = " ".join(lines.all_inner_texts())
    for kind in ("Deposit", "Balance", "Tip", "Refund", "No-show or late-cancellation fee"):
        assert kind in kinds
    payouts = page.locator(".money-payouts")
    assert payouts.get_by_text("Paid out:").is_visible()
    keep(page, f"money-{label}")

    with page.expect_download() as download:
        page.get_by_test_id("money-csv").click()
    with open(download.value.path(), encoding="utf-8-sig") as file:
        text = file.read()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["Date", "Booking", "Client"]
    assert len(rows) == lines.count() + 1
    assert re.fullmatch(r"timz-[\w-]+-\d{4}-\d{2}\.csv", download.value.suggested_filename)

    page.get_by_role("link", name=re.compile("Previous month")).click()
    page.wait_for_url(re.compile(r"\?month=\d{4}-\d{2}$"))
    assert page.get_by_test_id("money-line").count() >= 1
    page.get_by_role("link", name="This month").click()
    page.wait_for_url(re.compile(r"/payments/money/$"))

    page.goto("/payments/money/?month=2026-13")
    assert "use YYYY-MM" in page.get_by_test_id("bad-request-message").inner_text()
    axe.check()


@pytest.mark.parametrize("viewport, email", PROS)
def test_staff_read_the_pros_month_in_the_admin(new_page, demo, viewport, email):
    demo.manage("shell", "-c", SCENE.format(email=email))
    pro_id = demo.manage(
        "shell",
        "-c",
        f"from accounts.models import ProProfile; "
        f"print(ProProfile.objects.get(user__email='{email}').pk)",
    ).split()[-1]
    label = label_of(viewport)
    staff = make_account(demo, f"money-staff-{label}@example.com", staff=True, totp=True)
    page = new_page(viewport)
    log_in(page, staff, code=authenticator_code())

    page.goto(f"/admin/payments/payout/money/{pro_id}/")
    assert page.get_by_role("heading", name=re.compile("^Money of ")).is_visible()
    assert page.get_by_test_id("admin-figures").first.is_visible()
    kinds = page.locator("table").last.inner_text()
    for kind in ("Deposit", "Balance", "Tip", "Refund", "No-show or late-cancellation fee"):
        assert kind in kinds
    # The wide tables scroll inside the page; an amount stays on one line.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.evaluate(
        "[...document.querySelectorAll('td.num')]"
        ".every(td => getComputedStyle(td).whiteSpace === 'nowrap')"
    )
    keep(page, f"money-admin-{label}")
    assert page.csp_violations == []
