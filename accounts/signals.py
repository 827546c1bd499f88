"""How accounts asks the other apps about a user without importing them.

accounts is the lowest app: bookings, chat and payments import it, never the reverse. When a
feature of accounts needs their part of a user's data (the export, the deletion), accounts sends
one of these signals and each app answers for its own rows, from a receiver it connects in its
``AppConfig.ready()``.

Contract shared by every signal here:

- it is sent with ``sender=User`` and one keyword argument, ``user`` (a saved User; receivers
  must accept ``**kwargs`` so that arguments can be added later);
- every receiver returns a dict, possibly empty; :func:`collect` merges them and refuses a key
  given twice, so one app can never overwrite another's part;
- receivers run in the order they were connected, and each app connects in its ``ready()``, so
  the merged keys follow ``INSTALLED_APPS`` (accounts, bookings, chat, payments): a deterministic
  order that the export shows;
- an exception in a receiver propagates to the sender (``send``, not ``send_robust``): an export
  or a deletion is never silently partial.
"""

from django.core.exceptions import ImproperlyConfigured
from django.dispatch import Signal

from accounts.models import User

user_exporting = Signal()
"""Sent by ``accounts.data_export.account_export``, with ``client_profile`` and ``pro_profile``
already loaded on the user (``getattr(user, "pro_profile", None)`` costs no query). A receiver
returns its app's export sections, ``{section name: JSON-ready value}``, following the rules of
that module's docstring (only the user's own data, other people by display name, ISO 8601 UTC
times, integer minor units). Its number of queries must not grow with the amount of data."""

user_deletion_previewing = Signal()
"""Sent by ``accounts.services.account_deletion_preview`` for the account deletion page. A
receiver only reads: it returns numbers that say what deleting the account would end in its app
(template context for ``accounts/delete_account.html``)."""

user_deleting = Signal()
"""Sent by ``accounts.services.account_delete`` inside its transaction, with the user row locked,
before accounts anonymises the user and the profiles (so the user still acts under their own
role). A receiver ends or anonymises its app's rows as the deletion contract in
``accounts.services`` says, through its app's services, and returns counts of what it did for the
confirmation message (``AccountDeletion.summary``). Raising rolls the whole deletion back."""

pro_currency_changing = Signal()
"""Sent by ``accounts.services.pro_currency_change`` inside its transaction, with the pro row
locked and before the new currency is saved, with ``sender=ProProfile``, ``pro``, ``old`` and
``new`` (ISO 4217 codes). Unlike the signals above it concerns a pro, not a user. A receiver
refuses by raising ValidationError with a message for the pro (which rolls everything back),
or moves its app's rows to the new currency and returns ``{name: count}`` for the
confirmation message."""

pro_content_language_changed = Signal()
"""Sent by ``accounts.services.pro_profile_update`` inside its transaction, after the pro row
(locked) is saved with its new content language, with ``sender=ProProfile``, ``pro``, ``old``
and ``new`` (language codes). A receiver moves its app's texts of that pro the way
``accounts.content.relabel`` says and returns ``{name: count}``."""


def collect(signal: Signal, *, user: User, base: dict | None = None) -> dict:
    """Send `signal` for `user` and merge the receivers' dicts after `base`'s keys.

    Raises ImproperlyConfigured when a receiver returns something other than a dict, or a key
    that `base` or an earlier receiver already gave.
    """
    merged = dict(base or {})
    for receiver, response in signal.send(sender=User, user=user):
        name = f"{receiver.__module__}.{receiver.__qualname__}"
        if not isinstance(response, dict):
            raise ImproperlyConfigured(f"{name} must return a dict, not {type(response).__name__}.")
        taken = sorted(merged.keys() & response.keys())
        if taken:
            raise ImproperlyConfigured(f"{name} returned keys already given: {', '.join(taken)}.")
        merged.update(response)
    return merged
