"""A pro's own words in several languages: the one home of reading and checking them.

Rules
=====

Base text
    The fields a pro writes for clients (`ProProfile.headline` and `bio`, `Service.name` and
    `description`) hold the text in the pro's content language (`ProProfile.content_language`,
    one for the profile and all its services). A booking keeps a snapshot of its service's
    name (`Booking.service_name`) and of that name's versions.

Versions
    The same row holds the pro's other versions in a `translations` JSON field, so no page
    needs a query more for them: ``{"de": {"headline": "...", "bio": "..."}, "fr": {...}}``.
    A version's language is a supported one (settings.LANGUAGES) other than the content
    language; its fields are the model's translated fields, each at most as long as the base
    field; an empty field, then an empty language, is dropped (`clean_translations`). A version
    need not be complete: a German headline without a German bio shows the base bio.

Changing the content language
    Versions written in the new language become the base text, and the base text they replace
    becomes the version in the old language (`relabel`; the profile and every service at once),
    so readers of either language read what they read before.

Reading
    `localized(obj, field, lang)`: the version in `lang` (default: the active language, which
    is the viewer's on a page and in the API, the recipient's inside `speaking()`) when the pro
    wrote one, else the base text. Models expose it as `Localized` attributes
    (`pro.localized_headline`, `service.localized_name`, `booking.localized_service_name`),
    which pages, emails, the API, invitations and receipts read; forms, the admin and data
    exports show the base text and the versions as written.

Search
    The directory's search document holds every version (`LANGUAGE_CODES`), so a German visitor
    finds a pro by the German headline or service name (accounts.services).
"""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext, pgettext_lazy

LANGUAGE_CODES = tuple(code for code, _name in settings.LANGUAGES)


def default_content_language() -> str:
    """A new profile's content language: the site's (a pro's own is set at sign-up)."""
    return settings.LANGUAGE_CODE


def language_name(code: str) -> str:
    """The language's name in the active language ("German", "Allemand")."""
    return str(translation.get_language_info(code)["name_translated"])


def _language(lang: str | None) -> str:
    code = (lang or translation.get_language() or settings.LANGUAGE_CODE).lower()
    return code if code in LANGUAGE_CODES else code.split("-")[0]


def localized(obj, field: str, lang: str | None = None) -> str:
    """`obj`'s `field` in `lang` (default: the active language) when a version in it was
    written, else the base field (the text in the pro's content language)."""
    return version(obj, field, lang) or getattr(obj, field)


def version(obj, field: str, lang: str | None = None) -> str:
    """The version of `field` in `lang` (default: the active language), "" when none."""
    texts = (getattr(obj, "translations", None) or {}).get(_language(lang))
    text = texts.get(field) if isinstance(texts, Mapping) else None
    return text if isinstance(text, str) else ""


def field_lengths(model, fields) -> dict[str, int]:
    """{field: its maximum length} of `model`'s translatable `fields` (a version is at most as
    long as the base text)."""
    return {name: model._meta.get_field(name).max_length for name in fields}


def texts(obj, field: str) -> list[str]:
    """`field`'s base text and every version of it (what a search word may match)."""
    found = [getattr(obj, field)]
    for texts_in_language in (getattr(obj, "translations", None) or {}).values():
        text = texts_in_language.get(field) if isinstance(texts_in_language, Mapping) else None
        if isinstance(text, str) and text:
            found.append(text)
    return found


def version_columns(field: str) -> list:
    """For queries (the search): the versions of `field` in every language, as SQL texts
    (NULL where none)."""
    from django.db.models.fields.json import KT

    return [KT(f"translations__{code}__{field}") for code in LANGUAGE_CODES]


def with_versions(field: str):
    """For queries (the search): `field`, then its versions, as one SQL text."""
    from django.db.models import TextField, Value
    from django.db.models.functions import Concat

    parts = [part for column in version_columns(field) for part in (Value(" "), column)]
    return Concat(field, *parts, output_field=TextField())


class Localized:
    """A read-only model attribute: ``localized_name = Localized("name")`` reads
    `localized(obj, "name")` in the active language."""

    def __init__(self, field: str):
        self.field = field

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        return localized(obj, self.field)


class LanguageOf:
    """A read-only model attribute: the language `Localized(field)` is written in, for an HTML
    `lang` attribute (screen readers pronounce a German headline on a French page in German).
    The model has its base language in `content_language`."""

    def __init__(self, field: str):
        self.field = field

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        return _language(None) if version(obj, self.field) else obj.content_language


