"""What accounts does when its own rows change (connected in AccountsConfig.ready).

The directory's search document (`ProProfile.search_document`) follows the profile and the
category it is made of; bookings.receivers does the same for services.
"""

from accounts import services
from accounts.models import ProProfile

# The profile fields the search document is made of (accounts.text_search).
DOCUMENT_FIELDS = {"display_name", "headline", "category", "translations"}


def search_document_on_profile_save(sender, instance, update_fields=None, **kwargs):
    """post_save of ProProfile: its document again, unless the save named only other fields."""
    if update_fields is not None and not DOCUMENT_FIELDS & set(update_fields):
        return
    services.pro_search_documents_refresh(pro_ids=[instance.pk])


def search_document_on_category_save(sender, instance, created, **kwargs):
    """post_save of Category: a renamed category renames itself in its pros' documents."""
    if created:
        return  # nobody is in it yet
    services.pro_search_documents_refresh(
        pro_ids=ProProfile.objects.filter(category=instance).values("pk")
    )
