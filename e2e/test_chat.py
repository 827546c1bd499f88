"""Chat in a real browser: a client and a pro, each in their own browser context, exchange
messages live through daphne; screenshots of the inbox and a conversation on phone and laptop."""

import json

import pytest

from e2e.conftest import LAPTOP, PHONE, screenshot

SETUP = """
import json
from django.conf import settings
from django.test import Client
from accounts.models import ClientProfile, ProProfile, User
from chat.models import Conversation, Message

def person(email, name, role):
    user, _ = User.objects.get_or_create(email=email, defaults={"role": role})
    ClientProfile.objects.get_or_create(user=user, defaults={"display_name": name})
    return user

client = person("chat-e2e-client@example.com", "Camille Client", "client")
pro_user = person("chat-e2e-pro@example.com", "Pablo Barber", "pro")
pro, _ = ProProfile.objects.get_or_create(
    user=pro_user, defaults={"display_name": "Pablo Barber", "slug": "chat-e2e-pablo",
                             "city": "Paris", "timezone": "Europe/Paris"})
conversation, _ = Conversation.objects.get_or_create(
    client=client, pro=pro, defaults={"pro_user_id": pro_user.pk})
if not conversation.messages.exists():
    Message.objects.create(conversation=conversation, sender=client,
                           body="Hello! Do you have time on Saturday?")

def cookie(user):
    browser = Client()
    browser.force_login(user)
    return browser.cookies[settings.SESSION_COOKIE_NAME].value

print(json.dumps({"conversation": conversation.pk, "client": cookie(client),
                  "pro": cookie(pro_user), "client_id": client.pk, "pro_id": pro_user.pk}))
"""

