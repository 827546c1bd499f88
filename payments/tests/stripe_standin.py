"""A local stand-in for the Stripe API, for tests (Stripe itself is unreachable here).

``StripeStandin`` runs a ``ThreadingHTTPServer`` on 127.0.0.1 (random port) in a
background thread and answers the endpoints Timz uses with Stripe-shaped JSON, so the
official ``stripe`` SDK (v16) can be exercised end to end::

    with StripeStandin() as standin:
        # 1) legacy global API: read on every request, so it can be set at any time
        stripe.api_key, stripe.api_base = "sk_test_x", standin.url
        # 2) StripeClient: the "api" base address ("connect"/"files" keep their defaults)
        client = stripe.StripeClient("sk_test_x", base_addresses={"api": standin.url})

``standin.url`` has no trailing slash: the SDK concatenates it with paths such as
``/v1/accounts``.

Wire-format notes (what the SDK really sends):

* POST bodies are ``application/x-www-form-urlencoded`` with literal brackets:
  ``line_items[0][price_data][unit_amount]=1000``. Lists are always indexed, bools are
  ``true``/``false``, ``None`` values are omitted. ``parse_form`` rebuilds nested
  dicts/lists but leaves every leaf a *string* (as Stripe receives it).
* Every POST carries an ``Idempotency-Key`` header: the SDK generates a random UUID
  when the caller gives none, so a call is only idempotent across retries if *we*
  pass ``options={"idempotency_key": ...}``.

Endpoints: POST /v1/accounts, /v1/account_links, /v1/checkout/sessions,
/v1/checkout/sessions/{id}/expire, /v1/refunds, /v1/transfers/{id}/reversals; GET of one
account, checkout session, payment intent, charge, refund, application fee, transfer or
dispute, payout or balance transaction; GET /v1/payouts and GET /v1/balance_transactions, a
connected account's lists (its balance: transfers in, reversals out, payouts made by
``pay_out`` or ``add_payout``; see that section for the pagination, filters and refusals).
Card on file (its own section below): POST /v1/customers, DELETE /v1/customers/{id},
Checkout in ``mode=setup`` (no line items or payment_intent_data; the currency unless
payment method types are given), POST /v1/payment_intents (confirmed, off-session charges of
a saved card: Stripe's test cards succeed, require authentication or decline), GET of one
customer, setup intent or payment method; ``complete_setup`` is the customer entering a test
card. ``expand`` works, dotted paths included (``latest_charge.application_fee``).

As strict as Stripe where Timz could get it wrong:

* **Keys**: only ``Bearer sk_test_...`` (``sk_live_...`` for ``StripeStandin(livemode=True)``);
  anything else is a 401. Objects and events carry the matching ``livemode``.
* **Checkout sessions**: ``expires_at`` must lie 30 minutes to 24 hours after the session's
  creation (by the stand-in's clock, when the request arrives); line items use ``price_data``;
  the total must respect the currency's decimals (zero-decimal currencies, ISK in whole
  krónur, three-decimal currencies ending in 0) and Stripe's minimum charge amount
  (``CHARGE_MINIMUMS``); an ``application_fee_amount`` needs ``transfer_data[destination]``
  naming an existing account and cannot exceed the total. A session's ``url`` is null once it
  is complete or expired; an open session expires by itself when the clock passes its
  ``expires_at``.
* **Idempotency**: a result is cached for 24 hours per (Stripe-Account, Idempotency-Key) as
  soon as the endpoint began executing (errors included; a request refused by parameter
  validation caches nothing, as Stripe documents). A reuse with the same method, path and
  parameters replays it (``Idempotent-Replayed: true``); with anything different it is a 400
  ``idempotency_error``.
* **Money**: paying a session creates its payment intent, charge, transfer (destination
  charges) and application fee. A refund is checked against the unrefunded amount;
  ``reverse_transfer`` reverses the transfer in proportion and ``refund_application_fee``
  refunds the application fee in proportion, rounded *down* (Stripe does its own rounding,
  which Timz must read back rather than assume). ``standin.refund_status = "pending"`` gives
  pending refunds.

Webhooks come from the stand-in's own state: every change it makes (a session completed or
expired, a refund created or updated, an application fee refunded, a dispute opened, updated
or closed, an account updated, a transfer reversed) appends the event Stripe would send to
``standin.events``, with the object as it is then. Tests sign and deliver those
(``events_of``, ``last_event``); they never build payloads by hand.

The clock is the wall clock plus ``standin.advance(seconds)``. Every request is recorded in
``standin.requests`` (before auth checks); unknown paths/ids give 404 in Stripe's error
shape; unexpected exceptions become 500 with ``Stripe-Should-Retry: false`` and are kept in
``errors``. Objects are global to the stand-in (not scoped by Stripe-Account), except in the
payout and balance transaction lists, which show only the account's own.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import re
import secrets
import string
import threading
import time
import traceback
from dataclasses import dataclass
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import stripe

Params = dict[str, Any]
_ALPHABET = string.ascii_letters + string.digits
# GET /v1/<path>/<id> retrieves stored objects of these types.
_RETRIEVABLE = {
    "accounts": "account",
    "checkout/sessions": "checkout.session",
    "payment_intents": "payment_intent",
    "charges": "charge",
    "refunds": "refund",
    "application_fees": "application_fee",
    "transfers": "transfer",
    "disputes": "dispute",
    "payouts": "payout",
    "balance_transactions": "balance_transaction",
    # Card on file
    "customers": "customer",
    "setup_intents": "setup_intent",
    "payment_methods": "payment_method",
}
_SESSION_ECHOED = ("cancel_url", "client_reference_id", "customer_email", "success_url")
_ONBOARDING_DUE = ["business_type", "external_account", "tos_acceptance.date"]
IDEMPOTENCY_SECONDS = 24 * 3600
SESSION_MIN_SECONDS, SESSION_MAX_SECONDS = 30 * 60, 24 * 3600

# Stripe's minimum charge amounts, in the API's units (docs.stripe.com/currencies, "Minimum
# and maximum charge amounts"). Currencies not listed are not checked.
CHARGE_MINIMUMS = {
    "usd": 50, "eur": 50, "gbp": 30, "cad": 50, "aud": 50, "chf": 50, "jpy": 50, "sek": 300,
    "nok": 300, "dkk": 250, "pln": 200, "czk": 1500, "huf": 17500, "mxn": 1000, "sgd": 50,
    "hkd": 400, "nzd": 50, "brl": 50, "inr": 50, "aed": 200, "ron": 200, "bgn": 100,
    "thb": 1000,
}  # fmt: skip
# Stripe's decimal rules, as the API sees amounts: the step every amount is a multiple of.
_ZERO_DECIMAL = {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga"} | {
    "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf",
}  # fmt: skip
_AMOUNT_STEP = {"isk": 100} | dict.fromkeys(("bhd", "jod", "kwd", "omr", "tnd"), 10)


def _new_id(prefix: str) -> str:
    return prefix + "_" + "".join(secrets.choice(_ALPHABET) for _ in range(24))


def parse_form(body: str) -> Params:
    """Parse Stripe form encoding (``a[b][0][c]=v``) into nested dicts and lists.

    Keys whose children are all digits become lists (the SDK always indexes arrays),
    except under ``metadata``, whose keys are free-form. Leaves stay strings.
    """
    root: Params = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        head, bracket, rest = key.partition("[")
        parts = [head, *re.findall(r"\[([^\]]*)\]", bracket + rest)]
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part or str(len(node)), {})
        node[parts[-1] or str(len(node))] = value
    return _listify(root)


def _listify(node: Any, key: str = "") -> Any:
    if not isinstance(node, dict):
        return node
    items = {k: _listify(v, k) for k, v in node.items()}
    if key != "metadata" and items and all(k.isdigit() for k in items):
        return [items[k] for k in sorted(items, key=int)]
    return items


def sign_webhook_payload(payload: bytes | str, secret: str, timestamp: int | None = None) -> str:
    """``Stripe-Signature`` value: ``t=<ts>,v1=<hex HMAC-SHA256(secret, "<ts>.<body>")>``."""
    body = payload.decode() if isinstance(payload, bytes) else payload
    ts = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{ts}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={ts},v1={mac}"


def make_event(
    type: str,
    obj: dict,
    event_id: str | None = None,
    *,
    account: str | None = None,
    created: int | None = None,
    livemode: bool = False,
) -> dict:
    """A Stripe event envelope around ``obj``; ``account`` marks a Connect event.

    The stand-in uses it for the events of its own objects; tests use it only for payloads
    Stripe would never send (malformed ones, unknown types).
    """
    event = {
        "id": event_id or _new_id("evt"),
        "object": "event",
        "api_version": stripe.api_version,
        "created": int(time.time()) if created is None else created,
        "data": {"object": copy.deepcopy(obj)},
        "livemode": livemode,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": type,
    }
    if account:
        event["account"] = account
    return event


class StripeStandinError(Exception):
    """Raised by endpoint handlers; rendered as ``{"error": {...}}`` with ``status``.

    ``executed`` marks a refusal made once the endpoint began executing (e.g. a refund of a
    refunded charge): Stripe caches those under the idempotency key, not validation errors.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code=None,
        param=None,
        type="invalid_request_error",
        executed=False,
    ):
        super().__init__(message)
        self.status = status
        self.executed = executed
        self.body: Params = {"type": type, "message": message}
        self.body |= {k: v for k, v in (("code", code), ("param", param)) if v}


