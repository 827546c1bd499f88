from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"

    def ready(self):
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
