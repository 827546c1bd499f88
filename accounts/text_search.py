"""What a word of a search is, and when it matches a text (pure; no ORM, no I/O).

The one rule of the directory (`accounts.selectors.pros_matching_text`, on PostgreSQL through
the full-text `ProProfile.search_document`, elsewhere through a regular expression) and of the
free-time search, which says which of a pro's services a search names
(`bookings.search.search_terms_match`).

Rules
=====

Words
    A search is cut into words: runs of letters and digits, anything else separates them (so
    "men's hair-cut" is "men", "s", "hair", "cut"). At most `MAX_TERMS` words count. Since a
    word holds letters and digits only, no character a person types can reach the syntax of a
    PostgreSQL tsquery (``& | ! ( ) : * < > ' \\`` and NUL are separators, never operators).

Word match
    A word of the search matches a text when it begins one of the text's words, whatever the
    case: "hair" and "haircut" find "Men's haircut"; "cut" does not (it begins none of its
    words). This is what PostgreSQL's prefix query ``hair:*`` does on a ``simple`` tsvector,
    and what people expect while typing ("bar" finds "Barber"). A typo ("hiar cut") is the
    trigram fallback's job, on PostgreSQL.

Search document (PostgreSQL)
    Text search configuration ``simple``: it lower-cases and keeps every word as written, with
    no stemming and no stop words. Pros write their names and services in several languages;
    an English stemmer would cut French or German words wrongly and drop "the", "a" or
    "die" as stop words, and a proper name must never be stemmed ("Jones" is not "Jone").
    Weights: A the display name, B the headline, C the category name and the pro's active
    service names (`DOCUMENT_WEIGHTS`); a headline and a service name weigh the same in every
    language the pro wrote them in (`accounts.content`), so a German visitor finds
    "Haarschnitt" in a French pro's German version. The bio is left out: it is long free prose,
    and a word there ("formerly a hairdresser") would make a pro match a search they do not
    serve.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

MAX_TERMS = 5
SEARCH_CONFIG = "simple"
# ts_rank's weights for D, C, B, A (PostgreSQL's defaults, written out): a word in the name
# weighs more than in the headline, more than in a service or the category.
RANK_WEIGHTS = [0.1, 0.2, 0.4, 1.0]

_WORD = re.compile(r"[^\W_]+")


def search_terms(q: str | None) -> list[str]:
    """The words of a free-text search, lower-cased (at most `MAX_TERMS`)."""
    # Lower-case first: lowering may add a character that is no letter ("İ" is "i" + a dot).
    return _WORD.findall((q or "").lower())[:MAX_TERMS]


def word_starts(text: str, term: str) -> bool:
    """Whether `term` (a word of `search_terms`) begins one of the words of `text`."""
    term = term.lower()
    return any(word.startswith(term) for word in _WORD.findall(text.lower()))


def word_start_regex(term: str) -> str:
    """A regular expression (for the ORM's `iregex`) finding `term` at the start of a word of a
    column: the rule of `word_starts`, for databases without full-text search."""
    return r"(^|[\W_])" + re.escape(term)


def prefix_tsquery(terms: Sequence[str]) -> str:
    """The raw tsquery text "w1:* & w2:*" of `search_terms` words (nothing else can be in it)."""
    for term in terms:
        if not _WORD.fullmatch(term):
            raise ValueError(f"Not a search word: {term!r}")
    return " & ".join(f"{term}:*" for term in terms)
