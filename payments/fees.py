"""Platform fee arithmetic for Timz bookings.

Pure functions, no Django, no I/O. All money amounts are ``int`` minor units of
the booking's currency (cents for EUR/USD, yen for JPY: Stripe's smallest unit),
never floats. Percentages are ``Decimal`` (or ``int``) values from 0 to 100 and may
have decimals, e.g. ``Decimal("2.9")``.

Rules
-----
* Rounding is always *round half up* on the exact value (Decimal ``ROUND_HALF_UP``),
  so 10% of 105 is 10.5, which rounds to 11, and 10% of 104 is 10.4, which rounds to 10.
  Python's ``round()`` (which rounds half to even) is never used, and neither are floats.
* Platform fee for a price::

      fee = round_half_up(price * percent / 100) + fixed
      fee = max(fee, minimum)          # never below the policy minimum...
      fee = min(fee, price)            # ...but never more than the price itself

  so ``0 <= fee <= price`` always holds, and the pro receives ``price - fee``.
* Late client cancellation: the pro side keeps ``keep_percent`` of the price and the
  client is refunded the rest::

      refund     = price - round_half_up(price * keep_percent / 100)
      fee_refund = round_half_up(fee * refund / price)      # 0 when price == 0

  The platform fee is refunded in the same proportion as the price (this is the
  ``application_fee`` part to reverse), so ``0 <= refund <= price`` and
  ``0 <= fee_refund <= fee``.
* A deposit carries the platform fee in proportion: of a booking whose whole fee is ``fee``,
  a deposit of ``deposit`` out of ``price`` carries ``round_half_up(fee * deposit / price)``
  and the balance the rest, so the two parts always add up to the booking's fee.
* When a booking ends undelivered (cancelled, declined, expired), each payment for it is
  refunded by its kind (``cancellation_refund``): a full payment in full, or less the pro's
  late-cancellation percent; a deposit in full, or not at all after a late cancellation (a
  no-show never ends undelivered: the pro keeps the deposit); a paid balance always in full.
* Every invalid input (negative or non-int amount, bool, float, percent outside
  0..100, non-finite Decimal, fee greater than price) raises ``ValueError``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, localcontext

__all__ = [
    "FeePolicy",
    "FeeSplit",
    "late_cancellation_split",
    "cancellation_refund",
    "deposit_fee",
    "percent_of",
    "platform_fee",
    "proportional_fee_refund",
    "split",
]

_ONE = Decimal(1)


def _check_amount(name: str, value: object) -> int:
    # bool is an int subclass; True cents is a bug, not an amount.
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{name} must be an int amount in minor units, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return value


def _check_percent(name: str, value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ValueError(f"{name} must be a Decimal or int, got {value!r}")
    percent = Decimal(value)
    if not percent.is_finite() or not 0 <= percent <= 100:
        raise ValueError(f"{name} must be between 0 and 100, got {value}")
    return percent


def _round_half_up(numerator: int, denominator: int) -> int:
    """Return ``numerator / denominator`` rounded half up (numerator >= 0, denominator > 0).

    Exact for integers of any size: the division truncates (ROUND_DOWN) with enough
    precision for the integer part plus one more digit, so ``k + 0.5`` is representable
    and truncation can never move the quotient across that boundary; ROUND_HALF_UP
    then decides on a value that compares to ``k + 0.5`` exactly like the true quotient.
    """
    with localcontext() as ctx:
        ctx.prec = len(str(numerator)) + 2
        ctx.rounding = ROUND_DOWN
        quotient = Decimal(numerator) / Decimal(denominator)
        return int(quotient.quantize(_ONE, rounding=ROUND_HALF_UP))


def _percent_of(amount: int, percent: Decimal) -> int:
    """round_half_up(amount * percent / 100), exact (percent as an integer ratio)."""
    num, den = percent.as_integer_ratio()
    return _round_half_up(amount * num, 100 * den)


@dataclass(frozen=True, slots=True)
class FeePolicy:
    """How the platform fee is computed; validated on construction.

    ``percent`` may be given as an int; it is stored as a Decimal.
    """

    percent: Decimal = Decimal("10")
    fixed: int = 0
    minimum: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "percent", _check_percent("percent", self.percent))
        _check_amount("fixed", self.fixed)
        _check_amount("minimum", self.minimum)


@dataclass(frozen=True, slots=True)
class FeeSplit:
    """A price divided between the platform (``fee``) and the pro (``pro_share``)."""

    price: int
    fee: int
    pro_share: int
    currency: str

    def __post_init__(self) -> None:
        _check_amount("price", self.price)
        _check_amount("fee", self.fee)
        _check_amount("pro_share", self.pro_share)
        if self.fee + self.pro_share != self.price:
            raise ValueError("fee + pro_share must equal price")


def percent_of(*, amount: int, percent: int | Decimal) -> int:
    """``percent`` % of ``amount`` (minor units), rounded half up; ``0 <= result <= amount``."""
    return _percent_of(_check_amount("amount", amount), _check_percent("percent", percent))


def platform_fee(*, price: int, policy: FeePolicy) -> int:
    """The platform's fee on ``price`` (minor units) under ``policy``; ``0 <= fee <= price``."""
    _check_amount("price", price)
    fee = _percent_of(price, policy.percent) + policy.fixed
    return min(max(fee, policy.minimum), price)


