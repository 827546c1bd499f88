"""Accessibility: axe-core (from npm, `node_modules/axe-core`) runs on every main page of the
demo data, as the user who sees it, on a phone and on a laptop. No violation of impact
"serious" or "critical" is allowed; moderate and minor ones are printed, not failed.

axe is evaluated in the page through the DevTools protocol (`page.evaluate`), which the page's
Content-Security-Policy does not govern: an injected <script> tag would be blocked by it.
"""

import re

import pytest

from e2e.conftest import LAPTOP, PHONE, ROOT, log_in, screenshot

AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}
VIEWPORTS = [pytest.param(PHONE, id="phone"), pytest.param(LAPTOP, id="laptop")]
PRO_SLUG = "karim-benali"  # pro1@example.com in seed_demo
# Opening a conversation marks it read: client3 and pro2 leave client1/pro1's demo messages unread
# for e2e/test_chat.py.

RUN_AXE = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(" ") + "  " + n.failureSummary.replace(/\\s+/g, " ")),
  }));
}"""


@pytest.fixture(scope="session")
def axe_source():
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} is missing: run `npm ci --no-audit --no-fund` (make e2e does)")
    return AXE_JS.read_text()


class Auditor:
    """Runs axe on the pages a test visits and keeps the blocking violations, page by page."""

    def __init__(self, page, source):
        self.page = page
        self.source = source
        self.failures = []
        self.audited = []

    def audit(self, label: str):
        self.page.wait_for_load_state("load")
        if not self.page.evaluate("typeof window.axe === 'object'"):
            self.page.evaluate(self.source)
        violations = self.page.evaluate(RUN_AXE)
        self.audited.append(label)
        for v in violations:
            line = f"[{label} {self.page.url}] {v['impact']} {v['id']}: {v['help']}"
            if v["impact"] in BLOCKING:
                self.failures.append(line + "".join(f"\n      {node}" for node in v["nodes"]))
            else:
                print(line)

    def visit(self, path: str, label: str | None = None):
        response = self.page.goto(path)
        assert response.status == 200, f"{path}: {response.status}"
        self.audit(label or path)

    def check(self):
        assert self.audited
        assert not self.failures, "axe found serious/critical violations:\n" + "\n".join(
            self.failures
        )


def picker_settled(page):
    """The booking picker fades while booking.js swaps a day in; audit it once it is back."""
    page.locator(".picker.is-loading").wait_for(state="detached")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_visitor_pages_have_no_serious_axe_violation(new_page, demo, axe_source, viewport):
    page = new_page(viewport)
    axe = Auditor(page, axe_source)
    axe.visit("/", "home")
    axe.visit("/?q=hair", "home search")
    axe.visit(f"/p/{PRO_SLUG}/", "pro page")
    axe.visit("/accounts/login/", "login")
    axe.visit("/accounts/signup/", "signup")
    axe.check()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_client_pages_and_booking_flow_have_no_serious_axe_violation(
    new_page, demo, axe_source, viewport
):
    page = new_page(viewport)
    log_in(page, "client3@example.com")
    axe = Auditor(page, axe_source)
    axe.visit("/", "home")
    axe.visit(f"/p/{PRO_SLUG}/", "pro page")

    # The booking flow: service -> day -> times -> confirmation (not submitted).
    page.locator(".service-list").get_by_role("link", name=re.compile(r"^Book ")).first.click()
    assert re.search(r"/bookings/new/[\w-]+/\d+/$", page.url)
    picker_settled(page)
    axe.audit("booking: service and days")
    page.locator("a.day:not(.is-selected)").nth(1).click()
    page.wait_for_url(re.compile(r"date="))
    picker_settled(page)
    axe.audit("booking: times of another day")
    page.locator("a.time").first.click()
    assert page.get_by_role("heading", name="Confirm your booking").is_visible()
    axe.audit("booking: confirmation")

    axe.visit("/bookings/mine/", "my bookings")
    axe.visit("/bookings/mine/?scope=past", "my bookings, past")
    axe.visit("/bookings/waitlist/", "my waitlist")
    axe.visit("/bookings/waitlist/join/?q=massage", "join the waitlist")
    axe.visit("/bookings/find/?q=nothing+matches&when=tomorrow", "free time, none (waitlist)")
    page.goto("/bookings/mine/")
    page.get_by_test_id("booking-card").first.get_by_role("link").first.click()
    axe.audit("booking detail")
    axe.visit("/messages/", "inbox")
    page.locator(".inbox-link").first.click()
    page.wait_for_url(re.compile(r"/messages/\d+/$"))
    axe.audit("conversation")
    axe.visit("/profile/", "profile")
    axe.check()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_pro_pages_have_no_serious_axe_violation(new_page, demo, axe_source, viewport):
    page = new_page(viewport)
    log_in(page, "pro2@example.com")
    axe = Auditor(page, axe_source)
    axe.visit("/bookings/agenda/", "agenda")
    axe.visit("/bookings/agenda/?view=week", "agenda, week")
    axe.visit("/dashboard/", "dashboard")
    axe.visit("/messages/", "inbox")
    page.locator(".inbox-link").first.click()
    page.wait_for_url(re.compile(r"/messages/\d+/$"))
    axe.audit("conversation")
    axe.visit("/bookings/services/", "services")
    axe.visit("/bookings/schedule/", "schedule")
    axe.visit("/bookings/rules/", "rules")
    axe.check()


def test_open_account_menu_has_no_serious_axe_violation(new_page, demo, axe_source):
    """The phone menu, opened: primary and account links, the unread badge on its button."""
    page = new_page(PHONE)
    log_in(page, "pro2@example.com")
    page.get_by_role("link", name="Timz home").click()
    page.locator("summary.account-summary").click()
    assert page.locator(".menu-primary").get_by_role("link", name="Agenda").is_visible()
    axe = Auditor(page, axe_source)
    axe.audit("open menu")
    axe.check()


# The header: one line on a laptop; on a phone the links move into the menu, whose button
# carries the unread badge. The menu is a <details>: keyboard and no-JS friendly.

PRIMARY = {
    "client3@example.com": ["Find a pro", "My bookings", "Messages"],
    "pro1@example.com": ["Agenda", "Messages", "Dashboard", "My bookings"],
}


def primary_links(page, phone: bool) -> list[str]:
    nav = page.locator(".menu-primary" if phone else ".site-nav")
    return [re.sub(r"\d+$", "", text).strip() for text in nav.locator("a").all_inner_texts()]


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_header_fits_one_line_and_its_menu_works_by_keyboard(new_page, demo, viewport):
    phone = viewport is PHONE
    label = "phone" if phone else "laptop"
    page = new_page(viewport)
    page.goto("/")
    assert page.locator(".site-header").bounding_box()["height"] <= 72
    for name in ("Find a pro", "Log in", "Sign up"):
        assert page.locator(".site-nav").get_by_role("link", name=name).is_visible()
    screenshot(page, f"header-anonymous-{label}")

    for email, links in PRIMARY.items():
        page.context.clear_cookies()
        log_in(page, email)
        page.goto("/")
        who = email.split("@")[0]
        assert page.locator(".site-header").bounding_box()["height"] <= 72, who
        summary = page.locator("summary.account-summary")
        if phone:
            assert not page.locator(".site-nav").is_visible()
            assert summary.inner_text().startswith("Menu")
        else:
            assert primary_links(page, phone=False) == links
            assert not summary.locator("[data-unread-badge]").is_visible()
        screenshot(page, f"header-{who}-{label}")

        summary.focus()
        page.keyboard.press("Enter")
        menu = page.locator("[data-account-menu]")
        assert menu.get_attribute("open") is not None
        if phone:
            assert primary_links(page, phone=True) == links
        account = ["Profile", "Email", "Password"] + (["Public page"] if "pro" in who else [])
        for name in account:
            assert menu.get_by_role("link", name=name).is_visible(), name
        assert menu.get_by_role("button", name="Log out").is_visible()
        screenshot(page, f"header-{who}-{label}-menu-open")
        page.keyboard.press("Escape")
        assert menu.get_attribute("open") is None
        assert page.evaluate("document.activeElement.tagName") == "SUMMARY"


UNREAD_FOR_PRO4 = """
from accounts.models import ProProfile, User
from chat.models import Conversation, Message
client = User.objects.get(email="client5@example.com")
pro = ProProfile.objects.get(user__email="pro4@example.com")
conversation, _ = Conversation.objects.get_or_create(
    client=client, pro=pro, defaults={"pro_user_id": pro.user_id})
