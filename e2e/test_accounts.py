"""Accounts in a real browser: a pro signs up (the browser's time zone comes along), confirms the
email from the mail file, lands on the dashboard, fills the public profile with a photo (a fake
picture is refused with a form error first), adds a service and opens the public page. Phone and
laptop."""

import re

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from e2e.conftest import LAPTOP, PHONE, screenshot

PASSWORD = "plum-orbit-lantern-42"


@pytest.fixture(scope="module")
def pictures(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pictures")
    face = Image.new("RGB", (1200, 900), (240, 200, 160))
    ImageDraw.Draw(face).ellipse((350, 150, 850, 650), fill=(90, 60, 160))
    face.save(folder / "face.jpg", quality=90)
    (folder / "not-a-photo.jpg").write_bytes(b"GIF89a this is not a JPEG at all")
    return folder


def _confirmation_link(server, email: str) -> str:
    for message in reversed(server.emails()):
        if email in message["To"]:
            part = message.get_payload(0) if message.is_multipart() else message
            body = part.get_payload(decode=True).decode()
            return re.search(r"https?://\S+/accounts/confirm-email/\S+/", body).group(0)
    raise AssertionError(f"no email to {email}")


@pytest.mark.parametrize(
    ("viewport", "name", "zone"),
    [(PHONE, "phone", "America/New_York"), (LAPTOP, "laptop", "Asia/Tokyo")],
)
def test_pro_signs_up_confirms_fills_the_profile_and_opens_the_public_page(
    browser, server, pictures, viewport, name, zone
):
    context = browser.new_context(viewport=viewport, base_url=server.url, timezone_id=zone)
    page = context.new_page()
    csp = []
    page.on("console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text else 0)
    email = f"e2e-pro-{name}@example.com"

    page.goto("/accounts/signup/")
    screenshot(page, f"accounts-signup-{name}")
    page.check("input[name=role][value=pro]")
    page.fill("input[name=display_name]", f"Zoë Studio {name.title()}")
    page.fill("input[name=email]", email)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.click("form.auth-form button[type=submit]")
    page.wait_for_load_state()
    assert "/accounts/confirm-email/" in page.url  # "check your inbox"
    screenshot(page, f"accounts-verification-sent-{name}")

    page.goto(_confirmation_link(server, email))
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert page.url.endswith("/dashboard/")
    assert page.locator("h1").inner_text() == f"Hello, Zoë Studio {name.title()}"
    screenshot(page, f"accounts-dashboard-{name}")

    page.goto("/dashboard/profile/")
    assert page.locator("select[name=timezone]").input_value() == zone  # from the browser
    page.set_input_files("input[name=avatar]", str(pictures / "not-a-photo.jpg"))
    page.click("form.profile-form button[type=submit]")
    page.wait_for_load_state()
    assert "Please upload a JPEG, PNG or WebP" in page.locator(".avatar-field").inner_text()

    page.fill("input[name=headline]", "Colour, cuts and calm")
    page.fill("textarea[name=bio]", "Fifteen years behind the chair.")
    page.fill("input[name=city]", "Lisbon")
    page.set_input_files("input[name=avatar]", str(pictures / "face.jpg"))
    expect(page.locator("#avatar-preview")).to_have_attribute("src", re.compile(r"^data:image/"))
    page.click("form.profile-form button[type=submit]")
    page.wait_for_load_state()
    assert "Your public profile is saved." in page.locator(".flash-stack").inner_text()
    screenshot(page, f"accounts-pro-profile-{name}")

    page.goto("/bookings/services/new/")
    page.fill("input[name=name]", "Colour and cut")
    page.fill("textarea[name=description]", "Consultation, colour, cut and blow-dry.")
    page.fill("input[name=duration_minutes]", "90")
    page.fill("input[name=price]", "85.50")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert "Colour and cut" in page.locator("main").inner_text()
    screenshot(page, f"accounts-pro-services-{name}")

    page.goto("/dashboard/")
    assert page.locator(".checklist li.is-done").count() >= 5  # photo, headline, bio, city, service
    page.click("text=View my page")
    page.wait_for_load_state()
    assert re.search(r"/p/zoe-studio-(phone|laptop)/$", page.url)
    assert "Colour, cuts and calm" in page.content()
    assert page.locator("img[src*='/media/avatars/']").count() >= 1
    services = page.locator("main").inner_text()
    assert "Colour and cut" in services and "1 h 30 min" in services
    assert csp == []
    context.close()


@pytest.mark.parametrize(("viewport", "name"), [(PHONE, "phone"), (LAPTOP, "laptop")])
def test_login_page_and_client_profile_look_finished(browser, server, viewport, name):
    email = f"e2e-client-{name}@example.com"
    server.manage(
        "shell",
        "-c",
        "from allauth.account.models import EmailAddress\n"
        "from accounts.models import User\n"
        "from accounts.services import user_signup_complete\n"
        f"u = User.objects.filter(email='{email}').first()\n"
        "if u is None:\n"
        f"    u = User(email='{email}'); u.set_password('{PASSWORD}')\n"
        "    user_signup_complete(user=u, role='client', display_name='Cleo Client')\n"
        "    EmailAddress.objects.create(user=u, email=u.email, verified=True, primary=True)\n",
    )
    context = browser.new_context(viewport=viewport, base_url=server.url)
    page = context.new_page()
    page.goto("/accounts/login/")
    screenshot(page, f"accounts-login-{name}")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.auth-form button[type=submit]")
    page.wait_for_load_state()
    assert page.url.rstrip("/") == server.url  # clients land on the home page

    page.goto("/profile/")
    page.fill("input[name=phone]", "+351 912 345 678")
    page.click("form.profile-form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("input[name=phone]").input_value() == "+351 912 345 678"
    screenshot(page, f"accounts-profile-{name}")

    assert page.goto("/dashboard/").status == 403  # clients have no pro dashboard
    context.close()