def split(*, price: int, currency: str, policy: FeePolicy) -> FeeSplit:
    """Split ``price`` into platform fee and pro share; ``currency`` is lower-cased."""
    if not isinstance(currency, str) or len(currency) != 3 or not currency.isalpha():
        raise ValueError(f"currency must be a 3-letter ISO code, got {currency!r}")
    fee = platform_fee(price=price, policy=policy)
    return FeeSplit(price=price, fee=fee, pro_share=price - fee, currency=currency.lower())


def late_cancellation_split(
    *, price: int, fee: int, keep_percent: Decimal | int
) -> tuple[int, int]:
    """Amounts to refund when a client cancels late and the pro keeps ``keep_percent``.

    Returns ``(refund_amount, application_fee_refund)``: what goes back to the client
    and how much of the platform ``fee`` to refund alongside (same proportion).
    """
    _check_amount("price", price)
    _check_amount("fee", fee)
    if fee > price:
        raise ValueError(f"fee ({fee}) cannot exceed price ({price})")
    keep = _check_percent("keep_percent", keep_percent)
    refund = price - _percent_of(price, keep)
    fee_refund = _round_half_up(fee * refund, price) if price else 0
    return refund, fee_refund


def proportional_fee_refund(*, price: int, fee: int, refund: int) -> int:
    """The part of the platform ``fee`` to refund with a refund of ``refund`` out of ``price``.

    Same proportion as the price, rounded half up (as in ``late_cancellation_split``):
    ``0 <= result <= fee``, and a full refund gives back the whole fee.
    """
    _check_amount("price", price)
    _check_amount("fee", fee)
    _check_amount("refund", refund)
    if fee > price:
        raise ValueError(f"fee ({fee}) cannot exceed price ({price})")
    if refund > price:
        raise ValueError(f"refund ({refund}) cannot exceed price ({price})")
    return _round_half_up(fee * refund, price) if price else 0


def deposit_fee(*, price: int, fee: int, deposit: int) -> int:
    """The part of a booking's platform ``fee`` (on ``price``) that its ``deposit`` carries;
    the balance carries ``fee - deposit_fee(...)``. Rounded half up, ``0 <= result <= fee``."""
    return proportional_fee_refund(price=price, fee=fee, refund=deposit)


def cancellation_refund(
    *, kind: str, amount: int, fee: int, late: bool, keep_percent: Decimal | int
) -> tuple[int, int]:
    """What to refund of a payment of ``kind`` ("full", "deposit" or "balance") of ``amount``
    carrying ``fee`` when its booking ends undelivered; ``late`` for a late client cancellation,
    after which the pro keeps ``keep_percent`` of a full payment, or the whole deposit.

    Returns ``(refund_amount, application_fee_refund)``.
    """
    _check_amount("amount", amount)
    _check_amount("fee", fee)
    if fee > amount:
        raise ValueError(f"fee ({fee}) cannot exceed amount ({amount})")
    if kind == "full":
        if late:
            return late_cancellation_split(price=amount, fee=fee, keep_percent=keep_percent)
        return amount, fee
    if kind == "deposit":
        return (0, 0) if late else (amount, fee)
    if kind == "balance":
        return amount, fee
    raise ValueError(f"kind must be full, deposit or balance, got {kind!r}")
