"""The catalogues, and ``make messages`` that makes them.

For every language of ``settings.LANGUAGES`` but English (the source), `catalogue_problems`
checks ``locale/<lang>/LC_MESSAGES/django.po`` (always) and ``djangojs.po`` (once the
JavaScript has strings):

- no entry is empty (every plural form filled, as many forms as the header's Plural-Forms),
  fuzzy (the header included) or obsolete (``#~``);
- the placeholders of a translation are those of its source: ``%(name)s`` (a blocktranslate's
  ``{{ name }}`` is ``%(name)s`` in a catalogue), positional ones in a python-format entry in the
  same number and types (`placeholder_problem`);
- the ``.mo`` beside it holds exactly what msgfmt makes of the ``.po`` as it is: the ``.po`` is
  compiled in memory (`compiled_entries`, msgfmt's rules: fuzzy and untranslated entries left
  out) and compared, entry by entry and with the Plural-Forms, with what Python's gettext
  (Django's reader) finds in the ``.mo``;
- with the strings `extract_messages` finds in the code (a fresh ``makemessages`` run on a copy
  of the sources in a temporary directory: nothing is written under the project's ``locale/``),
  the catalogue holds every one and no other.

The ``.mo`` files are committed (built by ``make messages``): pages and tests need no gettext;
the compiled check keeps them in step with their ``.po``. Reading needs only Babel (a
requirement already, for money); extracting needs GNU gettext's xgettext and msguniq, as
``make messages`` does.
"""

from __future__ import annotations

import contextlib
import gettext
import io
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from timz.i18n_check.templates import shorten

DOMAINS = ("django", "djangojs")
SOURCE_LANGUAGE = "en"
# What makemessages leaves out, for `make messages` and the freshness check alike.
MESSAGE_IGNORES = [
    ".venv/*",
    "node_modules/*",
    "var/*",
    "e2e/*",
    "bench/*",
    "*/tests/*",
    "conftest.py",
    "static/vendor/*",
]
# `add_location="file"`: translators see where a string is used, and a diff changes only when a
# string moves to another file, not whenever a line is added above it. `no_obsolete`: a string
# gone from the code leaves the catalogue (git keeps the history). Entries come in the order of
# the files (sorted) and of the strings in each: stable from one run to the next, and a page's
# strings stay together for the translator.
MAKEMESSAGES_OPTIONS: dict[str, Any] = {
    "ignore_patterns": MESSAGE_IGNORES,
    "no_obsolete": True,
    "add_location": "file",
}
SOURCE_SUFFIXES = (".html", ".txt", ".py", ".js")

_PLACEHOLDER_RE = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?"
    r"(?P<type>[diouxXeEfFgGcrsa%])"
)
_FORMAT_FLAGS = frozenset({"python-format", "javascript-format"})


@dataclass(frozen=True, order=True)
class Problem:
    """Something wrong with a catalogue, at `path`:`line` (line 0: the file as a whole)."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


def translation_languages() -> list[str]:
    """The languages with catalogues: every one of settings.LANGUAGES but the source's."""
    from django.conf import settings

    return [code for code, _name in settings.LANGUAGES if code != SOURCE_LANGUAGE]


def _is_plural(message: Message) -> bool:
    return not isinstance(message.id, str)


def _ids(message: Message) -> list[str]:
    """The message's msgid, and its msgid_plural if it has one."""
    return [message.id] if isinstance(message.id, str) else list(message.id)


def _key(message: Message) -> tuple[str | None, str]:
    return message.context, _ids(message)[0]


def _strings(message: Message) -> list[str]:
    """The message's msgstr, or each of its msgstr[n]."""
    string = message.string
    if string is None:
        return [""]
    return [string] if isinstance(string, str) else list(string)


def _show(message: Message) -> str:
    context, msgid = _key(message)
    return repr(shorten(msgid, 70)) + (f" (context {context!r})" if context else "")


