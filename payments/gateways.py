"""Payment gateways: Stripe (through the official SDK) and the offline test backend.

Services talk to a small ``Gateway`` protocol and never to the SDK directly. ``get_gateway()``
picks Stripe when ``STRIPE_SECRET_KEY`` is set (``STRIPE_API_BASE`` points the SDK at another
address, e.g. the tests' stand-in), else the offline backend, so ``make run`` needs no account.

Every money-moving POST carries an idempotency key: the caller's name for the operation
(derived from our own row ids) followed by a hash of the exact parameters sent
(``idempotency_key``). Retrying a call that timed out with the same parameters replays
Stripe's first answer, so it never creates a second session or refund; and a key is never
reused with other parameters, which Stripe would refuse for 24 hours.

Each request's parameters are built as the SDK's generated ``TypedDict`` for that call
(``SessionCreateParams``, ``RefundCreateParams``, ...), so mypy (``make lint``) refuses a
misspelt or mistyped parameter before Stripe does.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

import stripe
from django.conf import settings
from django.utils.translation import gettext_lazy
from stripe import RequestOptions
from stripe.params import (
    AccountCreateParams,
    AccountLinkCreateParams,
    BalanceTransactionListParams,
    CustomerCreateParams,
    PaymentIntentCreateParams,
    PaymentIntentRetrieveParams,
    RefundCreateParams,
    SetupIntentRetrieveParams,
    TransferReversalCreateParams,
)
from stripe.params.checkout import SessionCreateParams, SessionCreateParamsPaymentIntentData

from payments.models import CARD_DECLINED
from timz import money

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AccountInfo:
    id: str | None
    charges_enabled: bool
    payouts_enabled: bool
    details_submitted: bool
    requirements_due: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CheckoutInfo:
    session_id: str
    url: str


@dataclass(frozen=True)
class RefundInfo:
    id: str
    status: str


@dataclass(frozen=True)
class CheckoutRequest:
    booking_id: int
    service_name: str
    amount: int
    fee: int
    currency: str
    destination: str  # the pro's connected account; "" with the offline gateway
    success_url: str
    cancel_url: str
    expires_at: datetime
    operation: str  # names the call; its idempotency key adds a hash of the parameters
    customer_email: str = ""
    kind: str = "full"  # Payment.Kind: what the charge is for


@dataclass(frozen=True)
class RefundRequest:
    payment_intent_id: str
    amount: int
    currency: str
    booking_id: int
    refund_id: int
    operation: str  # names the call; its idempotency key adds a hash of the parameters


@dataclass(frozen=True)
class TransferReversalRequest:
    """Take `amount` back from the pro's transfer of the payment `payment_intent_id`."""

    payment_intent_id: str
    amount: int
    currency: str
    booking_id: int
    dispute_id: str
    operation: str  # names the call; its idempotency key adds a hash of the parameters


@dataclass(frozen=True)
class PayoutInfo:
    """A payout to a pro's bank as the provider reports it (amount in our minor units)."""

    id: str
    amount: int
    currency: str  # upper case, as everywhere in Timz
    arrival_date: date
    status: str


@dataclass(frozen=True)
class SetupCheckoutRequest:
    """A Checkout Session in setup mode: the client saves a card for booking `booking_id`."""

    booking_id: int
    customer_id: str
    currency: str
    success_url: str
    cancel_url: str
    expires_at: datetime
    operation: str  # names the call; its idempotency key adds a hash of the parameters


@dataclass(frozen=True)
class CardInfo:
    """A saved card, as the provider describes its payment method."""

    payment_method_id: str
    brand: str
    last4: str
    exp_month: int | None
    exp_year: int | None


@dataclass(frozen=True)
class OffSessionChargeRequest:
    """Charge a saved card while its holder is away (the no-show fee)."""

    booking_id: int
    payment_id: int
    customer_id: str
    payment_method_id: str
    amount: int
    fee: int
    currency: str
    destination: str  # the pro's connected account; "" with the offline gateway
    description: str
    operation: str  # names the call; its idempotency key adds a hash of the parameters


