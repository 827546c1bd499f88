"""The user's own data as JSON: /profile/export/ and GET /api/v1/me/export."""

import json
import re
from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from accounts.tests import account_data
from accounts.tests.account_data import pay_offline, review
from bookings import services as booking_services
from bookings.models import Booking
from chat import services as chat_services
from conftest import (
    TOTP_SECRET,
    book,
    give_totp,
    local_at,
    login,
    make_booking,
    make_service,
    make_user,
)

pytestmark = pytest.mark.django_db

URL = "/profile/export/"
API_URL = "/api/v1/me/export"
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")

# Fixtures shared with test_account_deletion.py.
paid_service = account_data.paid_service


def export(user) -> dict:
    response = login(user).get(URL)
    assert response.status_code == HTTPStatus.OK
    return json.loads(response.content)


@pytest.fixture
def history(client_user, other_client, working_pro, paid_service):
    """A client and a pro with a bit of everything: bookings, a payment, a review, messages."""
    cut = make_service(pro=working_pro, name="Cut")
    upcoming = book(client=client_user, service=cut, days=4)
    paid = book(client=client_user, service=paid_service, days=5)
    pay_offline(booking=paid)
    past = make_booking(
        client=client_user, service=cut, starts_at=local_at(-3, 10), status=Booking.Status.COMPLETED
    )
    review(booking=past, text="Lovely")
    conversation, _ = chat_services.conversation_get_or_create(client=client_user, pro=working_pro)
    chat_services.message_send(conversation=conversation, sender=client_user, body="Hello there")
    chat_services.message_send(conversation=conversation, sender=working_pro.user, body="Hi!")
    # Someone else's booking and conversation with the same pro: in the pro's export only.
    book(client=other_client, service=cut, days=6)
    other_conv, _ = chat_services.conversation_get_or_create(client=other_client, pro=working_pro)
    chat_services.message_send(conversation=other_conv, sender=other_client, body="Secret of Oscar")
    return {"upcoming": upcoming, "paid": paid, "past": past, "conversation": conversation}


def test_url_is_named_export_data():
    assert reverse("accounts:export_data") == URL


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == HTTPStatus.FOUND
    assert reverse("account_login") in response["Location"]


def test_anonymous_api_call_gets_401(client):
    response = client.get(API_URL)
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json() == {"detail": "Authentication required."}


def test_download_is_a_json_attachment_not_cached(client_user):
    response = login(client_user).get(URL)
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith('attachment; filename="timz-data-')
    assert response["Content-Disposition"].endswith('.json"')
    assert "no-store" in response["Cache-Control"]


def test_post_is_refused(client_user):
    assert login(client_user).post(URL).status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_account_section_has_email_role_and_date_joined(client_user):
    EmailAddress.objects.create(
        user=client_user, email=client_user.email, verified=True, primary=True
    )
    data = export(client_user)
    assert data["format"] == "timz-export" and data["version"] == 1
    account = data["account"]
    assert account["email"] == "client@example.com"
    assert account["role"] == "client"
    assert ISO_UTC.match(account["date_joined"])
    assert account["email_addresses"] == [
        {"email": "client@example.com", "verified": True, "primary": True}
    ]
    assert data["client_profile"]["display_name"] == "Chloé Client"
    assert data["pro_profile"] is None and data["services"] == []


def test_account_section_lists_second_factors_but_not_their_secrets(client_user):
    give_totp(client_user)

    account = export(client_user)["account"]

    [factor] = account["sign_in_factors"]
    assert factor["type"] == "totp"
    assert ISO_UTC.match(factor["added_at"])
    assert factor["last_used_at"] is None
    assert TOTP_SECRET not in json.dumps(account)


def test_pro_export_has_profile_services_and_hours(working_pro):
    make_service(pro=working_pro, name="Beard trim", price_amount=1500)
    data = export(working_pro.user)
    assert data["pro_profile"]["slug"] == "paula-pro"
    assert data["pro_profile"]["category"] == "Barbers"
    assert data["pro_profile"]["currency"] == "EUR"
    assert [s["name"] for s in data["services"]] == ["Beard trim"]
    assert data["services"][0]["price"] == {"amount": 1500, "currency": "EUR"}
    assert len(data["weekly_hours"]) == 7
    assert data["weekly_hours"][0] == {"weekday": 0, "start": "08:00:00", "end": "20:00:00"}


def test_client_bookings_carry_times_in_utc_status_price_and_events(client_user, history):
    data = export(client_user)
    bookings = {b["id"]: b for b in data["bookings_as_client"]}
    assert set(bookings) == {history["upcoming"].pk, history["paid"].pk, history["past"].pk}
    upcoming = bookings[history["upcoming"].pk]
    assert upcoming["starts_at"] == history["upcoming"].starts_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ISO_UTC.match(upcoming["ends_at"]) and ISO_UTC.match(upcoming["created_at"])
    assert upcoming["status"] == "confirmed"
    assert upcoming["price"] == {"amount": 5000, "currency": "EUR"}
    assert upcoming["pro"] == {"display_name": "Paula Pro", "slug": "paula-pro"}
    assert [e["to_status"] for e in upcoming["events"]] == ["confirmed"]
    assert all(ISO_UTC.match(e["at"]) for e in upcoming["events"])


def test_client_sees_their_payment_without_the_platform_fee(client_user, history):
    [payment] = export(client_user)["payments_as_client"]
    assert payment["booking_id"] == history["paid"].pk
    assert payment["status"] == "succeeded"
    assert payment["amount"] == 5000 and payment["currency"] == "EUR"
    assert ISO_UTC.match(payment["paid_at"])
    assert "platform_fee" not in payment


