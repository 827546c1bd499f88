"""The guards of issue 15: a user-facing template string nobody marked for translation, and a
catalogue with an empty, fuzzy or obsolete entry, a placeholder that does not fit, a stale .mo
or a string of the code missing, each fail the suite (timz/i18n_check/).

The checks are first shown to fail and to pass on small fixtures (timz/tests/i18n_fixtures/:
templates, catalogues, a tiny source tree), then run over the project itself: every template
marked, every catalogue complete, compiled and up to date with the code.
"""

import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Template

from timz.i18n_check.catalogues import (
    Problem,
    catalogue_problems,
    extract_messages,
    translation_languages,
)
from timz.i18n_check.templates import (
    project_template_dirs,
    reads_as_prose,
    unmarked_in_template,
    unmarked_strings,
)

FIXTURES = Path(__file__).parent / "i18n_fixtures"
TEMPLATES = FIXTURES / "templates"
CATALOGUES = FIXTURES / "catalogues"
SOURCE = FIXTURES / "source"


def findings_in(folder: str) -> list[str]:
    """The unmarked strings of a fixture folder (its pages extend templates/layouts/)."""
    found = unmarked_strings([TEMPLATES / folder, TEMPLATES / "layouts"], root=TEMPLATES)
    return [str(finding) for finding in found]


def test_the_fixture_templates_are_templates_django_compiles():
    for path in TEMPLATES.rglob("*.*"):
        Template(path.read_text(encoding="utf-8"))


def test_the_scanner_finds_every_kind_of_unmarked_string_with_its_line():
    assert findings_in("unmarked") == [
        "unmarked/email.txt:3: text: Your booking with {{ pro_name }} is confirmed.",
        "unmarked/page.html:2: text: Your bookings",
        # The layout puts this block in <meta name="description" content="…">.
        "unmarked/page.html:3: content= (block description): Every booking you made",
        "unmarked/page.html:5: text: Your bookings",
        "unmarked/page.html:6: text: Held for you until {{ expires_at }}, then it goes to the next"
        " person.",
        "unmarked/page.html:7: placeholder=: Search by name",
        "unmarked/page.html:8: title=: Coordinated Universal Time",
        "unmarked/page.html:9: aria-label=: Result pages",
        "unmarked/page.html:10: alt=: Photo of",
        "unmarked/page.html:11: <option> text: every week",
        "unmarked/page.html:12: value=: Save",
        "unmarked/page.html:13: data-confirm=: Delete this service?",
        "unmarked/page.html:14: data-label=: Amount",
        "unmarked/page.html:15: quoted in a tag: View the booking",
        "unmarked/page.html:16: quoted in a tag: A client",
        "unmarked/page.html:16: quoted in a tag: today,earlier",
        "unmarked/page.html:16: text: wrote",
        "unmarked/page.html:17: text: Paid",
    ]


def test_the_scanner_accepts_marked_text_comments_code_and_symbols():
    """translate, blocktranslate with variables and a plural, translate-as used in an
    attribute, _("…") in a tag, comments of three kinds, script and style, code words in
    classes and data-* attributes, the brand, addresses, symbols, verbatim, translate="no"."""
    assert findings_in("marked") == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("<p>Book again</p>", [(1, "text", "Book again")]),
        ("<p>\n  {% translate 'Book again' %}\n</p>", []),
        (
            "<p>{% if a %}Open{% else %}Closed{% endif %}</p>",
            [(1, "text", "Open"), (1, "text", "Closed")],
        ),
        ("<p>{{ n }} min</p>", [(1, "text", "min")]),
        ("<p>{{ n }} · {{ m }} →</p>", []),
        ("<p>M</p>", [(1, "text", "M")]),  # a weekday's initial is a word
        ("<p>{% blocktrans %}Old {{ name }} syntax{% endblocktrans %}</p>", []),
        ("<p>{% comment 'why' %}Dropped{% endcomment %}Kept</p>", [(1, "text", "Kept")]),
        ("<button aria-label='{{ x }} photo'></button>", [(1, "aria-label=", "photo")]),
        ('<input type="hidden" value="Not shown">', []),
        ('<input type="button" value="Shown">', [(1, "value=", "Shown")]),
        ('<optgroup label="Mornings"></optgroup>', [(1, "label=", "Mornings")]),
        ('<meta name="viewport" content="width=device-width">', []),
        ('<div data-zone="Europe/Paris" data-format="D j M, H:i" data-x="eager"></div>', []),
        (
            '<{% if a %}a href="{{ a }}"{% else %}button{% endif %} class="c">Go</button>',
            [(1, "text", "Go")],
        ),
        (
            '<p>Write to <a href="mailto:help@timz.example">help@timz.example</a></p>',
            [(1, "text", "Write to")],
        ),
        ('{% now "j M Y" %}{% include "x.html" with class="btn btn-small" %}', []),
        (
            "{{ value|default:_('Nobody yet') }}{{ value|default:'Nobody yet' }}",
            [(1, "quoted in a tag", "Nobody yet")],
        ),
    ],
)
def test_the_scanner_rules(source, expected):
    assert unmarked_in_template(source) == expected


