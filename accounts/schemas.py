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
    amount: int | None = Field(None, description="A fixed deposit, in minor units")
    percent: int | None = Field(None, description="A deposit as a percentage of the price")


class ProtectionOut(Schema):
    kind: Literal["none", "deposit", "card"] = Field(
        description="none; deposit: paid when booking; card: a saved card, charged the no-show "
        "fee after a no-show or a late cancellation"
    )
    deposit: DepositRuleOut | None = Field(description="Set for kind deposit: amount or percent")
    no_show_fee_percent: int = Field(description="For kind card: the fee, % of the price")


class ServiceOut(Schema):
    id: int
    name: str
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
    headline: str
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
    return {
        "id": service.id,
        "name": service.name,
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
    prefetched)."""
    return {
        "slug": pro.slug,
        "display_name": pro.display_name,
        "headline": pro.headline,
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