LOGIN = """
import json
from django.conf import settings
from django.test import Client
from accounts.models import User
out = {}
for email in ("client1@example.com", "pro1@example.com"):
    browser = Client()
    browser.force_login(User.objects.get(email=email))
    out[email] = browser.cookies[settings.SESSION_COOKIE_NAME].value
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def chat_data(server):
    return json.loads(server.manage("shell", "-c", SETUP).strip().splitlines()[-1])


def logged_in(new_page, server, session_key, viewport=LAPTOP):
    page = new_page(viewport)
    page.context.add_cookies([{"name": "sessionid", "value": session_key, "url": server.url}])
    return page


def test_client_and_pro_exchange_messages_live(new_page, server, chat_data):
    url = f"/messages/{chat_data['conversation']}/"
    client = logged_in(new_page, server, chat_data["client"])
    pro = logged_in(new_page, server, chat_data["pro"], PHONE)
    client.goto(url)
    pro.goto(url)
    client.locator(".chat-conn.is-live").wait_for(timeout=10000)
    pro.locator(".chat-conn.is-live").wait_for(timeout=10000)

    # The client types: the pro sees "typing…", then the message, without reloading.
    client.fill("textarea[name=body]", "Could we say 10:30 instead?")
    pro.locator("[data-typing]").wait_for(state="visible", timeout=5000)
    client.keyboard.press("Enter")
    pro.locator(".msg-theirs .msg-bubble", has_text="Could we say 10:30 instead?").wait_for(
        timeout=5000
    )
    # The client's own tab shows it too (from the server, not optimistically duplicated).
    client.locator(".msg-mine .msg-bubble", has_text="Could we say 10:30 instead?").wait_for()
    assert client.locator(".msg-mine", has_text="Could we say 10:30 instead?").count() == 1
    # The pro's open page read it: the client sees "Seen".
    client.locator(".msg-mine [data-seen]").wait_for(timeout=5000)

    # And back: the pro replies with a link, the client sees it live as a safe link.
    pro.fill("textarea[name=body]", "10:30 works.\nMap: https://example.com/map")
    pro.click("button:has-text('Send')")
    link = client.locator(".msg-theirs a[href='https://example.com/map']")
    link.wait_for(timeout=5000)
    assert link.get_attribute("rel") == "nofollow noopener noreferrer"
    assert client.locator(".msg-theirs .msg-bubble br").count() >= 1

    # After a reload the history is the same (everything was saved), times included: the
    # live rendering uses the viewer's zone exactly like the server does.
    live_time = (
        pro.locator(".msg-theirs", has_text="Could we say 10:30").locator("time").inner_text()
    )
    pro.reload()
    pro.locator(".msg-theirs .msg-bubble", has_text="Could we say 10:30 instead?").wait_for()
    saved = pro.locator(".msg-theirs", has_text="Could we say 10:30").locator("time")
    assert saved.inner_text() == live_time
    assert client.csp_violations == [] and pro.csp_violations == []


def test_unread_badge_updates_live(new_page, server, chat_data):
    inbox = logged_in(new_page, server, chat_data["pro"])
    inbox.goto("/messages/")
    badge = inbox.locator("[data-unread-badge]").first
    before = int(badge.get_attribute("data-count"))
    sender = logged_in(new_page, server, chat_data["client"])
    sender.goto(f"/messages/{chat_data['conversation']}/")
    sender.locator(".chat-conn.is-live").wait_for(timeout=10000)
    sender.fill("textarea[name=body]", "One more question about parking")
    sender.keyboard.press("Enter")
    inbox.locator(f"[data-unread-badge][data-count='{before + 1}']").first.wait_for(
        state="attached", timeout=5000
    )
    # The inbox list refreshed in place with the new preview.
    inbox.locator(".inbox-preview", has_text="One more question about parking").wait_for(
        timeout=5000
    )


def test_composer_works_without_javascript(browser, server, chat_data):
    context = browser.new_context(java_script_enabled=False, base_url=server.url)
    context.add_cookies([{"name": "sessionid", "value": chat_data["client"], "url": server.url}])
    page = context.new_page()
    page.goto(f"/messages/{chat_data['conversation']}/")
    page.fill("textarea[name=body]", "Sent without JavaScript")
    page.click("button:has-text('Send')")
    page.locator(".msg-mine .msg-bubble", has_text="Sent without JavaScript").wait_for()
    assert "#m" in page.url
    context.close()


@pytest.mark.parametrize(("label", "viewport"), [("phone", PHONE), ("laptop", LAPTOP)])
def test_screenshots_of_inbox_and_conversation(new_page, server, label, viewport):
    server.manage("seed_demo")
    cookies = json.loads(server.manage("shell", "-c", LOGIN).strip().splitlines()[-1])
    client = logged_in(new_page, server, cookies["client1@example.com"], viewport)
    client.goto("/messages/")
    client.locator(".inbox-item").first.wait_for()
    screenshot(client, f"chat-inbox-{label}")
    client.locator(".inbox-link").first.click()
    client.locator(".chat-conn.is-live").wait_for(timeout=10000)
    screenshot(client, f"chat-conversation-{label}")
    pro = logged_in(new_page, server, cookies["pro1@example.com"], viewport)
    pro.goto("/messages/")
    pro.locator(".inbox-item.is-unread").first.wait_for()
    screenshot(pro, f"chat-inbox-pro-{label}")
    assert client.csp_violations == [] and pro.csp_violations == []


OLDER = """
import json
from accounts.models import ProProfile, User
from chat.models import Conversation, Message

client = User.objects.get(email="chat-e2e-client@example.com")
pro_user, _ = User.objects.get_or_create(
    email="chat-e2e-older@example.com", defaults={"role": "pro"})
pro, _ = ProProfile.objects.get_or_create(
    user=pro_user, defaults={"display_name": "Olga Older", "slug": "chat-e2e-olga"})
conversation, _ = Conversation.objects.get_or_create(
    client=client, pro=pro, defaults={"pro_user_id": pro_user.pk})
if not conversation.messages.exists():
    for n in range(120):
        Message.objects.create(conversation=conversation, sender=pro_user if n % 2 else client,
                               body=f"history {n}")
print(json.dumps({"conversation": conversation.pk}))
"""


def test_load_older_prepends_in_place(new_page, server, chat_data):
    conversation = json.loads(server.manage("shell", "-c", OLDER).strip().splitlines()[-1])
    page = logged_in(new_page, server, chat_data["client"])
    url = f"/messages/{conversation['conversation']}/"
    page.goto(url)
    assert page.locator(".msg").count() == 50
    page.click("[data-load-older]")
    page.locator(".msg-bubble", has_text="history 20").wait_for()
    assert page.locator(".msg").count() == 100
    page.click("[data-load-older]")
    page.locator(".msg-bubble", has_text="history 0").first.wait_for()
    assert page.locator(".msg").count() == 120
    assert page.locator("[data-load-older]").count() == 0
    assert page.url.endswith(url)
    bodies = page.locator(".msg-bubble").all_inner_texts()
    assert bodies == [f"history {n}" for n in range(120)]
