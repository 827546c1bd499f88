"""Conversations between a client and a pro, and their messages.

Rules kept here and in the database:
- one conversation per (client, pro) pair, and a client is never the pro's own user (the pro's
  user is denormalised onto the conversation as `pro_user` so that the check is a real
  constraint and the participant filter needs no join);
- a message body is 1..2000 characters after trimming (checked by chat.services.message_send);
- `read_at` is set when the other participant has read the message;
- `Conversation.last_message_at` is denormalised so the inbox orders without aggregating.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import ProProfile

BODY_MAX_LENGTH = 2000


class Conversation(models.Model):
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="client_conversations",
        verbose_name=_("client"),
    )
    pro = models.ForeignKey(
        ProProfile, on_delete=models.CASCADE, related_name="conversations", verbose_name=_("pro")
    )
    # Always pro.user (a ProProfile never changes owner); see the module docstring.
    pro_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="pro_conversations",
        verbose_name=_("pro user"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_message_at = models.DateTimeField(_("last message at"), null=True, blank=True)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        ordering = [models.F("last_message_at").desc(nulls_last=True), "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["client", "pro"], name="conversation_one_per_pair"),
            models.CheckConstraint(
                condition=~models.Q(client=models.F("pro_user")),
                name="conversation_client_is_not_pro",
            ),
        ]
        indexes = [
            models.Index(fields=["client", "-last_message_at"], name="conversation_client_idx"),
            models.Index(fields=["pro_user", "-last_message_at"], name="conversation_pro_idx"),
        ]

    def __str__(self):
        return f"{self.client} ↔ {self.pro}"

    def get_absolute_url(self):
        return reverse("chat:conversation", kwargs={"pk": self.pk})

    def is_participant(self, user) -> bool:
        return user.is_authenticated and user.pk in (self.client_id, self.pro_user_id)

    def other_user_id(self, user_id: int) -> int:
        return self.pro_user_id if user_id == self.client_id else self.client_id

    @property
    def client_name(self) -> str:
        profile = getattr(self.client, "client_profile", None)
        if profile is not None and profile.display_name:
            return profile.display_name
        return self.client.email.split("@")[0]

    @property
    def client_avatar(self):
        profile = getattr(self.client, "client_profile", None)
        return profile.avatar if profile is not None and profile.avatar else None

    def name_of(self, user_id: int) -> str:
        """The participant's name as shown in this conversation."""
        return self.pro.display_name if user_id == self.pro_user_id else self.client_name


class Message(models.Model):
    conversation = models.ForeignKey(
        Conversation,
        on_delete=models.CASCADE,
        related_name="messages",
        verbose_name=_("conversation"),
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="chat_messages",
        verbose_name=_("sender"),
    )
    body = models.TextField(_("body"), max_length=BODY_MAX_LENGTH)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["conversation", "id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(body=""), name="message_body_not_empty"),
        ]
        indexes = [
            models.Index(fields=["conversation", "id"], name="message_conversation_idx"),
            # Unread counting: only unread rows are indexed, so the index stays small.
            models.Index(
                fields=["conversation", "sender"],
                condition=models.Q(read_at__isnull=True),
                name="message_unread_idx",
            ),
        ]

    def __str__(self):
        return f"#{self.pk} from {self.sender_id}: {self.body[:40]}"


class UnreadEmailNotice(models.Model):
    """The last unread-message email sent to one participant about one conversation.

    A new email is sent only once the recipient has read up to `last_message_id` (a new quiet
    period); see chat.services.send_due_unread_emails.
    """

    conversation = models.ForeignKey(
        Conversation,
        on_delete=models.CASCADE,
        related_name="email_notices",
        verbose_name=_("conversation"),
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("recipient"),
    )
    last_message_id = models.BigIntegerField(_("last message id"), default=0)
    notified_at = models.DateTimeField(_("notified at"), null=True, blank=True)

    class Meta:
        verbose_name = _("unread email notice")
        verbose_name_plural = _("unread email notices")
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "recipient"], name="unread_notice_one_per_recipient"
            ),
        ]

    def __str__(self):
        return f"Notice to {self.recipient_id} about {self.conversation_id}"
