"""Stand-in translation catalogues for tests, written where the test says (the project's own
catalogues in locale/ are made from the marked strings by `make messages`, then translated).

`use_catalogues(settings, tmp_path, {"de": {"Confirm": "Bestätigen"}})` compiles one
django.mo per language and puts it first in LOCALE_PATHS (Django forgets the catalogues it
loaded when that setting changes, and again when the test restores it). A key may be a
(context, message) pair for a pgettext entry.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo

Entries = dict[str | tuple[str, str], str]


def use_catalogues(settings, root: Path, languages: dict[str, Entries]) -> None:
    for code, entries in languages.items():
        catalog = Catalog(locale=code)
        for key, translated in entries.items():
            context, message = key if isinstance(key, tuple) else (None, key)
            catalog.add(message, translated, context=context)
        folder = root / code / "LC_MESSAGES"
        folder.mkdir(parents=True)
        with (folder / "django.mo").open("wb") as mo:
            write_mo(mo, catalog)
    settings.LOCALE_PATHS = [str(root), *settings.LOCALE_PATHS]
