import time
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from chat import selectors, services
from chat.models import Conversation, Message, UnreadEmailNotice
from chat.tests.conftest import make_conversation, make_message
from conftest import local_at, make_booking, make_service

pytestmark = [pytest.mark.django_db, pytest.mark.waits]  # a window that must pass


# Conversations -----------------------------------------------------------------------------


def test_client_starts_a_conversation_with_any_pro(client_user, pro):
    conversation, created = services.conversation_get_or_create(client=client_user, pro=pro)
    assert created
    assert (conversation.client, conversation.pro, conversation.pro_user) == (
        client_user,
        pro,
        pro.user,
    )


def test_starting_twice_returns_the_same_conversation(client_user, pro):
    first, _ = services.conversation_get_or_create(client=client_user, pro=pro)
    again, created = services.conversation_get_or_create(client=client_user, pro=pro)
    assert not created
    assert again.pk == first.pk
    assert Conversation.objects.count() == 1


def test_pro_cannot_start_a_conversation_with_themselves(pro):
    with pytest.raises(ValidationError, match="yourself"):
        services.conversation_get_or_create(client=pro.user, pro=pro)


def test_database_refuses_a_conversation_between_a_pro_and_themselves(pro):
    with pytest.raises(IntegrityError), transaction.atomic():
        Conversation.objects.create(client=pro.user, pro=pro, pro_user=pro.user)


def test_database_refuses_a_second_conversation_for_the_same_pair(conversation, client_user, pro):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_conversation(client=client_user, pro=pro)


def test_pro_can_start_a_conversation_with_a_client_who_booked_them(client_user, pro, service):
    make_booking(client=client_user, service=service, starts_at=local_at(3, 10), status="cancelled")
    conversation, created = services.conversation_start_with_client(pro=pro, client=client_user)
    assert created
    assert conversation.client == client_user


def test_pro_cannot_start_a_conversation_with_a_client_who_never_booked_them(
    client_user, pro, other_pro
):
    make_booking(client=client_user, service=make_service(pro=other_pro), starts_at=local_at(3, 10))
    with pytest.raises(PermissionDenied, match="clients who have booked you"):
        services.conversation_start_with_client(pro=pro, client=client_user)
    assert not Conversation.objects.exists()


def test_only_participants_get_the_conversation(conversation, client_user, pro, other_client):
    assert selectors.conversation_get_for_user(user=client_user, pk=conversation.pk) == conversation
    assert selectors.conversation_get_for_user(user=pro.user, pk=conversation.pk) == conversation
    with pytest.raises(Http404):
        selectors.conversation_get_for_user(user=other_client, pk=conversation.pk)


def test_staff_are_not_participants(conversation, staff_user):
    with pytest.raises(Http404):
        selectors.conversation_get_for_user(user=staff_user, pk=conversation.pk)


# Sending -----------------------------------------------------------------------------------


def test_message_body_is_trimmed_and_the_conversation_moves_up(conversation, client_user):
    message = services.message_send(
        conversation=conversation, sender=client_user, body="\n  Hello there \n"
    )
    assert message.body == "Hello there"
    conversation.refresh_from_db()
    assert conversation.last_message_at == message.created_at


def test_message_of_exactly_2000_characters_is_accepted(conversation, client_user):
    message = services.message_send(conversation=conversation, sender=client_user, body="é" * 2000)
    assert len(message.body) == 2000


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("", "cannot be empty"),
        ("   \n\t ", "cannot be empty"),
        ("\x00", "cannot be empty"),
        ("x" * 2001, "at most 2000 characters"),
        (None, "must be text"),
        (["list"], "must be text"),
    ],
)
def test_bad_message_body_is_refused(conversation, client_user, body, error):
    with pytest.raises(ValidationError, match=error):
        services.message_send(conversation=conversation, sender=client_user, body=body)
    assert not Message.objects.exists()


def test_nul_characters_are_dropped_from_a_body(conversation, client_user):
    message = services.message_send(conversation=conversation, sender=client_user, body="a\x00b")
    assert message.body == "ab"


def test_outsider_cannot_send(conversation, other_client):
    with pytest.raises(PermissionDenied):
        services.message_send(conversation=conversation, sender=other_client, body="hi")


