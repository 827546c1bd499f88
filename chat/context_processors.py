"""The navigation's unread-messages badge: at most one query per page, none for visitors."""

from django.utils.functional import SimpleLazyObject

from chat.selectors import unread_count_for_user


def unread_messages(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"chat_unread_count": 0}
    # Lazy: pages that never show the navigation pay nothing.
    return {"chat_unread_count": SimpleLazyObject(lambda: unread_count_for_user(user=user))}
