"""What bookings does when another app announces something (connected in BookingsConfig.ready).

accounts never imports bookings: it saves a ProProfile, and this module gives each new pro
their booking rules with the defaults, so every pro has exactly one BookingRules row and reads
of the rules never write.
"""

from bookings import services


def booking_rules_for_new_pro(sender, instance, created, raw=False, **kwargs):
    """post_save of ProProfile: a new pro gets their rules in the same transaction.

    Fixture loading (``raw``) brings its own rows.
    """
    if created and not raw:
        services.booking_rules_create(pro=instance)


def relabel_services_for_currency(sender, pro, old, new, **kwargs):
    """accounts.signals.pro_currency_changing: refuse while bookings are upcoming, else price
    the pro's services in the new currency."""
    return {"services_relabelled": services.services_relabel_currency(pro=pro, old=old, new=new)}
