from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "bookings"

    def ready(self):
        from accounts import signals as account_signals
        from bookings import account_data

        # The booking part of a user's export (accounts.signals).
        account_signals.user_exporting.connect(
            account_data.export_user_data, dispatch_uid="bookings.export_user_data"
        )
