from django.apps import AppConfig


def _follow_booking(sender, **kwargs):
    from payments.services import booking_payment_follow

    booking_payment_follow(**kwargs)


class PaymentsConfig(AppConfig):
    name = "payments"

    def ready(self):
        from bookings.lifecycle import booking_transitioned

        # Refunds and closing pending payments follow the booking lifecycle, in its transaction.
        booking_transitioned.connect(
            _follow_booking, dispatch_uid="payments.booking_payment_follow", weak=False
        )
