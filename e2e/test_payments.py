"""The offline payment flow in a real browser: a client books a pay-online service and pays on
the test payment page; the pro's Get paid page. Screenshots on phone and laptop."""

import re

import pytest

from e2e.conftest import LAPTOP, PHONE, screenshot
from e2e.conftest import log_in as shared_log_in

PASSWORD = "correct-horse-battery"

SETUP = f"""
from datetime import time
from allauth.account.models import EmailAddress
from accounts.models import ClientProfile, ProProfile, User
from bookings import services
from bookings.models import Service
from payments.services import connected_account_enable_simulated

def user(email, role):
    u = User.objects.filter(email=email).first()
    if u is None:
        u = User.objects.create_user(email=email, password="{PASSWORD}", role=role)
        ClientProfile.objects.create(user=u, display_name=email.split("@")[0].title())
        EmailAddress.objects.create(user=u, email=email, verified=True, primary=True)
    return u

pro_user = user("pay-pro@example.com", "pro")
pro, _ = ProProfile.objects.get_or_create(
    user=pro_user, defaults=dict(display_name="Pia Payments", slug="pia-payments",
    city="Lyon", timezone="UTC"))
for weekday in range(7):
    services.weekly_hours_set(pro=pro, weekday=weekday, intervals=[(time(0), time(23, 45))])
connected_account_enable_simulated(pro=pro)
service, _ = Service.objects.get_or_create(pro=pro, name="Deep tissue massage", defaults=dict(
    duration_minutes=60, price_amount=5000, currency="EUR", payment_mode="online"))
for n in (1, 2):
    user(f"pay-client{{n}}@example.com", "client")
new_pro_user = user("pay-newpro@example.com", "pro")
ProProfile.objects.get_or_create(
    user=new_pro_user, defaults=dict(display_name="Nils New", slug="nils-new", timezone="UTC"))
print(f"{{pro.slug}} {{service.pk}}")
"""


@pytest.fixture(scope="module")
def data(server):
    slug, service_id = server.manage("shell", "-c", SETUP).split()[-2:]
    return {"slug": slug, "service_id": int(service_id)}


def log_in(page, email):
    shared_log_in(page, email, PASSWORD)


@pytest.mark.parametrize(
    ("viewport", "name", "email"),
    [(PHONE, "phone", "pay-client1@example.com"), (LAPTOP, "laptop", "pay-client2@example.com")],
)
def test_client_books_a_paid_service_and_pays_on_the_test_page(
    new_page, data, viewport, name, email
):
    page = new_page(viewport)
    log_in(page, email)
    page.goto(f"/bookings/new/{data['slug']}/{data['service_id']}/")
    page.locator("a.time").first.click()
    page.get_by_role("button", name=re.compile("Confirm booking")).click()
    # Confirming a pay-online booking leads straight to the payment (Done comes after it).
    assert re.search(r"/payments/checkout/\d+/$", page.url)
    screenshot(page, f"payments-checkout-{name}")
    page.get_by_role("button", name="Pay €50.00").click()

    assert "/payments/test-payment/" in page.url
    assert page.get_by_text("TEST MODE").is_visible()
    screenshot(page, f"payments-test-page-{name}")
    page.get_by_role("button", name="Pay €50.00").click()

    assert page.get_by_role("heading", name="Payment received").is_visible()
    assert page.get_by_text("is confirmed").is_visible()
    screenshot(page, f"payments-paid-{name}")
    page.get_by_role("link", name="View the booking").click()
    assert re.search(r"/bookings/\d+/$", page.url)
    assert page.get_by_role("heading", name="Payment").is_visible()
    assert page.get_by_text("Platform fee").count() == 0
    screenshot(page, f"payments-booking-detail-{name}")
    assert page.csp_violations == []

    # The pro sees the price, the platform fee and their net on the same booking.
    pro_page = new_page(viewport)
    log_in(pro_page, "pay-pro@example.com")
    pro_page.goto(page.url)
    assert pro_page.get_by_text("Platform fee").is_visible()
    assert pro_page.get_by_text("€45.00").is_visible()
    screenshot(pro_page, f"payments-booking-detail-pro-{name}")


@pytest.mark.parametrize(("viewport", "name"), [(PHONE, "phone"), (LAPTOP, "laptop")])
def test_pro_sees_the_get_paid_page(new_page, data, viewport, name):
    page = new_page(viewport)
    log_in(page, "pay-pro@example.com")
    page.goto("/payments/get-paid/")
    assert page.get_by_role("heading", name="Get paid").is_visible()
    assert page.get_by_text("Online payments").first.is_visible()
    screenshot(page, f"payments-get-paid-{name}")
    assert page.csp_violations == []


@pytest.mark.parametrize(("viewport", "name"), [(PHONE, "phone"), (LAPTOP, "laptop")])
def test_new_pro_sets_up_simulated_payouts(new_page, data, server, viewport, name):
    server.manage(
        "shell",
        "-c",
        "from payments.models import ConnectedAccount; "
        "ConnectedAccount.objects.filter(pro__slug='nils-new').delete()",
    )
    page = new_page(viewport)
    log_in(page, "pay-newpro@example.com")
    page.goto("/payments/get-paid/")
    assert page.get_by_text("Not set up").is_visible()
    screenshot(page, f"payments-get-paid-new-{name}")
    page.get_by_role("button", name="Set up payouts").click()
    assert page.get_by_role("heading", name="You can take online payments").is_visible()
    screenshot(page, f"payments-onboarding-return-{name}")
    assert page.csp_violations == []


