from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"

    def ready(self):
        from accounts.signals import user_exporting
        from chat.account_data import export_user_data

        # Chat's part of a user's export (accounts.signals).
        user_exporting.connect(export_user_data, dispatch_uid="chat.export_user_data")

        # Booking pushes to the notification socket. bookings.lifecycle is written alongside
        # chat; connect only once it provides the signal.
        try:
            from bookings import lifecycle
        except ImportError:
            return
        signal = getattr(lifecycle, "booking_transitioned", None)
        if signal is not None:
            from chat.notifications import on_booking_transitioned

            signal.connect(on_booking_transitioned, dispatch_uid="chat.booking_pushes")
