"""Reads for the public directory: search, the public pro page, filter choices.

Every queryset returned here already carries the joins and prefetches its pages need, so the
number of SQL queries of a page does not grow with the number of pros, services or reviews.

Search rules:
- free text is split into words (at most `MAX_TERMS`); every word must match the pro's display
  name, headline, category name or one of the pro's active service names (icontains, so it works
  on SQLite and PostgreSQL alike);
- relevance ranks a display-name match above a headline match above a service/category match,
  then by rating; without text, relevance is simply the rating order;
- `max_price` is in minor units and keeps pros having an active service at or below it.
"""

from django.db.models import (
    Case,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.shortcuts import get_object_or_404

from accounts.models import Category, ProProfile

MAX_TERMS = 5
SORTS = {
    "relevance": "Best match",
    "price": "Lowest price",
    "rating": "Top rated",
    "newest": "Newest",
}


def _active_services():
    """Active services, for subqueries on pros that are already public (so not
    bookings.selectors.services_bookable, which would test each pro's publicness again)."""
    from bookings.models import Service

    return Service.objects.filter(is_active=True)


def active_services_prefetch() -> Prefetch:
    """Prefetch of a pro's active services, in their order, on `pro.active_services`."""
    return Prefetch(
        "services",
        queryset=_active_services().order_by("position", "id"),
        to_attr="active_services",
    )


def _with_min_price(qs: QuerySet) -> QuerySet:
    cheapest = _active_services().filter(pro=OuterRef("pk")).order_by("price_amount", "id")
    return qs.annotate(
        min_price=Subquery(cheapest.values("price_amount")[:1]),
        min_price_currency=Subquery(cheapest.values("currency")[:1]),
    )


def _rating_order() -> list:
    return [F("rating_avg").desc(nulls_last=True), "-review_count"]


def search_terms(q: str | None) -> list[str]:
    """The words of a free-text search (at most `MAX_TERMS`)."""
    return (q or "").split()[:MAX_TERMS]


def pros_matching(*, category: str | None = None, q: str = "") -> QuerySet[ProProfile]:
    """Public pros of `category` (a slug) matching every word of `q` (see the module's rules),
    annotated with `relevance`; unordered. The one text+category matcher of the directory, the
    availability search and the waitlist."""
    qs = ProProfile.objects.public()
    if category:
        qs = qs.filter(category__slug=category)
    score = Value(0)
    for term in search_terms(q):
        in_name = Q(display_name__icontains=term)
        in_headline = Q(headline__icontains=term)
        in_category = Q(category__name__icontains=term)
        in_service = Exists(_active_services().filter(pro=OuterRef("pk"), name__icontains=term))
        qs = qs.filter(in_name | in_headline | in_category | in_service)
        score = score + Case(
            When(in_name, then=Value(100)),
            When(in_headline, then=Value(10)),
            default=Value(1),
            output_field=IntegerField(),
        )
    return qs.annotate(relevance=score)


def pro_search(
    *,
    q: str = "",
    category: str | None = None,
    city: str | None = None,
    max_price: int | None = None,
    sort: str = "relevance",
) -> QuerySet[ProProfile]:
    """Public pros matching the filters, with `category`, `booking_rules`, `active_services` and
    `min_price`."""
    qs = pros_matching(category=category, q=q).select_related("category", "booking_rules")
    if city:
        qs = qs.filter(city__iexact=city.strip())
    if max_price is not None:
        qs = qs.filter(
            Exists(_active_services().filter(pro=OuterRef("pk"), price_amount__lte=max_price))
        )
    qs = _with_min_price(qs).prefetch_related(active_services_prefetch())

    if sort == "price":
        order = [F("min_price").asc(nulls_last=True), *_rating_order()]
    elif sort == "rating":
        order = _rating_order()
    elif sort == "newest":
        order = ["-created_at"]
    else:
        order = ["-relevance", *_rating_order()]
    return qs.order_by(*order, "display_name", "pk")


def pro_get_public(*, slug: str) -> ProProfile:
    """The public pro with this slug (category, booking rules, active services, min price),
    else Http404."""
    qs = (
        _with_min_price(ProProfile.objects.public())
        .select_related("category", "user", "booking_rules")
        .prefetch_related(active_services_prefetch())
    )
    return get_object_or_404(qs, slug=slug)


def pro_latest_reviews(*, pro: ProProfile, limit: int = 5) -> list:
    """The newest reviews of a pro with their authors' profiles (one query)."""
    return list(
        pro.reviews.select_related("author__client_profile", "author__pro_profile").order_by(
            "-created_at", "-pk"
        )[:limit]
    )


def category_exists(slug: str) -> bool:
    return Category.objects.filter(slug=slug).exists()


def categories_all() -> QuerySet[Category]:
    return Category.objects.order_by("name")


def cities_all() -> list[str]:
    """Distinct cities of public pros, for the city filter (one spelling per city)."""
    seen: dict[str, str] = {}
    rows = (
        ProProfile.objects.public()
        .exclude(city="")
        .values_list("city", flat=True)
        .distinct()
        .order_by("city")
    )
    for city in rows:
        seen.setdefault(city.strip().casefold(), city.strip())
    return sorted(seen.values(), key=str.casefold)