# -- Stripe backend: the processing page waits for the webhook -----------------------------


@pytest.fixture(scope="module")
def standin():
    from payments.tests.stripe_standin import StripeStandin

    with StripeStandin() as server:
        yield server


@pytest.fixture(scope="module")
def stripe_server(tmp_path_factory, standin):
    from e2e.conftest import Server

    srv = Server(tmp_path_factory.mktemp("stripe-server"))
    srv.env.update(
        STRIPE_SECRET_KEY="sk_test_e2e",
        STRIPE_API_BASE=standin.url,
        STRIPE_WEBHOOK_SECRET="whsec_e2e",
        SITE_URL=srv.url,
        # Production allows Stripe's own hosts (timz/settings.py); here Stripe is the stand-in.
        CSP_FORM_ACTION_EXTRA=standin.url,
    )
    srv.start()
    yield srv
    srv.stop()


def test_processing_page_turns_paid_when_the_webhook_lands(browser, stripe_server, standin):
    import json
    import urllib.request

    import stripe

    from payments.tests.stripe_standin import make_event, sign_webhook_payload

    acct = stripe.StripeClient("sk_test_e2e", base_addresses={"api": standin.url})
    account_id = acct.v1.accounts.create({"type": "express"}).id
    standin.set_account(account_id)
    slug, service_id = stripe_server.manage(
        "shell",
        "-c",
        SETUP.replace(
            "connected_account_enable_simulated(pro=pro)",
            "from payments.models import ConnectedAccount\n"
            "ConnectedAccount.objects.update_or_create(pro=pro, defaults=dict("
            f"stripe_account_id='{account_id}', charges_enabled=True, payouts_enabled=True))",
        ),
    ).split()[-2:]
    context = browser.new_context(viewport=LAPTOP, base_url=stripe_server.url)
    try:
        page = context.new_page()
        log_in(page, "pay-client1@example.com")
        page.goto(f"/bookings/new/{slug}/{service_id}/")
        page.locator("a.time").first.click()
        page.get_by_role("button", name=re.compile("Confirm booking")).click()
        # Confirming a pay-online booking lands on its payment page.
        page.wait_for_url(re.compile(r"/payments/checkout/\d+/$"))
        booking_id = re.search(r"/payments/checkout/(\d+)/$", page.url).group(1)
        page.get_by_role("button", name="Pay €50.00").click()
        # The browser is now on "Stripe Checkout" (the stand-in); the customer pays there.
        session_id = page.url.rstrip("/").rsplit("/", 1)[-1]
        assert session_id.startswith("cs_test_")
        standin.complete_checkout(session_id)
        page.goto(f"/payments/checkout/{booking_id}/done/")
        assert page.get_by_role("heading", name="Processing your payment…").is_visible()
        screenshot(page, "payments-processing-laptop")

        session = standin._public(standin.objects[session_id])
        body = json.dumps(make_event("checkout.session.completed", session))
        request = urllib.request.Request(
            f"{stripe_server.url}/payments/stripe/webhook/",
            data=body.encode(),
            headers={
                "Content-Type": "application/json",
                "Stripe-Signature": sign_webhook_payload(body, "whsec_e2e"),
            },
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
        # payments.js polls the status and reloads: no click needed.
        page.get_by_role("heading", name="Payment received").wait_for(timeout=15_000)
        assert page.get_by_text("is confirmed").is_visible()
    finally:
        context.close()


@pytest.mark.parametrize(("viewport", "name"), [(PHONE, "phone"), (LAPTOP, "laptop")])
def test_pro_starts_stripe_onboarding_and_sees_what_is_due(
    browser, stripe_server, standin, viewport, name
):
    email = f"onboard-{name}@example.com"
    stripe_server.manage(
        "shell",
        "-c",
        "from allauth.account.models import EmailAddress\n"
        "from accounts.models import ClientProfile, ProProfile, User\n"
        f"u = User.objects.create_user(email='{email}', password='{PASSWORD}', role='pro')\n"
        "ClientProfile.objects.create(user=u, display_name='Olga')\n"
        f"EmailAddress.objects.create(user=u, email='{email}', verified=True, primary=True)\n"
        f"ProProfile.objects.create(user=u, display_name='Olga Onboard', slug='olga-{name}')\n",
    )
    context = browser.new_context(viewport=viewport, base_url=stripe_server.url)
    try:
        page = context.new_page()
        log_in(page, email)
        page.goto("/payments/get-paid/")
        page.get_by_role("button", name="Set up payouts").click()
        # Now on "Stripe onboarding" (the stand-in's link for the new Express account).
        assert page.url.startswith(standin.url + "/connect/onboard/acct_")
        page.goto("/payments/get-paid/return/")
        assert page.get_by_role("heading", name="Almost there").is_visible()
        assert page.get_by_text("The bank account for your payouts").is_visible()
        screenshot(page, f"payments-onboarding-due-{name}")
    finally:
        context.close()
