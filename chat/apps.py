from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"

    def ready(self):
        from bookings.lifecycle import booking_transitioned
        from chat.notifications import on_booking_transitioned

        # Booking news (a new request, a confirmation...) is pushed to the notification socket.
        booking_transitioned.connect(on_booking_transitioned, dispatch_uid="chat.booking_pushes")
