"""A card-on-file no-show fee in a real browser (offline backend): the client books a
card-protected service and saves the test card, the pro marks a no-show and charges the fee;
a fee the bank wanted the client to confirm is paid through its link. Screenshots on phone and
laptop go to e2e/artifacts/cardfile-*.png."""

import re

import pytest

from e2e.conftest import LAPTOP, PHONE, screenshot, setup_people
from e2e.conftest import log_in as e2e_log_in

PASSWORD = "correct-horse-battery"

SETUP = (
    setup_people(PASSWORD)
    + """
from datetime import time
from accounts.models import ProProfile
from bookings import services
from bookings.models import Service
from payments.services import connected_account_enable_simulated

pro_user = user("card-pro@example.com", "Carla Cards", role="pro", tz="UTC")
pro, _ = ProProfile.objects.get_or_create(
    user=pro_user, defaults=dict(display_name="Carla Cards", slug="carla-cards",
    city="Lyon", timezone="UTC"))
for weekday in range(7):
    services.weekly_hours_set(pro=pro, weekday=weekday, intervals=[(time(0), time(23, 45))])
connected_account_enable_simulated(pro=pro)
service, _ = Service.objects.get_or_create(pro=pro, name="Balayage", defaults=dict(
    duration_minutes=60, price_amount=5000, currency="EUR", protection="card",
    no_show_fee_percent=40))
for n in (1, 2, 3, 4):
    user(f"card-client{n}@example.com", f"Card Client {n}", tz="UTC")
print(f"{pro.slug} {service.pk}")
"""
)

# The appointment is over and the client never came: the pro's agenda would offer "Mark
# no-show"; the scene moves the booking into the past and records it.
NO_SHOW = """
from datetime import timedelta
from django.utils import timezone
from bookings.models import Booking, BookingEvent
b = Booking.objects.get(pk={pk})
start = timezone.now() - timedelta(hours=3)
Booking.objects.filter(pk=b.pk).update(
    starts_at=start, ends_at=start + timedelta(minutes=b.duration_minutes), status="no_show")
BookingEvent.objects.create(booking=b, actor=b.pro.user, actor_role="pro", action="no_show",
    from_status="confirmed", to_status="no_show")
"""

# The client's bank wanted them to confirm the fee (Stripe's authentication_required): a
# pending fee payment, as payments.card_on_file.no_show_fee_charge leaves it.
AWAITING = """
from payments.models import Payment
Payment.objects.create(booking_id={pk}, kind="no_show_fee", attempt=1, backend="offline",
    amount=2000, fee=200, currency="EUR", payment_intent_id="offline_pi_auth")
"""


@pytest.fixture(scope="module")
def data(server):
    slug, service_id = server.manage("shell", "-c", SETUP).split()[-2:]
    return {"slug": slug, "service_id": int(service_id)}


def shot(page, name: str) -> None:
    screenshot(page, f"cardfile-{name}")


def log_in(page, email):
    e2e_log_in(page, email, PASSWORD)


def book_and_save_card(page, data, name) -> int:
    page.goto(f"/bookings/new/{data['slug']}/{data['service_id']}/")
    page.locator("a.time").first.click()
    assert page.get_by_test_id("save-card").is_visible()
    policy = page.get_by_test_id("protection-policy").inner_text()
    assert "Your card is saved when booking" in policy and "40% (€20.00)" in policy, policy
    shot(page, f"confirm-{name}")
    page.get_by_role("button", name="Confirm booking and save a card").click()
    assert re.search(r"/payments/cards/\d+/$", page.url), page.url
    assert page.get_by_test_id("card-policy").is_visible()
    shot(page, f"card-setup-{name}")
    page.get_by_role("button", name="Save a card").click()
    assert "/payments/test-card/" in page.url
    assert page.get_by_text("TEST MODE").is_visible()
    shot(page, f"test-card-{name}")
    test_card = page.url
    # Back from Stripe before the card is confirmed: the success page waits.
    pk = re.search(r"/payments/test-card/offline_booking-(\d+)-card-", page.url).group(1)
    page.goto(f"/payments/cards/{pk}/done/")
    assert page.get_by_test_id("card-processing").is_visible()
    shot(page, f"card-waiting-{name}")
    page.goto(test_card)
    page.get_by_role("button", name="Save the test card").click()
    assert page.get_by_role("heading", name="Confirmed").is_visible()
    assert page.get_by_text("Visa ending 4242, saved for this booking").is_visible()
    shot(page, f"done-{name}")
    assert page.csp_violations == []
    return int(re.search(r"/bookings/(\d+)/", page.url).group(1))


