import io

import pytest

from chat import demo
from chat.models import Conversation, Message
from chat.selectors import unread_count_for_user
from conftest import make_pro, make_user

pytestmark = pytest.mark.django_db


def test_demo_conversations_are_created_once_with_some_unread():
    pros = [make_pro() for _ in range(3)]
    clients = [make_user() for _ in range(3)]

    demo.seed(stdout=io.StringIO(), pros=pros, clients=clients)
    counts = (Conversation.objects.count(), Message.objects.count())
    demo.seed(stdout=io.StringIO(), pros=pros, clients=clients)

    assert counts == (4, 13)
    assert (Conversation.objects.count(), Message.objects.count()) == counts
    assert unread_count_for_user(user=pros[0].user) > 0
    for conversation in Conversation.objects.all():
        latest = conversation.messages.order_by("-id").first()
        assert conversation.last_message_at == latest.created_at
