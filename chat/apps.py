from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = _("Chat")

    def ready(self):
        from accounts.signals import user_exporting
        from bookings.lifecycle import booking_transitioned
        from bookings.signals import review_created, waitlist_offered
        from chat.account_data import export_user_data
        from chat.notifications import (
            on_booking_transitioned,
            on_review_created,
            on_waitlist_offered,
        )

        # Chat's part of a user's export (accounts.signals).
        user_exporting.connect(export_user_data, dispatch_uid="chat.export_user_data")
        # Booking news (a new request, a confirmation...) is pushed to the notification socket.
        booking_transitioned.connect(on_booking_transitioned, dispatch_uid="chat.booking_pushes")
        # A new review is pushed to the reviewed pro.
        review_created.connect(on_review_created, dispatch_uid="chat.review_pushes")
        # A waitlist offer is pushed to its client's open pages.
        waitlist_offered.connect(on_waitlist_offered, dispatch_uid="chat.waitlist_pushes")
