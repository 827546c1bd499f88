"""A user's own data as one JSON document.

`account_export(*, user)` returns a plain dict, served by the profile page's download
(`accounts:export_data`) and by `GET /api/v1/me/export`. accounts writes the account and the
profiles; every other app adds its own sections through `accounts.signals.user_exporting`, in
`INSTALLED_APPS` order. Contract, for every section:

- only data the user owns or took part in (the account, the profiles, and what each app holds:
  a pro's offer and hours, bookings as client and as pro with their events, reviews, payments and
  refunds, the payout account, every message of the user's conversations);
- other people appear by the name Timz shows them (a display name), never by their email;
- times are ISO 8601 in UTC (`iso()`: `2026-11-26T09:30:00Z`), money is integer minor units +
  currency;
- the number of queries does not grow with the amount of data (tests pin it).
"""

from __future__ import annotations

from datetime import UTC, datetime

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.utils import timezone

from accounts.models import ClientProfile, ProProfile, User
from accounts.signals import collect, user_exporting

EXPORT_FORMAT = "timz-export"
EXPORT_VERSION = 1


def iso(value: datetime | None) -> str | None:
    """An aware datetime as ISO 8601 in UTC with a `Z`, the export's one time format."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def file_url(field) -> str | None:
    """The URL of a stored file, or None when the field is empty."""
    return field.url if field else None


def account_export(*, user: User) -> dict:
    """Everything Timz holds about `user`, as JSON-ready data (see the module docstring)."""
    user = User.objects.select_related("client_profile", "pro_profile__category").get(pk=user.pk)
    pro = getattr(user, "pro_profile", None)
    own = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": iso(timezone.now()),
        "account": _account(user),
        "client_profile": _client_profile(getattr(user, "client_profile", None)),
        "pro_profile": _pro_profile(pro) if pro else None,
    }
    return collect(user_exporting, user=user, base=own)


def _account(user: User) -> dict:
    return {
        "id": user.pk,
        "email": user.email,
        "role": user.role,
        "date_joined": iso(user.date_joined),
        "last_login": iso(user.last_login),
        "email_addresses": [
            {"email": a.email, "verified": a.verified, "primary": a.primary}
            for a in EmailAddress.objects.filter(user=user).order_by("-primary", "email")
        ],
        # Which second factors exist and when they were used; never their secrets.
        "sign_in_factors": [
            {"type": a.type, "added_at": iso(a.created_at), "last_used_at": iso(a.last_used_at)}
            for a in Authenticator.objects.filter(user=user).order_by("created_at", "pk")
        ],
    }


def _client_profile(profile: ClientProfile | None) -> dict | None:
    if profile is None:
        return None
    return {
        "display_name": profile.display_name,
        "phone": profile.phone,
        "timezone": profile.timezone,
        "avatar_url": file_url(profile.avatar),
    }


def _pro_profile(pro: ProProfile) -> dict:
    return {
        "display_name": pro.display_name,
        "slug": pro.slug,
        "headline": pro.headline,
        "bio": pro.bio,
        "content_language": pro.content_language,
        "translations": pro.translations,
        "category": pro.category.name if pro.category else None,
        "city": pro.city,
        "address_line": pro.address_line,
        "business_name": pro.business_name,
        "timezone": pro.timezone,
        "currency": pro.currency,
        "avatar_url": file_url(pro.avatar),
        "is_listed": pro.is_listed,
        "rating_avg": float(pro.rating_avg) if pro.rating_avg is not None else None,
        "review_count": pro.review_count,
        "created_at": iso(pro.created_at),
    }
