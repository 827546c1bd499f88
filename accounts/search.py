"""The directory search form (home page) and the currency a visitor compares prices in.

Prices are typed in major units of the chosen currency (a select next to the max price); its
default is `viewer_currency`: the currency of the city searched in (its pros price in it), else
a signed-in pro's own currency, a signed-in client's zone's country's, else the region of the
browser's Accept-Language (en-GB: GBP, en-US: USD, fr-FR: EUR), else settings.DEFAULT_CURRENCY.
"""

from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts import content, geo, selectors
from timz import money


def viewer_currency(request, *, city: str | None = None) -> str:
    """The currency `request`'s visitor most likely pays in (see the module doc). `city`, a
    city the visitor searches in, comes first when its country is known: a visitor from
    anywhere compares Manchester's prices in pounds. Otherwise, for an anonymous visitor it
    depends on the Accept-Language header alone (the page cache keys on it, and on the URL,
    which holds the city); for a signed-in one it reads the profile the page header loads
    anyway."""
    found = geo.city_currency(city) if city else None
    if found:
        return found
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        pro = getattr(user, "pro_profile", None) if user.is_pro else None
        if pro is not None:
            return pro.currency
        client = getattr(user, "client_profile", None)
        found = money.currency_for_country(geo.zone_country(client.timezone if client else None))
        if found:
            return found
    found = money.currency_for_accept_language(request.headers.get("Accept-Language"))
    return found or settings.DEFAULT_CURRENCY


def currency_choices(*extra: str) -> list[tuple[str, str]]:
    """The currencies the directory compares within: every one some pro may price in."""
    codes = sorted({*money.all_settlement_currencies(), settings.DEFAULT_CURRENCY, *extra})
    return [(code, _short_label(code)) for code in codes]


def _short_label(code: str) -> str:
    symbol = money.currency_symbol(code)
    return code if symbol == code else f"{code} ({symbol})"


class DirectorySearchForm(forms.Form):
    """Bound to request.GET. Invalid fields are reported and ignored; valid ones still filter."""

    q = forms.CharField(
        required=False,
        max_length=100,
        label=_("What are you looking for?"),
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Haircut, yoga, maths tutor…")}
        ),
    )
    category = forms.ChoiceField(required=False, label=_("Category"))
    city = forms.CharField(required=False, max_length=80, label=_("City"), widget=forms.Select)
    max_price = forms.DecimalField(
        required=False,
        min_value=Decimal("0"),
        max_value=Decimal("100000"),
        label=_("Max price"),
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any", "min": "0"}),
        error_messages={"invalid": _("Enter the maximum price as a number, e.g. 40.")},
    )
    currency = forms.ChoiceField(
        required=False,
        label=_("Currency"),
        help_text=_("Prices are compared in this currency; pros priced in others come after."),
        error_messages={"invalid_choice": _("Choose a currency from the list.")},
    )
    sort = forms.ChoiceField(
        required=False, label=_("Sort by"), choices=list(selectors.SORTS.items())
    )

    def __init__(self, *args, categories, cities, default_currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.default_currency = default_currency
        if self.is_bound and not self.data.get("currency"):
            # A search without a currency is in the default one, and the select says so.
            self.data = self.data.copy()
            self.data["currency"] = default_currency
        # Translators: the empty choice of a search filter (any category, any city, any price).
        anything = gettext("Any")
        self.fields["category"].choices = [("", anything)] + [(c.slug, c.name) for c in categories]
        self.fields["city"].widget.choices = [("", anything)] + [(c, c) for c in cities]
        self.fields["currency"].choices = currency_choices(default_currency)
        self.fields["currency"].initial = default_currency
        self.fields["max_price"].widget.attrs["placeholder"] = anything

    @property
    def chosen_currency(self) -> str:
        """The currency prices are compared in: the chosen one if valid, else the default."""
        chosen = getattr(self, "cleaned_data", {}).get("currency") if self.is_bound else None
        return chosen or self.default_currency

    def clean(self):
        """The typed price is refused when it has more decimals than the chosen currency."""
        data = super().clean()
        price = data.get("max_price")
        if price is not None:
            try:
                money.to_minor(price, self.chosen_currency)
            except ValueError as exc:
                self.add_error("max_price", forms.ValidationError(str(exc), code="precision"))
        return data

    def filters(self) -> dict:
        """Keyword arguments for selectors.pro_search from the fields that validated."""
        data = getattr(self, "cleaned_data", {}) if self.is_bound else {}
        max_price = data.get("max_price")
        return {
            "q": data.get("q") or "",
            "category": data.get("category") or None,
            "city": data.get("city") or None,
            "currency": self.chosen_currency,
            "max_price": money.to_minor(max_price, self.chosen_currency)
            if max_price is not None
            else None,
            "sort": data.get("sort") or "relevance",
        }

    @property
    def max_price_major(self) -> Decimal | None:
        """The validated max price as typed (major units), or None."""
        return getattr(self, "cleaned_data", {}).get("max_price")

    def is_filtered(self) -> bool:
        f = self.filters()
        return bool(f["q"] or f["category"] or f["city"] or f["max_price"] is not None)


def _names(service, terms: list[str]) -> bool:
    """Whether a search word is in the service's name, in any of the pro's languages."""
    return any(t in name.casefold() for name in content.texts(service, "name") for t in terms)


def matching_services_first(pros, q: str) -> list:
    """The pros as a list, each one's `active_services` reordered so that services whose name
    matches a search word come first (the card shows the first three)."""
    terms = [t.casefold() for t in (q or "").split()]
    pros = list(pros)
    if terms:
        for pro in pros:
            pro.active_services.sort(key=lambda s: not _names(s, terms))
    return pros
