from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class BookingsConfig(AppConfig):
    name = "bookings"

    def ready(self):
        from accounts import signals as account_signals
        from accounts.models import ProProfile
        from bookings import account_data, receivers
        from bookings.models import Service

        # The booking part of a user's export and account deletion (accounts.signals).
        account_signals.user_exporting.connect(
            account_data.export_user_data, dispatch_uid="bookings.export_user_data"
        )
        account_signals.user_deletion_previewing.connect(
            account_data.preview_user_deletion, dispatch_uid="bookings.preview_user_deletion"
        )
        account_signals.user_deleting.connect(
            account_data.end_user_bookings, dispatch_uid="bookings.end_user_bookings"
        )
        # Every pro has booking rules from the start (booking_rules_for only reads).
        post_save.connect(
            receivers.booking_rules_for_new_pro,
            sender=ProProfile,
            dispatch_uid="bookings.booking_rules_for_new_pro",
        )
        # A pro's new currency relabels the services, or is refused while bookings are upcoming.
        account_signals.pro_currency_changing.connect(
            receivers.relabel_services_for_currency,
            dispatch_uid="bookings.relabel_services_for_currency",
        )
        # A pro's new content language makes the services' versions in it their main text.
        account_signals.pro_content_language_changed.connect(
            receivers.relabel_services_for_language,
            dispatch_uid="bookings.relabel_services_for_language",
        )
        # The directory finds pros by their active services' names (ProProfile.search_document).
        post_save.connect(
            receivers.search_document_on_service_save,
            sender=Service,
            dispatch_uid="bookings.search_document_on_service_save",
        )
        post_delete.connect(
            receivers.search_document_on_service_delete,
            sender=Service,
            dispatch_uid="bookings.search_document_on_service_delete",
        )
