"""What bookings does when another app announces something (connected in BookingsConfig.ready).

accounts never imports bookings: it saves a ProProfile, and this module gives each new pro
their booking rules with the defaults, so every pro has exactly one BookingRules row and reads
of the rules never write. A service saved or deleted rewrites its pro's search document
(`ProProfile.search_document`: the directory finds pros by their active services' names).
"""

from accounts.services import pro_search_documents_refresh
from bookings import services

# The service fields a pro's search document is made of (accounts.text_search).
DOCUMENT_FIELDS = {"name", "is_active", "translations"}


def booking_rules_for_new_pro(sender, instance, created, raw=False, **kwargs):
    """post_save of ProProfile: a new pro gets their rules in the same transaction.

    Fixture loading (``raw``) brings its own rows.
    """
    if created and not raw:
        services.booking_rules_create(pro=instance)


def relabel_services_for_currency(sender, pro, old, new, **kwargs):
    """accounts.signals.pro_currency_changing: refuse while bookings are upcoming, else price
    the pro's services in the new currency."""
    return {"services_relabelled": services.services_relabel_currency(pro=pro, old=old, new=new)}


def relabel_services_for_language(sender, pro, old, new, **kwargs):
    """accounts.signals.pro_content_language_changed: the services' versions in the new
    content language become their main text."""
    return {"services_relabelled": services.services_relabel_language(pro=pro, old=old, new=new)}


def search_document_on_service_save(sender, instance, update_fields=None, **kwargs):
    """post_save of Service: its pro's document again, unless the save named only other fields
    (a move, a price, a picture)."""
    if update_fields is not None and not DOCUMENT_FIELDS & set(update_fields):
        return
    pro_search_documents_refresh(pro_ids=[instance.pro_id])


def search_document_on_service_delete(sender, instance, **kwargs):
    """post_delete of Service: its pro's document without it."""
    pro_search_documents_refresh(pro_ids=[instance.pro_id])
