"""The pro's workspace in a browser: a client's card (private note, "book again" email), the
reviews page (an inline reply), the services form (picture button, pay-online refusal linking
to Payouts) and what the public pro page promises, on a phone and on a laptop, with axe on the
new pages.

Each viewport works as its own demo pro, so the two runs do not meet each other's note, reply
or rate limit.
"""

import io
import re

import pytest
from PIL import Image

from e2e.conftest import LAPTOP, PHONE, log_in, screenshot
from e2e.test_accessibility import AXE_JS, Auditor

# (viewport, demo pro): pro8 and pro10 each have two reviews awaiting a reply in seed_demo.
PROS = [
    pytest.param(PHONE, "pro8@example.com", id="phone"),
    pytest.param(LAPTOP, "pro10@example.com", id="laptop"),
]


@pytest.fixture(scope="module")
def axe_js() -> str:
    """axe-core's source, for the Auditor of the site-wide accessibility tests."""
    return AXE_JS.read_text()


def label_of(viewport) -> str:
    return "phone" if viewport is PHONE else "laptop"


@pytest.mark.parametrize("viewport, email", PROS)
def test_a_pro_notes_a_client_and_invites_them_to_book_again(
    new_page, demo, axe_js, viewport, email
):
    page = new_page(viewport)
    log_in(page, email)
    axe = Auditor(page, axe_js)
    axe.visit("/dashboard/", "dashboard")
    page.get_by_role("link", name=re.compile(r"^Clients")).click()
    page.wait_for_url(re.compile(r"/bookings/clients/$"))
    rows = page.get_by_test_id("client-row")
    assert rows.count() >= 2
    axe.audit("clients")

    name = rows.first.get_by_role("link").inner_text()
    page.get_by_label("Search your clients").fill(name.split()[0])
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"\?q="))
    assert name in page.get_by_test_id("client-row").first.inner_text()
    page.get_by_role("link", name=name).click()
    page.wait_for_url(re.compile(r"/bookings/clients/\d+/$"))
    assert page.get_by_role("heading", name=name, level=1).is_visible()
    for figure in ("Visits", "No-shows", "Spent"):
        assert page.locator(".client-stats").get_by_text(figure).is_visible()
    axe.audit("client card")

    page.get_by_role("textbox", name="Private note").fill(
        "Likes a tidy neckline; coffee, no sugar."
    )
    page.get_by_role("button", name="Save note").click()
    page.wait_for_url(re.compile(r"#note$"))
    assert page.get_by_text("Your note was saved.").is_visible()
    assert page.get_by_role("textbox", name="Private note").input_value() == (
        "Likes a tidy neckline; coffee, no sugar."
    )

    page.get_by_label("Invite to book again in").select_option("6")
    page.get_by_role("button", name="Send invitation").click()
    page.wait_for_url(re.compile(r"#rebook$"))
    assert page.get_by_text(f"{name} was invited to book again").is_visible()
    assert page.locator(".nudge-log").get_by_text("Nudged on").is_visible()
    screenshot(page, f"pro-client-card-{label_of(viewport)}")

    invitation = [m for m in demo.emails() if "again?" in m["Subject"]][-1]
    text = next(p for p in invitation.walk() if p.get_content_type() == "text/plain")
    assert re.search(
        r"/bookings/new/[\w-]+/\d+/\?date=\d{4}-\d{2}-\d{2}", text.get_payload(decode=True).decode()
    )
    axe.check()


@pytest.mark.parametrize("viewport, email", PROS)
def test_a_pro_replies_to_a_review_from_the_reviews_page(new_page, demo, axe_js, viewport, email):
    page = new_page(viewport)
    log_in(page, email)
    axe = Auditor(page, axe_js)
    axe.visit("/bookings/reviews/?show=unanswered", "reviews awaiting a reply")
    waiting = page.get_by_test_id("review")
    before = waiting.count()
    assert before >= 1
    review = waiting.first
    review_id = review.get_attribute("id")

    review.get_by_role("textbox").fill("Thank you, see you next time!")
    review.get_by_role("button", name="Publish reply").click()
    page.wait_for_url(re.compile(rf"#{review_id}$"))
    assert page.get_by_text("Your reply was published.").is_visible()
    assert page.get_by_test_id("review").count() == before - 1

    page.get_by_role("link", name=re.compile(r"^All")).click()
    answered = page.locator(f"#{review_id}")
    assert (
        answered.locator(".review-reply").get_by_text("Thank you, see you next time!").is_visible()
    )
    axe.audit("reviews")
    screenshot(page, f"pro-reviews-{label_of(viewport)}")
    axe.check()


# A pro who has not set up payouts yet (every demo pro has), made through manage.py.
NEW_PRO = """
from accounts.models import ClientProfile, ProProfile, User
from allauth.account.models import EmailAddress
user = User.objects.create_user(email="{email}", password="timz-demo-pass", role="pro")
ClientProfile.objects.create(user=user, display_name="Nova Pro", timezone="Europe/Paris")
ProProfile.objects.create(
    user=user, display_name="Nova Pro", slug="{slug}", city="Paris", timezone="Europe/Paris"
)
EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
"""


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 80, 40)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["phone", "laptop"])
def test_the_service_form_names_the_picture_and_links_a_refusal_to_payouts(
    new_page, demo, axe_js, viewport
):
    label = label_of(viewport)
    email = f"nova-{label}@example.com"
    demo.manage("shell", "-c", NEW_PRO.format(email=email, slug=f"nova-{label}"))
    page = new_page(viewport)
    log_in(page, email)
    axe = Auditor(page, axe_js)
    axe.visit("/bookings/services/new/", "service form")
    assert ":" not in page.locator("form.card label").first.inner_text()

    page.get_by_label("Name", exact=True).fill("Colour")
    page.get_by_label("Duration (minutes)").fill("60")
    page.get_by_label("Price (EUR)").fill("80")
    page.get_by_label("Payment").select_option("online")
    page.get_by_label("Choose a picture").set_input_files(
        files=[{"name": "colour.png", "mimeType": "image/png", "buffer": png_bytes()}]
    )
    assert page.locator(".file-field-name").inner_text() == "colour.png"
    page.get_by_role("button", name="Add service").click()
    page.wait_for_load_state()

    error = page.locator(".field", has=page.get_by_label("Payment")).locator(".errorlist")
    assert "Set up payouts" in error.inner_text()
    axe.audit("service form, pay online refused")
    screenshot(page, f"pro-service-form-refused-{label}")
    error.get_by_role("link", name="Open Payouts").click()
    page.wait_for_url(re.compile(r"/payments/get-paid/$"))
    axe.check()


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["phone", "laptop"])
def test_the_pro_page_promises_only_what_is_true(new_page, demo, viewport):
    page = new_page(viewport)
    page.goto("/p/lea-moreau/")  # pro2: confirms each request by hand
    aside = page.get_by_role("complementary", name="Practical information")
    assert aside.get_by_text("Léa Moreau confirms within 24 hours").is_visible()
    assert "instant confirmation" not in page.content()
    assert page.get_by_text("Paris time").first.is_visible()

    page.goto("/p/marcus-johnson/")  # pro11: instant, New York, two pay-online services
    assert page.get_by_text("New York time").first.is_visible()
    assert "America/New_York" not in page.locator("main").inner_text()
    assert page.get_by_text("instant confirmation").is_visible()
    assert page.locator(".service-item .badge", has_text="Pay online").count() == 2
    screenshot(page, f"pro-page-{label_of(viewport)}")
