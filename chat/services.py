"""Writes for chat: starting conversations, sending and reading messages, unread emails.

Domain rules:
- one conversation per (client, pro); nobody talks to themselves; a client may open one with any
  pro, a pro only with a client who has booked them (any booking, whatever its status);
- a message is 1..2000 characters after trimming; a sender's messages, all conversations
  together, are rate-limited by settings.CHAT_RATE_LIMIT (default 20 per 10 seconds), counted by
  timz.ratelimit (Redis across processes) before anything is saved;
- a message is saved first and pushed to the live sockets after the commit;
- a message unread after CHAT_EMAIL_DELAY_MINUTES emails the recipient once per conversation per
  quiet period: the next email about that conversation waits until the recipient has read what
  the previous email announced.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import ProProfile
from chat import notifications
from chat.models import BODY_MAX_LENGTH, Conversation, Message, UnreadEmailNotice
from chat.selectors import client_has_booked_pro, conversation_for_pair
from timz.ratelimit import RateLimit

MESSAGES_SENT = RateLimit(
    scope="chat-messages",
    setting="CHAT_RATE_LIMIT",
    message=gettext_lazy("You are sending messages too fast."),
)

# Unread messages older than this are not worth an email any more.
EMAIL_LOOKBACK = timedelta(days=7)


def message_payload(message: Message, *, conversation: Conversation) -> dict:
    """The JSON frame a socket receives for a message (also the API's message shape)."""
    return {
        "type": "message",
        "id": message.pk,
        "conversation": conversation.pk,
        "sender": message.sender_id,
        "sender_name": conversation.name_of(message.sender_id),
        "body": message.body,
        "created_at": message.created_at.isoformat(),
    }


def conversation_get_or_create(*, client, pro: ProProfile) -> tuple[Conversation, bool]:
    """The pair's conversation, created if needed. Refuses a pro talking to themselves."""
    if client.pk == pro.user_id:
        raise ValidationError(_("You cannot start a conversation with yourself."), code="self")
    existing = conversation_for_pair(client=client, pro=pro)
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            conversation = Conversation.objects.create(
                client=client, pro=pro, pro_user_id=pro.user_id
            )
    except IntegrityError:
        # Two first messages raced; the other request created it.
        return conversation_for_pair(client=client, pro=pro), False
    return conversation, True


def conversation_start_with_client(*, pro: ProProfile, client) -> tuple[Conversation, bool]:
    """A pro opens (or reopens) the conversation with a client who has booked them."""
    if not client_has_booked_pro(client=client, pro=pro):
        raise PermissionDenied(_("You can only message clients who have booked you."))
    return conversation_get_or_create(client=client, pro=pro)


def _clean_body(body) -> str:
    if not isinstance(body, str):
        raise ValidationError(_("The message must be text."), code="invalid")
    body = body.replace("\x00", "").strip()
    if not body:
        raise ValidationError(_("Write a message first: it cannot be empty."), code="blank")
    if len(body) > BODY_MAX_LENGTH:
        raise ValidationError(
            _("A message can be at most %(limit)s characters (this one has %(length)s).")
            % {"limit": BODY_MAX_LENGTH, "length": len(body)},
            code="too_long",
        )
    return body


def message_send(*, conversation: Conversation, sender, body: str) -> Message:
    """Validate, rate-limit and save a message, then (after the commit) push it to the
    conversation's sockets and the recipient's new unread count to their pages.

    Raises PermissionDenied for an outsider, ValidationError for a bad body and
    timz.ratelimit.RateLimited (code "rate_limited") past the sender's rate limit; an invalid
    body does not count towards it."""
    if not conversation.is_participant(sender):
        raise PermissionDenied(_("You are not part of this conversation."))
    body = _clean_body(body)
    MESSAGES_SENT.hit(sender.pk)
    now = timezone.now()
    with transaction.atomic():
        message = Message.objects.create(
            conversation=conversation, sender=sender, body=body, created_at=now
        )
        Conversation.objects.filter(pk=conversation.pk).update(last_message_at=now)
        conversation.last_message_at = now
        notifications.group_send_on_commit(
            notifications.chat_group(conversation.pk),
            {
                "type": "chat.message",
                "message": message_payload(message, conversation=conversation),
            },
        )
        notifications.push_unread_count(user_id=conversation.other_user_id(sender.pk))
    return message


def messages_mark_read(*, conversation: Conversation, reader, up_to) -> int:
    """Mark the other side's messages with id <= up_to as read by `reader`; return how many.

    Sends a read receipt {"type": "read", "up_to", "by"} to the conversation and the reader's
    new unread count to their pages (both after the commit, only when something changed)."""
    if not conversation.is_participant(reader):
        raise PermissionDenied(_("You are not part of this conversation."))
    if isinstance(up_to, bool) or not isinstance(up_to, int) or up_to < 1:
        raise ValidationError(_("up_to must be a message id (a positive integer)."), code="invalid")
    with transaction.atomic():
        unread = Message.objects.filter(
            conversation=conversation, id__lte=up_to, read_at__isnull=True
        ).exclude(sender=reader)
        last = unread.aggregate(last=Max("id"))["last"]
        if last is None:
            return 0
        count = unread.filter(id__lte=last).update(read_at=timezone.now())
        notifications.group_send_on_commit(
            notifications.chat_group(conversation.pk),
            {"type": "chat.read", "up_to": last, "by": reader.pk},
        )
        notifications.push_unread_count(user_id=reader.pk)
    return count


def send_due_unread_emails(*, now: datetime | None = None) -> int:
    """Email every recipient who has had a message unread for CHAT_EMAIL_DELAY_MINUTES, once
    per conversation per quiet period. Idempotent: running it twice sends nothing new.
    Returns the number of emails queued."""
    from chat.tasks import send_unread_email

    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.CHAT_EMAIL_DELAY_MINUTES)
    due = (
        Message.objects.filter(
            read_at__isnull=True, created_at__lte=cutoff, created_at__gte=now - EMAIL_LOOKBACK
        )
        .order_by()
        .values("conversation_id", "sender_id")
        .annotate(max_id=Max("id"))
    )
    due = list(due)
    if not due:
        return 0
    participants = {
        pk: (client_id, pro_user_id)
        for pk, client_id, pro_user_id in Conversation.objects.filter(
            pk__in={row["conversation_id"] for row in due}
        ).values_list("pk", "client_id", "pro_user_id")
    }
    sent = 0
    for row in due:
        client_id, pro_user_id = participants[row["conversation_id"]]
        recipient_id = pro_user_id if row["sender_id"] == client_id else client_id
        with transaction.atomic():
            notice, _ = UnreadEmailNotice.objects.get_or_create(
                conversation_id=row["conversation_id"], recipient_id=recipient_id
            )
            notice = UnreadEmailNotice.objects.select_for_update().get(pk=notice.pk)
            if row["max_id"] <= notice.last_message_id:
                continue  # this stretch was already announced
            unread_to_recipient = Message.objects.filter(
                conversation_id=row["conversation_id"], read_at__isnull=True
            ).exclude(sender_id=recipient_id)
            if (
                notice.last_message_id
                and unread_to_recipient.filter(id__lte=notice.last_message_id).exists()
            ):
                continue  # still away since the last email: no second email
            up_to = unread_to_recipient.aggregate(last=Max("id"))["last"]
            notice.last_message_id = up_to
            notice.notified_at = now
            notice.save(update_fields=["last_message_id", "notified_at"])
            kwargs = {
                "conversation_id": row["conversation_id"],
                "recipient_id": recipient_id,
                "up_to": up_to,
            }
            transaction.on_commit(lambda kw=kwargs: send_unread_email.enqueue(**kw))
            sent += 1
    return sent
