from http import HTTPStatus

import pytest
from django.test import Client
from django.utils import timezone

from chat import services
from chat.models import Conversation, Message
from chat.tests.conftest import make_conversation, make_message
from conftest import local_at, make_booking

pytestmark = pytest.mark.django_db

BASE = "/api/v1/conversations"


@pytest.fixture
def as_client(client, client_user):
    client.force_login(client_user)
    return client


@pytest.fixture
def as_pro(client, pro):
    client.force_login(pro.user)
    return client


def post(client, url, data):
    return client.post(url, data, content_type="application/json")


def test_anonymous_gets_401(client, conversation):
    for response in (
        client.get(BASE),
        post(client, BASE, {"pro": "paula-pro"}),
        client.get(f"{BASE}/{conversation.pk}/messages"),
        post(client, f"{BASE}/{conversation.pk}/messages", {"body": "hi"}),
        post(client, f"{BASE}/{conversation.pk}/read", {"up_to": 1}),
    ):
        assert response.status_code == HTTPStatus.UNAUTHORIZED
        assert response.json() == {"detail": "Authentication required."}


def test_list_returns_the_callers_conversations_with_unread_counts(
    as_client, conversation, client_user, pro, other_pro, other_client
):
    make_message(conversation=conversation, sender=pro.user, body="one")
    make_message(conversation=conversation, sender=pro.user, body="two")
    make_conversation(client=other_client, pro=other_pro)  # not the caller's

    response = as_client.get(BASE)

    assert response.status_code == HTTPStatus.OK
    [item] = response.json()
    assert item["id"] == conversation.pk
    assert item["unread_count"] == 2
    assert item["last_message"] == "two"
    assert item["pro"] == {
        "id": pro.user_id,
        "slug": "paula-pro",
        "name": "Paula Pro",
        "avatar_url": None,
    }
    assert item["client"]["name"] == "Chloé Client"


def test_client_starts_a_conversation_with_201_then_gets_200(as_client, client_user, pro):
    first = post(as_client, BASE, {"pro": pro.slug})
    again = post(as_client, BASE, {"pro": pro.slug})
    assert first.status_code == HTTPStatus.CREATED
    assert again.status_code == HTTPStatus.OK
    assert first.json()["id"] == again.json()["id"] == Conversation.objects.get().pk


def test_pro_starts_a_conversation_with_a_client_who_booked_them(as_pro, client_user, service):
    make_booking(client=client_user, service=service, starts_at=local_at(3, 10))
    response = post(as_pro, BASE, {"client": client_user.pk})
    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["client"]["id"] == client_user.pk


def test_pro_without_a_booking_gets_403(as_pro, client_user):
    response = post(as_pro, BASE, {"client": client_user.pk})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json() == {"detail": "You can only message clients who have booked you."}
    assert not Conversation.objects.exists()


def test_client_cannot_start_by_client_id(as_client, other_client):
    response = post(as_client, BASE, {"client": other_client.pk})
    assert response.status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({}, HTTPStatus.BAD_REQUEST),
        ({"pro": "paula-pro", "client": 1}, HTTPStatus.BAD_REQUEST),
        ({"pro": "nobody"}, HTTPStatus.NOT_FOUND),
        ({"pro": 12}, HTTPStatus.BAD_REQUEST),
    ],
)
def test_bad_start_payloads_get_a_clear_4xx(as_client, pro, payload, status):
    response = post(as_client, BASE, payload)
    assert response.status_code == status
    assert response.json()["detail"]


def test_pro_starting_with_own_profile_gets_400(as_pro, pro):
    response = post(as_pro, BASE, {"pro": pro.slug})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "yourself" in response.json()["detail"]


def test_messages_are_listed_oldest_first_with_before_after_and_limit(as_client, conversation, pro):
    ids = [
        make_message(conversation=conversation, sender=pro.user, body=str(n)).pk for n in range(10)
    ]
    url = f"{BASE}/{conversation.pk}/messages"

    latest = as_client.get(url, {"limit": 3}).json()
    assert [m["id"] for m in latest] == ids[-3:]
    before = as_client.get(url, {"before": ids[5], "limit": 2}).json()
    assert [m["id"] for m in before] == ids[3:5]
    after = as_client.get(url, {"after": ids[5], "limit": 2}).json()
    assert [m["id"] for m in after] == ids[6:8]
    assert latest[0]["sender"] == pro.user_id
    assert latest[0]["sender_name"] == "Paula Pro"
    assert latest[0]["read_at"] is None


