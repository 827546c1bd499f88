"""Small display helpers for directory pages: initials, a stable avatar tone, star ratings,
a zone named by its city."""

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.translation import gettext as _

from accounts import timezones

register = template.Library()

TONES = 6


@register.filter
def initials(name) -> str:
    """ "Paula Pro" -> "PP"; one word -> its first letter; empty -> "?"."""
    words = [w for w in str(name or "").split() if w[:1].isalnum()]
    if not words:
        return "?"
    letters = words[0][0] + (words[-1][0] if len(words) > 1 else "")
    return letters.upper()


@register.filter
def tone(value) -> int:
    """A stable 0..5 colour index for an initials avatar (CSS classes .tone-0 to .tone-5)."""
    return sum(str(value or "").encode()) % TONES


@register.filter
def stars(rating) -> str:
    """A five-star string for a rating (rounded to the nearest whole star), e.g. 4.4 -> ★★★★☆."""
    try:
        full = int(Decimal(str(rating)).quantize(Decimal("1"), rounding="ROUND_HALF_UP"))
    except (InvalidOperation, TypeError, ValueError):
        return ""
    full = max(0, min(5, full))
    return "★" * full + "☆" * (5 - full)


@register.filter
def duration(minutes) -> str:
    """45 -> "45 min", 60 -> "1 h", 90 -> "1 h 30 min"."""
    try:
        minutes = int(minutes)
    except (TypeError, ValueError):
        return ""
    hours, rest = divmod(minutes, 60)
    if not hours:
        # Translators: a duration in minutes, abbreviated: "45 min".
        return _("%(minutes)s min") % {"minutes": rest}
    if rest:
        # Translators: a duration in hours and minutes, abbreviated: "1 h 30 min".
        return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": rest}
    # Translators: a duration in whole hours, abbreviated: "2 h".
    return _("%(hours)s h") % {"hours": hours}


@register.filter
def zone_city(zone) -> str:
    """A zone name for people: "America/New_York" -> "New York" (accounts.timezones)."""
    return timezones.zone_city(zone)