def _bad(message: str, **body: Any) -> StripeStandinError:
    """A 400 invalid_request_error (``body`` may carry ``code``/``param``/``type``)."""
    return StripeStandinError(400, message, **body)


def _missing(kind: str, obj_id: str, param: str = "id") -> StripeStandinError:
    return StripeStandinError(
        404, f"No such {kind}: '{obj_id}'", code="resource_missing", param=param
    )


def _int(params: Params, name: str, default: int | None = None) -> int:
    """An integer param (form values are strings); 400 like Stripe when it is not one."""
    value = params.get(name, default)
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise _bad(f"Invalid integer: {value}", param=name) from None


def _check_amount(amount: int, currency: str, param: str) -> None:
    """Stripe's decimal rules and minimum charge amount for a charge of `amount`."""
    step = _AMOUNT_STEP.get(currency, 1)
    if currency not in _ZERO_DECIMAL and amount % step:
        message = f"Invalid amount for {currency.upper()}: it must be a multiple of {step}."
        raise _bad(message, code="invalid_charge_amount", param=param)
    minimum = CHARGE_MINIMUMS.get(currency)
    if minimum is not None and amount < minimum:
        message = f"Amount must be at least {minimum} {currency} (in the API's units)."
        raise _bad(message, code="amount_too_small", param=param)


@dataclass
class RecordedRequest:
    method: str
    path: str
    params: Params
    headers: dict[str, str]

    def header(self, name: str) -> str | None:
        """Header value, case-insensitively."""
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)

    @property
    def idempotency_key(self) -> str | None:
        return self.header("Idempotency-Key")

    @property
    def stripe_account(self) -> str | None:
        return self.header("Stripe-Account")


@dataclass
class _Cached:
    fingerprint: tuple
    at: int
    status: int
    body: Params


