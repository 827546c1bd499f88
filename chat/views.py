"""Chat pages. They work without JavaScript (forms post and redirect); static/js/chat.js makes
the conversation page live over the websocket."""

from http import HTTPStatus

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import pro_required
from accounts.models import ProProfile, User
from accounts.timezones import viewer_zone
from bookings.selectors import booking_for_pair, booking_get_for_user
from chat import selectors, services
from chat.forms import MessageForm
from chat.models import Conversation

INBOX_PAGE_SIZE = 30


def _not_allowed(request, reason: str):
    return render(request, "chat/not_allowed.html", {"reason": reason}, status=HTTPStatus.FORBIDDEN)


def _other_side(conversation: Conversation, user) -> dict:
    """Name, picture and page of the person `user` is talking to."""
    if user.pk == conversation.client_id:
        pro = conversation.pro
        return {
            "name": pro.display_name,
            "avatar": pro.avatar or None,
            "url": pro.get_absolute_url(),
            "role": _("Professional"),
        }
    return {
        "name": conversation.client_name,
        "avatar": conversation.client_avatar,
        "url": "",
        "role": _("Client"),
    }


def _positive_int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


@login_required
def inbox(request):
    conversations = selectors.conversations_for_user(user=request.user)
    page = Paginator(conversations, INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {
            "conversation": conversation,
            "other": _other_side(conversation, request.user),
            "mine": conversation.last_sender_id == request.user.pk,
        }
        for conversation in page
    ]
    context = {"rows": rows, "page": page, "tz": viewer_zone(request.user)}
    return render(request, "chat/inbox.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def conversation_detail(request, pk):
    conversation = selectors.conversation_get_for_user(user=request.user, pk=pk)
    status = HTTPStatus.OK
    form = MessageForm()
    if request.method == "POST":
        form = MessageForm(request.POST)
        if form.is_valid():
            try:
                message = services.message_send(
                    conversation=conversation, sender=request.user, body=form.cleaned_data["body"]
                )
            except ValidationError as exc:
                form.add_error("body", exc)
                if exc.code == "rate_limited":
                    status = HTTPStatus.TOO_MANY_REQUESTS
            else:
                return redirect(f"{conversation.get_absolute_url()}#m{message.pk}")
        if status == HTTPStatus.OK:
            status = HTTPStatus.BAD_REQUEST

    before = _positive_int(request.GET.get("before"))
    page, has_older = selectors.messages_page(conversation=conversation, before=before)
    if before is None and any(m.read_at is None and m.sender_id != request.user.pk for m in page):
        services.messages_mark_read(
            conversation=conversation, reader=request.user, up_to=page[-1].pk
        )
    seen_id = max(
        (m.pk for m in page if m.sender_id == request.user.pk and m.read_at is not None),
        default=None,
    )
    zone = viewer_zone(request.user)
    context = {
        "conversation": conversation,
        "other": _other_side(conversation, request.user),
        "chat_messages": page,
        "has_older": has_older,
        "oldest_id": page[0].pk if page else None,
        "last_id": page[-1].pk if page else 0,
        "before": before,
        "seen_id": seen_id,
        "form": form,
        "tz": zone,
        # The day separator static/js/chat.js writes for a message that arrives today.
        "today": timezone.now().astimezone(zone).date(),
        "booking": booking_for_pair(
            client_id=conversation.client_id, pro_id=conversation.pro_id, now=timezone.now()
        ),
    }
    return render(request, "chat/conversation.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def start_with_pro(request, slug):
    """A client opens the conversation with a pro (GET asks to confirm; POST creates it)."""
    pro = get_object_or_404(ProProfile.objects.select_related("category", "user"), slug=slug)
    if pro.user_id == request.user.pk:
        return _not_allowed(request, _("This is your own professional profile."))
    existing = selectors.conversation_for_pair(client=request.user, pro=pro)
    if existing is not None:
        return redirect(existing)
    if not pro.is_public:  # hidden or closed: no new conversations
        raise Http404(_("No professional with that address."))
    if request.method == "GET":
        return render(request, "chat/start.html", {"pro": pro})
    try:
        conversation, _created = services.conversation_get_or_create(client=request.user, pro=pro)
    except ValidationError as exc:
        return _not_allowed(request, " ".join(exc.messages))
    return redirect(conversation)


@pro_required
@require_POST
def start_with_client(request, client_id, *, pro):
    """A pro opens the conversation with a client who has booked them."""
    # An unknown id gets the answer a real user who never booked gets: ids reveal nobody.
    client = User.objects.filter(pk=client_id, is_active=True).first()
    if client is None:
        return _not_allowed(request, _("You can only message clients who have booked you."))
    try:
        conversation, _created = services.conversation_start_with_client(pro=pro, client=client)
    except PermissionDenied as exc:
        return _not_allowed(request, str(exc))
    except ValidationError as exc:
        return _not_allowed(request, " ".join(exc.messages))
    return redirect(conversation)


def _booking_for_participant(*, user, pk):
    """The booking if `user` is its client or its pro (staff reading a booking are not part of
    its conversation), else Http404."""
    booking = booking_get_for_user(user=user, pk=pk)
    if user.pk not in (booking.client_id, booking.pro.user_id):
        raise Http404(_("Booking not found."))
    return booking


@login_required
@require_http_methods(["GET", "POST"])
def for_booking(request, booking_pk):
    """From a booking to the pair's conversation.

    GET goes to the conversation when it exists, else shows a page whose button POSTs here;
    only POST creates the conversation (a link followed from anywhere must not write).
    """
    booking = _booking_for_participant(user=request.user, pk=booking_pk)
    if request.method == "GET":
        existing = selectors.conversation_for_pair(client=booking.client, pro=booking.pro)
        if existing is not None:
            return redirect(existing)
        return render(request, "chat/for_booking.html", {"booking": booking})
    try:
        conversation, created = services.conversation_get_or_create(
            client=booking.client, pro=booking.pro
        )
    except ValidationError as exc:
        return _not_allowed(request, " ".join(exc.messages))
    if created:
        flash.info(
            request,
            _("Conversation started about your booking of %(service)s.")
            % {"service": booking.localized_service_name},
        )
    return redirect(conversation)