@pytest.mark.parametrize("limit", [0, 101, "x"])
def test_limit_outside_1_to_100_is_400(as_client, conversation, limit):
    response = as_client.get(f"{BASE}/{conversation.pk}/messages", {"limit": limit})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "limit" in response.json()["detail"]


def test_posting_a_message_returns_201_and_saves_it(
    as_client, conversation, client_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = post(as_client, f"{BASE}/{conversation.pk}/messages", {"body": " Hi! "})
    assert response.status_code == HTTPStatus.CREATED
    message = Message.objects.get()
    assert response.json()["id"] == message.pk
    assert response.json()["body"] == "Hi!"
    assert message.sender == client_user
    # Live delivery (chat group and the recipient's unread count) is queued for the commit.
    assert len(callbacks) == 2


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ({"body": "   "}, "cannot be empty"),
        ({"body": "x" * 2001}, "at most 2000"),
        ({}, "Field required"),
    ],
)
def test_bad_message_payloads_get_400(as_client, conversation, payload, fragment):
    response = post(as_client, f"{BASE}/{conversation.pk}/messages", payload)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert fragment in response.json()["detail"]
    assert not Message.objects.exists()


def test_sending_too_fast_gets_429(as_client, conversation, client_user):
    for n in range(20):
        services.message_send(conversation=conversation, sender=client_user, body=str(n))
    response = post(as_client, f"{BASE}/{conversation.pk}/messages", {"body": "more"})
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert response.json() == {"detail": "You are sending messages too fast."}


def test_mark_read(as_client, conversation, pro):
    first = make_message(conversation=conversation, sender=pro.user)
    make_message(conversation=conversation, sender=pro.user)
    response = post(as_client, f"{BASE}/{conversation.pk}/read", {"up_to": first.pk})
    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"marked": 1}
    assert Message.objects.filter(read_at__isnull=True).count() == 1


def test_mark_read_with_a_bad_id_is_400(as_client, conversation):
    response = post(as_client, f"{BASE}/{conversation.pk}/read", {"up_to": 0})
    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_non_participant_gets_404_everywhere(client, conversation, pro, other_client):
    make_message(conversation=conversation, sender=pro.user, body="secret")
    client.force_login(other_client)
    for response in (
        client.get(f"{BASE}/{conversation.pk}/messages"),
        post(client, f"{BASE}/{conversation.pk}/messages", {"body": "hi"}),
        post(client, f"{BASE}/{conversation.pk}/read", {"up_to": 1}),
    ):
        assert response.status_code == HTTPStatus.NOT_FOUND
        assert response.json() == {"detail": "Conversation not found."}
    assert client.get(BASE).json() == []
    assert Message.objects.count() == 1
    assert Message.objects.get().read_at is None


def test_read_messages_show_their_read_time(as_client, conversation, client_user):
    make_message(conversation=conversation, sender=client_user, read_at=timezone.now())
    [message] = as_client.get(f"{BASE}/{conversation.pk}/messages").json()
    assert message["read_at"] is not None


def test_openapi_keeps_the_chat_pro_and_the_directory_pro_apart(client):
    """Regression (schemathesis): chat's pro schema was named ProOut like the directory's, and
    OpenAPI keys components by name, so GET /pros was documented with chat's shape."""
    doc = client.get("/api/v1/openapi.json").json()
    components = doc["components"]["schemas"]
    pros_page = doc["paths"]["/api/v1/pros"]["get"]["responses"]["200"]["content"]
    page_ref = pros_page["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    pro_ref = components[page_ref]["properties"]["results"]["items"]["$ref"].rsplit("/", 1)[1]
    assert {"slug", "display_name", "services"} <= set(components[pro_ref]["properties"])
    chat_pro = components["ConversationOut"]["properties"]["pro"]["$ref"].rsplit("/", 1)[1]
    assert {"id", "slug", "name"} <= set(components[chat_pro]["properties"])
    assert chat_pro != pro_ref


def test_unparseable_multipart_body_is_a_json_400(client_user, conversation):
    """Regression (schemathesis): a multipart Content-Type without a boundary broke the CSRF
    check's read of request.POST and got the HTML error page instead of the API's JSON."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(client_user)
    browser.cookies["csrftoken"] = "a" * 32
    response = browser.post(
        f"{BASE}/{conversation.pk}/read",
        "x",
        content_type="multipart/form-data",
        headers={"X-CSRFToken": "a" * 32},
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.json() == {"detail": "The request body could not be read."}
