"""Template helpers for chat: safe rendering of plain-text message bodies."""

import re

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from timz.formats import pattern

register = template.Library()

# A URL runs until whitespace or a character that cannot end one in running text.
URL_RE = re.compile(r"\bhttps?://[^\s<>\"'`]+", re.IGNORECASE)
TRAILING = ".,;:!?)]}*"


def _split_url(url: str) -> tuple[str, str]:
    """Keep trailing punctuation out of the link unless it closes a bracket opened inside it."""
    tail = ""
    while url and url[-1] in TRAILING:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        tail = url[-1] + tail
        url = url[:-1]
    return url, tail


@register.filter(is_safe=True)
def linkify(text) -> SafeString:
    """Escape plain text, wrap http(s) URLs in safe links and keep line breaks.

    Every piece of the text is escaped (the link text and the href too); links open in a new tab
    without passing the referrer or a window handle."""
    text = "" if text is None else str(text)
    out = []
    pos = 0
    for match in URL_RE.finditer(text):
        url, tail = _split_url(match.group(0))
        if len(url) <= len("https://"):
            continue
        out.append(escape(text[pos : match.start()]))
        out.append(
            f'<a href="{escape(url)}" rel="nofollow noopener noreferrer" target="_blank">'
            f"{escape(url)}</a>{escape(tail)}"
        )
        pos = match.end()
    out.append(escape(text[pos:]))
    html = "".join(out).replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<br>")
    return mark_safe(html)


@register.filter
def initials(name) -> str:
    """Up to two initials for an avatar placeholder: "Paula Pro" -> "PP"."""
    parts = [p for p in str(name or "").split() if p]
    letters = "".join(p[0] for p in parts[:2]).upper()
    return letters or "?"


@register.filter
def short_when(value, tz=None) -> str:
    """A compact time for lists, in the active language: "14:05" today, "Mon" this week,
    "12 Nov" this year, "12 Nov 2025" before."""
    if not value:
        return ""
    zone = tz or timezone.get_current_timezone()
    local = value.astimezone(zone)
    today = timezone.now().astimezone(zone).date()
    days = (today - local.date()).days
    if days <= 0:
        return date_format(local, "H:i")
    if days < 7:
        return date_format(local, "D")
    if local.year == today.year:
        return date_format(local, pattern("DAY_MONTH"))
    return date_format(local, pattern("DAY_MONTH_YEAR"))
