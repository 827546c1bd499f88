"""Two-factor sign-in in a real browser: staff forced to set up an authenticator app before the
admin (phone and laptop), a recovery code, a passkey added and used to log in through Chrome's
virtual authenticator, and the admin's lists on a laptop. axe runs on every two-factor page."""

import re
from urllib.parse import urlsplit

import pytest

from e2e.conftest import (
    LAPTOP,
    PHONE,
    authenticator_code,
    log_in,
    make_account,
    screenshot,
)
from e2e.test_accessibility import AXE_JS, Auditor

VIEWPORTS = [pytest.param(PHONE, id="phone"), pytest.param(LAPTOP, id="laptop")]
SECRET_INPUT = "#authenticator_secret"


@pytest.fixture(scope="session")
def axe_js():
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} is missing: run `npm ci --no-audit --no-fund` (make e2e does)")
    return AXE_JS.read_text()


def submit(page):
    page.locator("form.auth-form button[type=submit]").click()
    page.wait_for_load_state()


def confirm_password(page):
    """allauth asks for the password again before a change to the sign-in factors."""
    if "/accounts/reauthenticate/" in page.url:
        page.fill("input[name=password]", "timz-demo-pass")
        submit(page)


def open_menu(page):
    page.locator("summary.account-summary").click()


def log_out(page):
    open_menu(page)
    page.locator("form.menu-logout button").click()
    page.wait_for_load_state()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_staff_set_up_an_authenticator_app_before_the_admin(
    new_page,
    demo,
    axe_js,
    viewport,
):
    name = "phone" if viewport is PHONE else "laptop"
    email = make_account(demo, f"new-staff-{name}@example.com", staff=True)
    page = new_page(viewport)
    axe = Auditor(page, axe_js)

    log_in(page, email)
    page.goto("/admin/")

    assert urlsplit(page.url).path == "/accounts/2fa/"
    assert page.get_by_text("Staff accounts need two-factor sign-in").is_visible()
    axe.audit("security page")
    screenshot(page, f"mfa-forced-{name}")
    page.get_by_role("link", name="Activate").click()
    page.wait_for_load_state()
    confirm_password(page)
    assert urlsplit(page.url).path == "/accounts/2fa/totp/activate/"
    axe.audit("activate")
    screenshot(page, f"mfa-activate-{name}")

    page.fill("input[name=code]", authenticator_code(page.input_value(SECRET_INPUT)))
    submit(page)

    assert urlsplit(page.url).path == "/accounts/2fa/recovery-codes/"
    axe.audit("recovery codes")
    screenshot(page, f"mfa-recovery-codes-{name}")
    codes = page.locator("textarea").input_value().split()
    assert len(codes) == 10
    open_menu(page)
    page.get_by_role("link", name="Admin").click()
    page.wait_for_load_state()
    assert urlsplit(page.url).path == "/admin/"
    assert page.get_by_role("heading", name="Run the platform").is_visible()

    # The next sign-in asks for the second factor; a recovery code answers it once.
    page.goto("/")
    log_out(page)
    log_in(page, email, code=codes[0])
    page.goto("/admin/")
    assert urlsplit(page.url).path == "/admin/"
    axe.check()


def test_a_client_adds_a_passkey_and_logs_in_with_it(browser, demo, axe_js):
    # WebAuthn refuses an IP address as the site's identity: the browser visits `localhost`.
    base = demo.url.replace("127.0.0.1", "localhost")
    context = browser.new_context(viewport=LAPTOP, base_url=base)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )["authenticatorId"]
    axe = Auditor(page, axe_js)
    email = make_account(demo, "passkey-client@example.com", name="Pat Passkey")
    log_in(page, email)
    open_menu(page)
    assert page.get_by_role("link", name="Security").is_visible()
    assert page.get_by_role("link", name="Admin").count() == 0
    page.get_by_role("link", name="Security").click()
    page.wait_for_load_state()
    axe.audit("security page")

    page.goto("/accounts/2fa/webauthn/add/")
    confirm_password(page)
    axe.audit("add a passkey")
    page.check("input[name=passwordless]")
    page.click("#mfa_webauthn_add")
    page.wait_for_url(re.compile(r"/accounts/2fa/recovery-codes/"))
    page.goto("/accounts/2fa/webauthn/")
    assert page.get_by_text("Passkey", exact=True).is_visible()
    axe.audit("passkeys")
    screenshot(page, "mfa-passkeys-laptop")
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert len(credentials["credentials"]) == 1

    log_out(page)
    page.goto("/accounts/login/")
    page.click("#passkey_login")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.wait_for_load_state()

    open_menu(page)
    assert page.get_by_text(f"Successfully signed in as {email}.").is_visible()
    axe.check()
    context.close()


# A value with no place to break (one long word, a URL): it must wrap inside its cell.
LONG_WORD_MESSAGE = """
from chat.models import Conversation, Message
conversation = Conversation.objects.select_related("client").first()
Message.objects.get_or_create(
    conversation=conversation, sender=conversation.client, body="x" * 300
)
"""


def test_every_admin_list_fits_a_laptop(new_page, demo):
    email = make_account(demo, "lists-staff@example.com", staff=True, totp=True)
    demo.manage("shell", "--no-imports", "-c", LONG_WORD_MESSAGE)
    page = new_page(LAPTOP)
    log_in(page, email, code=authenticator_code())
    page.goto("/admin/")
    lists = sorted(
        set(
            re.findall(
                r'href="(/admin/[a-z_]+/[a-z_]+/)"',
                page.locator("#content-main").inner_html(),
            )
        )
    )
    assert len(lists) > 20

    clipped = []
    for path in lists:
        page.goto(path)
        overflow = page.evaluate(
            """() => { const t = document.querySelector('#result_list');
                       return t ? t.scrollWidth - t.parentElement.clientWidth : 0; }"""
        )
        if overflow > 0:
            clipped.append(f"{path}: {overflow}px")
    page.goto("/admin/payments/payment/")
    screenshot(page, "admin-payments-laptop")

    assert clipped == []
