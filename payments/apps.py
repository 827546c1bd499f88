from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _refuse_currency_change(sender, pro, old, **kwargs):
    from payments.services import pro_currency_change_refusal

    pro_currency_change_refusal(pro=pro, old=old)
    return {}


def _follow_booking(sender, **kwargs):
    from payments.services import booking_payment_follow

    booking_payment_follow(**kwargs)


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Payments")

    def ready(self):
        from accounts.signals import pro_currency_changing, user_deleting, user_exporting
        from bookings.lifecycle import booking_transitioned
        from payments.account_data import export_user_data, forget_saved_cards

        # Refunds and closing pending payments follow the booking lifecycle, in its transaction.
        booking_transitioned.connect(
            _follow_booking, dispatch_uid="payments.booking_payment_follow", weak=False
        )
        # The payment part of a user's export (accounts.signals).
        user_exporting.connect(export_user_data, dispatch_uid="payments.export_user_data")
        # No new currency while a payment in the old one is pending (accounts.signals).
        pro_currency_changing.connect(
            _refuse_currency_change, dispatch_uid="payments.refuse_currency_change", weak=False
        )
        user_deleting.connect(forget_saved_cards, dispatch_uid="payments.forget_saved_cards")
