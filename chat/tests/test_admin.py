from http import HTTPStatus

import pytest
from django.urls import reverse

from chat.models import Message
from chat.tests.conftest import make_conversation, make_message
from conftest import make_pro, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_staff(client, staff_user):
    client.force_login(staff_user)
    return client


def test_admin_lists_conversations_with_message_counts(as_staff, conversation, client_user, pro):
    make_message(conversation=conversation, sender=client_user, body="first")
    make_message(conversation=conversation, sender=pro.user, body="second")
    response = as_staff.get(reverse("admin:chat_conversation_changelist"))
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "client@example.com" in html
    assert 'class="field-message_count">2<' in html
    assert 'class="field-last_message">second<' in html


@pytest.mark.parametrize("query", ["client@example.com", "pro@example.com"])
def test_admin_searches_by_participant_email(as_staff, conversation, query):
    stranger = make_user(email="stranger@elsewhere.test")
    make_conversation(client=stranger, pro=make_pro(email="barber@elsewhere.test"))
    response = as_staff.get(reverse("admin:chat_conversation_changelist"), {"q": query})
    assert list(response.context["cl"].result_list) == [conversation]


def test_admin_shows_messages_read_only(as_staff, conversation, client_user):
    message = make_message(conversation=conversation, sender=client_user, body="keep me")
    url = reverse("admin:chat_conversation_change", args=[conversation.pk])
    response = as_staff.get(url)
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "keep me" in html
    assert 'name="messages-0-body"' not in html
    as_staff.post(url, {"messages-0-id": message.pk, "messages-0-body": "changed"})
    message.refresh_from_db()
    assert message.body == "keep me"


def test_message_admin_cannot_add_change_or_delete(as_staff, conversation, client_user):
    message = make_message(conversation=conversation, sender=client_user, body="original")
    assert as_staff.get(reverse("admin:chat_message_add")).status_code == HTTPStatus.FORBIDDEN
    as_staff.post(reverse("admin:chat_message_change", args=[message.pk]), {"body": "edited"})
    delete = as_staff.post(reverse("admin:chat_message_delete", args=[message.pk]), {"post": "yes"})
    assert delete.status_code == HTTPStatus.FORBIDDEN
    message.refresh_from_db()
    assert message.body == "original"
    assert Message.objects.count() == 1
