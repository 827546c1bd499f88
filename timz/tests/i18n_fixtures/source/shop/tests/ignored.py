"""A fixture: test code is not extracted (make messages ignores */tests/*)."""

from django.utils.translation import gettext as _

LABEL = _("Only in a test")
