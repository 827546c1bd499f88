"""Chat JSON API v1 (session auth with CSRF). The same services as the pages and the sockets:
a message posted here is saved and delivered live exactly like one typed in the browser."""

from datetime import datetime
from http import HTTPStatus

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.security import django_auth
from pydantic import Field

from accounts.access import pro_for_user
from accounts.models import ProProfile, User
from chat import selectors, services
from chat.models import Conversation
from timz.schemas import ErrorOut, Id

router = Router(tags=["chat"], auth=django_auth)


# Named apart from accounts' ProOut: OpenAPI components are keyed by class name, and two
# schemas with one name would silently replace each other in /api/v1/openapi.json.
class ChatPersonOut(Schema):
    id: int
    name: str
    avatar_url: str | None = None


class ChatProOut(ChatPersonOut):
    slug: str


class ConversationOut(Schema):
    id: int
    client: ChatPersonOut
    pro: ChatProOut
    created_at: datetime
    last_message_at: datetime | None
    unread_count: int
    last_message: str | None = None


class MessageOut(Schema):
    id: int
    conversation: int
    sender: int
    sender_name: str
    body: str
    created_at: datetime
    read_at: datetime | None = None


class StartIn(Schema):
    pro: str | None = Field(None, description="A pro's slug (when the caller is the client).")
    client: Id | None = Field(None, description="A client's user id (when the caller is the pro).")


class MessageIn(Schema):
    body: str


class ReadIn(Schema):
    up_to: Id


class ReadOut(Schema):
    marked: int


class MessagesQuery(Schema):
    before: int | None = None
    after: int | None = None
    limit: int = Field(selectors.PAGE_SIZE, ge=1, le=100)


def _avatar_url(image) -> str | None:
    return image.url if image else None


def _conversation_out(conversation: Conversation) -> dict:
    return {
        "id": conversation.pk,
        "client": {
            "id": conversation.client_id,
            "name": conversation.client_name,
            "avatar_url": _avatar_url(conversation.client_avatar),
        },
        "pro": {
            "id": conversation.pro_user_id,
            "slug": conversation.pro.slug,
            "name": conversation.pro.display_name,
            "avatar_url": _avatar_url(conversation.pro.avatar),
        },
        "created_at": conversation.created_at,
        "last_message_at": conversation.last_message_at,
        "unread_count": getattr(conversation, "unread_count", 0),
        "last_message": getattr(conversation, "last_body", None),
    }


def _message_out(message, conversation: Conversation) -> dict:
    out = services.message_payload(message, conversation=conversation)
    out["created_at"] = message.created_at
    out["read_at"] = message.read_at
    return out


@router.get(
    "/conversations",
    response={200: list[ConversationOut], 401: ErrorOut},
    summary="Your conversations",
)
def list_conversations(request):
    """The caller's conversations, most recent message first, with unread counts."""
    return [_conversation_out(c) for c in selectors.conversations_for_user(user=request.user)]


@router.post(
    "/conversations",
    response={
        200: ConversationOut,
        201: ConversationOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
    },
    summary="Start (or find) a conversation",
)
def start_conversation(request, payload: StartIn):
    """`{"pro": slug}` as a client, or `{"client": id}` as a pro with a booking from that client.
    201 when created, 200 when it already existed."""
    if (payload.pro is None) == (payload.client is None):
        raise HttpError(400, _('Give exactly one of "pro" (a slug) or "client" (a user id).'))
    if payload.pro is not None:
        pro = ProProfile.objects.select_related("user").filter(slug=payload.pro).first()
        hidden = pro is not None and not pro.is_public
        if pro is None or (
            hidden and not selectors.conversation_for_pair(client=request.user, pro=pro)
        ):
            raise Http404(_("No professional with that slug."))
        conversation, created = services.conversation_get_or_create(client=request.user, pro=pro)
    else:
        pro = pro_for_user(request.user)
        client = User.objects.filter(pk=payload.client, is_active=True).first()
        if client is None:  # the answer a real user who never booked gets: ids reveal nobody
            raise PermissionDenied(_("You can only message clients who have booked you."))
        conversation, created = services.conversation_start_with_client(pro=pro, client=client)
    annotated = selectors.conversations_for_user(user=request.user).get(pk=conversation.pk)
    return Status(HTTPStatus.CREATED if created else HTTPStatus.OK, _conversation_out(annotated))


@router.get(
    "/conversations/{conversation_id}/messages",
    response={200: list[MessageOut], 400: ErrorOut, 401: ErrorOut, 404: ErrorOut},
    summary="Messages of a conversation",
)
def list_messages(request, conversation_id: int, filters: Query[MessagesQuery]):
    """Oldest first. `after=id`: the next `limit` after it; `before=id`: the `limit` before it;
    neither: the latest `limit` (1..100, default 50)."""
    conversation = selectors.conversation_get_for_user(user=request.user, pk=conversation_id)
    rows = selectors.messages_for_api(
        conversation=conversation, before=filters.before, after=filters.after, limit=filters.limit
    )
    return [_message_out(m, conversation) for m in rows]


@router.post(
    "/conversations/{conversation_id}/messages",
    response={
        201: MessageOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        429: ErrorOut,
    },
    summary="Send a message",
)
def send_message(request, conversation_id: int, payload: MessageIn):
    """Saved, then delivered live to the conversation's open sockets."""
    conversation = selectors.conversation_get_for_user(user=request.user, pk=conversation_id)
    try:
        message = services.message_send(
            conversation=conversation, sender=request.user, body=payload.body
        )
    except ValidationError as exc:
        status = 429 if exc.code == "rate_limited" else 400
        raise HttpError(status, " ".join(exc.messages)) from exc
    return Status(HTTPStatus.CREATED, _message_out(message, conversation))


@router.post(
    "/conversations/{conversation_id}/read",
    response={200: ReadOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Mark messages read",
)
def mark_read(request, conversation_id: int, payload: ReadIn):
    """Marks the other side's messages up to `up_to` (a message id) as read."""
    conversation = selectors.conversation_get_for_user(user=request.user, pk=conversation_id)
    marked = services.messages_mark_read(
        conversation=conversation, reader=request.user, up_to=payload.up_to
    )
    return {"marked": marked}