def test_a_plain_text_template_is_read_line_by_line():
    source = "{% load i18n %}{% translate 'Hello,' %}\n\nSee you soon.\n{{ url }}\n— Timz\n"
    assert unmarked_in_template(source, plain_text=True) == [(3, "text", "See you soon.")]


@pytest.mark.parametrize(
    ("value", "prose"),
    [
        ("Save", True),
        ("Sign up", True),
        ("your saved card", True),
        ("eager", False),
        ("avatar-preview", False),
        ("btn btn-danger", False),
        ("pending_payment requested confirmed", False),
        ("WEEKDAY_DATE", False),
        ("Europe/Paris", False),
        ("l j F Y, H:i", False),
        ("Timz", False),
    ],
)
def test_what_reads_as_prose_in_code_places(value, prose):
    assert reads_as_prose(value) is prose


def test_the_project_templates_are_found():
    dirs = project_template_dirs()
    assert Path(settings.BASE_DIR) / "templates" in dirs
    assert all(".venv" not in d.parts and "node_modules" not in d.parts for d in dirs)


def compile_messages(po: Path) -> None:
    """What compilemessages does to one catalogue (msgfmt), without its format check, so a
    catalogue with a placeholder that does not fit compiles too."""
    subprocess.run(["msgfmt", "-o", str(po.with_suffix(".mo")), str(po)], check=True)


def locale_with(tmp_path: Path, django: str, djangojs: str | None = None) -> Path:
    """A locale/ with French catalogues copied from the fixtures and compiled."""
    folder = tmp_path / "locale" / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    for domain, name in (("django", django), ("djangojs", djangojs)):
        if name:
            shutil.copyfile(CATALOGUES / name, folder / f"{domain}.po")
            compile_messages(folder / f"{domain}.po")
    return tmp_path / "locale"


def problems_of(locale: Path, extracted=None) -> list[str]:
    problems = catalogue_problems(locale, ["fr"], extracted=extracted, root=locale.parent)
    return [str(problem) for problem in problems]


@pytest.fixture(scope="module")
def fixture_strings():
    """What make messages extracts from the fixture source tree."""
    return extract_messages(SOURCE)


def test_extraction_reads_templates_python_and_javascript_and_leaves_out_tests(fixture_strings):
    django = {(m.context, m.id) for m in fixture_strings["django"] if m.id}
    assert django == {
        (None, "Save"),
        ("verb", "Book"),
        (None, "Held for you until %(until)s."),
        (None, ("%(counter)s booking", "%(counter)s bookings")),
        (None, "%(count)d km away"),
        (None, ("One new message", "%(count)s new messages")),
    }
    assert [m.id for m in fixture_strings["djangojs"] if m.id] == ["Sent"]


def test_extraction_writes_nothing_into_the_source_tree():
    before = sorted(path for path in SOURCE.rglob("*"))
    extract_messages(SOURCE)
    assert sorted(path for path in SOURCE.rglob("*")) == before


def test_a_clean_catalogue_passes(tmp_path, fixture_strings):
    locale = locale_with(tmp_path, "clean.po", "clean-djangojs.po")
    assert problems_of(locale, fixture_strings) == []


def test_empty_translations_fail(tmp_path):
    locale = locale_with(tmp_path, "empty.po")
    assert problems_of(locale) == [
        "locale/fr/LC_MESSAGES/django.po:14: not translated: 'Cancel'",
        "locale/fr/LC_MESSAGES/django.po:18: a plural form is empty: '%(counter)s booking'",
    ]


