"""Tests for payments.fees: exact integer fee arithmetic with round-half-up."""

import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from payments.fees import (
    FeePolicy,
    FeeSplit,
    late_cancellation_split,
    percent_of,
    platform_fee,
    split,
)

MAX_PRICE = 10**9

prices = st.integers(min_value=0, max_value=MAX_PRICE)
# 0..100 with up to two decimals, e.g. Decimal("12.34").
percents = st.integers(min_value=0, max_value=10_000).map(lambda n: Decimal(n).scaleb(-2))
amounts = st.integers(min_value=0, max_value=10**7)
policies = st.builds(FeePolicy, percent=percents, fixed=amounts, minimum=amounts)


def reference_half_up(value: Fraction) -> int:
    """Independent oracle: floor(value + 1/2) on exact rationals."""
    return math.floor(value + Fraction(1, 2))


# --- platform_fee / split properties -------------------------------------------------


@given(price=prices, policy=policies)
@example(price=0, policy=FeePolicy(percent=Decimal(100), fixed=5, minimum=7))
@example(price=MAX_PRICE, policy=FeePolicy(percent=Decimal("99.99"), fixed=10**7))
def test_split_always_adds_up_and_fee_is_bounded(price, policy):
    result = split(price=price, currency="EUR", policy=policy)
    assert result.fee + result.pro_share == price
    assert 0 <= result.fee <= price
    assert result.price == price
    assert result.currency == "eur"
    assert all(type(v) is int for v in (result.price, result.fee, result.pro_share))


@given(price=prices, policy=policies)
def test_fee_matches_exact_rational_reference(price, policy):
    percentage = reference_half_up(Fraction(price) * Fraction(policy.percent) / 100)
    expected = min(max(percentage + policy.fixed, policy.minimum), price)
    assert platform_fee(price=price, policy=policy) == expected


@given(price=prices, percent=percents)
def test_fee_is_monotonic_in_price(price, percent):
    policy = FeePolicy(percent=percent)
    assert platform_fee(price=price, policy=policy) <= platform_fee(price=price + 1, policy=policy)


# --- round half up ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "percent", "expected"),
    [
        (105, Decimal("10"), 11),  # 10.5 -> 11 (banker's rounding would give 10)
        (104, Decimal("10"), 10),  # 10.4 -> 10
        (106, Decimal("10"), 11),  # 10.6 -> 11
        (125, Decimal("10"), 13),  # 12.5 -> 13 (banker's rounding would give 12)
        (1, Decimal("50"), 1),  # 0.5 -> 1
        (1, Decimal("49.99"), 0),  # 0.4999 -> 0
        (1000, Decimal("2.95"), 30),  # 29.5 -> 30
        (999, Decimal("12.5"), 125),  # 124.875 -> 125
        (10**20 + 5, Decimal("10"), 10**19 + 1),  # big ints stay exact
        (0, Decimal("10"), 0),
        (12345, Decimal("0"), 0),
        (12345, Decimal("100"), 12345),
    ],
)
def test_round_half_up_examples(price, percent, expected):
    assert platform_fee(price=price, policy=FeePolicy(percent=percent)) == expected


def test_default_policy_is_ten_percent():
    assert FeePolicy() == FeePolicy(percent=Decimal("10"), fixed=0, minimum=0)
    assert platform_fee(price=5000, policy=FeePolicy()) == 500


def test_int_percent_is_stored_as_decimal():
    policy = FeePolicy(percent=15)
    assert isinstance(policy.percent, Decimal)
    assert platform_fee(price=1000, policy=policy) == 150


# --- fixed, minimum, cap -------------------------------------------------------------


def test_fixed_is_added_after_rounding():
    assert platform_fee(price=105, policy=FeePolicy(percent=Decimal(10), fixed=30)) == 41


def test_minimum_applies():
    policy = FeePolicy(percent=Decimal(10), minimum=200)
    assert platform_fee(price=1000, policy=policy) == 200  # 100 -> raised to minimum
    assert platform_fee(price=5000, policy=policy) == 500  # above minimum: unchanged


def test_fee_is_capped_at_price():
    policy = FeePolicy(percent=Decimal(10), fixed=50, minimum=300)
    assert platform_fee(price=120, policy=policy) == 120
    assert split(price=120, currency="eur", policy=policy) == FeeSplit(
        price=120, fee=120, pro_share=0, currency="eur"
    )
    assert platform_fee(price=0, policy=policy) == 0


# --- validation ------------------------------------------------------------------------


@pytest.mark.parametrize("price", [-1, 10.0, True, "100", None, Decimal(100)])
def test_invalid_price_raises(price):
    with pytest.raises(ValueError):
        platform_fee(price=price, policy=FeePolicy())
    with pytest.raises(ValueError):
        split(price=price, currency="eur", policy=FeePolicy())


@pytest.mark.parametrize(
    "kwargs",
    [
        {"percent": Decimal("100.01")},
        {"percent": Decimal("-0.01")},
        {"percent": 101},
        {"percent": 10.0},  # floats are refused, not converted
        {"percent": Decimal("NaN")},
        {"percent": Decimal("Infinity")},
        {"percent": True},
        {"fixed": -1},
        {"fixed": 1.5},
        {"minimum": -1},
    ],
)
def test_invalid_policy_raises(kwargs):
    with pytest.raises(ValueError):
        FeePolicy(**kwargs)


