"""The staff refund form: amounts typed in the payments' currency, read by timz.money."""

from payments.forms import StaffRefundForm


def refund_form(amount: str, currencies=("EUR",)) -> StaffRefundForm:
    return StaffRefundForm({"amount": amount, "reason": "Goodwill"}, currencies=currencies)


def test_refund_amount_is_read_into_minor_units_with_symbol_and_grouping():
    form = refund_form("€1,234.50")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["amount"] == 123450


def test_refund_amount_in_a_zero_decimal_currency_is_whole_units():
    form = refund_form("5,000", currencies=("XOF",))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["amount"] == 5000


def test_refund_amount_written_in_another_notation_is_explained():
    assert refund_form("12,50").errors["amount"] == ["Enter an amount such as 1,234.50."]


def test_refund_amount_of_zero_is_refused():
    assert refund_form("0").errors["amount"] == ["Enter an amount greater than zero."]


def test_empty_refund_amount_refunds_what_is_left():
    form = refund_form("")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["amount"] is None
