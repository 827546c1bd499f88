"""Unmarked user-facing text in templates.

Every template the project owns (the ``DIRS`` of ``TEMPLATES`` and the ``templates/`` of apps
inside the project: `project_template_dirs`), ``.html`` and ``.txt``, is read with Django's
own template lexer. What Django replaces or drops (``{{ … }}``, ``{% … %}``, ``{# … #}``) is
blanked out, every other character staying where it was, and so are whole
``{% blocktranslate %}…{% endblocktranslate %}`` blocks (marked) and ``{% comment %}`` blocks;
``{% verbatim %}`` content stays, as it reaches the page as written. What is left is parsed as
HTML (``.html``) or read line by line (``.txt``: an email's text part or subject).

User-facing, and so to be marked:

- every text node (``<option>`` and ``<title>`` text included) except inside ``<script>``,
  ``<style>``, code (``<code>``, ``<kbd>``, ``<samp>``) and an element marked
  ``translate="no"`` (HTML's own "do not translate": a name, a sample of code);
- the attributes of `TEXT_ATTRIBUTES` (placeholder, title, alt, aria-label…); ``value`` of an
  ``<input>`` of type submit, button or reset; ``label`` of ``<option>``, ``<optgroup>`` and
  ``<track>``; ``content`` of a ``<meta>`` shown in search results or link previews
  (`SHOWN_META`);
- a ``data-*`` attribute (``data-confirm``, ``data-label``…) of which a part reads as prose
  (`reads_as_prose`; parts: the pieces between template tags, so
  ``data-live="{% if a %}false{% else %}true{% endif %}"`` is two code words, not a sentence);
  ``data-testid`` never: it is for tests;
- a quoted string, in a tag or a variable, that reads as prose: ``{% include … with
  label="Sign up" %}``, ``{% firstof a "Nobody" %}``, ``{{ x|default:"None yet" }}``, and the
  words of ``|yesno:"…"`` unless all are code (true, false…). Marked, they read
  ``label=_("Sign up")``. Arguments named like code (`CODE_ARGUMENTS`: ``class=``, ``tags=``…)
  and a blocktranslate's ``context "…"`` are not read.

A text or attribute is unmarked when a letter is left once the allowed parts (`ALLOWED`: the
brand "Timz", web and mail addresses, e-mail addresses such as name@example.com, file names,
a client-side ``{{ … }}`` kept by verbatim) are removed. Symbols, digits and punctuation
(·, →, ×, —) have no letter. A single letter is a word (a weekday's initial differs from one
language to another): it is to be marked too.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

# Removed from a text before looking for letters: what is the same in every language.
ALLOWED = {
    "a client-side template expression (verbatim)": r"\{\{.*?\}\}|\{%.*?%\}",
    "a web, calendar, mail or phone address": r"\b(?:https?|wss?|webcal|mailto|tel):\S*",
    "an e-mail address": r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+",
    "a file name": (
        r"\b[\w-]+(?:\.[\w-]+)*\.(?:html|txt|css|js|json|png|jpe?g|gif|webp|svg|ico|pdf|ics"
        r"|csv|xml|py|po|mo)\b"
    ),
    "the brand": r"\bTimz\b",
}
_ALLOWED_RE = re.compile("|".join(f"(?:{pattern})" for pattern in ALLOWED.values()))

# Attributes whose value a person reads or hears, on any element.
TEXT_ATTRIBUTES = frozenset(
    {"placeholder", "title", "alt", "aria-label", "aria-description", "aria-roledescription"}
    | {"aria-valuetext", "aria-placeholder"}
)
BUTTON_INPUT_TYPES = frozenset({"submit", "button", "reset"})  # <input>s whose value is shown
LABELLED_ELEMENTS = frozenset({"option", "optgroup", "track"})  # whose label= is shown
SHOWN_META = frozenset(
    {"description", "og:title", "og:description", "og:image:alt", "og:site_name"}
    | {"twitter:title", "twitter:description", "twitter:image:alt"}
)
CODE_DATA_ATTRIBUTES = frozenset({"data-testid"})
# Elements whose content is not for people to read, or that opt out of translation.
RAW_ELEMENTS = frozenset({"script", "style"})
CODE_ELEMENTS = frozenset({"code", "kbd", "samp"})
VOID_ELEMENTS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param"}
    | {"source", "track", "wbr"}
)
# Names of tag arguments whose quoted values are code.
CODE_ARGUMENTS = frozenset(
    {"class", "classes", "css_class", "id", "name", "type", "tags", "sizes", "srcset", "href"}
    | {"src", "url", "rel", "loading", "icon", "size", "variant", "active", "style"}
    | {"autocomplete", "accept", "method", "target", "inputmode", "pattern", "button_id"}
)
# Words of |yesno:"…" that are code (a value for JavaScript), not words for people.
CODE_YESNO = frozenset({"true", "false", "null", "none", "on", "off"})

_LITERAL = r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'"
_LEADING_LITERAL_RE = re.compile(rf"^(?:{_LITERAL})")
_FILTER_LITERAL_RE = re.compile(rf"\|\s*(\w+)\s*:\s*({_LITERAL})")
_KEYWORD_RE = re.compile(r"^(\w+)=(.*)$", re.DOTALL)
_CAPITALISED_WORD_RE = re.compile(r"[A-Z][a-z’']+[.!?…:]*")
_CODE_WORD_RE = re.compile(r"[a-z0-9]+(?:[_-][a-z0-9]+)+")
_LOWER_WORD_RE = re.compile(r"[a-z0-9_-]+")
_LETTER_RUN_RE = re.compile(r"[^\W\d_]+")


def without_allowed(text: str) -> str:
    """`text` without the parts that are the same in every language (`ALLOWED`)."""
    return _ALLOWED_RE.sub(" ", text)


def has_letters(text: str) -> bool:
    """Whether `text` keeps a letter once the allowed parts are removed: then it is words."""
    return any(char.isalpha() for char in without_allowed(text))


def reads_as_prose(text: str) -> bool:
    """Whether a value that may as well be code (a data-* attribute, a quoted argument) is
    words for people: a capitalised word ("Save"), or several words, one of two letters or
    more, unless they are all lower-case code words with one joined by - or _
    ("btn btn-danger"). Not prose: a code word ("eager", "avatar-preview"), a constant
    ("WEEKDAY_DATE"), a path or a zone ("Europe/Paris"), a date format ("D j M, H:i")."""
    text = without_allowed(text).strip()
    runs = _LETTER_RUN_RE.findall(text)
    if not runs or all(len(run) == 1 for run in runs):
        return False  # no letters, or letters standing alone: a date format
    if _CAPITALISED_WORD_RE.fullmatch(text):
        return True
    words = text.split()
    if len(words) < 2:
        return False
    code = all(_LOWER_WORD_RE.fullmatch(w) for w in words) and any(
        _CODE_WORD_RE.fullmatch(w) for w in words
    )
    return not code


@dataclass(frozen=True, order=True)
class Finding:
    """A user-facing string nobody marked: where it is, what kind of place, and the text."""

    path: str
    line: int
    where: str
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.where}: {self.text}"


def shorten(text: str, limit: int = 100) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _unquote(literal: str) -> str:
    return re.sub(r"\\(.)", r"\1", literal[1:-1])


def _yesno_is_prose(value: str) -> bool:
    return any(has_letters(word) and word not in CODE_YESNO for word in value.split(","))


def _quoted_prose(bits: Iterable[str]) -> Iterator[str]:
    """The quoted strings of a tag's or a variable's `bits` that read as prose, unmarked."""
    skip_next = False
    for bit in bits:
        if skip_next:
            skip_next = False
            continue
        if bit == "context":  # {% blocktranslate context "…" %}: gettext's context
            skip_next = True
            continue
        name, expression = None, bit
        if match := _KEYWORD_RE.match(bit):
            name, expression = match.groups()
        if name in CODE_ARGUMENTS:
            continue
        literal = _LEADING_LITERAL_RE.match(expression)
        if literal and reads_as_prose(value := _unquote(literal.group())):
            yield value
        for filter_name, argument in _FILTER_LITERAL_RE.findall(expression):
            value = _unquote(argument)
            if _yesno_is_prose(value) if filter_name == "yesno" else reads_as_prose(value):
                yield value


class _Template:
    """One template's source with Django's syntax blanked out. `kept[i]` says whether
    `source[i]` is template text; `text()` is the source with a space in place of everything
    else (line breaks kept, so offsets and lines stay those of the source)."""

    def __init__(self, source: str) -> None:
        from django.template.base import DebugLexer, TokenType

        self.source = source
        self.kept = bytearray(b"\x01") * len(source)
        # Where a tag or a comment was (not a variable): it ends one text and starts another.
        self.breaks = bytearray(len(source))
        # A tag right after "<" stands for the element's name: "x"s keep it an element.
        self.named: list[tuple[int, int]] = []
        self.quoted: list[tuple[int, str]] = []  # prose quoted in tags and variables: (line, text)
        self.parent: str | None = None  # {% extends "name" %}
        self.block_tags: list[tuple[str, int]] = []  # (name, offset of its {% block %})
        self.blocks: list[tuple[str, int, int]] = []  # (name, start, end of its content)
        opened: list[tuple[str, int]] = []
        closing: frozenset[str] = frozenset()  # inside a block blanked whole: the tags ending it
        for token in DebugLexer(source).tokenize():
            start, end = token.position  # type: ignore[misc]  # DebugLexer sets it
            if token.token_type == TokenType.TEXT and not closing:
                continue
            self.kept[start:end] = bytes(end - start)
            if token.token_type != TokenType.VAR:
                self.breaks[start:end] = b"\x01" * (end - start)
            if source[max(start - 2, 0) : start].endswith(("<", "</")):
                self.named.append((start, end))
            if closing:
                if token.token_type == TokenType.BLOCK and token.contents.split()[0] in closing:
                    closing = frozenset()
                continue
            if token.token_type == TokenType.VAR:
                self.quoted += [(token.lineno or 0, t) for t in _quoted_prose([token.contents])]
            elif token.token_type == TokenType.BLOCK:
                tag, *arguments = token.split_contents()
                if tag in ("translate", "trans"):
                    continue
                if tag in ("blocktranslate", "blocktrans"):
                    closing = frozenset({"endblocktranslate", "endblocktrans"})
                elif tag == "comment":
                    closing = frozenset({"endcomment"})
                elif tag == "extends" and arguments and _LEADING_LITERAL_RE.fullmatch(arguments[0]):
                    self.parent = _unquote(arguments[0])
                elif tag == "block" and arguments:
                    self.block_tags.append((arguments[0], start))
                    opened.append((arguments[0], end))
                elif tag == "endblock" and opened:
                    name, content_start = opened.pop()
                    self.blocks.append((name, content_start, start))
                self.quoted += [(token.lineno or 0, t) for t in _quoted_prose(arguments)]
        self.line_starts = [0, *(m.end() for m in re.finditer("\n", source))]

    def text(self) -> str:
        chars = [
            char if keep or char == "\n" else " "
            for char, keep in zip(self.source, self.kept, strict=True)
        ]
        for start, end in self.named:
            chars[start:end] = "x" * (end - start)
        return "".join(chars)

    def drop(self, start: int, end: int) -> None:
        """Leave the span out of what is read as HTML (it was read apart)."""
        self.kept[start:end] = bytes(end - start)

    def line_at(self, offset: int) -> int:
        return self.source.count("\n", 0, offset) + 1

    def parts(self, start: int, end: int) -> list[str]:
        """The pieces of template text between `start` and `end`, split where a tag was, as
        HTML reads them (character references resolved)."""
        pieces, current = [], []
        for offset in range(start, end):
            if self.kept[offset]:
                current.append(self.source[offset])
            elif current:
                pieces.append("".join(current))
                current = []
        if current:
            pieces.append("".join(current))
        return [html.unescape(piece) for piece in pieces]

    def shown(self, start: int, end: int) -> list[tuple[int, str]]:
        """The texts of the span as a developer finds them in the file: cut where a tag (not
        a variable) was, each trimmed to its first and last characters of template text, the
        ones with letters, each with its line."""
        texts, first, last = [], None, None
        for offset in [*range(start, end), None]:
            if offset is None or self.breaks[offset]:
                if first is not None and last is not None:
                    text = self.source[first : last + 1]
                    if has_letters("".join(self.parts(first, last + 1))):
                        texts.append((self.line_at(first), shorten(text)))
                first = last = None
            elif self.kept[offset] and not self.source[offset].isspace():
                first = offset if first is None else first
                last = offset
        return texts


# Where a parent template puts a block inside an attribute: block name -> (element, attribute,
# the element's attributes). A child's content of that block is that attribute's value.
AttributeBlocks = dict[str, tuple[str, str, dict[str, str | None]]]


def attribute_unmarked(tag: str, name: str, attrs: dict[str, str | None], parts: list[str]) -> bool:
    """Whether attribute `name` of element `tag`, whose template text is `parts` (the pieces
    between template tags), is user-facing text nobody marked."""
    value = " ".join(parts)
    if name in TEXT_ATTRIBUTES:
        return has_letters(value)
    if name == "value" and tag == "input":
        return (attrs.get("type") or "").lower() in BUTTON_INPUT_TYPES and has_letters(value)
    if name == "label" and tag in LABELLED_ELEMENTS:
        return has_letters(value)
    if name == "content" and tag == "meta":
        kind = (attrs.get("name") or attrs.get("property") or "").lower()
        return kind in SHOWN_META and has_letters(value)
    if name.startswith("data-") and name not in CODE_DATA_ATTRIBUTES:
        return any(reads_as_prose(part) for part in parts)
    return False


class _TextFinder(HTMLParser):
    """The unmarked text nodes and attributes of a blanked template; and the blocks the
    template puts inside attributes (`attribute_blocks`)."""

    def __init__(self, template: _Template) -> None:
        super().__init__(convert_charrefs=True)
        self.template = template
        self.blanked = template.text()
        self.open: list[tuple[str, bool]] = []  # (tag, whether its content is left alone)
        self.found: list[tuple[int, str, str]] = []
        self.attribute_blocks: AttributeBlocks = {}

    def read(self) -> _TextFinder:
        self.feed(self.blanked)
        self.close()
        return self

    def here(self) -> int:
        line, column = self.getpos()
        return self.template.line_starts[line - 1] + column

    def left_alone(self) -> bool:
        return any(skip for _tag, skip in self.open)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.check_attributes(tag, attrs)
        if tag not in VOID_ELEMENTS:
            skip = (
                tag in RAW_ELEMENTS or tag in CODE_ELEMENTS or dict(attrs).get("translate") == "no"
            )
            self.open.append((tag, skip))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.check_attributes(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index][0] == tag:
                del self.open[index:]
                break

    def handle_data(self, data: str) -> None:
        if self.left_alone() or not has_letters(data):
            return
        start = self.here()
        end = self.blanked.find("<", start + 1)
        where = "<option> text" if self.open and self.open[-1][0] == "option" else "text"
        for line, text in self.template.shown(start, end if end != -1 else len(self.blanked)):
            self.found.append((line, where, text))

    def check_attributes(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, value in attrs:
            span = self.value_span(name)
            if span is None:
                continue
            for block, offset in self.template.block_tags:
                if span[0] <= offset < span[1]:
                    self.attribute_blocks[block] = (tag, name, values)
            if (
                value
                and not self.left_alone()
                and attribute_unmarked(tag, name, values, self.template.parts(*span))
            ):
                self.found += [
                    (line, f"{name}=", text) for line, text in self.template.shown(*span)
                ]

    def value_span(self, name: str) -> tuple[int, int] | None:
        """Where the value of attribute `name` of the current start tag is in the source."""
        match = re.search(
            rf"(?<![\w-]){re.escape(name)}\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))",
            self.get_starttag_text() or "",
            re.IGNORECASE,
        )
        if not match:
            return None
        group = next(g for g in (1, 2, 3) if match.group(g) is not None)
        start = self.here()
        return start + match.start(group), start + match.end(group)


def attribute_blocks_of(source: str) -> AttributeBlocks:
    """The blocks `source` (a template) puts inside attributes."""
    return _TextFinder(_Template(source)).read().attribute_blocks


def unmarked_in_template(
    source: str, *, plain_text: bool = False, attribute_blocks: AttributeBlocks | None = None
) -> list[tuple[int, str, str]]:
    """The unmarked user-facing strings of one template's `source`: (line, where, text).
    `plain_text` reads it as text (an email's text part or subject), not as HTML.
    `attribute_blocks`: the blocks its parents put inside attributes (`attribute_blocks_of`)."""
    template = _Template(source)
    found = [(line, "quoted in a tag", shorten(text)) for line, text in template.quoted]
    if plain_text:
        text = template.text()
        for start, end in zip(
            template.line_starts, [*template.line_starts[1:], len(source) + 1], strict=True
        ):
            if has_letters(text[start : end - 1]):
                found += [(line, "text", shown) for line, shown in template.shown(start, end - 1)]
        return sorted(found, key=lambda finding: finding[0])
    for block, start, end in template.blocks:
        if block in (attribute_blocks or {}):
            tag, name, attrs = (attribute_blocks or {})[block]
            if attribute_unmarked(tag, name, attrs, template.parts(start, end)):
                where = f"{name}= (block {block})"
                found += [(line, where, shown) for line, shown in template.shown(start, end)]
            template.drop(start, end)
    found += _TextFinder(template).read().found
    return sorted(found, key=lambda finding: finding[0])


TEMPLATE_SUFFIXES = {".html": False, ".txt": True}  # suffix -> read as plain text


def project_template_dirs() -> list[Path]:
    """The template directories the project owns: TEMPLATES' DIRS and the templates/ of the
    apps that live inside the project (not those of installed packages)."""
    from django.apps import apps
    from django.conf import settings

    base = Path(settings.BASE_DIR)
    engines: list[dict[str, Any]] = settings.TEMPLATES
    dirs = {Path(d) for engine in engines for d in engine.get("DIRS", [])}
    for app in apps.get_app_configs():
        candidate = Path(app.path) / "templates"
        if (
            candidate.is_dir()
            and candidate.is_relative_to(base)
            and not {".venv", "node_modules"} & set(candidate.relative_to(base).parts)
        ):
            dirs.add(candidate)
    return sorted(dirs)


def template_files(dirs: Iterable[Path]) -> list[Path]:
    return sorted(
        {
            path
            for directory in dirs
            for path in Path(directory).resolve().rglob("*")
            if path.suffix in TEMPLATE_SUFFIXES and path.is_file()
        }
    )


class _Templates:
    """The templates under `dirs`, each with the blocks its parents put inside attributes."""

    def __init__(self, dirs: list[Path]) -> None:
        self.dirs = dirs
        self.known: dict[str, AttributeBlocks] = {}

    def path_of(self, name: str) -> Path | None:
        for directory in self.dirs:
            if (path := directory / name).is_file():
                return path
        from django.template import TemplateDoesNotExist, engines

        try:  # a parent from an installed package (allauth's layouts)
            _template, origin = engines["django"].engine.find_template(name)  # type: ignore[attr-defined]
        except TemplateDoesNotExist:
            return None
        return Path(origin.name)

    def inherited(self, parent: str | None, seen: frozenset[str] = frozenset()) -> AttributeBlocks:
        """The blocks `parent` and its own parents put inside attributes (the nearest to the
        root wins: the block's place is the one its first definition gives it)."""
        if parent is None or parent in seen:
            return {}
        if parent not in self.known:
            path = self.path_of(parent)
            source = path.read_text(encoding="utf-8") if path else ""
            template = _Template(source)
            own = _TextFinder(template).read().attribute_blocks if path else {}
            self.known[parent] = {**own, **self.inherited(template.parent, seen | {parent})}
        return self.known[parent]


def unmarked_strings(
    dirs: Iterable[Path] | None = None, *, root: Path | None = None
) -> list[Finding]:
    """Every unmarked user-facing string of the templates under `dirs` (default: the
    project's), their paths shown relative to `root` (default: the project)."""
    from django.conf import settings

    root = Path(root or settings.BASE_DIR)
    dirs = [Path(d) for d in (dirs if dirs is not None else project_template_dirs())]
    templates = _Templates(dirs)
    findings = []
    for path in template_files(dirs):
        shown = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
        source = path.read_text(encoding="utf-8")
        plain_text = TEMPLATE_SUFFIXES[path.suffix]
        parent = None if plain_text else _Template(source).parent
        for line, where, text in unmarked_in_template(
            source, plain_text=plain_text, attribute_blocks=templates.inherited(parent)
        ):
            findings.append(Finding(shown, line, where, text))
    return findings
