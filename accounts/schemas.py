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


class ServiceOut(Schema):
    id: int
    name: str
    duration_minutes: int
    currency: str = Field(description="ISO 4217 code the service is priced in (the pro's)")
    price: PriceOut


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