def _placeholders(text: str) -> tuple[set[str], list[str]]:
    """The named placeholders of a %-format string, and the types of its positional ones."""
    names: set[str] = set()
    positional: list[str] = []
    for match in _PLACEHOLDER_RE.finditer(text):
        if match["type"] == "%":
            continue
        if match["name"] is not None:
            names.add(match["name"])
        else:
            positional.append(match["type"])
    return names, positional


def placeholder_problem(message: Message) -> str | None:
    """Why the placeholders of `message`'s translation do not fit its source, if they do not.
    A singular translation has exactly the source's named placeholders. Each plural form uses
    only the source's, and the forms together use them all (a language may write "one" rather
    than "%(counter)s" in the form for 1). Positional placeholders (entries flagged
    python-format or javascript-format) come in the source's number and types."""
    sources = _ids(message)
    strings = [string for string in _strings(message) if string]
    if not strings:
        return None
    source_names = set().union(*(_placeholders(source)[0] for source in sources))
    names = [_placeholders(string)[0] for string in strings]
    if _is_plural(message):
        extra = set().union(*names) - source_names
        missing = source_names - set().union(*names)
    else:
        extra, missing = names[0] - source_names, source_names - names[0]
    if extra:
        return "unknown placeholder " + ", ".join(f"%({name})s" for name in sorted(extra))
    if missing:
        return "missing placeholder " + ", ".join(f"%({name})s" for name in sorted(missing))
    if set(message.flags) & _FORMAT_FLAGS:
        allowed = [_placeholders(source)[1] for source in sources]
        if any(_placeholders(string)[1] not in allowed for string in strings):
            return "positional placeholders (%s, %d…) differ from the source's"
    return None


def read_catalogue(path: Path) -> Catalog:
    """The catalogue at `path`, as Babel reads it (obsolete entries kept apart)."""
    with path.open("rb") as file:
        return read_po(file, abort_invalid=True)


def read_template(path: Path) -> Catalog:
    """The .pot at `path`: its header's Plural-Forms is xgettext's placeholder
    ("nplurals=INTEGER"), which Babel cannot read and a template does not need."""
    text = path.read_bytes()
    text = re.sub(rb'^"Plural-Forms: nplurals=INTEGER;[^"]*"\n', b"", text, flags=re.MULTILINE)
    return read_po(io.BytesIO(text), abort_invalid=True)


def entry_problems(catalogue: Catalog, shown: str) -> list[Problem]:
    """The catalogue's empty, fuzzy and obsolete entries, and placeholders that do not fit."""
    problems = []
    if catalogue.fuzzy:
        problems.append(
            Problem(
                shown,
                0,
                "the header is fuzzy (makemessages just created the catalogue): check the "
                "header and remove its '#, fuzzy'",
            )
        )
    for message in catalogue:
        if not message.id:
            continue  # the header
        strings = _strings(message)
        line = message.lineno or 0
        if message.fuzzy:
            problems.append(Problem(shown, line, f"fuzzy: {_show(message)}"))
        if not any(strings):
            problems.append(Problem(shown, line, f"not translated: {_show(message)}"))
        elif not all(strings):
            problems.append(Problem(shown, line, f"a plural form is empty: {_show(message)}"))
        if _is_plural(message) and len(strings) != catalogue.num_plurals:
            problems.append(
                Problem(
                    shown,
                    line,
                    f"{len(strings)} plural forms, the header's Plural-Forms says "
                    f"{catalogue.num_plurals}: {_show(message)}",
                )
            )
        if reason := placeholder_problem(message):
            problems.append(Problem(shown, line, f"{reason}: {_show(message)}"))
    for message in catalogue.obsolete.values():
        problems.append(
            Problem(
                shown, message.lineno or 0, f"obsolete (#~), run make messages: {_show(message)}"
            )
        )
    return problems


