"""A made-up German catalogue for tests: the real ones (locale/) are written by translators
later, and English must stay English until then. With it, a test sees that a message really
goes through gettext in the language that was active when it was written."""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo

GERMAN = {
    "No such booking.": "Keine solche Buchung.",
    "role must be client or pro.": "role muss client oder pro sein.",
    "This is not an iCalendar (.ics) file.": "Das ist keine iCalendar-Datei (.ics).",
    "%(first)s and %(second)s overlap.": "%(first)s und %(second)s überschneiden sich.",
    "You cannot book your own service.": "Sie können Ihre eigene Leistung nicht buchen.",
}


def install_german(settings, tmp_path: Path) -> dict[str, str]:
    """Through pytest-django's `settings`: LOCALE_PATHS holds only a German catalogue of the
    GERMAN messages, written under `tmp_path` (Django's own catalogues stay: month names and
    the like). Returns GERMAN."""
    catalog = Catalog(locale="de", domain="django")
    for english, translated in GERMAN.items():
        catalog.add(english, translated)
    folder = tmp_path / "de" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with open(folder / "django.mo", "wb") as mo:
        write_mo(mo, catalog)
    # Django forgets its loaded translations when LOCALE_PATHS changes (and when it is restored).
    settings.LOCALE_PATHS = [tmp_path]
    return GERMAN
