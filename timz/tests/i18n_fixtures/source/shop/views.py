"""A fixture of timz/tests/test_translations.py: strings marked in Python."""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def distance(km: int) -> str:
    return _("%(count)d km away") % {"count": km}


def unread(count: int) -> str:
    return ngettext("One new message", "%(count)s new messages", count) % {"count": count}