def test_twenty_first_message_in_ten_seconds_is_refused_and_nothing_is_saved(
    conversation, client_user
):
    for n in range(20):
        services.message_send(conversation=conversation, sender=client_user, body=f"m{n}")
    with pytest.raises(ValidationError, match="You are sending messages too fast.") as exc:
        services.message_send(conversation=conversation, sender=client_user, body="m20")
    assert exc.value.code == "rate_limited"
    assert Message.objects.count() == 20


def test_rate_limit_counts_messages_across_all_conversations_of_a_sender(
    conversation, client_user, other_pro
):
    elsewhere = make_conversation(client=client_user, pro=other_pro)
    for n in range(20):
        target = conversation if n % 2 else elsewhere
        services.message_send(conversation=target, sender=client_user, body=f"m{n}")
    with pytest.raises(ValidationError, match="too fast"):
        services.message_send(conversation=conversation, sender=client_user, body="more")


def test_rate_limit_is_per_sender(conversation, client_user, pro):
    for n in range(20):
        services.message_send(conversation=conversation, sender=client_user, body=f"m{n}")
    reply = services.message_send(conversation=conversation, sender=pro.user, body="calm down")
    assert reply.pk


def test_sender_may_continue_once_the_window_has_passed(conversation, client_user, settings):
    settings.CHAT_RATE_LIMIT = "2/1s"
    for n in range(2):
        services.message_send(conversation=conversation, sender=client_user, body=f"m{n}")
    with pytest.raises(ValidationError, match="too fast"):
        services.message_send(conversation=conversation, sender=client_user, body="m2")

    time.sleep(1.1)

    assert services.message_send(conversation=conversation, sender=client_user, body="ok").pk


# Reading -----------------------------------------------------------------------------------


def test_mark_read_marks_only_the_other_sides_messages_up_to_the_id(conversation, client_user, pro):
    theirs1 = make_message(conversation=conversation, sender=pro.user, body="1")
    mine = make_message(conversation=conversation, sender=client_user, body="2")
    theirs2 = make_message(conversation=conversation, sender=pro.user, body="3")
    theirs3 = make_message(conversation=conversation, sender=pro.user, body="4")

    marked = services.messages_mark_read(
        conversation=conversation, reader=client_user, up_to=theirs2.pk
    )

    assert marked == 2
    read = set(Message.objects.filter(read_at__isnull=False).values_list("pk", flat=True))
    assert read == {theirs1.pk, theirs2.pk}
    assert mine.pk not in read and theirs3.pk not in read


def test_mark_read_twice_marks_nothing_the_second_time(conversation, client_user, pro):
    message = make_message(conversation=conversation, sender=pro.user)
    assert (
        services.messages_mark_read(conversation=conversation, reader=client_user, up_to=message.pk)
        == 1
    )
    assert (
        services.messages_mark_read(conversation=conversation, reader=client_user, up_to=message.pk)
        == 0
    )


@pytest.mark.parametrize("up_to", [0, -3, "5", None, True, 2.0])
def test_mark_read_refuses_a_bad_up_to(conversation, client_user, up_to):
    with pytest.raises(ValidationError, match="up_to must be a message id"):
        services.messages_mark_read(conversation=conversation, reader=client_user, up_to=up_to)


def test_unread_count_spans_conversations_and_ignores_own_messages(
    conversation, client_user, pro, other_pro
):
    elsewhere = make_conversation(client=client_user, pro=other_pro)
    make_message(conversation=conversation, sender=pro.user)
    make_message(conversation=elsewhere, sender=other_pro.user)
    make_message(conversation=elsewhere, sender=client_user)
    make_message(conversation=elsewhere, sender=other_pro.user, read_at=timezone.now())
    assert selectors.unread_count_for_user(user=client_user) == 2
    assert selectors.unread_count_for_user(user=pro.user) == 0
    assert selectors.unread_count_for_user(user=other_pro.user) == 1


# Unread emails -----------------------------------------------------------------------------


def _age(minutes: int) -> timezone.datetime:
    return timezone.now() - timedelta(minutes=minutes)


def _process(capture, now=None) -> int:
    with capture(execute=True):
        return services.send_due_unread_emails(now=now or timezone.now())