@pytest.mark.parametrize(
    ("viewport", "name", "email"),
    [(PHONE, "phone", "card-client1@example.com"), (LAPTOP, "laptop", "card-client2@example.com")],
)
def test_card_on_file_no_show_fee_journey(new_page, data, server, viewport, name, email):
    page = new_page(viewport)
    log_in(page, email)
    pk = book_and_save_card(page, data, name)
    page.goto(f"/bookings/{pk}/")
    assert page.get_by_test_id("saved-card").is_visible()
    shot(page, f"booking-client-{name}")

    server.manage("shell", "-c", NO_SHOW.format(pk=pk))
    pro = new_page(viewport)
    log_in(pro, "card-pro@example.com")
    pro.goto(f"/bookings/{pk}/")
    charge = pro.get_by_role("link", name="Charge the no-show fee: €20.00")
    assert charge.is_visible()
    shot(pro, f"booking-pro-no-show-{name}")
    charge.click()
    assert pro.get_by_role("heading", name="Charge the no-show fee").is_visible()
    shot(pro, f"fee-confirm-{name}")
    pro.get_by_role("button", name="Charge €20.00").click()
    assert re.search(rf"/bookings/{pk}/$", pro.url)
    assert pro.get_by_text("The fee was charged").is_visible()
    assert pro.get_by_test_id("fee-state").get_by_text("Fee paid").is_visible()
    assert pro.get_by_role("link", name=re.compile("Charge the no-show fee")).count() == 0
    shot(pro, f"booking-pro-fee-paid-{name}")
    assert pro.csp_violations == []

    page.goto(f"/bookings/{pk}/")
    assert page.get_by_test_id("fee-state").get_by_text("Fee paid").is_visible()
    shot(page, f"booking-client-fee-paid-{name}")


@pytest.mark.parametrize(
    ("viewport", "name", "email"),
    [(PHONE, "phone", "card-client3@example.com"), (LAPTOP, "laptop", "card-client4@example.com")],
)
def test_client_pays_a_fee_their_bank_wanted_them_to_confirm(
    new_page, data, server, viewport, name, email
):
    page = new_page(viewport)
    log_in(page, email)
    pk = book_and_save_card(page, data, f"auth-{name}")
    server.manage("shell", "-c", NO_SHOW.format(pk=pk))
    server.manage("shell", "-c", AWAITING.format(pk=pk))

    pro = new_page(viewport)
    log_in(pro, "card-pro@example.com")
    pro.goto(f"/bookings/{pk}/")
    assert pro.get_by_text("Waiting for the client to authenticate").is_visible()
    shot(pro, f"booking-pro-awaiting-{name}")

    page.goto(f"/bookings/{pk}/")
    assert page.get_by_text("Your bank wants you to confirm").is_visible()
    shot(page, f"booking-client-pay-fee-{name}")
    page.get_by_role("button", name="Pay the fee €20.00").click()
    assert "/payments/test-payment/" in page.url
    page.get_by_role("button", name="Pay €20.00").click()
    assert re.search(rf"/bookings/{pk}/$", page.url)
    assert page.get_by_text("the fee is paid").is_visible()
    assert page.get_by_test_id("fee-state").get_by_text("Fee paid").is_visible()
    shot(page, f"booking-client-fee-paid-by-link-{name}")
    assert page.csp_violations == []