@dataclass(frozen=True)
class ChargeOutcome:
    """What an off-session charge did: ``succeeded``, ``authentication_required`` (the bank
    wants the cardholder; the payment intent waits for another payment method), ``declined``
    (`message` says why, in words safe for the pro) or ``processing``."""

    status: str
    payment_intent_id: str
    message: str = ""


class GatewayError(Exception):
    """The payment provider refused or could not be reached.

    ``str()`` is a plain sentence safe to show to anyone; ``detail`` is what the provider
    said (for logs and staff pages only: it may name parameters, ids or internals).
    """

    def __init__(self, message: str | StrPromise, *, detail: str = ""):
        super().__init__(message)
        self.detail = detail or str(message)


# Read in the language of whoever sees it (``str(error)``, when shown).
PROVIDER_FAILED = gettext_lazy(
    "The payment provider could not complete this just now. Please try again later."
)
# Kept on the payment in English, translated when shown (``payments.models.recorded_text``).
DECLINED = CARD_DECLINED


class Gateway(Protocol):
    name: str

    def create_account(self, *, pro_id: int, email: str) -> AccountInfo: ...

    def retrieve_account(self, *, account_id: str) -> AccountInfo: ...

    def create_account_link(self, *, account_id: str, refresh_url: str, return_url: str) -> str: ...

    def create_checkout(self, request: CheckoutRequest) -> CheckoutInfo: ...

    def expire_checkout(self, *, session_id: str) -> None: ...

    def create_refund(self, request: RefundRequest) -> RefundInfo: ...

    def payment_intent_metadata(self, *, payment_intent_id: str) -> dict[str, str]: ...

    def application_fee_refunded(self, *, payment_intent_id: str, currency: str) -> int | None: ...

    def reverse_transfer(self, request: TransferReversalRequest) -> str: ...

    def list_payouts(
        self, *, account_id: str, arrival_from: date, arrival_to: date
    ) -> list[PayoutInfo]: ...

    def create_customer(self, *, user_id: int, email: str) -> str: ...

    def create_setup_checkout(self, request: SetupCheckoutRequest) -> CheckoutInfo: ...

    def setup_intent_of_session(self, *, session_id: str) -> str: ...

    def retrieve_card(self, *, setup_intent_id: str) -> CardInfo: ...

    def charge_off_session(self, request: OffSessionChargeRequest) -> ChargeOutcome: ...

    def delete_customer(self, *, customer_id: str) -> None: ...


def account_info(account) -> AccountInfo:
    """AccountInfo from a Stripe account object or its dict (as in an account.updated event)."""
    data = account.to_dict() if hasattr(account, "to_dict") else dict(account)
    requirements = data.get("requirements") or {}
    due = list(requirements.get("currently_due") or []) + [
        item
        for item in requirements.get("past_due") or []
        if item not in (requirements.get("currently_due") or [])
    ]
    return AccountInfo(
        id=data.get("id"),
        charges_enabled=bool(data.get("charges_enabled")),
        payouts_enabled=bool(data.get("payouts_enabled")),
        details_submitted=bool(data.get("details_submitted")),
        requirements_due=due,
    )


def idempotency_key(operation: str, params: Mapping[str, Any]) -> str:
    """``<operation>-<hash of params>``: the same key only ever goes with the same parameters."""
    canonical = json.dumps(params, sort_keys=True, separators=(",", ":"), default=str)
    return f"{operation}-{hashlib.sha256(canonical.encode()).hexdigest()[:32]}"


