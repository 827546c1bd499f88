"""`{% picture %}`: the one `<img>` of a stored picture (an avatar, a service image), with its
responsive sizes (accounts.images) so each screen downloads the copy it needs.

    {% load pictures %}
    {% picture pro.avatar px=64 class="avatar avatar-md" %}
    {% picture pro.avatar px=136 sizes="(min-width: 760px) 136px, 112px" alt=pro.display_name %}

`px` is the box the picture is drawn in (CSS pixels; the width and height attributes, so
nothing shifts while it loads); `sizes` defaults to it. Lazy-loaded and decoded off the main
thread unless `loading="eager"`. A picture stored before its sizes were made is shown whole.
"""

from django import template
from django.utils.html import format_html

from accounts import images

register = template.Library()


@register.simple_tag
def picture(file, *, px: int, sizes: str = "", alt: str = "", loading: str = "lazy", **attrs):
    """The <img> of `file` (a FieldFile; empty: nothing). Extra keyword arguments become
    attributes (`class`, `id`, ...)."""
    if not file:
        return ""
    responsive = images.sizes_exist(file.storage, file.name)
    extra = (
        format_html("".join(f' {name}="{{}}"' for name in attrs), *attrs.values()) if attrs else ""
    )
    if responsive:
        return format_html(
            '<img src="{}" srcset="{}" sizes="{}" alt="{}" width="{}" height="{}" '
            'loading="{}" decoding="async"{}>',
            file.url,  # only for a browser without srcset: every current one picks a copy
            images.srcset(file),
            sizes or f"{px}px",
            alt,
            px,
            px,
            loading,
            extra,
        )
    return format_html(
        '<img src="{}" alt="{}" width="{}" height="{}" loading="{}" decoding="async"{}>',
        file.url,
        alt,
        px,
        px,
        loading,
        extra,
    )
