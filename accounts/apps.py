from allauth.account.apps import AccountConfig
from allauth.mfa.apps import MFAConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")
    # This module holds three configs: "accounts" in INSTALLED_APPS must mean this one, or
    # Django falls back to a bare AppConfig and ready() never runs.
    default = True

    def ready(self):
        from django.db.models.signals import post_save

        from accounts import receivers
        from accounts.models import Category, ProProfile
        from timz import pagecache

        # Public pages cached for visitors are invalidated by the writes they show.
        pagecache.connect_signals()
        # The directory's search document follows what it is made of (services: bookings).
        for sender, receiver in (
            (ProProfile, receivers.search_document_on_profile_save),
            (Category, receivers.search_document_on_category_save),
        ):
            post_save.connect(receiver, sender=sender, dispatch_uid=f"accounts.{receiver.__name__}")


# allauth's two apps under names of their own in the admin: allauth calls its email app
# "Accounts" too, which gave staff two "Accounts" sections. Labels (and so tables and
# migrations) stay allauth's.
class SignInEmailConfig(AccountConfig):
    verbose_name = _("Sign-in: email addresses")


class SignInFactorsConfig(MFAConfig):
    verbose_name = _("Sign-in: two-factor")