def compiled_entries(catalogue: Catalog) -> dict[str | tuple[str, int], str]:
    """What msgfmt puts in the .mo of `catalogue`, keyed as Python's gettext keys it: every
    entry neither fuzzy nor untranslated; a context joined to its msgid by \\x04; the plural
    forms under (msgid, index). Empty plural forms are left out on both sides of the
    comparison (`entry_problems` reports them)."""
    entries: dict[str | tuple[str, int], str] = {}
    for message in catalogue:
        if not message.id or message.fuzzy or not any(_strings(message)):
            continue
        context, msgid = _key(message)
        key = f"{context}\x04{msgid}" if context else msgid
        if _is_plural(message):
            for index, string in enumerate(_strings(message)):
                if string:  # msgfmt keeps or drops an empty form: it is reported apart
                    entries[(key, index)] = string
        else:
            entries[key] = _strings(message)[0]
    return entries


def _plural_forms(text: str) -> str:
    return re.sub(r"\s+", "", text).rstrip(";")


def compiled_problems(catalogue: Catalog, mo_path: Path, shown: str) -> list[Problem]:
    """Whether the .mo at `mo_path` holds what its .po, `catalogue`, compiles to."""
    shown = str(Path(shown).with_suffix(".mo"))
    if not mo_path.exists():
        return [Problem(shown, 0, "missing: run make messages")]
    try:
        with mo_path.open("rb") as file:
            compiled = gettext.GNUTranslations(file)
    except (OSError, UnicodeDecodeError, ValueError) as error:
        return [Problem(shown, 0, f"unreadable ({error}): run make messages")]
    held = {key: value for key, value in compiled._catalog.items() if key != "" and value}  # type: ignore[attr-defined]
    expected = compiled_entries(catalogue)
    differing = [key for key in expected if held.get(key) != expected[key]]
    differing += [key for key in held if key not in expected]
    msgids = dict.fromkeys(key if isinstance(key, str) else key[0] for key in differing)
    problems = [
        Problem(shown, 0, f"not compiled from its .po as it is ({shown_id!r}): run make messages")
        for shown_id in (shorten(msgid.split("\x04")[-1], 70) for msgid in msgids)
    ]
    held_plural_forms = compiled.info().get("plural-forms", "")
    if _plural_forms(held_plural_forms) != _plural_forms(catalogue.plural_forms):
        problems.append(
            Problem(
                shown,
                0,
                f"Plural-Forms {held_plural_forms or 'missing'!r} where the .po says "
                f"{catalogue.plural_forms!r}: run make messages",
            )
        )
    return problems


def freshness_problems(catalogue: Catalog, extracted: Catalog, shown: str) -> list[Problem]:
    """Whether `catalogue` holds exactly the strings `extracted` from the code (a .pot)."""
    problems = []
    held = {_key(message): message for message in catalogue if message.id}
    wanted = {_key(message): message for message in extracted if message.id}
    for key, message in wanted.items():
        if key not in held:
            files = ", ".join(sorted({location for location, _line in message.locations}))
            problems.append(
                Problem(shown, 0, f"missing {_show(message)} (used in {files}): run make messages")
            )
        elif _ids(message) != _ids(held[key]):
            problems.append(
                Problem(
                    shown,
                    held[key].lineno or 0,
                    f"its plural changed in the code: {_show(message)}: run make messages",
                )
            )
    for key, message in held.items():
        if key not in wanted:
            problems.append(
                Problem(
                    shown,
                    message.lineno or 0,
                    f"no longer in the code: {_show(message)}: run make messages",
                )
            )
    return problems


def _source_files(root: Path) -> Iterator[Path]:
    """The files under `root` makemessages reads (`MESSAGE_IGNORES` applied), relative."""
    from django.core.management.utils import is_ignored_path

    ignores = [*MESSAGE_IGNORES, ".*", "__pycache__", "locale", "node_modules", "var"]
    for directory, dirnames, filenames in os.walk(root):
        relative = Path(directory).relative_to(root)
        dirnames[:] = sorted(d for d in dirnames if not is_ignored_path(relative / d, ignores))
        for name in filenames:
            path = relative / name
            if path.suffix in SOURCE_SUFFIXES and not is_ignored_path(path, ignores):
                yield path