class StripeStandin:
    """In-process fake of the Stripe endpoints Timz uses. See the module docstring."""

    def __init__(self, *, livemode: bool = False) -> None:
        self.livemode = livemode
        self.requests: list[RecordedRequest] = []
        self.objects: dict[str, Params] = {}  # every created object, by id
        self.events: list[Params] = []  # every event Stripe would send, in order
        self.errors: list[str] = []  # tracebacks of unexpected handler exceptions
        self.refund_status = "succeeded"  # set to "pending" to get pending refunds
        self._offset = 0  # seconds added to the wall clock (advance())
        self._idempotent: dict[tuple[str | None, str], _Cached] = {}
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        item = r"/(?P<id>[^/]+)"
        self._routes = [  # (method, path regex, handler(params, **groups) -> object)
            ("POST", r"/v1/accounts", self._create_account),
            ("POST", r"/v1/account_links", self._create_account_link),
            ("POST", r"/v1/checkout/sessions", self._create_session),
            ("POST", r"/v1/checkout/sessions" + item + "/expire", self._expire_session),
            ("POST", r"/v1/refunds", self._create_refund),
            ("POST", r"/v1/transfers" + item + "/reversals", self._create_transfer_reversal),
            # Card on file
            ("POST", r"/v1/customers", self._create_customer),
            ("POST", r"/v1/payment_intents", self._create_payment_intent),
            ("DELETE", r"/v1/customers" + item, self._delete_customer),
            ("GET", r"/v1/(?P<kind>" + "|".join(_RETRIEVABLE) + ")" + item, self._retrieve),
            ("GET", r"/v1/payouts", self._list_payouts),
            ("GET", r"/v1/balance_transactions", self._list_balance_transactions),
        ]
        self._request: RecordedRequest | None = None  # the request being answered

    # -- lifecycle -------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("StripeStandin is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> StripeStandin:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.standin = self  # type: ignore[attr-defined]
        # A short poll interval keeps stop() (server.shutdown) fast.
        serve = partial(self._server.serve_forever, poll_interval=0.02)
        self._thread = threading.Thread(target=serve, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()  # type: ignore[union-attr]
            self._server = self._thread = None

    def __enter__(self) -> StripeStandin:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- clock and events ----------------------------------------------------------------

    def now(self) -> int:
        """The stand-in's clock, in Unix seconds."""
        return int(time.time()) + self._offset

    def advance(self, seconds: int) -> None:
        """Move the clock on: open sessions past their ``expires_at`` expire, cached
        idempotent results older than 24 hours are forgotten."""
        with self._lock:
            self._offset += seconds
            self._tick()

    def _tick(self) -> None:
        now = self.now()
        for obj in list(self.objects.values()):
            is_session = obj["object"] == "checkout.session"
            if is_session and obj["status"] == "open" and obj["expires_at"] <= now:
                obj.update(status="expired", url=None)
                self._emit("checkout.session.expired", obj)
        for key, cached in list(self._idempotent.items()):
            if now - cached.at >= IDEMPOTENCY_SECONDS:
                del self._idempotent[key]

    def _emit(self, type: str, obj: Params, *, account: str | None = None) -> Params:
        event = make_event(
            type, self._public(obj), account=account, created=self.now(), livemode=self.livemode
        )
        self.events.append(event)
        return event

    def events_of(self, type: str, obj_id: str | None = None) -> list[Params]:
        """The events of `type` emitted so far (about object `obj_id` only, if given)."""
        return [
            copy.deepcopy(e)
            for e in self.events
            if e["type"] == type and (obj_id is None or e["data"]["object"].get("id") == obj_id)
        ]

    def last_event(self, type: str, obj_id: str | None = None) -> Params:
        """The newest event of `type` (about `obj_id`); AssertionError when there is none."""
        found = self.events_of(type, obj_id)
        assert found, f"the stand-in emitted no {type} event" + (f" for {obj_id}" if obj_id else "")
        return found[-1]

    # -- test helpers (no HTTP): what customers, banks and the dashboard do ---------------

    def requests_for(self, path: str, method: str | None = None) -> list[RecordedRequest]:
        """Recorded requests whose path (without query string) equals ``path``."""
        return [
            r
            for r in self.requests
            if r.path == path and (method is None or r.method == method.upper())
        ]

    def complete_checkout(self, session_id: str, *, delayed: bool = False) -> Params:
        """Pay an open session as a customer would: creates its payment intent, charge,
        transfer and application fee, and emits ``checkout.session.completed``.

        ``delayed``: a delayed payment method (e.g. SEPA debit): the session completes
        ``unpaid`` and ``settle_delayed_payment`` decides later.
        """
        with self._lock:
            self._tick()
            session = self._get(session_id, "checkout.session")
            if session["status"] != "open":
                raise ValueError(f"session {session_id} is {session['status']}, not open")
            pi = self._pay(
                amount=session["amount_total"],
                currency=session["currency"],
                pi_data=session.pop("_payment_intent_data", {}),
            )
            session.update(
                status="complete",
                payment_status="unpaid" if delayed else "paid",
                payment_intent=pi["id"],
                url=None,
            )
            if delayed:
                pi["status"] = "processing"
            self._emit("checkout.session.completed", session)
            return self._public(session)

    def settle_delayed_payment(self, session_id: str, *, succeeded: bool = True) -> Params:
        """The delayed payment of a completed session succeeds or fails:
        ``checkout.session.async_payment_succeeded`` or ``..._failed``."""
        with self._lock:
            session = self._get(session_id, "checkout.session")
            pi = self._get(session["payment_intent"], "payment_intent")
            pi["status"] = "succeeded" if succeeded else "requires_payment_method"
            session["payment_status"] = "paid" if succeeded else "unpaid"
            outcome = "succeeded" if succeeded else "failed"
            self._emit(f"checkout.session.async_payment_{outcome}", session)
            return self._public(session)

    def emit(self, type: str, obj_id: str) -> Params:
        """One more event of `type` about the object as it is now, with a new event id (Stripe
        may report one fact in several events)."""
        with self._lock:
            return copy.deepcopy(self._emit(type, self._get(obj_id)))

    def create_payment(self, *, amount: int, currency: str = "eur") -> Params:
        """A payment made on the same Stripe account outside Timz (another product)."""
        with self._lock:
            return self._public(self._pay(amount=amount, currency=currency, pi_data={}))

    def set_account(
        self, acct_id: str, *, charges_enabled: bool = True, payouts_enabled: bool = True
    ) -> Params:
        """Simulate onboarding progress (both flags true clears the requirements); emits
        ``account.updated`` as a Connect event."""
        with self._lock:
            account = self._get(acct_id, "account")
            done = charges_enabled and payouts_enabled
            account.update(
                charges_enabled=charges_enabled,
                payouts_enabled=payouts_enabled,
                details_submitted=done or account["details_submitted"],
            )
            if done:
                account["capabilities"] = dict.fromkeys(account["capabilities"], "active")
                account["requirements"].update(
                    currently_due=[], eventually_due=[], past_due=[], disabled_reason=None
                )
            self._emit("account.updated", account, account=acct_id)
            return self._public(account)

    def set_refund_status(self, refund_id: str, status: str) -> Params:
        """The bank settles (or fails) a refund: ``refund.updated``, or ``refund.failed``."""
        with self._lock:
            refund = self._get(refund_id, "refund")
            refund["status"] = status
            if status == "failed":
                refund["failure_reason"] = "expired_or_canceled_card"
                self._emit("refund.failed", refund)
            else:
                self._emit("refund.updated", refund)
            return self._public(refund)

    def open_dispute(self, charge_id: str, *, reason: str = "fraudulent") -> Params:
        """The cardholder disputes the whole charge: ``charge.dispute.created``."""
        with self._lock:
            charge = self._get(charge_id, "charge")
            charge["disputed"] = True
            dispute = self._store(
                "dp",
                "dispute",
                amount=charge["amount"] - charge["amount_refunded"],
                charge=charge_id,
                currency=charge["currency"],
                payment_intent=charge["payment_intent"],
                reason=reason,
                status="needs_response",
                is_charge_refundable=False,
                metadata={},
            )
            self._emit("charge.dispute.created", dispute)
            return self._public(dispute)

    def update_dispute(self, dispute_id: str, *, status: str = "under_review") -> Params:
        with self._lock:
            dispute = self._get(dispute_id, "dispute")
            dispute["status"] = status
            self._emit("charge.dispute.updated", dispute)
            return self._public(dispute)

    def close_dispute(self, dispute_id: str, *, won: bool) -> Params:
        """The bank decides: ``charge.dispute.closed`` with status won or lost."""
        with self._lock:
            dispute = self._get(dispute_id, "dispute")
            dispute["status"] = "won" if won else "lost"
            self._emit("charge.dispute.closed", dispute)
            return self._public(dispute)

    # -- request handling ----------------------------------------------------------------

    def handle(
        self, method: str, target: str, headers: dict[str, str], body: str
    ) -> tuple[int, Params, dict[str, str]]:
        """Answer one request: (status, JSON body, extra response headers)."""
        split = urlsplit(target)
        try:
            params, form_error = parse_form(body if method == "POST" else split.query), None
        except (AttributeError, TypeError):  # e.g. both ``a=1`` and ``a[b]=2``
            params, form_error = {}, _bad("Invalid form-encoded parameters.")
        request = RecordedRequest(method, split.path, params, headers)
        with self._lock:
            self.requests.append(request)
            self._tick()
            try:
                if form_error:
                    raise form_error
                return self._answer(request)
            except StripeStandinError as exc:
                return exc.status, {"error": exc.body}, {}
            except Exception:
                self.errors.append(traceback.format_exc())
                error = {"type": "api_error", "message": self.errors[-1]}
                return 500, {"error": error}, {"Stripe-Should-Retry": "false"}

    def _answer(self, req: RecordedRequest) -> tuple[int, Params, dict[str, str]]:
        auth = req.header("Authorization") or ""
        prefix = "Bearer sk_live_" if self.livemode else "Bearer sk_test_"
        if not auth.startswith(prefix):
            message = (
                f"Invalid API Key provided: {auth.removeprefix('Bearer ')[:12]}***"
                if auth
                else "You did not provide an API key."
            )
            raise StripeStandinError(401, message)
        routes = ((h, re.fullmatch(p, req.path)) for m, p, h in self._routes if m == req.method)
        handler, match = next(((h, m) for h, m in routes if m), (None, None))
        if handler is None or match is None:
            raise StripeStandinError(404, f"Unrecognized request URL ({req.method}: {req.path}).")
        key = req.idempotency_key if req.method == "POST" else None
        fingerprint = (req.method, req.path, json.dumps(req.params, sort_keys=True))
        if key and (cached := self._idempotent.get((req.stripe_account, key))):
            if cached.fingerprint != fingerprint:
                message = (
                    "Keys for idempotent requests can only be used with the same parameters "
                    f"they were first used with. Try a key other than '{key}' if you meant "
                    "to execute a different request."
                )
                raise _bad(message, type="idempotency_error")
            return cached.status, copy.deepcopy(cached.body), {"Idempotent-Replayed": "true"}
        self._request = req
        try:
            obj = self._public(handler(req.params, **match.groupdict()))
            status, payload = 200, self._expand(obj, req.params.get("expand", []))
        except StripeStandinError as exc:
            if not exc.executed:
                raise
            status, payload = exc.status, {"error": exc.body}
        if key:
            entry = _Cached(fingerprint, self.now(), status, copy.deepcopy(payload))
            self._idempotent[(req.stripe_account, key)] = entry
        return status, copy.deepcopy(payload), {}

    # -- storage -----------------------------------------------------------------------

    def _store(self, prefix: str, object_type: str, **fields: Any) -> Params:
        obj = {
            "id": _new_id(prefix),
            "object": object_type,
            "created": self.now(),
            "livemode": self.livemode,
        }
        obj.update(fields)
        self.objects[obj["id"]] = obj
        return obj

    def _get(self, obj_id: str, object_type: str | None = None) -> Params:
        obj = self.objects.get(obj_id)
        if obj is None or (object_type and obj["object"] != object_type):
            raise _missing(object_type or "object", obj_id)
        return obj

    def _expand(self, obj: Params, fields: list[str]) -> Params:
        """Replace the id fields named in ``expand`` (dotted paths too, ``data.`` for each item
        of a list) by the stored objects."""
        for path in fields:
            head, _, rest = path.partition(".")
            value = obj.get(head)
            if isinstance(value, list) and rest:
                for item in value:
                    if isinstance(item, dict):
                        self._expand(item, [rest])
                continue
            if isinstance(value, str) and value in self.objects:
                obj[head] = value = self._public(self.objects[value])
            if rest and isinstance(value, dict):
                self._expand(value, [rest])
        return obj

    @staticmethod
    def _public(obj: Params) -> Params:
        """A deep copy without private (``_``-prefixed) bookkeeping keys."""
        return copy.deepcopy({k: v for k, v in obj.items() if not k.startswith("_")})

    def _pay(self, *, amount: int, currency: str, pi_data: Params) -> Params:
        """A succeeded payment intent with its charge, and for a destination charge its
        transfer (the amount less the fee) and application fee."""
        fee = pi_data.get("application_fee_amount")
        fee = int(fee) if fee is not None else None
        destination = (pi_data.get("transfer_data") or {}).get("destination")
        charge = self._store(
            "ch",
            "charge",
            amount=amount,
            amount_refunded=0,
            application_fee=None,
            application_fee_amount=fee,
            currency=currency,
            disputed=False,
            paid=True,
            refunded=False,
            status="succeeded",
            transfer=None,
            transfer_data=pi_data.get("transfer_data"),
        )
        pi = self._store(
            "pi",
            "payment_intent",
            amount=amount,
            amount_received=amount,
            application_fee_amount=fee,
            currency=currency,
            latest_charge=charge["id"],
            metadata=pi_data.get("metadata", {}),
            status="succeeded",
            transfer_data=pi_data.get("transfer_data"),
            transfer_group=pi_data.get("transfer_group"),
        )
        charge["payment_intent"] = pi["id"]
        if destination:
            transfer = self._store(
                "tr",
                "transfer",
                amount=amount - (fee or 0),
                amount_reversed=0,
                currency=currency,
                destination=destination,
                reversed=False,
                source_transaction=charge["id"],
                metadata={},
            )
            charge["transfer"] = transfer["id"]
            self._credit_transfer(transfer)
        if fee is not None:
            application_fee = self._store(
                "fee",
                "application_fee",
                account=destination,
                amount=fee,
                amount_refunded=0,
                charge=charge["id"],
                currency=currency,
                refunded=False,
                refunds={"object": "list", "data": [], "has_more": False},
            )
            charge["application_fee"] = application_fee["id"]
        return pi

    # -- endpoints ---------------------------------------------------------------------

    def _retrieve(self, params: Params, kind: str, id: str) -> Params:
        return self._get(id, _RETRIEVABLE[kind])

    def _create_account(self, params: Params) -> Params:
        return self._store(
            "acct",
            "account",
            **{k: params.get(k) for k in ("email", "business_type")},
            type=params.get("type", "express"),
            country=params.get("country", "US"),
            capabilities=dict.fromkeys(params.get("capabilities", {}), "inactive"),
            charges_enabled=False,
            payouts_enabled=False,
            details_submitted=False,
            metadata=params.get("metadata", {}),
            requirements={
                "currently_due": list(_ONBOARDING_DUE),
                "eventually_due": list(_ONBOARDING_DUE),
                "past_due": list(_ONBOARDING_DUE),
                "pending_verification": [],
                "disabled_reason": "requirements.past_due",
                "current_deadline": None,
            },
        )

    def _create_account_link(self, params: Params) -> Params:
        account = params.get("account", "")
        if self.objects.get(account, {}).get("object") != "account":
            raise _missing("account", account, param="account")
        created = self.now()
        return {
            "object": "account_link",
            "created": created,
            "expires_at": created + 300,
            "url": f"{self.url}/connect/onboard/{account}",
        }

    def _create_session(self, params: Params) -> Params:
        mode = params.get("mode")
        if mode not in ("payment", "setup", "subscription"):
            message = f"Invalid mode: must be one of payment, setup, or subscription (got {mode})."
            raise _bad(message, param="mode")
        if mode == "setup":
            return self._create_setup_session(params)
        line_items = params.get("line_items", [])
        if not line_items:
            raise _bad("Missing required param: line_items.", param="line_items")
        total, currencies = 0, {params["currency"]} if "currency" in params else set()
        for i, item in enumerate(line_items):
            price_data = item.get("price_data")
            if not price_data or "unit_amount" not in price_data:
                message = "The stand-in only supports line_items[].price_data[unit_amount]."
                raise _bad(message, param=f"line_items[{i}][price_data]")
            total += _int(price_data, "unit_amount") * _int(item, "quantity", 1)
            currencies.add(price_data.get("currency", ""))
        if len(currencies) != 1 or "" in currencies:
            raise _bad("All line items need the same currency.")
        currency = currencies.pop().lower()
        _check_amount(total, currency, "line_items[0][price_data][unit_amount]")
        created = self.now()
        expires_at = _int(params, "expires_at", created + SESSION_MAX_SECONDS)
        if expires_at < created + SESSION_MIN_SECONDS:
            message = (
                "The `expires_at` timestamp must be at least 30 minutes from Checkout "
                "Session creation."
            )
            raise _bad(message, param="expires_at")
        if expires_at > created + SESSION_MAX_SECONDS:
            message = (
                "The `expires_at` timestamp must be less than 24 hours from Checkout "
                "Session creation."
            )
            raise _bad(message, param="expires_at")
        pi_data = params.get("payment_intent_data", {})
        self._check_destination_charge(pi_data, total)
        session = self._store(
            "cs_live" if self.livemode else "cs_test",
            "checkout.session",
            **{k: params.get(k) for k in _SESSION_ECHOED},
            created=created,
            amount_subtotal=total,
            amount_total=total,
            currency=currency,
            customer=None,
            expires_at=expires_at,
            metadata=params.get("metadata", {}),
            mode=params.get("mode", "payment"),
            payment_intent=None,
            payment_status="unpaid",
            status="open",
            _payment_intent_data=pi_data,  # private: used by complete_checkout()
        )
        session["url"] = f"{self.url}/checkout/pay/{session['id']}"
        return session

    def _check_destination_charge(
        self, pi_data: Params, total: int, *, prefix: str = "payment_intent_data"
    ) -> None:
        """The fee and destination of a session's ``payment_intent_data``, or of a payment
        intent's own parameters (``prefix=""``; the prefix names the errors' ``param``)."""
        fee_param, destination_param = "application_fee_amount", "transfer_data[destination]"
        if prefix:
            fee_param, destination_param = (
                f"{prefix}[{fee_param}]",
                f"{prefix}[transfer_data][destination]",
            )
        destination = (pi_data.get("transfer_data") or {}).get("destination")
        if "application_fee_amount" in pi_data:
            if not destination and not pi_data.get("on_behalf_of"):
                message = (
                    "Can only apply an application_fee_amount when the PaymentIntent is "
                    "attempting a direct payment (using an OAuth key or Stripe-Account header) "
                    "or destination payment (using `transfer_data[destination]`)."
                )
                raise _bad(message, param=fee_param)
            if _int(pi_data, "application_fee_amount") > total:
                message = "The application fee cannot exceed the amount of the payment."
                raise _bad(message, param=fee_param)
        if destination is not None and self.objects.get(destination, {}).get("object") != (
            "account"
        ):
            raise _missing("destination", destination, param=destination_param)

    def _expire_session(self, params: Params, id: str) -> Params:
        session = self._get(id, "checkout.session")
        if session["status"] != "open":
            message = f"Only open Checkout Sessions can be expired, not {session['status']}."
            raise _bad(message, executed=True)
        session.update(status="expired", url=None)
        self._emit("checkout.session.expired", session)
        return session

    def _create_refund(self, params: Params) -> Params:
        if "payment_intent" in params:
            pi = self._get(params["payment_intent"], "payment_intent")
            charge = self._get(pi["latest_charge"], "charge")
        elif "charge" in params:
            charge = self._get(params["charge"], "charge")
        else:
            raise _bad("One of payment_intent or charge is required.")
        remaining = charge["amount"] - charge["amount_refunded"]
        amount = _int(params, "amount", remaining)
        if remaining == 0:
            message = f"Charge {charge['id']} has already been refunded."
            raise _bad(message, code="charge_already_refunded", executed=True)
        if not 0 < amount <= remaining:
            message = f"Refund amount ({amount}) must be in 1..{remaining} (unrefunded amount)."
            raise _bad(message, param="amount")
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        refund = self._store(
            "re",
            "refund",
            amount=amount,
            balance_transaction=None,
            charge=charge["id"],
            currency=charge["currency"],
            metadata=params.get("metadata", {}),
            payment_intent=charge["payment_intent"],
            reason=params.get("reason"),
            status=self.refund_status,
            transfer_reversal=None,
        )
        self._emit("charge.refunded", charge)
        self._emit("refund.created", refund)
        if params.get("reverse_transfer") == "true" and charge["transfer"]:
            transfer = self.objects[charge["transfer"]]
            share = amount * transfer["amount"] // charge["amount"]
            if charge["refunded"]:
                share = transfer["amount"] - transfer["amount_reversed"]
            reversal = self._reverse(transfer, share, {})
            refund["transfer_reversal"] = reversal["id"]
        if params.get("refund_application_fee") == "true" and charge["application_fee"]:
            self._refund_application_fee(charge, amount)
        return refund

    def _refund_application_fee(self, charge: Params, amount: int) -> None:
        """Refund the fee in proportion to `amount`, rounded down; all that is left once the
        charge is refunded in full."""
        application_fee = self.objects[charge["application_fee"]]
        left = application_fee["amount"] - application_fee["amount_refunded"]
        share = application_fee["amount"] * amount // charge["amount"]
        share = left if charge["refunded"] else min(share, left)
        if share <= 0:
            return
        fee_refund = self._store(
            "fr", "fee_refund", amount=share, currency=charge["currency"], fee=charge["id"]
        )
        application_fee["refunds"]["data"].insert(0, self._public(fee_refund))
        application_fee["amount_refunded"] += share
        application_fee["refunded"] = (
            application_fee["amount_refunded"] == (application_fee["amount"])
        )
        self._emit("application_fee.refunded", application_fee)

    def _create_transfer_reversal(self, params: Params, id: str) -> Params:
        transfer = self._get(id, "transfer")
        left = transfer["amount"] - transfer["amount_reversed"]
        amount = _int(params, "amount", left)
        if not 0 < amount <= left:
            message = f"Reversal amount ({amount}) must be in 1..{left} (unreversed amount)."
            raise _bad(message, param="amount", executed=left == 0)
        return self._reverse(transfer, amount, params.get("metadata", {}))

    def _reverse(self, transfer: Params, amount: int, metadata: Params) -> Params:
        reversal = self._store(
            "trr",
            "transfer_reversal",
            amount=amount,
            currency=transfer["currency"],
            transfer=transfer["id"],
            metadata=metadata,
        )
        transfer["amount_reversed"] += amount
        transfer["reversed"] = transfer["amount_reversed"] == transfer["amount"]
        self._debit_reversal(transfer, amount)
        self._emit("transfer.reversed", transfer)
        return reversal

    # -- balances, payouts and balance transactions (the money page's payouts) -------------
    #
    # Each connected account has a balance made of balance transactions (``txn_``): a
    # destination charge's transfer arrives as a ``payment`` (its ``source`` the account's
    # ``py_`` charge), a reversal of it (a refund with ``reverse_transfer``, a dispute's
    # recovery) leaves as a ``payment_refund``, a payout leaves as a ``payout`` (negative, its
    # ``source`` the payout; ``available_on`` its arrival date) and comes back as a
    # ``payout_failure`` or ``payout_cancel`` when it fails or is cancelled. ``pay_out`` is
    # Stripe's automatic payout of the whole balance (pending funds included: the stand-in has
    # no settlement delay); ``add_payout`` is one payout made without a balance behind it.
    #
    # GET /v1/payouts and GET /v1/balance_transactions answer as Stripe does: a ``list``
    # object, newest first, with ``has_more``; ``limit`` 1-100 (default 10), ``starting_after``
    # / ``ending_before`` (not both; an id that is not one of the account's objects of that
    # kind is a 404), ``created`` as a timestamp or a range (``gt``/``gte``/``lt``/``lte``),
    # ``expand[]`` of an expandable field under ``data.`` only. Payouts also filter on
    # ``arrival_date`` and ``status``; balance transactions on ``type`` (one of Stripe's,
    # else a 400), ``currency``, ``source`` and ``payout`` (what an automatic payout paid out,
    # and the payout's own transaction). The account is the ``Stripe-Account`` header:
    # without it the list is the platform's own (none here), and an account the platform does
    # not have gets Stripe's 403. Unknown parameters are a 400.

    _LIST_PARAMS = frozenset({"limit", "starting_after", "ending_before", "created", "expand"})
    _PAYOUT_LIST_PARAMS = _LIST_PARAMS | {"arrival_date", "status"}
    _BALANCE_LIST_PARAMS = _LIST_PARAMS | {"type", "currency", "source", "payout"}
    _RANGE_KEYS = frozenset({"gt", "gte", "lt", "lte"})
    # Stripe's balance transaction types (the ``type`` filter refuses any other).
    BALANCE_TRANSACTION_TYPES = frozenset(
        {
            "tax_fund", "adjustment", "advance", "advance_funding", "anticipation_repayment",
            "application_fee", "application_fee_refund", "charge", "climate_order_purchase",
            "climate_order_refund", "connect_collection_transfer", "contribution",
            "inbound_transfer", "inbound_transfer_reversal", "issuing_authorization_hold",
            "issuing_authorization_release", "issuing_dispute",
            "issuing_dispute_provisional_credit", "issuing_dispute_provisional_credit_reversal",
            "issuing_transaction", "obligation_outbound", "obligation_reversal_inbound",
            "payment", "payment_failure_refund", "payment_network_reserve_hold",
            "payment_network_reserve_release", "payment_refund", "payment_reversal",
            "payment_unreconciled", "payout", "payout_cancel", "payout_failure",
            "payout_minimum_balance_hold", "payout_minimum_balance_release", "refund",
            "refund_failure", "reserve_transaction", "reserved_funds", "reserve_hold",
            "reserve_release", "stripe_fee", "stripe_fx_fee", "stripe_balance_payment_debit",
            "stripe_balance_payment_debit_reversal", "tax_fee", "topup", "topup_reversal",
            "transfer", "transfer_cancel", "transfer_failure", "transfer_refund",
            "fee_credit_funding",
        }
    )  # fmt: skip
    _REPORTING_CATEGORY = {
        "payment": "charge",
        "payment_refund": "refund",
        "payout": "payout",
        "payout_failure": "payout_reversal",
        "payout_cancel": "payout_reversal",
    }

    def _balance_transaction(
        self,
        account: str | None,
        type: str,
        *,
        amount: int,
        currency: str,
        source: str,
        created: int | None = None,
        available_on: int | None = None,
    ) -> Params:
        """One movement of `account`'s balance (no Stripe fee on a connected account's side of
        a destination charge: net = amount)."""
        created = self.now() if created is None else created
        available_on = created if available_on is None else available_on
        return self._store(
            "txn",
            "balance_transaction",
            amount=amount,
            available_on=available_on,
            balance_type="payments",
            created=created,
            currency=currency,
            description=None,
            exchange_rate=None,
            fee=0,
            fee_details=[],
            net=amount,
            reporting_category=self._REPORTING_CATEGORY.get(type, type),
            source=source,
            status="available" if available_on <= self.now() else "pending",
            type=type,
            _account=account,
            _paid_out_in=None,
        )

    def _credit_transfer(self, transfer: Params) -> None:
        """A destination charge's transfer arrives on the account: its ``py_`` charge and a
        ``payment`` balance transaction (available two days later)."""
        account, currency = transfer["destination"], transfer["currency"]
        payment = self._store(
            "py",
            "charge",
            amount=transfer["amount"],
            amount_refunded=0,
            currency=currency,
            paid=True,
            refunded=False,
            source_transfer=transfer["id"],
            status="succeeded",
            _account=account,
        )
        transfer["destination_payment"] = payment["id"]
        self._balance_transaction(
            account,
            "payment",
            amount=transfer["amount"],
            currency=currency,
            source=payment["id"],
            available_on=payment["created"] + 2 * 86_400,
        )

    def _debit_reversal(self, transfer: Params, amount: int) -> None:
        """A reversal of a transfer takes `amount` back from the account: a ``pyr_`` refund of
        its ``py_`` charge and a ``payment_refund`` balance transaction."""
        payment = self.objects[transfer["destination_payment"]]
        payment["amount_refunded"] += amount
        payment["refunded"] = payment["amount_refunded"] == payment["amount"]
        refund = self._store(
            "pyr",
            "refund",
            amount=amount,
            charge=payment["id"],
            currency=payment["currency"],
            status="succeeded",
            _account=payment["_account"],
        )
        self._balance_transaction(
            payment["_account"],
            "payment_refund",
            amount=-amount,
            currency=payment["currency"],
            source=refund["id"],
        )

    def add_payout(
        self,
        account: str | None,
        *,
        amount: int,
        arrival_date: int,
        currency: str = "eur",
        status: str = "paid",
        created: int | None = None,
    ) -> Params:
        """A payout of `account` (None: the platform's own) that Stripe made by itself, with its
        ``payout`` balance transaction (and ``payout_failure`` / ``payout_cancel`` for a failed
        or cancelled one)."""
        with self._lock:
            if account is not None:
                self._get(account, "account")
            payout = self._store(
                "po",
                "payout",
                amount=amount,
                currency=currency,
                arrival_date=arrival_date,
                status=status,
                automatic=True,
                method="standard",
                type="bank_account",
                failure_code="account_closed" if status == "failed" else None,
                _account=account,
            )
            if created is not None:
                payout["created"] = created
            made = payout["created"]
            fields = {"currency": currency, "source": payout["id"], "created": made}
            debit = self._balance_transaction(
                account, "payout", amount=-amount, available_on=arrival_date, **fields
            )
            payout["balance_transaction"] = debit["id"]
            if status in ("failed", "canceled"):
                kind = "payout_failure" if status == "failed" else "payout_cancel"
                back = self._balance_transaction(account, kind, amount=amount, **fields)
                payout["failure_balance_transaction"] = back["id"]
            return self._public(payout)

    def pay_out(self, account: str, *, arrival_date: int, created: int | None = None) -> list:
        """Stripe's automatic payout: the account's whole balance in each currency that has a
        positive one, arriving on `arrival_date`. What each paid out is found again with the
        ``payout`` filter of the balance transactions."""
        with self._lock:
            self._get(account, "account")
            unpaid: dict[str, list[Params]] = {}
            for obj in self.objects.values():
                if (
                    obj["object"] == "balance_transaction"
                    and obj["_account"] == account
                    and obj["_paid_out_in"] is None
                ):
                    unpaid.setdefault(obj["currency"], []).append(obj)
            payouts = []
            for currency, transactions in sorted(unpaid.items()):
                balance = sum(t["net"] for t in transactions)
                if balance <= 0:
                    continue
                payout = self.add_payout(
                    account,
                    amount=balance,
                    arrival_date=arrival_date,
                    currency=currency,
                    created=created,
                )
                for transaction in transactions:
                    transaction["_paid_out_in"] = payout["id"]
                self.objects[payout["balance_transaction"]]["_paid_out_in"] = payout["id"]
                payouts.append(payout)
            return payouts

    def _list_payouts(self, params: Params) -> Params:
        def filtered(payouts: list[Params]) -> list[Params]:
            payouts = self._in_range(payouts, "arrival_date", params.get("arrival_date"))
            if "status" in params:
                payouts = [o for o in payouts if o["status"] == params["status"]]
            return payouts

        return self._list(
            params, "payout", self._PAYOUT_LIST_PARAMS, "/v1/payouts", filtered, expandable=()
        )

    def _list_balance_transactions(self, params: Params) -> Params:
        kind = params.get("type")
        if kind is not None and kind not in self.BALANCE_TRANSACTION_TYPES:
            allowed = sorted(self.BALANCE_TRANSACTION_TYPES)
            message = f"Invalid type: must be one of {', '.join(allowed[:-1])}, or {allowed[-1]}"
            raise _bad(message, param="type")
        payout = params.get("payout")

        def filtered(transactions: list[Params]) -> list[Params]:
            if payout is not None:
                found = self.objects.get(payout, {})
                account = self._request.stripe_account  # type: ignore[union-attr]
                if found.get("object") != "payout" or found["_account"] != account:
                    raise _missing("payout", payout, param="payout")
            for name, field in (("type", "type"), ("source", "source"), ("currency", "currency")):
                if name in params:
                    wanted = params[name].lower() if name == "currency" else params[name]
                    transactions = [t for t in transactions if t[field] == wanted]
            if payout is not None:
                transactions = [t for t in transactions if t["_paid_out_in"] == payout]
            return transactions

        return self._list(
            params,
            "balance_transaction",
            self._BALANCE_LIST_PARAMS,
            "/v1/balance_transactions",
            filtered,
            expandable=("source",),
        )

    def _list(
        self,
        params: Params,
        object_type: str,
        allowed: frozenset[str],
        url: str,
        filtered: Any,
        *,
        expandable: tuple[str, ...],
    ) -> Params:
        """One page of the account's objects of `object_type`, newest first (see above)."""
        assert self._request is not None
        account = self._request.stripe_account
        if account is not None and self.objects.get(account, {}).get("object") != "account":
            raise StripeStandinError(
                403,
                "The provided key 'sk_test_***' does not have access to account "
                f"'{account}' (or that account does not exist). Application access may have "
                "been revoked.",
            )
        for name in params:
            if name not in allowed:
                raise _bad(f"Received unknown parameter: {name}", param=name)
        expand = params.get("expand", [])
        if not isinstance(expand, list):
            raise _bad("Invalid array", param="expand")
        for path in expand:
            head, _, rest = path.partition(".")
            if head != "data" or rest.partition(".")[0] not in expandable:
                raise _bad(f"This property cannot be expanded ({path}).", param="expand")
        limit = _int(params, "limit", 10)
        if not 1 <= limit <= 100:
            raise _bad("This value must be between 1 and 100.", param="limit")
        after, before = params.get("starting_after"), params.get("ending_before")
        if after and before:
            raise _bad(
                "You may only specify one of these parameters: ending_before, starting_after."
            )
        found = sorted(
            (
                o
                for o in self.objects.values()
                if o["object"] == object_type and o["_account"] == account
            ),
            key=lambda o: (o["created"], o["id"]),
            reverse=True,
        )
        found = filtered(self._in_range(found, "created", params.get("created")))
        ids = [o["id"] for o in found]
        cursor = after or before
        if cursor is not None:
            at_cursor = self.objects.get(cursor)
            if (
                at_cursor is None
                or at_cursor["object"] != object_type
                or at_cursor.get("_account", False) != account
            ):
                name = "starting_after" if after else "ending_before"
                raise _missing(object_type.replace("_", " "), cursor, param=name)
            position = ids.index(cursor) if cursor in ids else None
            if after:
                found = found[position + 1 :] if position is not None else []
                page, has_more = found[:limit], len(found) > limit
            else:
                found = found[:position] if position is not None else []
                page, has_more = found[-limit:], len(found) > limit
        else:
            page, has_more = found[:limit], len(found) > limit
        return {
            "object": "list",
            "url": url,
            "has_more": has_more,
            "data": [self._public(o) for o in page],
        }

    def _in_range(self, objects: list[Params], field: str, spec: Any) -> list[Params]:
        """Filter on `field` by Stripe's ``field=<ts>`` or ``field[gte]=<ts>``..."""
        if spec is None:
            return objects
        if not isinstance(spec, dict):
            exact = _int({field: spec}, field)
            return [o for o in objects if o[field] == exact]
        for key in spec:
            if key not in self._RANGE_KEYS:
                raise _bad(f"Received unknown parameter: {field}[{key}]", param=f"{field}[{key}]")
        bounds = {key: _int(spec, key) for key in spec}
        checks = {
            "gt": lambda v, b: v > b,
            "gte": lambda v, b: v >= b,
            "lt": lambda v, b: v < b,
            "lte": lambda v, b: v <= b,
        }
        return [o for o in objects if all(checks[k](o[field], b) for k, b in bounds.items())]

    # -- card on file: customers, Checkout in setup mode, SetupIntents, PaymentMethods, and
    # -- off-session PaymentIntents (payments.card_on_file) ---------------------------------

    def _create_customer(self, params: Params) -> Params:
        return self._store(
            "cus",
            "customer",
            email=params.get("email"),
            metadata=params.get("metadata", {}),
            invoice_settings={"default_payment_method": None},
        )

    def _delete_customer(self, params: Params, id: str) -> Params:
        """Deleting a customer detaches its payment methods (they can no longer be charged)."""
        customer = self._get(id, "customer")
        for obj in self.objects.values():
            if obj["object"] == "payment_method" and obj.get("customer") == id:
                obj["customer"] = None
                obj["_detached"] = True
        customer["deleted"] = True
        return {"id": id, "object": "customer", "deleted": True}

    def _create_setup_session(self, params: Params) -> Params:
        """Checkout in setup mode, refusing what Stripe refuses there."""
        for name in ("line_items", "payment_intent_data"):
            if name in params:
                raise _bad(f"You can not pass `{name}` in `setup` mode.", param=name)
        dynamic = not (
            params.get("payment_method_types") or params.get("allowed_payment_method_types")
        )
        if dynamic and not params.get("currency"):
            message = (
                "`currency` is required in `setup` mode when `payment_method_types` is not set "
                "(dynamic payment methods)."
            )
            raise _bad(message, param="currency")
        customer = params.get("customer")
        if customer and params.get("customer_email"):
            message = "You may only specify one of these parameters: customer, customer_email."
            raise _bad(message, param="customer_email")
        if customer and self.objects.get(customer, {}).get("object") != "customer":
            raise _missing("customer", customer, param="customer")
        created = self.now()
        expires_at = _int(params, "expires_at", created + SESSION_MAX_SECONDS)
        if not created + SESSION_MIN_SECONDS <= expires_at <= created + SESSION_MAX_SECONDS:
            message = (
                "The `expires_at` timestamp must be between 30 minutes and 24 hours from "
                "Checkout Session creation."
            )
            raise _bad(message, param="expires_at")
        intent = self._store(
            "seti",
            "setup_intent",
            customer=customer,
            metadata=(params.get("setup_intent_data") or {}).get("metadata", {}),
            payment_method=None,
            status="requires_payment_method",
            usage="off_session",
        )
        session = self._store(
            "cs_live" if self.livemode else "cs_test",
            "checkout.session",
            **{k: params.get(k) for k in _SESSION_ECHOED},
            created=created,
            amount_subtotal=None,
            amount_total=None,
            currency=(params.get("currency") or "").lower() or None,
            customer=customer,
            expires_at=expires_at,
            metadata=params.get("metadata", {}),
            mode="setup",
            payment_intent=None,
            payment_status="no_payment_required",
            setup_intent=intent["id"],
            status="open",
        )
        session["url"] = f"{self.url}/checkout/setup/{session['id']}"
        return session

    def complete_setup(self, session_id: str, *, card: str = "4242424242424242") -> Params:
        """The customer enters test card `card` on an open setup session: its SetupIntent
        succeeds with a new card PaymentMethod attached to the customer;
        ``setup_intent.succeeded`` and ``checkout.session.completed`` are emitted."""
        with self._lock:
            self._tick()
            session = self._get(session_id, "checkout.session")
            if session["mode"] != "setup" or session["status"] != "open":
                raise ValueError(f"session {session_id} is not an open setup session")
            method = self._store(
                "pm",
                "payment_method",
                type="card",
                customer=session["customer"],
                card={
                    "brand": "visa",
                    "last4": card[-4:],
                    "exp_month": 12,
                    "exp_year": time.gmtime(self.now()).tm_year + 3,
                    "funding": "credit",
                },
                _number=card,
            )
            intent = self._get(session["setup_intent"], "setup_intent")
            intent.update(status="succeeded", payment_method=method["id"])
            session.update(status="complete", url=None)
            self._emit("setup_intent.succeeded", intent)
            self._emit("checkout.session.completed", session)
            return self._public(session)

    def _create_payment_intent(self, params: Params) -> Params:
        """Only what Timz sends: a confirmed, off-session charge of a saved card. Test cards
        decide: 4242... succeeds; 4000002500003155 and 4000002760003184 need authentication
        off-session; 4000000000009995 is declined for insufficient funds."""
        for name in ("amount", "currency"):
            if name not in params:
                raise _bad(f"Missing required param: {name}.", param=name)
        amount, currency = _int(params, "amount"), params["currency"].lower()
        _check_amount(amount, currency, "amount")
        confirm = params.get("confirm") == "true"
        if params.get("off_session") in ("true", "one_off", "recurring") and not confirm:
            message = "You can only pass `off_session` when `confirm` is set to true."
            raise _bad(message, param="off_session")
        if not confirm:
            raise _bad("The stand-in only creates confirmed payment intents.", param="confirm")
        method_id = params.get("payment_method")
        if not method_id:
            message = "You cannot confirm this PaymentIntent because it's missing a payment method."
            raise _bad(message, code="payment_intent_unexpected_state", param="payment_method")
        method = self.objects.get(method_id)
        if method is None or method["object"] != "payment_method" or method.get("_detached"):
            raise _missing("payment_method", method_id, param="payment_method")
        customer = params.get("customer")
        if customer and self.objects.get(customer, {}).get("object") != "customer":
            raise _missing("customer", customer, param="customer")
        if method["customer"] and method["customer"] != customer:
            message = (
                f"The provided PaymentMethod {method_id} belongs to a Customer; pass that "
                "Customer's id in `customer`."
            )
            raise _bad(message, param="payment_method")
        self._check_destination_charge(params, amount, prefix="")
        number = method["_number"]
        off_session = params.get("off_session") in ("true", "one_off", "recurring")
        fields = {
            "customer": customer,
            "payment_method": method_id,
            "description": params.get("description"),
        }
        if number in ("4000002500003155", "4000002760003184") and off_session:
            return self._refuse_card(
                params,
                amount,
                currency,
                fields,
                code="authentication_required",
                message="Your card was declined. This transaction requires authentication.",
            )
        if number == "4000000000009995":
            return self._refuse_card(
                params,
                amount,
                currency,
                fields,
                code="card_declined",
                decline_code="insufficient_funds",
                message="Your card has insufficient funds.",
            )
        pi = self._pay(amount=amount, currency=currency, pi_data=params)
        pi.update(fields)
        self._emit("payment_intent.succeeded", pi)
        return pi

    def _refuse_card(self, params, amount, currency, fields, *, code, message, decline_code=None):
        """The bank refuses: a 402 card_error carrying the payment intent, left in
        ``requires_payment_method``; ``payment_intent.payment_failed`` is emitted."""
        error = {"type": "card_error", "code": code, "message": message}
        if decline_code:
            error["decline_code"] = decline_code
        pi = self._store(
            "pi",
            "payment_intent",
            amount=amount,
            amount_received=0,
            application_fee_amount=params.get("application_fee_amount"),
            currency=currency,
            latest_charge=None,
            metadata=params.get("metadata", {}),
            status="requires_payment_method",
            transfer_data=params.get("transfer_data"),
            last_payment_error=dict(error),
            **fields,
        )
        self._emit("payment_intent.payment_failed", pi)
        refusal = StripeStandinError(402, message, code=code, type="card_error", executed=True)
        refusal.body["payment_intent"] = self._public(pi)
        if decline_code:
            refusal.body["decline_code"] = decline_code
        raise refusal


class _Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer

    def _dispatch(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        standin: StripeStandin = self.server.standin  # type: ignore[attr-defined]
        status, payload, headers = standin.handle(
            self.command, self.path, dict(self.headers.items()), body
        )
        data = json.dumps(payload).encode()
        self.send_response(status)
        headers |= {"Content-Type": "application/json", "Content-Length": str(len(data))}
        headers |= {"Request-Id": _new_id("req")}
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_DELETE = _dispatch

    def log_message(self, format: str, *args: Any) -> None:  # silence per-request logging
        pass
