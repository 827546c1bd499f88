from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "bookings"

    def ready(self):
        from accounts import signals as account_signals
        from bookings import account_data

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
