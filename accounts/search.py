"""The directory search form (home page). Prices are typed in major units of the site currency."""

from decimal import Decimal

from django import forms
from django.conf import settings

from accounts import selectors
from timz import money


class DirectorySearchForm(forms.Form):
    """Bound to request.GET. Invalid fields are reported and ignored; valid ones still filter."""

    q = forms.CharField(
        required=False,
        max_length=100,
        label="What are you looking for?",
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Haircut, yoga, maths tutor…"}
        ),
    )
    category = forms.ChoiceField(required=False, label="Category")
    city = forms.CharField(required=False, max_length=80, label="City", widget=forms.Select)
    max_price = forms.DecimalField(
        required=False,
        min_value=Decimal("0"),
        max_value=Decimal("100000"),
        label="Max price",
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any", "min": "0"}),
        error_messages={"invalid": "Enter the maximum price as a number, e.g. 40."},
    )
    sort = forms.ChoiceField(required=False, label="Sort by", choices=list(selectors.SORTS.items()))

    def __init__(self, *args, categories, cities, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency = settings.DEFAULT_CURRENCY
        self.fields["category"].choices = [("", "Any")] + [(c.slug, c.name) for c in categories]
        self.fields["city"].widget.choices = [("", "Any")] + [(c, c) for c in cities]
        symbol = money.currency_symbol(self.currency)
        self.fields["max_price"].label = f"Max price ({symbol})"
        self.fields["max_price"].widget.attrs["placeholder"] = "Any"

    def clean_max_price(self):
        """The typed price, refused when it has more decimals than the site currency."""
        price = self.cleaned_data["max_price"]
        if price is not None:
            try:
                money.to_minor(price, self.currency)
            except ValueError as exc:
                raise forms.ValidationError(str(exc), code="precision") from exc
        return price

    def filters(self) -> dict:
        """Keyword arguments for selectors.pro_search from the fields that validated."""
        data = getattr(self, "cleaned_data", {}) if self.is_bound else {}
        max_price = data.get("max_price")
        return {
            "q": data.get("q") or "",
            "category": data.get("category") or None,
            "city": data.get("city") or None,
            "max_price": money.to_minor(max_price, self.currency)
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


def matching_services_first(pros, q: str) -> list:
    """The pros as a list, each one's `active_services` reordered so that services whose name
    matches a search word come first (the card shows the first three)."""
    terms = [t.casefold() for t in (q or "").split()]
    pros = list(pros)
    if terms:
        for pro in pros:
            pro.active_services.sort(key=lambda s: not any(t in s.name.casefold() for t in terms))
    return pros