def test_message_unread_after_the_delay_emails_the_recipient_once(
    conversation, client_user, pro, django_capture_on_commit_callbacks
):
    make_message(conversation=conversation, sender=client_user, body="First", created_at=_age(15))
    make_message(conversation=conversation, sender=client_user, body="Second", created_at=_age(12))

    assert _process(django_capture_on_commit_callbacks) == 1
    assert _process(django_capture_on_commit_callbacks) == 0

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["pro@example.com"]
    assert email.subject == "[Timz] 2 new messages from Chloé Client"
    assert "First" in email.body and "Second" in email.body
    assert f"/messages/{conversation.pk}/" in email.body


def test_no_email_before_the_delay(
    conversation, client_user, settings, django_capture_on_commit_callbacks
):
    settings.CHAT_EMAIL_DELAY_MINUTES = 10
    make_message(conversation=conversation, sender=client_user, created_at=_age(9))
    assert _process(django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []


def test_no_email_for_a_message_read_in_time(
    conversation, client_user, pro, django_capture_on_commit_callbacks
):
    message = make_message(conversation=conversation, sender=client_user, created_at=_age(30))
    services.messages_mark_read(conversation=conversation, reader=pro.user, up_to=message.pk)
    assert _process(django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []


def test_further_messages_while_the_recipient_is_away_send_no_second_email(
    conversation, client_user, django_capture_on_commit_callbacks
):
    make_message(conversation=conversation, sender=client_user, created_at=_age(40))
    assert _process(django_capture_on_commit_callbacks) == 1
    make_message(conversation=conversation, sender=client_user, body="Hello?", created_at=_age(20))
    assert _process(django_capture_on_commit_callbacks) == 0
    assert len(mail.outbox) == 1


def test_after_the_recipient_catches_up_a_new_quiet_period_emails_again(
    conversation, client_user, pro, django_capture_on_commit_callbacks
):
    first = make_message(conversation=conversation, sender=client_user, created_at=_age(60))
    assert _process(django_capture_on_commit_callbacks) == 1
    services.messages_mark_read(conversation=conversation, reader=pro.user, up_to=first.pk)
    make_message(
        conversation=conversation, sender=client_user, body="Back again", created_at=_age(15)
    )
    assert _process(django_capture_on_commit_callbacks) == 1
    assert _process(django_capture_on_commit_callbacks) == 0
    assert len(mail.outbox) == 2
    assert "Back again" in mail.outbox[1].body
    notice = UnreadEmailNotice.objects.get()
    assert notice.recipient == pro.user


def test_each_side_and_each_conversation_gets_its_own_email(
    conversation, client_user, pro, other_pro, django_capture_on_commit_callbacks
):
    elsewhere = make_conversation(client=client_user, pro=other_pro)
    make_message(conversation=conversation, sender=client_user, created_at=_age(20))
    make_message(conversation=conversation, sender=pro.user, created_at=_age(20))
    make_message(conversation=elsewhere, sender=client_user, created_at=_age(20))
    assert _process(django_capture_on_commit_callbacks) == 3
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        ["pro@example.com", "client@example.com", "other-pro@example.com"]
    )


def test_email_is_skipped_when_the_messages_were_read_before_the_task_ran(
    conversation, client_user, pro
):
    from chat.tasks import send_unread_email

    message = make_message(conversation=conversation, sender=client_user, created_at=_age(20))
    services.messages_mark_read(conversation=conversation, reader=pro.user, up_to=message.pk)
    result = send_unread_email.enqueue(
        conversation_id=conversation.pk, recipient_id=pro.user.pk, up_to=message.pk
    )
    assert result.return_value is False
    assert mail.outbox == []


def test_html_email_escapes_the_body(conversation, client_user, django_capture_on_commit_callbacks):
    make_message(
        conversation=conversation, sender=client_user, body="<b>bold</b>", created_at=_age(20)
    )
    _process(django_capture_on_commit_callbacks)
    html = mail.outbox[0].alternatives[0].content
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "<b>bold</b>" not in html


def test_process_due_sends_the_unread_email_once(
    conversation, client_user, django_capture_on_commit_callbacks
):
    from django.core.management import call_command

    make_message(conversation=conversation, sender=client_user, created_at=_age(30))
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            call_command("process_due", "--quiet")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["pro@example.com"]