def extract_messages(root: Path | None = None) -> dict[str, Catalog]:
    """What a fresh `make messages` extracts from the code under `root` (default: the
    project): one Babel catalogue (a .pot) per domain, empty for a domain without strings.
    makemessages runs on a copy of the sources in a temporary directory, so nothing is
    written into the project (not even the files it writes beside each template)."""
    from django.conf import settings
    from django.core.management import call_command
    from django.test.utils import override_settings

    root = Path(root or settings.BASE_DIR)
    for program in ("xgettext", "msguniq"):
        if shutil.which(program) is None:
            raise RuntimeError(f"{program} not found: extracting messages needs GNU gettext")
    catalogues = {}
    with tempfile.TemporaryDirectory(prefix="timz-messages-") as temporary:
        copy = Path(temporary)
        for path in _source_files(root):
            (copy / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(root / path, copy / path)
        locale = copy / "locale"
        locale.mkdir()
        # --all over an empty locale/: makemessages makes the .pot and no .po.
        with contextlib.chdir(copy), override_settings(LOCALE_PATHS=[str(locale)]):
            for domain in DOMAINS:
                call_command(
                    "makemessages",
                    domain=domain,
                    all=True,
                    keep_pot=True,
                    verbosity=0,
                    ignore_patterns=list(MESSAGE_IGNORES),
                    add_location="file",
                )
                pot = locale / f"{domain}.pot"
                catalogues[domain] = read_template(pot) if pot.exists() else Catalog()
    return catalogues


def catalogue_problems(
    locale_dir: Path | None = None,
    languages: Iterable[str] | None = None,
    *,
    extracted: dict[str, Catalog] | None = None,
    root: Path | None = None,
) -> list[Problem]:
    """Every problem of the catalogues under `locale_dir` (default: the first of
    settings.LOCALE_PATHS) for `languages` (default: all but English). Given `extracted`
    (`extract_messages`), also whether each holds exactly the strings of the code. Paths are
    shown relative to `root` (default: the project)."""
    from django.conf import settings

    root = Path(root or settings.BASE_DIR)
    locale_dir = Path(locale_dir or settings.LOCALE_PATHS[0])
    problems: list[Problem] = []
    for language in translation_languages() if languages is None else languages:
        for domain in DOMAINS:
            po_path = locale_dir / language / "LC_MESSAGES" / f"{domain}.po"
            shown = str(po_path.relative_to(root)) if po_path.is_relative_to(root) else str(po_path)
            wanted = None if extracted is None else extracted.get(domain, Catalog())
            if not po_path.exists():
                if domain == "django" or (wanted is not None and len(wanted)):
                    problems.append(Problem(shown, 0, "missing: run make messages"))
                continue
            try:
                catalogue = read_catalogue(po_path)
            except Exception as error:  # Babel's PoFileError, a broken encoding: unreadable
                problems.append(Problem(shown, 0, f"unreadable: {error}"))
                continue
            problems += entry_problems(catalogue, shown)
            problems += compiled_problems(catalogue, po_path.with_suffix(".mo"), shown)
            if wanted is not None:
                problems += freshness_problems(catalogue, wanted, shown)
    return problems


def make_messages() -> None:
    """`make messages`: every language's catalogues extracted from the code, then compiled."""
    from django.conf import settings
    from django.core.management import call_command

    languages = translation_languages()
    with contextlib.chdir(settings.BASE_DIR):
        for domain in DOMAINS:
            call_command("makemessages", locale=languages, domain=domain, **MAKEMESSAGES_OPTIONS)
        call_command("compilemessages", locale=languages, ignore_patterns=list(MESSAGE_IGNORES))
