"""Headings in the site's voice: sentence case, as every Timz page writes them."""

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

register = template.Library()


@register.filter(is_safe=True)
def sentence_case(text) -> str:
    """ "Activate Authenticator App" -> "Activate authenticator app": a heading written in title
    case (every word capitalised, as allauth writes its own) in sentence case. A heading with
    any lowercase word is already a sentence and is left alone, so names inside it keep their
    capitals ("Create your Timz account").

    English only: allauth's title case is an English habit, and other languages have words that
    keep their capital inside a sentence (German nouns: "Passwort ändern", "E-Mail-Adressen")."""
    if not (get_language() or "en").startswith("en"):
        return text
    value = str(text)
    words = value.split()
    if len(words) < 2 or not all(w[:1].isupper() for w in words if w[:1].isalpha()):
        return text
    first, *rest = words
    result = " ".join([first, *(w if w.isupper() else w.lower() for w in rest)])
    return mark_safe(result) if isinstance(text, SafeString) else result
