from django.apps import AppConfig
from django.db.models.signals import post_save


class BookingsConfig(AppConfig):
    name = "bookings"

    def ready(self):
        from accounts.models import ProProfile
        from bookings.receivers import booking_rules_for_new_pro

        post_save.connect(
            booking_rules_for_new_pro,
            sender=ProProfile,
            dispatch_uid="bookings.booking_rules_for_new_pro",
        )
