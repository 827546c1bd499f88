"""Forms of the payments app: the staff refund form (admin), the client's tip."""

from django import forms
from django.utils.translation import gettext_lazy as _

from payments.fees import percent_of
from timz import money


class StaffRefundForm(forms.Form):
    """Refund one or more payments; an empty amount refunds what is left of each."""

    amount = forms.CharField(
        label=_("Amount"),
        required=False,
        max_length=20,
        help_text=_(
            "In the payment’s currency, e.g. 12.50. Leave empty to refund everything left."
        ),
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, currencies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.currencies = set(currencies)

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Please give a reason for the refund."))
        return reason

    def clean_amount(self):
        text = self.cleaned_data["amount"].strip()
        if not text:
            return None
        if len(self.currencies) != 1:
            raise forms.ValidationError(
                _("A partial amount needs payments in a single currency; select fewer payments.")
            )
        try:
            amount = money.parse_amount(text, next(iter(self.currencies)))
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc
        if amount == 0:
            raise forms.ValidationError(_("Enter an amount greater than zero."))
        return amount


# The tip buttons, in percent of the visit's price.
TIP_PRESET_PERCENTS = (10, 15, 20)


class TipForm(forms.Form):
    """A tip on a visit: one of the preset percentages of its price, or an amount typed in the
    booking's currency (``timz.money.parse_amount``). The limits are ``tip_start``'s."""

    CUSTOM = "custom"

    percent = forms.ChoiceField(
        choices=[(str(p), f"{p}%") for p in TIP_PRESET_PERCENTS] + [(CUSTOM, _("Another amount"))]
    )
    custom = forms.CharField(required=False, max_length=20, label=_("Another amount"))

    def __init__(self, *args, booking, **kwargs):
        super().__init__(*args, **kwargs)
        self.booking = booking

    def presets(self) -> list[tuple[int, int]]:
        """(percent, amount) for each preset button."""
        price = self.booking.price_amount
        return [(p, percent_of(amount=price, percent=p)) for p in TIP_PRESET_PERCENTS]

    def clean(self):
        data = super().clean() or {}
        choice = data.get("percent")
        if choice is None:
            return data
        if choice != self.CUSTOM:
            data["amount"] = percent_of(amount=self.booking.price_amount, percent=int(choice))
            return data
        text = (data.get("custom") or "").strip()
        if not text:
            self.add_error("custom", _("Enter the amount of your tip."))
            return data
        try:
            data["amount"] = money.parse_amount(text, self.booking.currency)
        except ValueError as exc:
            self.add_error("custom", str(exc))
        return data
