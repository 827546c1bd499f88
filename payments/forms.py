"""Forms of the payments app: the staff refund form (admin)."""

from django import forms

from timz import money


class StaffRefundForm(forms.Form):
    """Refund one or more payments; an empty amount refunds what is left of each."""

    amount = forms.CharField(
        required=False,
        max_length=20,
        help_text="In the payment's currency, e.g. 12.50. Leave empty to refund everything left.",
    )
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, currencies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.currencies = set(currencies)

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Please give a reason for the refund.")
        return reason

    def clean_amount(self):
        text = self.cleaned_data["amount"].strip()
        if not text:
            return None
        if len(self.currencies) != 1:
            raise forms.ValidationError(
                "A partial amount needs payments in a single currency; select fewer payments."
            )
        try:
            amount = money.parse_amount(text, next(iter(self.currencies)))
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc
        if amount == 0:
            raise forms.ValidationError("Enter an amount greater than zero.")
        return amount
