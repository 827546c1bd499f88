"""Background work for chat, run by Django's tasks framework (immediate in development and
tests, the database worker in production)."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.languages import speaking
from accounts.models import User
from chat.models import Conversation, Message
from timz.links import absolute_url

PREVIEW_COUNT = 5


@task
def send_unread_email(*, conversation_id: int, recipient_id: int, up_to: int) -> bool:
    """Email `recipient` about their unread messages (id <= up_to) in one conversation.
    Does nothing when they have read them meanwhile. Returns whether an email went out."""
    conversation = (
        Conversation.objects.select_related("pro", "client__client_profile")
        .filter(pk=conversation_id)
        .first()
    )
    recipient = User.objects.filter(pk=recipient_id, is_active=True).first()
    if conversation is None or recipient is None:
        return False
    unread = (
        Message.objects.filter(conversation=conversation, id__lte=up_to, read_at__isnull=True)
        .exclude(sender_id=recipient_id)
        .order_by("-id")
    )
    count = unread.count()
    if not count:
        return False
    latest = list(unread[:PREVIEW_COUNT])
    latest.reverse()
    other_id = conversation.other_user_id(recipient_id)
    context = {
        "recipient_name": conversation.name_of(recipient_id),
        "sender_name": conversation.name_of(other_id),
        "messages": latest,
        "count": count,
        "more": count - len(latest),
        "url": absolute_url(reverse("chat:conversation", args=[conversation.pk])),
    }
    # Written in the recipient's language, whoever's request or worker runs the task.
    with speaking(recipient):
        subject = render_to_string("chat/emails/unread_subject.txt", context).strip()
        email = EmailMultiAlternatives(
            subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject,
            body=render_to_string("chat/emails/unread_body.txt", context),
            to=[recipient.email],
        )
        html = render_to_string("chat/emails/unread_body.html", context)
        email.attach_alternative(html, "text/html")
    email.send()
    return True