# The translatable fields, as a message names them.
FIELD_LABELS = {
    "headline": pgettext_lazy("pro content field", "headline"),
    "bio": pgettext_lazy("pro content field", "about you"),
    "name": pgettext_lazy("pro content field", "name"),
    "description": pgettext_lazy("pro content field", "description"),
}


def clean_translations(
    value, *, fields: Mapping[str, int], content_language: str
) -> dict[str, dict[str, str]]:
    """`value` as it is stored: languages in `LANGUAGE_CODES` order, texts stripped, empty
    texts and empty languages dropped. `fields` maps each translatable field to its maximum
    length. Raises ValidationError, with messages a pro can read, for anything but an object
    of objects of texts, an unknown language or field, a version in `content_language` (the
    base text is in it), or a text too long."""
    if value in (None, ""):
        return {}
    if not isinstance(value, Mapping):
        raise ValidationError(
            gettext("Versions in other languages must be an object keyed by language code."),
            code="invalid_translations",
        )
    errors: list[ValidationError] = [
        ValidationError(
            gettext("Unknown language code “%(code)s”: use one of %(codes)s.")
            % {"code": code, "codes": ", ".join(LANGUAGE_CODES)},
            code="unknown_language",
        )
        for code in value
        if code not in LANGUAGE_CODES
    ]
    cleaned: dict[str, dict[str, str]] = {}
    for code in LANGUAGE_CODES:
        texts, version_errors = _clean_version(value.get(code), code=code, fields=fields)
        errors.extend(version_errors)
        if texts and code == content_language:
            errors.append(ValidationError(content_language_message(code), code="content_language"))
        elif texts:
            cleaned[code] = texts
    if errors:
        raise ValidationError(errors)
    return cleaned


def _clean_version(
    version, *, code: str, fields: Mapping[str, int]
) -> tuple[dict[str, str], list[ValidationError]]:
    if version in (None, ""):
        return {}, []
    language = language_name(code)
    if not isinstance(version, Mapping):
        message = gettext("The %(language)s version must be an object of texts.")
        return {}, [ValidationError(message % {"language": language}, code="invalid_translations")]
    texts, errors = {}, []
    for field, text in version.items():
        values: dict[str, object] = {"language": language, "field": FIELD_LABELS.get(field, field)}
        if field not in fields:
            message = gettext("%(language)s version: there is no field “%(field)s”.")
            errors.append(ValidationError(message % values, code="unknown_field"))
        elif text is not None and not isinstance(text, str):
            message = gettext("%(language)s version, %(field)s: write a text.")
            errors.append(ValidationError(message % values, code="invalid_translations"))
        elif text and len(text.strip()) > fields[field]:
            message = gettext(
                "%(language)s version, %(field)s: at most %(max)d characters (it has %(length)d)."
            )
            values.update(max=fields[field], length=len(text.strip()))
            errors.append(ValidationError(message % values, code="max_length"))
        elif text and text.strip():
            texts[field] = text.strip()
    return texts, errors


def content_language_message(code: str) -> str:
    """The error of a version written in the content language itself."""
    return gettext(
        "%(language)s is the language of the main text: write it there, and leave the "
        "%(language)s version empty."
    ) % {"language": language_name(code)}


def relabel(obj, fields, *, old: str, new: str) -> bool:
    """The content language of `obj` goes from `old` to `new`: each of `fields` that has a
    version in `new` takes it as its base text, and the base text it had becomes its version
    in `old`; a field without a version in `new` keeps its text. So no reader sees a change,
    except those of a third language, who now read the `new` text. Returns whether anything
    moved (the caller saves)."""
    versions = prune(obj.translations)
    incoming = versions.pop(new, {})
    outgoing = dict(versions.get(old, {}))
    for field in fields:
        if incoming.get(field):
            if getattr(obj, field):
                outgoing[field] = getattr(obj, field)
            setattr(obj, field, incoming[field])
    if outgoing:
        versions[old] = outgoing
    moved = bool(incoming)
    obj.translations = {code: versions[code] for code in LANGUAGE_CODES if code in versions}
    return moved


def prune(translations) -> dict:
    """`translations` without its empty texts and empty languages (what `save()` stores)."""
    if not isinstance(translations, Mapping):
        return {}
    pruned = {}
    for code, version in translations.items():
        if isinstance(version, Mapping):
            texts = {k: v for k, v in version.items() if isinstance(v, str) and v.strip()}
            if texts:
                pruned[code] = texts
    return pruned