class StripeGateway:
    name = "stripe"

    def __init__(self, *, api_key: str, api_base: str = ""):
        # Retries are safe because every POST carries our own idempotency key.
        self.client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base.rstrip("/")} if api_base else None,
            max_network_retries=2,
        )

    @staticmethod
    def _amount(amount: int, currency: str) -> int:
        """Our minor units in Stripe's units for `currency` (ISK is sent with two decimals)."""
        try:
            return money.to_stripe_amount(amount, currency)
        except ValueError as exc:
            raise GatewayError(str(exc)) from exc

    def _call[**P, R](self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """``fn(*args, **kwargs)``, its Stripe errors turned into a ``GatewayError``."""
        try:
            return fn(*args, **kwargs)
        except stripe.StripeError as exc:
            detail = str(getattr(exc, "user_message", None) or exc or type(exc).__name__)
            logger.warning(
                "Stripe error in %s (request %s): %s",
                getattr(fn, "__qualname__", fn),
                getattr(exc, "request_id", None),
                detail,
            )
            raise GatewayError(PROVIDER_FAILED, detail=detail) from exc

    def create_account(self, *, pro_id: int, email: str) -> AccountInfo:
        params: AccountCreateParams = {
            "type": "express",
            "email": email,
            "capabilities": {
                "card_payments": {"requested": True},
                "transfers": {"requested": True},
            },
            "metadata": {"pro_id": str(pro_id)},
        }
        options: RequestOptions = {
            "idempotency_key": idempotency_key(f"pro-{pro_id}-account", params)
        }
        return account_info(self._call(self.client.v1.accounts.create, params, options))

    def retrieve_account(self, *, account_id: str) -> AccountInfo:
        return account_info(self._call(self.client.v1.accounts.retrieve, account_id))

    def create_account_link(self, *, account_id: str, refresh_url: str, return_url: str) -> str:
        params: AccountLinkCreateParams = {
            "account": account_id,
            "type": "account_onboarding",
            "refresh_url": refresh_url,
            "return_url": return_url,
        }
        return self._call(self.client.v1.account_links.create, params).url

    def create_checkout(self, request: CheckoutRequest) -> CheckoutInfo:
        metadata = {"booking_id": str(request.booking_id)}
        if request.kind != "full":
            metadata["payment_kind"] = request.kind
        # A destination charge: the pro's account receives the amount less the platform's
        # application fee. No fee (a tip, a booking through the pro's own link) sends none.
        intent_data: SessionCreateParamsPaymentIntentData = {
            "transfer_data": {"destination": request.destination},
            "metadata": metadata,
        }
        if request.fee:
            intent_data["application_fee_amount"] = self._amount(request.fee, request.currency)
        params: SessionCreateParams = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": request.currency.lower(),
                        "unit_amount": self._amount(request.amount, request.currency),
                        "product_data": {"name": request.service_name},
                    },
                }
            ],
            "payment_intent_data": intent_data,
            "metadata": metadata,
            "client_reference_id": str(request.booking_id),
            "expires_at": int(request.expires_at.timestamp()),
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
        }
        if request.customer_email:
            params["customer_email"] = request.customer_email
        options: RequestOptions = {"idempotency_key": idempotency_key(request.operation, params)}
        session = self._call(self.client.v1.checkout.sessions.create, params, options)
        # Only embedded and custom sessions lack a URL; this one is hosted (the default).
        assert session.url is not None
        return CheckoutInfo(session_id=session.id, url=session.url)

    def expire_checkout(self, *, session_id: str) -> None:
        self._call(self.client.v1.checkout.sessions.expire, session_id)

    def create_refund(self, request: RefundRequest) -> RefundInfo:
        params: RefundCreateParams = {
            "payment_intent": request.payment_intent_id,
            "amount": self._amount(request.amount, request.currency),
            "reverse_transfer": True,
            "refund_application_fee": True,
            "metadata": {
                "booking_id": str(request.booking_id),
                "refund_id": str(request.refund_id),
            },
        }
        options: RequestOptions = {"idempotency_key": idempotency_key(request.operation, params)}
        refund = self._call(self.client.v1.refunds.create, params, options)
        # The SDK declares the status nullable; the services read a missing one as pending.
        return RefundInfo(id=refund.id, status=refund.status or "")

    def payment_intent_metadata(self, *, payment_intent_id: str) -> dict[str, str]:
        intent = self._call(self.client.v1.payment_intents.retrieve, payment_intent_id)
        return intent.metadata.to_dict() if intent.metadata else {}

    def application_fee_refunded(self, *, payment_intent_id: str, currency: str) -> int | None:
        """How much of the payment's application fee Stripe has refunded so far, in our minor
        units (Stripe rounds each fee refund its own way); None when it took no fee."""
        params: PaymentIntentRetrieveParams = {"expand": ["latest_charge.application_fee"]}
        intent = self._call(self.client.v1.payment_intents.retrieve, payment_intent_id, params)
        charge = intent.latest_charge
        application_fee = getattr(charge, "application_fee", None) if charge else None
        if application_fee is None or isinstance(application_fee, str):
            return None
        try:
            return money.from_stripe_amount(application_fee.amount_refunded, currency)
        except ValueError as exc:
            raise GatewayError(PROVIDER_FAILED, detail=str(exc)) from exc

    def reverse_transfer(self, request: TransferReversalRequest) -> str:
        """Reverse part of the destination charge's transfer; returns the reversal's id."""
        expand: PaymentIntentRetrieveParams = {"expand": ["latest_charge"]}
        intent = self._call(
            self.client.v1.payment_intents.retrieve, request.payment_intent_id, expand
        )
        transfer = getattr(intent.latest_charge, "transfer", None) if intent.latest_charge else None
        if not transfer:
            detail = f"Payment intent {request.payment_intent_id} has no transfer to reverse."
            raise GatewayError(PROVIDER_FAILED, detail=detail)
        transfer_id = transfer if isinstance(transfer, str) else transfer.id
        params: TransferReversalCreateParams = {
            "amount": self._amount(request.amount, request.currency),
            "metadata": {
                "booking_id": str(request.booking_id),
                "dispute_id": request.dispute_id,
            },
        }
        options: RequestOptions = {"idempotency_key": idempotency_key(request.operation, params)}
        reversal = self._call(
            self.client.v1.transfers.reversals.create, transfer_id, params, options
        )
        return reversal.id

    # At most this many pages of 100 balance transactions per call (a month has a few dozen
    # payouts at most).
    PAYOUT_PAGES = 10
    # How long before its arrival date a payout may have been made: Stripe's standard payouts
    # take a few business days to reach the bank (up to about a week in some countries).
    PAYOUT_TRANSIT_DAYS = 14

    def list_payouts(
        self, *, account_id: str, arrival_from: date, arrival_to: date
    ) -> list[PayoutInfo]:
        """The connected account's payouts arriving on days [arrival_from, arrival_to), newest
        first, read from its balance transactions of type ``payout`` (each one is the money a
        payout took out of the balance, so its amount is negative) with the payout expanded
        for its arrival date and status. Balance transactions filter on ``created`` only: the
        window starts ``PAYOUT_TRANSIT_DAYS`` early, so a payout made at the end of the
        previous month that arrives in this one is found. Every page (``has_more`` /
        ``starting_after``). Stripe dates a payout's arrival at midnight UTC of its day."""
        payouts: list[PayoutInfo] = []
        made_from = datetime.combine(arrival_from, time(), UTC) - timedelta(
            days=self.PAYOUT_TRANSIT_DAYS
        )
        params: BalanceTransactionListParams = {
            "type": "payout",
            "limit": 100,
            "created": {
                "gte": int(made_from.timestamp()),
                "lt": int(datetime.combine(arrival_to, time(), UTC).timestamp()),
            },
            "expand": ["data.source"],
        }
        # The account's own balance: without the header Stripe lists the platform's.
        options: RequestOptions = {"stripe_account": account_id}
        for _ in range(self.PAYOUT_PAGES):
            page = self._call(self.client.v1.balance_transactions.list, params, options)
            for transaction in page.data:
                payout = transaction.source
                if not isinstance(payout, stripe.Payout):
                    detail = f"Balance transaction {transaction.id} came without its payout."
                    raise GatewayError(PROVIDER_FAILED, detail=detail)
                arrival = datetime.fromtimestamp(payout.arrival_date, UTC).date()
                if not arrival_from <= arrival < arrival_to:
                    continue
                try:
                    amount = money.from_stripe_amount(-transaction.amount, transaction.currency)
                except ValueError as exc:
                    raise GatewayError(PROVIDER_FAILED, detail=str(exc)) from exc
                payouts.append(
                    PayoutInfo(
                        id=payout.id,
                        amount=amount,
                        currency=transaction.currency.upper(),
                        arrival_date=arrival,
                        status=payout.status,
                    )
                )
            if not page.has_more or not page.data:
                break
            params["starting_after"] = page.data[-1].id
        return sorted(payouts, key=lambda payout: payout.arrival_date, reverse=True)

    # -- card on file ------------------------------------------------------------------------

    def create_customer(self, *, user_id: int, email: str) -> str:
        """The client's customer on the platform account (operation ``user-<id>-customer``)."""
        params: CustomerCreateParams = {"email": email, "metadata": {"user_id": str(user_id)}}
        options: RequestOptions = {
            "idempotency_key": idempotency_key(f"user-{user_id}-customer", params)
        }
        return self._call(self.client.v1.customers.create, params, options).id

    def create_setup_checkout(self, request: SetupCheckoutRequest) -> CheckoutInfo:
        # Setup mode takes no line items; with the dashboard's dynamic payment methods Stripe
        # needs the currency to choose which methods to offer.
        metadata = {"booking_id": str(request.booking_id), "purpose": "card_on_file"}
        params: SessionCreateParams = {
            "mode": "setup",
            "currency": request.currency.lower(),
            "customer": request.customer_id,
            "setup_intent_data": {"metadata": metadata},
            "metadata": metadata,
            "client_reference_id": str(request.booking_id),
            "expires_at": int(request.expires_at.timestamp()),
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
        }
        options: RequestOptions = {"idempotency_key": idempotency_key(request.operation, params)}
        session = self._call(self.client.v1.checkout.sessions.create, params, options)
        assert session.url is not None  # a hosted session has a URL until it completes
        return CheckoutInfo(session_id=session.id, url=session.url)

    def delete_customer(self, *, customer_id: str) -> None:
        """Delete the client's customer (account deletion): Stripe detaches its cards."""
        self._call(self.client.v1.customers.delete, customer_id)

    def setup_intent_of_session(self, *, session_id: str) -> str:
        """The SetupIntent of a completed setup session ("" while it is not complete)."""
        session = self._call(self.client.v1.checkout.sessions.retrieve, session_id)
        if session.status != "complete" or session.setup_intent is None:
            return ""
        intent = session.setup_intent
        return intent if isinstance(intent, str) else intent.id

    def retrieve_card(self, *, setup_intent_id: str) -> CardInfo:
        params: SetupIntentRetrieveParams = {"expand": ["payment_method"]}
        intent = self._call(self.client.v1.setup_intents.retrieve, setup_intent_id, params)
        method = intent.payment_method
        if intent.status != "succeeded" or method is None or isinstance(method, str):
            detail = f"SetupIntent {setup_intent_id} is {intent.status}, without a card."
            raise GatewayError(PROVIDER_FAILED, detail=detail)
        card = method.card
        return CardInfo(
            payment_method_id=method.id,
            brand=(card.brand if card else "") or "",
            last4=(card.last4 if card else "") or "",
            exp_month=card.exp_month if card else None,
            exp_year=card.exp_year if card else None,
        )

    def charge_off_session(self, request: OffSessionChargeRequest) -> ChargeOutcome:
        """A destination charge of the saved card, confirmed at once without its holder.

        A refusal by the bank is an outcome, not an error: ``authentication_required`` (the
        payment intent waits in ``requires_payment_method`` for the client) or ``declined``.
        """
        metadata = {
            "booking_id": str(request.booking_id),
            "payment_id": str(request.payment_id),
            "kind": "no_show_fee",
        }
        params: PaymentIntentCreateParams = {
            "amount": self._amount(request.amount, request.currency),
            "currency": request.currency.lower(),
            "customer": request.customer_id,
            "payment_method": request.payment_method_id,
            "off_session": True,
            "confirm": True,
            "application_fee_amount": self._amount(request.fee, request.currency),
            "transfer_data": {"destination": request.destination},
            "description": request.description,
            "metadata": metadata,
        }
        options: RequestOptions = {"idempotency_key": idempotency_key(request.operation, params)}

        def create() -> tuple[stripe.PaymentIntent | None, stripe.CardError | None]:
            try:
                return self.client.v1.payment_intents.create(params, options), None
            except stripe.CardError as exc:
                return None, exc

        intent, refused = self._call(create)  # any other Stripe error is a GatewayError
        if refused is not None or intent is None:
            error = refused.error if refused is not None else None
            pi = getattr(error, "payment_intent", None)
            pi_id = str((pi.get("id") if isinstance(pi, dict) else getattr(pi, "id", "")) or "")
            if refused is not None and refused.code == "authentication_required":
                return ChargeOutcome("authentication_required", pi_id)
            message = (refused.user_message if refused is not None else None) or DECLINED
            return ChargeOutcome("declined", pi_id, message=str(message))
        if intent.status == "succeeded":
            return ChargeOutcome("succeeded", intent.id)
        if intent.status in ("requires_action", "requires_payment_method"):
            return ChargeOutcome("authentication_required", intent.id)
        return ChargeOutcome("processing", intent.id)


