"""Staff view of conversations: read-only, searchable by participant email."""

from django.contrib import admin
from django.db.models import Count, OuterRef, Q, Subquery
from django.utils.translation import gettext_lazy as _

from chat.models import Conversation, Message, UnreadEmailNotice


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MessageInline(ReadOnlyMixin, admin.TabularInline):
    model = Message
    fields = ["created_at", "sender", "body", "read_at"]
    readonly_fields = fields
    ordering = ["-id"]
    extra = 0
    show_change_link = True


@admin.register(Conversation)
class ConversationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "client",
        "pro",
        "last_message_at",
        "last_message",
        "message_count",
        "unread_count",
    ]
    list_select_related = ["client", "pro"]
    search_fields = ["client__email", "pro__user__email", "pro__display_name"]
    date_hierarchy = "created_at"
    readonly_fields = ["client", "pro", "pro_user", "created_at", "last_message_at"]
    inlines = [MessageInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_messages=Count("messages"),
                n_unread=Count("messages", filter=Q(messages__read_at__isnull=True)),
                last_body=Subquery(
                    Message.objects.filter(conversation=OuterRef("pk"))
                    .order_by("-id")
                    .values("body")[:1]
                ),
            )
        )

    @admin.display(description=_("last message"))
    def last_message(self, obj):
        return (obj.last_body or "")[:80]

    @admin.display(description=_("messages"), ordering="n_messages")
    def message_count(self, obj):
        return obj.n_messages

    @admin.display(description=_("unread"), ordering="n_unread")
    def unread_count(self, obj):
        return obj.n_unread


@admin.register(Message)
class MessageAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["id", "conversation", "sender", "short_body", "created_at", "read_at"]
    list_select_related = ["conversation__client", "conversation__pro", "sender"]
    search_fields = ["sender__email", "body"]
    list_filter = [("read_at", admin.EmptyFieldListFilter)]
    readonly_fields = ["conversation", "sender", "body", "created_at", "read_at"]

    @admin.display(description=_("body"))
    def short_body(self, obj):
        return obj.body[:80]


@admin.register(UnreadEmailNotice)
class UnreadEmailNoticeAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["conversation", "recipient", "last_message_id", "notified_at"]
    list_select_related = ["recipient"]