Message.objects.create(conversation=conversation, sender=client, body="Are you free on Friday?")
"""


def test_phone_menu_button_shows_the_unread_count(new_page, demo):
    demo.manage("shell", "-c", UNREAD_FOR_PRO4)
    page = new_page(PHONE)
    log_in(page, "pro4@example.com")
    page.goto("/")
    badges = page.locator("[data-unread-badge]")
    counts = {badges.nth(i).get_attribute("data-count") for i in range(badges.count())}
    assert len(counts) == 1 and int(counts.pop()) > 0
    button_badge = page.locator("summary.account-summary [data-unread-badge]")
    assert button_badge.is_visible()
    # Screen readers hear "Menu 2 unread messages"; the words go away with the badge at 0.
    assert (
        page.locator("summary.account-summary .menu-badge-label").evaluate(
            "label => getComputedStyle(label).display !== 'none' && label.textContent"
        )
        == " unread messages"
    )


def test_account_menu_opens_and_logs_out_without_javascript(browser, demo):
    context = browser.new_context(java_script_enabled=False, viewport=PHONE, base_url=demo.url)
    page = context.new_page()
    log_in(page, "client4@example.com")
    page.goto("/bookings/mine/")
    page.locator("summary.account-summary").click()
    menu = page.locator("[data-account-menu]")
    menu.get_by_role("link", name="My bookings").wait_for()
    menu.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()
    assert page.locator(".site-nav").get_by_role("link", name="Log in").is_visible()
    context.close()


def test_the_audit_catches_a_serious_violation(new_page, demo, axe_source):
    """The check is live: an unlabelled field added to the page is reported as serious."""
    page = new_page(LAPTOP)
    page.goto("/accounts/login/")
    page.evaluate("document.querySelector('main').append(document.createElement('select'))")
    axe = Auditor(page, axe_source)
    axe.audit("login with an unlabelled select")
    assert any("select-name" in failure for failure in axe.failures), axe.failures