def test_fuzzy_entries_and_a_fuzzy_header_fail(tmp_path):
    locale = locale_with(tmp_path, "fuzzy.po")
    assert problems_of(locale) == [
        "locale/fr/LC_MESSAGES/django.po: the header is fuzzy (makemessages just created the"
        " catalogue): check the header and remove its '#, fuzzy'",
        "locale/fr/LC_MESSAGES/django.po:16: fuzzy: 'Saved'",
    ]


def test_obsolete_entries_fail(tmp_path):
    locale = locale_with(tmp_path, "obsolete.po")
    assert problems_of(locale) == [
        "locale/fr/LC_MESSAGES/django.po:14: obsolete (#~), run make messages: 'Keep it'",
    ]


def test_placeholders_that_do_not_fit_fail(tmp_path):
    locale = locale_with(tmp_path, "placeholders.po")
    assert problems_of(locale) == [
        "locale/fr/LC_MESSAGES/django.po:12: unknown placeholder %(jusqua)s:"
        " 'Held for you until %(until)s.'",
        "locale/fr/LC_MESSAGES/django.po:16: missing placeholder %(name)s:"
        " '%(name)s cancelled the booking'",
        "locale/fr/LC_MESSAGES/django.po:20: unknown placeholder %(nombre)s: '%(counter)s booking'",
        "locale/fr/LC_MESSAGES/django.po:26: positional placeholders (%s, %d…) differ from the"
        " source's: '%d km away'",
    ]


def test_a_stale_or_missing_compiled_catalogue_fails(tmp_path):
    locale = locale_with(tmp_path, "clean.po")
    po = locale / "fr" / "LC_MESSAGES" / "django.po"
    po.write_text(po.read_text(encoding="utf-8").replace('"Enregistrer"', '"Sauvegarder"'))
    assert problems_of(locale) == [
        "locale/fr/LC_MESSAGES/django.mo: not compiled from its .po as it is ('Save'):"
        " run make messages",
    ]
    compile_messages(po)
    assert problems_of(locale) == []
    po.with_suffix(".mo").unlink()
    assert problems_of(locale) == ["locale/fr/LC_MESSAGES/django.mo: missing: run make messages"]


def test_a_catalogue_behind_the_code_fails(tmp_path):
    """A string added to the code and one removed since the last make messages; and the
    JavaScript's catalogue missing once the JavaScript has strings."""
    source = tmp_path / "source"
    shutil.copytree(SOURCE, source)
    views = source / "shop" / "views.py"
    views.write_text(views.read_text() + '\n\ndef hello() -> str:\n    return _("Hello")\n')
    page = source / "templates" / "page.html"
    page.write_text(page.read_text().replace('{% translate "Book" context "verb" %}', ""))
    locale = locale_with(tmp_path, "clean.po")
    assert problems_of(locale, extract_messages(source)) == [
        "locale/fr/LC_MESSAGES/django.po: missing 'Hello' (used in shop/views.py):"
        " run make messages",
        "locale/fr/LC_MESSAGES/django.po:17: no longer in the code: 'Book' (context 'verb'):"
        " run make messages",
        "locale/fr/LC_MESSAGES/djangojs.po: missing: run make messages",
    ]


def test_a_missing_catalogue_fails(tmp_path):
    assert problems_of(tmp_path / "locale") == [
        "locale/fr/LC_MESSAGES/django.po: missing: run make messages"
    ]


def test_every_language_but_english_has_catalogues():
    assert translation_languages() == ["fr", "es", "de"]


def test_every_user_facing_template_string_is_marked():
    findings = unmarked_strings()
    assert not findings, (
        f"{len(findings)} user-facing template string(s) not marked for translation "
        "(make i18n-check lists them):\n" + "\n".join(map(str, findings))
    )


@pytest.fixture(scope="module")
def project_strings():
    """What make messages extracts from the project."""
    return extract_messages()


def test_the_project_extraction_reads_the_templates_and_leaves_out_tests(project_strings):
    files = {location for m in project_strings["django"] for location, _line in m.locations}
    assert "templates/includes/_language_switcher.html" in files
    assert not [f for f in files if f.startswith(("e2e/", "bench/")) or "/tests/" in f]


def test_the_catalogues_are_complete_compiled_and_up_to_date_with_the_code(project_strings):
    problems: list[Problem] = catalogue_problems(extracted=project_strings)
    assert not problems, (
        f"{len(problems)} catalogue problem(s) (make messages, then translate):\n"
        + "\n".join(map(str, problems))
    )
