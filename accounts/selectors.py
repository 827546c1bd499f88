"""Reads for the public directory: search, the public pro page, filter choices.

Every queryset returned here already carries the joins and prefetches its pages need, so the
number of SQL queries of a page does not grow with the number of pros, services or reviews.

Search rules:
- free text is split into words (`accounts.text_search`); every word must begin a word of the
  pro's display name, headline, category name or one of the pro's active service names, a
  headline or a service name in any of the pro's languages (`accounts.content`)
  (`pros_matching_text`: full text on PostgreSQL, with a typo-tolerant trigram fallback);
- relevance ranks a display-name match above a headline match above a service/category match,
  then by rating; without text, relevance is simply the rating order;
- `currency` (ISO 4217) is the one prices are compared in: pros priced in it come first, each
  list in its sort order, and the others after them (`other_currency` is True on those); the
  price sort orders the others by currency code, then each currency by its own cheapest
  service, never across currencies;
- `max_price` is in minor units of `currency` and keeps pros priced in it having an active
  service at or below it: pros in other currencies are left out, since no amount of theirs can
  be compared with it (a price limit without a currency compares nothing and is refused).
"""

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    Expression,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from accounts import content, text_search
from accounts.models import Category, ProProfile
from accounts.text_search import search_terms

# pg_trgm word similarity at which a query with typos still names a pro's text.
FUZZY_THRESHOLD = 0.3
SORTS = {
    "relevance": _("Best match"),
    "price": _("Lowest price"),
    "rating": _("Top rated"),
    "newest": _("Newest"),
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


def pros_matching_text(qs: QuerySet[ProProfile], *, q: str) -> tuple[QuerySet, Expression]:
    """The pros of `qs` matching the free text `q`, and their relevance expression.

    The one home of text matching (`pros_matching` calls it for every search). Every word of
    `q` (`accounts.text_search.search_terms`) must begin a word of the display name, headline,
    category name or an active service name ("hair" finds "Haircut", "cut" does not).

    PostgreSQL: the prefix tsquery "w1:* & w2:*" against `ProProfile.search_document`, served by
    its GIN index (accounts migration 0006); relevance is `ts_rank` with the document's weights
    (name above headline above service/category). When no pro of `qs` matches that way, the
    pros whose name, headline, category or a service name is *similar* to the query (pg_trgm
    word similarity of the query with its spaces removed, so "hiar cut" finds "Haircut") are
    returned instead, most similar first: typos find something without diluting exact results.

    Elsewhere (SQLite): the same word rule as a regular expression per column, relevance 100
    per word in the name, 10 in the headline, 1 elsewhere; no typo fallback.
    """
    terms = search_terms(q)
    if not terms:
        return qs, Value(0)
    if connection.vendor != "postgresql":
        return _pros_matching_words(qs, terms)

    from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramWordSimilarity

    query = SearchQuery(
        text_search.prefix_tsquery(terms), search_type="raw", config=text_search.SEARCH_CONFIG
    )
    exact = Q(search_document=query)
    squeezed = Value("".join(terms))
    service_similarity = (
        _active_services()
        .filter(pro=OuterRef("pk"))
        .annotate(similarity=TrigramWordSimilarity(squeezed, content.with_versions("name")))
        .order_by("-similarity")
        .values("similarity")[:1]
    )
    similarity = Greatest(
        TrigramWordSimilarity(squeezed, "display_name"),
        TrigramWordSimilarity(squeezed, content.with_versions("headline")),
        TrigramWordSimilarity(squeezed, Coalesce("category__name", Value(""))),
        Coalesce(Subquery(service_similarity), Value(0.0)),
        output_field=FloatField(),
    )
    # Uncorrelated: PostgreSQL evaluates it once per query, not once per row.
    anyone_exact = Exists(qs.filter(exact).values("pk"))
    qs = qs.annotate(text_similarity=similarity).filter(
        exact | (~anyone_exact & Q(text_similarity__gte=FUZZY_THRESHOLD))
    )
    # Exact matches rank by weight (ties go to the rating); typo matches by similarity.
    rank = SearchRank(F("search_document"), query, weights=text_search.RANK_WEIGHTS)
    relevance = Case(When(anyone_exact, then=rank), default=F("text_similarity"))
    return qs, ExpressionWrapper(relevance, output_field=FloatField())


def _pros_matching_words(qs: QuerySet, terms: list[str]) -> tuple[QuerySet, Expression]:
    """`pros_matching_text` without full-text search: one word-start regex per column."""
    exact = Q()
    score = Value(0)
    for term in terms:
        pattern = text_search.word_start_regex(term)
        in_name = Q(display_name__iregex=pattern)
        in_headline = _in_text_or_versions("headline", pattern)
        in_category = Q(category__name__iregex=pattern)
        in_service = Exists(
            _active_services().filter(_in_text_or_versions("name", pattern), pro=OuterRef("pk"))
        )
        exact &= in_name | in_headline | in_category | in_service
        score = score + Case(
            When(in_name, then=Value(100)),
            When(in_headline, then=Value(10)),
            default=Value(1),
            output_field=IntegerField(),
        )
    return qs.filter(exact), score


def _in_text_or_versions(field: str, pattern: str) -> Q:
    """`field` or one of its versions in other languages (accounts.content) matches."""
    found = Q(**{f"{field}__iregex": pattern})
    for code in content.LANGUAGE_CODES:
        found |= Q(**{f"translations__{code}__{field}__iregex": pattern})
    return found


def pros_matching(*, category: str | None = None, q: str = "") -> QuerySet[ProProfile]:
    """Public pros of `category` (a slug) matching every word of `q` (see the module's rules),
    annotated with `relevance`; unordered. The one text+category matcher of the directory, the
    availability search and the waitlist."""
    qs = ProProfile.objects.public()
    if category:
        qs = qs.filter(category__slug=category)
    qs, relevance = pros_matching_text(qs, q=q)
    return qs.annotate(relevance=relevance)


def pro_search(
    *,
    q: str = "",
    category: str | None = None,
    city: str | None = None,
    currency: str | None = None,
    max_price: int | None = None,
    sort: str = "relevance",
) -> QuerySet[ProProfile]:
    """Public pros matching the filters, with `category`, `booking_rules`, `active_services`,
    `min_price` and `other_currency` (see the module's rules for `currency` and `max_price`)."""
    if max_price is not None and not currency:
        raise ValueError("A maximum price needs the currency it is in.")
    qs = pros_matching(category=category, q=q).select_related("category", "booking_rules")
    if city:
        qs = qs.filter(city__iexact=city.strip())
    if max_price is not None:
        cheap_enough = _active_services().filter(
            pro=OuterRef("pk"), currency=currency, price_amount__lte=max_price
        )
        qs = qs.filter(Exists(cheap_enough), currency=currency)
    qs = _with_min_price(qs).prefetch_related(active_services_prefetch())
    qs = qs.annotate(
        other_currency=Value(False)
        if not currency
        else Case(
            When(currency=currency, then=Value(False)),
            default=Value(True),
            output_field=BooleanField(),
        )
    )

    if sort == "price":
        order = [F("min_price").asc(nulls_last=True), *_rating_order()]
    elif sort == "rating":
        order = _rating_order()
    elif sort == "newest":
        order = ["-created_at"]
    else:
        order = ["-relevance", *_rating_order()]
    if currency:
        # The price sort never compares two currencies: the others are grouped by theirs.
        order = ["other_currency", *(["currency"] if sort == "price" else []), *order]
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