class OfflineGateway:
    """No network: accounts are enabled at once, checkout is the local test payment page,
    refunds succeed immediately."""

    name = "offline"

    def create_account(self, *, pro_id: int, email: str) -> AccountInfo:
        return AccountInfo(
            id=None, charges_enabled=True, payouts_enabled=True, details_submitted=True
        )

    def retrieve_account(self, *, account_id: str) -> AccountInfo:
        return self.create_account(pro_id=0, email="")

    def create_account_link(self, *, account_id: str, refresh_url: str, return_url: str) -> str:
        # Relative, so that it works on whatever host and port the site runs.
        return urlsplit(return_url).path

    def create_checkout(self, request: CheckoutRequest) -> CheckoutInfo:
        from django.urls import reverse

        session_id = f"offline_{request.operation}"
        path = reverse("payments:test_checkout", kwargs={"session_id": session_id})
        return CheckoutInfo(session_id=session_id, url=path)

    def expire_checkout(self, *, session_id: str) -> None:
        return None

    def create_refund(self, request: RefundRequest) -> RefundInfo:
        return RefundInfo(id=f"offline_{request.operation}", status="succeeded")

    def payment_intent_metadata(self, *, payment_intent_id: str) -> dict[str, str]:
        return {}

    def application_fee_refunded(self, *, payment_intent_id: str, currency: str) -> int | None:
        return None  # No provider: the fee refunds Timz computed are the only figures.

    def reverse_transfer(self, request: TransferReversalRequest) -> str:
        return f"offline_{request.operation}"

    def list_payouts(
        self, *, account_id: str, arrival_from: date, arrival_to: date
    ) -> list[PayoutInfo]:
        return []  # No provider: Timz's own Payout rows are the records.

    # A simulated saved card: every card "saved" offline is this one, and it always pays.
    def create_customer(self, *, user_id: int, email: str) -> str:
        return f"offline_cus_{user_id}"

    def create_setup_checkout(self, request: SetupCheckoutRequest) -> CheckoutInfo:
        from django.urls import reverse

        session_id = f"offline_{request.operation}"
        path = reverse("payments:test_card_setup", kwargs={"session_id": session_id})
        return CheckoutInfo(session_id=session_id, url=path)

    def setup_intent_of_session(self, *, session_id: str) -> str:
        return ""  # The test page completes the setup itself.

    def retrieve_card(self, *, setup_intent_id: str) -> CardInfo:
        from django.utils import timezone

        return CardInfo(
            payment_method_id=f"offline_pm_{setup_intent_id}",
            brand="visa",
            last4="4242",
            exp_month=12,
            exp_year=timezone.now().year + 3,
        )

    def charge_off_session(self, request: OffSessionChargeRequest) -> ChargeOutcome:
        return ChargeOutcome("succeeded", f"offline_{request.operation}")

    def delete_customer(self, *, customer_id: str) -> None:
        return None


def get_gateway() -> Gateway:
    if settings.STRIPE_SECRET_KEY:
        return StripeGateway(api_key=settings.STRIPE_SECRET_KEY, api_base=settings.STRIPE_API_BASE)
    return OfflineGateway()


def is_live() -> bool:
    """Whether the configured key moves real money (``sk_live_``/``rk_live_``): Stripe's
    events then carry ``livemode: true``."""
    return settings.STRIPE_SECRET_KEY.startswith(("sk_live_", "rk_live_"))


def is_offline() -> bool:
    return not settings.STRIPE_SECRET_KEY