def test_pro_sees_payments_with_fee_and_refunds(working_pro, client_user, history):
    booking_services.booking_transition(
        booking=history["paid"], action="cancel", by=working_pro.user, reason="Ill"
    )
    data = export(working_pro.user)
    [payment] = data["payments_as_pro"]
    assert payment["booking_id"] == history["paid"].pk
    assert payment["platform_fee"] == 500
    assert [r["amount"] for r in payment["refunds"]] == [5000]
    paid = next(b for b in data["bookings_as_pro"] if b["id"] == history["paid"].pk)
    assert paid["client"] == {"display_name": "Chloé Client"}
    assert data["payout_account"]["is_simulated"] is True


def test_reviews_written_and_received(client_user, working_pro, history):
    written = export(client_user)["reviews_written"]
    assert [(r["rating"], r["text"], r["pro"]["display_name"]) for r in written] == [
        (5, "Lovely", "Paula Pro")
    ]
    received = export(working_pro.user)["reviews_received"]
    assert [(r["text"], r["author"]["display_name"]) for r in received] == [
        ("Lovely", "Chloé Client")
    ]


def test_a_pro_exports_their_private_notes_and_the_client_does_not_see_them(
    client_user, working_pro, history
):
    booking_services.client_note_set(pro=working_pro, client=client_user, text="Likes it short")

    notes = export(working_pro.user)["client_notes"]

    assert [(n["client"]["display_name"], n["text"]) for n in notes] == [
        ("Chloé Client", "Likes it short")
    ]
    assert "Likes it short" not in json.dumps(export(client_user))


def test_conversations_hold_own_and_received_messages(client_user, history):
    [conversation] = export(client_user)["conversations"]
    assert conversation["you_are"] == "client"
    assert conversation["with"] == {"display_name": "Paula Pro"}
    assert [(m["from"], m["body"]) for m in conversation["messages"]] == [
        ("you", "Hello there"),
        ("Paula Pro", "Hi!"),
    ]
    assert all(ISO_UTC.match(m["sent_at"]) for m in conversation["messages"])


def test_client_export_holds_nothing_of_other_clients(client_user, history):
    text = login(client_user).get(URL).content.decode()
    assert "other-client@example.com" not in text
    assert "Secret of Oscar" not in text
    assert "Oscar Other" not in text
    assert "pro@example.com" not in text


def test_pro_export_never_includes_other_users_emails(working_pro, history):
    text = login(working_pro.user).get(URL).content.decode()
    assert "pro@example.com" in text  # their own
    assert "client@example.com" not in text
    assert "other-client@example.com" not in text
    assert "Secret of Oscar" in text  # a message received in the pro's own conversation


def test_api_returns_the_same_document(client_user, history):
    http = login(client_user)
    page = json.loads(http.get(URL).content)
    api = http.get(API_URL)
    assert api.status_code == HTTPStatus.OK
    assert api["Content-Type"].startswith("application/json")
    body = api.json()
    page.pop("exported_at"), body.pop("exported_at")
    assert body == page


def test_api_export_is_in_the_openapi_schema(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert "get" in schema["paths"]["/api/v1/me/export"]


def test_sections_come_in_a_fixed_order_accounts_first_then_each_app(working_pro):
    assert list(export(working_pro.user)) == [
        "format",
        "version",
        "exported_at",
        "account",
        "client_profile",
        "pro_profile",
        "services",
        "weekly_hours",
        "time_off",
        "bookings_as_client",
        "bookings_as_pro",
        "reviews_written",
        "reviews_received",
        "client_notes",
        "waitlist",
        "booking_series",
        "calendars",
        "conversations",
        "payments_as_client",
        "payments_as_pro",
        "payout_account",
        "payouts",
        "saved_cards",
    ]


# Session, user, then one query per section or prefetch of the pro's export, whatever the data
# (client notes, waitlist entries, booking series (+ their bookings), the pro's calendars,
# second factors, payouts and saved cards are a section each).
EXPORT_MAX_QUERIES = 26


@pytest.mark.parametrize("clients", [1, 10], ids=["2-bookings", "20-bookings"])
def test_queries_do_not_grow_with_the_data(
    clients, working_pro, paid_service, django_assert_max_num_queries
):
    """Each client of the pro brings a paid booking, a reviewed past one and a conversation:
    the pro's export of 2 or of 20 bookings stays within the same bound."""
    cut = make_service(pro=working_pro, name="Cut")
    for n in range(clients):
        someone = make_user()
        pay_offline(booking=book(client=someone, service=paid_service, days=3 + n))
        review(
            booking=make_booking(
                client=someone,
                service=cut,
                starts_at=local_at(-2 - n, 10),
                status=Booking.Status.COMPLETED,
            )
        )
        conv, _ = chat_services.conversation_get_or_create(client=someone, pro=working_pro)
        chat_services.message_send(conversation=conv, sender=someone, body="hi")
        chat_services.message_send(conversation=conv, sender=working_pro.user, body="hello")
    http = login(working_pro.user)
    with django_assert_max_num_queries(EXPORT_MAX_QUERIES):
        response = http.get(URL)
    data = json.loads(response.content)
    assert len(data["bookings_as_pro"]) == 2 * clients
    assert len(data["payments_as_pro"]) == clients
    assert len(data["reviews_received"]) == clients
    assert len(data["conversations"]) == clients
