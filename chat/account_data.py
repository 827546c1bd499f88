"""Chat's answer to accounts about one user (the hooks of ``accounts.signals``).

- Export (``user_exporting``): ``conversations``, every conversation the user takes part in (as
  client or as pro) with all its messages, the user's own ("you") and the ones received (by the
  other participant's display name).
- Deletion: no receiver. Conversations and messages stay for the other participant, who sees
  the deleted user under the anonymised profile's name ("Deleted user", "Former pro"); the
  unread-message email is never sent to an inactive user.

Connected in ``ChatConfig.ready()``.
"""

from __future__ import annotations

from django.db.models import Prefetch, Q

from accounts.data_export import iso
from accounts.models import User
from chat.models import Conversation, Message


def export_user_data(sender, *, user: User, **kwargs) -> dict:
    """The `conversations` section of `user`'s export (2 queries)."""
    conversations = (
        Conversation.objects.filter(Q(client=user) | Q(pro_user=user))
        .select_related("pro", "client__client_profile")
        .prefetch_related(Prefetch("messages", queryset=Message.objects.order_by("pk")))
        .order_by("created_at", "pk")
    )
    return {"conversations": [_conversation(c, user=user) for c in conversations]}


def _conversation(conversation: Conversation, *, user: User) -> dict:
    as_client = conversation.client_id == user.pk
    other_name = conversation.name_of(conversation.other_user_id(user.pk))
    return {
        "id": conversation.pk,
        "you_are": "client" if as_client else "pro",
        "with": {"display_name": other_name},
        "created_at": iso(conversation.created_at),
        "messages": [
            {
                "id": m.pk,
                "from": "you" if m.sender_id == user.pk else other_name,
                "body": m.body,
                "sent_at": iso(m.created_at),
                "read_at": iso(m.read_at),
            }
            for m in conversation.messages.all()
        ],
    }
