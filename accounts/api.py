"""Directory API v1 (mounted at /api/v1/ by timz.api): categories, pro search, a pro, me, the
signed-in user's data export (`/me/export`, the same document as the profile page's download),
and a pro's own public texts (`/me/pro`).

A pro's texts are read in the request's language (accounts.content). Each read calls one
selector, the one write one service. Errors are `{"detail": "..."}`: 400 bad input,
401 anonymous (`/me`), 403 not a pro (`/me/pro`), 404 unknown or unlisted pro.
"""

from typing import Any, Literal

from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from ninja.security import django_auth
from pydantic import Field

from accounts import selectors, services
from accounts.access import pro_for_user
from accounts.data_export import account_export
from accounts.models import User
from accounts.schemas import (
    CategoryOut,
    MeOut,
    ProOut,
    ProPage,
    ProTextsIn,
    ProTextsOut,
    me_json,
    pro_json,
    pro_texts_json,
)
from accounts.search import viewer_currency
from timz import money
from timz.schemas import ErrorOut, page_or_400

router = Router(tags=["directory"])

PAGE_SIZE = 20


class ProFilters(Schema):
    q: str = Field("", max_length=100, description="Words matched against name, headline, services")
    category: str | None = Field(None, max_length=80, description="A category slug")
    city: str | None = Field(None, max_length=80, description="City (case-insensitive)")
    currency: str | None = Field(
        None,
        max_length=3,
        description=(
            "ISO 4217 code prices are compared in: pros priced in it come first, the others "
            "after. Without it, a max_price is in the caller's default currency: the `city`'s "
            "country's when the city is known, else a signed-in pro's own, a signed-in "
            "client's zone's country's, else the Accept-Language region's (en-GB: GBP, "
            "en-US: USD), else the platform's."
        ),
    )
    max_price: int | None = Field(
        None,
        ge=0,
        description=(
            "Keep pros priced in `currency` with an active service at or below this, in its "
            "minor units; pros in other currencies are left out"
        ),
    )
    sort: Literal["relevance", "price", "rating", "newest"] = "relevance"
    page: int = Field(1, description="1-based page number; 20 pros per page")


@router.get("/categories", response=list[CategoryOut], summary="All categories")
def categories(request):
    return list(selectors.categories_all())


@router.get("/pros", response={200: ProPage, 400: ErrorOut}, summary="Search listed pros")
def pros(request, filters: Query[ProFilters]):
    if filters.category and not selectors.category_exists(filters.category):
        raise HttpError(400, _("Unknown category “%(slug)s”.") % {"slug": filters.category})
    currency = (filters.currency or "").strip().upper() or None
    if currency and not money.is_currency(currency):
        raise HttpError(
            400,
            _("Unknown currency “%(code)s”: use an ISO 4217 code.") % {"code": filters.currency},
        )
    if currency is None and filters.max_price is not None:
        currency = viewer_currency(request, city=filters.city)
    found = selectors.pro_search(
        q=filters.q,
        category=filters.category,
        city=filters.city,
        currency=currency,
        max_price=filters.max_price,
        sort=filters.sort,
    )
    page = page_or_400(found, filters.page, PAGE_SIZE)
    return {"count": page.paginator.count, "results": [pro_json(request, p) for p in page]}


@router.get("/pros/{slug}", response={200: ProOut, 404: ErrorOut}, summary="One listed pro")
def pro(request, slug: str):
    return pro_json(request, selectors.pro_get_public(slug=slug))


@router.get(
    "/me", auth=django_auth, response={200: MeOut, 401: ErrorOut}, summary="The logged-in user"
)
def me(request):
    user = (
        User.objects.select_related("client_profile", "pro_profile__category")
        .filter(pk=request.auth.pk)
        .get()
    )
    return me_json(request, user)


@router.get(
    "/me/export",
    auth=django_auth,
    response={200: dict[str, Any], 401: ErrorOut},
    summary="All your data as JSON (the profile page's export)",
)
def me_export(request):
    return account_export(user=request.auth)


@router.get(
    "/me/pro",
    auth=django_auth,
    response={200: ProTextsOut, 401: ErrorOut, 403: ErrorOut},
    summary="Your public texts as you wrote them: language, headline, bio, versions (pros)",
)
def my_pro_texts(request):
    return pro_texts_json(pro_for_user(request.auth))


@router.patch(
    "/me/pro",
    auth=django_auth,
    response={200: ProTextsOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    summary="Change your public texts, their language or their versions (pros)",
)
def my_pro_texts_update(request, payload: ProTextsIn):
    pro = pro_for_user(request.auth)
    fields = payload.dict(exclude_unset=True)
    if fields.get("content_language") is None:
        fields.pop("content_language", None)
    for name in ("headline", "bio"):
        if name in fields:
            fields[name] = fields[name] or ""
    return pro_texts_json(services.pro_profile_update(pro=pro, **fields))
