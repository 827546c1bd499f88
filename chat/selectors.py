"""Reads for chat. Every private object is fetched through `conversation_get_for_user`."""

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.models import ProProfile
from chat.models import Conversation, Message

PAGE_SIZE = 50


def _participant(user) -> Q:
    return Q(client=user) | Q(pro_user=user)


def _with_people(qs: QuerySet) -> QuerySet:
    return qs.select_related("pro", "client__client_profile")


def conversation_get_for_user(*, user, pk) -> Conversation:
    """The conversation if `user` is one of its two participants, else Http404 (never 403, so
    that outsiders cannot even learn that it exists)."""
    if not getattr(user, "is_authenticated", False):
        raise Http404(_("Conversation not found."))
    try:
        return _with_people(Conversation.objects.filter(_participant(user))).get(pk=pk)
    except (Conversation.DoesNotExist, ValueError, TypeError):
        raise Http404(_("Conversation not found.")) from None


def conversation_for_pair(*, client, pro: ProProfile) -> Conversation | None:
    return _with_people(Conversation.objects.filter(client=client, pro=pro)).first()


def _unread_for(user) -> Subquery:
    return Coalesce(
        Subquery(
            Message.objects.filter(conversation=OuterRef("pk"), read_at__isnull=True)
            .exclude(sender=user)
            .order_by()
            .values("conversation")
            .annotate(n=Count("id"))
            .values("n")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


def conversations_for_user(*, user) -> QuerySet:
    """The user's conversations, most recent message first, each annotated with
    `unread_count`, `last_body`, `last_sender_id` and `last_message_id` (one query)."""
    last = Message.objects.filter(conversation=OuterRef("pk")).order_by("-id")
    return (
        _with_people(Conversation.objects.filter(_participant(user)))
        .annotate(
            unread_count=_unread_for(user),
            last_body=Subquery(last.values("body")[:1]),
            last_sender_id=Subquery(last.values("sender_id")[:1]),
            last_message_id=Subquery(last.values("id")[:1]),
        )
        .order_by(
            Coalesce("last_message_at", "created_at").desc(),
            "-id",
        )
    )


def unread_count_for_user(*, user) -> int:
    """Messages sent to `user` in any of their conversations and not yet read (one query)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return (
        Message.objects.filter(
            Q(conversation__client=user) | Q(conversation__pro_user=user),
            read_at__isnull=True,
        )
        .exclude(sender=user)
        .count()
    )


def messages_page(
    *, conversation: Conversation, before: int | None = None, limit: int = PAGE_SIZE
) -> tuple[list[Message], bool]:
    """Up to `limit` messages oldest-first: the latest ones, or those just before id `before`.
    Also says whether older messages exist (one query)."""
    qs = Message.objects.filter(conversation=conversation)
    if before is not None:
        qs = qs.filter(id__lt=before)
    rows = list(qs.order_by("-id")[: limit + 1])
    has_older = len(rows) > limit
    rows = rows[:limit]
    rows.reverse()
    return rows, has_older


def messages_after(*, conversation_id: int, after: int, limit: int | None = None) -> list[Message]:
    """Messages with id > after, oldest first (what a reconnecting socket missed)."""
    qs = Message.objects.filter(conversation_id=conversation_id, id__gt=after).order_by("id")
    return list(qs[:limit] if limit else qs)


def messages_for_api(
    *,
    conversation: Conversation,
    before: int | None = None,
    after: int | None = None,
    limit: int = PAGE_SIZE,
) -> list[Message]:
    """Oldest-first slice: after `after` (the next `limit`), else before `before` (the
    previous `limit`), else the latest `limit`."""
    qs = Message.objects.filter(conversation=conversation)
    if after is not None:
        qs = qs.filter(id__gt=after)
        if before is not None:
            qs = qs.filter(id__lt=before)
        return list(qs.order_by("id")[:limit])
    if before is not None:
        qs = qs.filter(id__lt=before)
    rows = list(qs.order_by("-id")[:limit])
    rows.reverse()
    return rows


def client_has_booked_pro(*, client, pro: ProProfile) -> bool:
    from bookings.models import Booking

    return Booking.objects.filter(client=client, pro=pro).exists()
