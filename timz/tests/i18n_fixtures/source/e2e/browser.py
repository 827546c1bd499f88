"""A fixture: browser tests are not extracted."""

from django.utils.translation import gettext as _

LABEL = _("Only in a browser test")
