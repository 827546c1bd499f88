"""JSON shapes of the directory API v1 (see accounts.api) and the builders that fill them."""

from __future__ import annotations

from typing import Literal

from ninja import Field, Schema

from accounts.models import ProProfile, User
from accounts.timezones import viewer_zone


class CategoryOut(Schema):
    slug: str
    name: str


class PriceOut(Schema):
    amount: int
    currency: str


class DepositRuleOut(Schema):
    """Exactly one key: ``amount`` for a fixed deposit, ``percent`` for a percentage (both are
    optional in the schema; the one that does not apply is left out, not null)."""

    amount: int | None = Field(
        None, description="A fixed deposit, in minor units", exclude_if=lambda v: v is None
    )
    percent: int | None = Field(
        None,
        description="A deposit as a percentage of the price",
        exclude_if=lambda v: v is None,
    )


class ProtectionOut(Schema):
    kind: Literal["none", "deposit", "card"] = Field(
        description="none; deposit: paid when booking; card: a saved card, charged the no-show "
        "fee after a no-show or a late cancellation"
    )
    deposit: DepositRuleOut | None = Field(
        description="For kind deposit: only the key that applies, amount or percent; null for "
        "the other kinds"
    )
    no_show_fee_percent: int = Field(description="For kind card: the fee, % of the price")


class ServiceOut(Schema):
    id: int
    name: str = Field(
        description="In the request's language (Accept-Language) when the pro wrote a version "
        "in it, else in the pro's own"
    )
    duration_minutes: int
    currency: str = Field(description="ISO 4217 code the service is priced in (the pro's)")
    price: PriceOut
    protection: ProtectionOut


class LocationOut(Schema):
    city: str
    lat: float | None
    lng: float | None
    travel_km: int | None = Field(description="The pro travels to clients this far; null: no")


class ProOut(Schema):
    slug: str
    display_name: str
    headline: str = Field(
        description="In the request's language (Accept-Language) when the pro wrote a version "
        "in it, else in the pro's own"
    )
    category: str | None
    city: str
    location: LocationOut
    timezone: str
    currency: str = Field(description="ISO 4217 code the pro's services are priced in")
    avatar_url: str | None
    rating: float | None
    review_count: int
    confirmation_mode: Literal["instant", "request"] = Field(
        description="instant: a free time is booked at once; request: the pro confirms each one"
    )
    services: list[ServiceOut]


class ProPage(Schema):
    count: int
    results: list[ProOut]


class MeProOut(Schema):
    slug: str
    display_name: str
    headline: str
    category: str | None
    city: str
    timezone: str
    currency: str = Field(description="ISO 4217 code the pro's services are priced in")
    avatar_url: str | None
    is_listed: bool


VERSIONS_DESCRIPTION = (
    "Your versions in languages other than content_language, keyed by language code (en, fr, "
    "es, de): {code: {field: text}}. Visitors reading Timz in that language see them instead "
    "of the main texts; a field left out or empty falls back to the main text."
)


class ProTextsOut(Schema):
    content_language: str = Field(
        description="The language of headline and bio, and of your services' names and descriptions"
    )
    headline: str
    bio: str
    translations: dict[str, dict[str, str]] = Field(
        description=VERSIONS_DESCRIPTION + " Fields: headline, bio."
    )


class ProTextsIn(Schema):
    """Only the fields sent change."""

    content_language: str | None = Field(
        None,
        max_length=8,
        description="A new language of your texts: your versions in it become the main texts "
        "(headline and bio, and your services'), and the main texts become your versions in "
        "the old one",
    )
    headline: str | None = Field(None, max_length=140)
    bio: str | None = Field(None, max_length=4000)
    translations: dict[str, dict[str, str | None]] | None = Field(
        None, description="Replaces every version. " + VERSIONS_DESCRIPTION
    )


def pro_texts_json(pro: ProProfile) -> dict:
    """The pro's own texts as written (not localized): the API a pro edits them with."""
    return {
        "content_language": pro.content_language,
        "headline": pro.headline,
        "bio": pro.bio,
        "translations": pro.translations,
    }


class MeOut(Schema):
    email: str
    role: str
    display_name: str
    timezone: str
    avatar_url: str | None
    pro: MeProOut | None


def _absolute(request, field) -> str | None:
    return request.build_absolute_uri(field.url) if field else None


def service_json(service) -> dict:
    """A service as visitors read it: its name in the active language (accounts.content)."""
    return {
        "id": service.id,
        "name": service.localized_name,
        "duration_minutes": service.duration_minutes,
        "currency": service.currency,
        "price": {"amount": service.price_amount, "currency": service.currency},
        "protection": protection_json(service),
    }


def protection_json(service) -> dict:
    """A service's no-show protection (``bookings.models.Protection``)."""
    deposit = None
    if service.protection == "deposit":
        deposit = (
            {"percent": service.deposit_percent}
            if service.deposit_percent is not None
            else {"amount": service.deposit_amount}
        )
    return {
        "kind": service.protection,
        "deposit": deposit,
        "no_show_fee_percent": service.no_show_fee_percent,
    }


def location_json(pro: ProProfile) -> dict:
    return {
        "city": pro.city,
        "lat": float(pro.latitude) if pro.latitude is not None else None,
        "lng": float(pro.longitude) if pro.longitude is not None else None,
        "travel_km": pro.travel_km,
    }


def pro_json(request, pro: ProProfile) -> dict:
    """A pro from selectors.pro_search / pro_get_public (booking rules joined, active services
    prefetched), texts in the active language (the request's, accounts.content)."""
    return {
        "slug": pro.slug,
        "display_name": pro.display_name,
        "headline": pro.localized_headline,
        "category": pro.category.slug if pro.category else None,
        "city": pro.city,
        "location": location_json(pro),
        "timezone": pro.timezone,
        "currency": pro.currency,
        "avatar_url": _absolute(request, pro.avatar),
        "rating": float(pro.rating_avg) if pro.rating_avg is not None else None,
        "review_count": pro.review_count,
        "confirmation_mode": pro.booking_rules.confirmation_mode,
        "services": [service_json(s) for s in pro.active_services],
    }


def me_json(request, user: User) -> dict:
    client = getattr(user, "client_profile", None)
    pro = getattr(user, "pro_profile", None)
    avatar = (pro.avatar if pro and pro.avatar else None) or (client.avatar if client else None)
    return {
        "email": user.email,
        "role": user.role,
        "display_name": user.display_name,
        "timezone": viewer_zone(user).key,
        "avatar_url": _absolute(request, avatar),
        "pro": None
        if pro is None
        else {
            "slug": pro.slug,
            "display_name": pro.display_name,
            "headline": pro.headline,
            "category": pro.category.slug if pro.category else None,
            "city": pro.city,
            "timezone": pro.timezone,
            "currency": pro.currency,
            "avatar_url": _absolute(request, pro.avatar),
            "is_listed": pro.is_listed,
        },
    }