@pytest.mark.parametrize("currency", ["", "eu", "euro", "e1r", None])
def test_invalid_currency_raises(currency):
    with pytest.raises(ValueError):
        split(price=100, currency=currency, policy=FeePolicy())


def test_fee_split_rejects_inconsistent_amounts():
    with pytest.raises(ValueError):
        FeeSplit(price=100, fee=10, pro_share=80, currency="eur")


# --- late cancellation -------------------------------------------------------------------

keep_percents = st.one_of(percents, st.integers(min_value=0, max_value=100))


@st.composite
def price_and_fee(draw):
    price = draw(prices)
    return price, draw(st.integers(min_value=0, max_value=price))


@given(pf=price_and_fee(), keep=keep_percents)
def test_late_cancellation_bounds_and_reference(pf, keep):
    price, fee = pf
    refund, fee_refund = late_cancellation_split(price=price, fee=fee, keep_percent=keep)
    assert 0 <= refund <= price
    assert 0 <= fee_refund <= fee
    kept = reference_half_up(Fraction(price) * Fraction(keep) / 100)
    assert refund == price - kept
    assert fee_refund == (reference_half_up(Fraction(fee * refund, price)) if price else 0)


@given(pf=price_and_fee())
def test_late_cancellation_extremes(pf):
    price, fee = pf
    assert late_cancellation_split(price=price, fee=fee, keep_percent=0) == (price, fee)
    assert late_cancellation_split(price=price, fee=fee, keep_percent=100) == (0, 0)


@given(pf=price_and_fee(), a=keep_percents, b=keep_percents)
def test_keeping_more_never_refunds_more(pf, a, b):
    price, fee = pf
    low, high = sorted((Decimal(a), Decimal(b)))
    refund_low, fee_low = late_cancellation_split(price=price, fee=fee, keep_percent=low)
    refund_high, fee_high = late_cancellation_split(price=price, fee=fee, keep_percent=high)
    assert refund_high <= refund_low
    assert fee_high <= fee_low


@pytest.mark.parametrize(
    ("price", "fee", "keep", "expected"),
    [
        (10000, 1000, 50, (5000, 500)),
        (105, 11, Decimal(50), (52, 5)),  # keeps 52.5 -> 53, refunds 52; 11*52/105=5.45 -> 5
        (999, 100, Decimal("33.33"), (666, 67)),  # keeps 332.97 -> 333; 100*666/999=66.67 -> 67
        (3, 1, 50, (1, 0)),  # keeps 1.5 -> 2; 1*1/3 -> 0
        (0, 0, 50, (0, 0)),
    ],
)
def test_late_cancellation_examples(price, fee, keep, expected):
    assert late_cancellation_split(price=price, fee=fee, keep_percent=keep) == expected


@pytest.mark.parametrize(
    "kwargs",
    [
        {"price": -1, "fee": 0, "keep_percent": 50},
        {"price": 100, "fee": -1, "keep_percent": 50},
        {"price": 100, "fee": 101, "keep_percent": 50},
        {"price": 100, "fee": 10, "keep_percent": 101},
        {"price": 100, "fee": 10, "keep_percent": Decimal("-1")},
        {"price": 100, "fee": 10, "keep_percent": 0.5},
        {"price": 100.0, "fee": 10, "keep_percent": 50},
    ],
)
def test_late_cancellation_invalid_inputs(kwargs):
    with pytest.raises(ValueError):
        late_cancellation_split(**kwargs)


@given(pf=price_and_fee(), data=st.data())
def test_proportional_fee_refund_is_bounded_and_full_refund_returns_the_whole_fee(pf, data):
    from payments.fees import proportional_fee_refund

    price, fee = pf
    refund = data.draw(st.integers(min_value=0, max_value=price))
    part = proportional_fee_refund(price=price, fee=fee, refund=refund)
    assert 0 <= part <= fee
    assert proportional_fee_refund(price=price, fee=fee, refund=price) == fee
    assert proportional_fee_refund(price=price, fee=fee, refund=0) == 0


def test_proportional_fee_refund_rounds_half_up():
    from payments.fees import proportional_fee_refund

    assert proportional_fee_refund(price=5000, fee=500, refund=1234) == 123  # 123.4
    assert proportional_fee_refund(price=1000, fee=105, refund=500) == 53  # 52.5
    with pytest.raises(ValueError):
        proportional_fee_refund(price=100, fee=10, refund=101)


@pytest.mark.parametrize(
    ("amount", "percent", "expected"),
    [(2500, 30, 750), (105, 10, 11), (104, 10, 10), (999, 100, 999), (999, 0, 0)],
)
def test_percent_of_rounds_half_up(amount, percent, expected):
    assert percent_of(amount=amount, percent=percent) == expected


@pytest.mark.parametrize(("amount", "percent"), [(-1, 10), (100, 101), (100, -1), (1.5, 10)])
def test_percent_of_refuses_what_is_not_money_or_a_percentage(amount, percent):
    with pytest.raises(ValueError):
        percent_of(amount=amount, percent=percent)
