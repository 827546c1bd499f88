"""A local stand-in for the Stripe API, for tests (Stripe itself is unreachable here).

``StripeStandin`` runs a ``ThreadingHTTPServer`` on 127.0.0.1 (random port) in a
background thread and answers the handful of endpoints Timz uses with Stripe-shaped
JSON, so the official ``stripe`` SDK (v16) can be exercised end to end::

    with StripeStandin() as standin:
        # 1) legacy global API: read on every request, so it can be set at any time
        stripe.api_key, stripe.api_base = "sk_test_x", standin.url
        # 2) StripeClient: the "api" base address ("connect"/"files" keep their defaults)
        client = stripe.StripeClient("sk_test_x", base_addresses={"api": standin.url})

Both overrides work in stripe 16.1.0 (checked in ``_requestor_options.py`` and
``_stripe_client.py``). ``standin.url`` has no trailing slash: the SDK concatenates it
with paths such as ``/v1/accounts``.

Wire-format notes (what the SDK really sends):

* POST bodies are ``application/x-www-form-urlencoded`` with literal brackets:
  ``line_items[0][price_data][unit_amount]=1000``. Lists are always indexed, bools are
  ``true``/``false``, ``None`` values are omitted. ``parse_form`` rebuilds nested
  dicts/lists but leaves every leaf a *string* (as Stripe receives it).
* Every POST carries an ``Idempotency-Key`` header: the SDK generates a random UUID
  when the caller gives none, so a call is only idempotent across retries if *we*
  pass ``idempotency_key=`` (legacy kwarg) / ``options={"idempotency_key": ...}``.
* ``Stripe-Version`` is always sent (the SDK's pinned version); ``Stripe-Account``
  only when a connected account is given.

Endpoints: POST /v1/accounts, /v1/account_links, /v1/checkout/sessions,
/v1/checkout/sessions/{id}/expire, /v1/refunds; GET /v1/accounts/{id},
/v1/checkout/sessions/{id}, /v1/payment_intents/{id}, /v1/refunds/{id}. Top-level
``expand`` (e.g. a session's ``payment_intent``) works; dotted expand paths do not.
Checkout line items must use ``price_data`` (no stored prices); payment intents and
charges exist only once ``complete_checkout()`` pays a session; refunds are checked
against the unrefunded amount; set ``standin.refund_status = "pending"`` for pending
refunds. Connected accounts named in ``transfer_data`` are not checked.

Behaviour: every request is recorded in ``standin.requests`` (before auth checks);
a non ``Bearer sk_test_...`` Authorization gives 401; unknown paths/ids give 404 in
Stripe's error shape; a reused Idempotency-Key (per Stripe-Account) replays the first
2xx response (header ``Idempotent-Replayed: true``) without creating anything, and
gives 400 ``idempotency_error`` if the method/path/params differ, like Stripe.
Objects are global to the stand-in (not scoped by Stripe-Account). Unexpected
exceptions become 500 with ``Stripe-Should-Retry: false`` and are kept in ``errors``.
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
    "refunds": "refund",
}
_SESSION_ECHOED = ("cancel_url", "client_reference_id", "customer_email", "success_url")
_ONBOARDING_DUE = ["business_type", "external_account", "tos_acceptance.date"]


def _new_id(prefix: str) -> str:
    return prefix + "_" + "".join(secrets.choice(_ALPHABET) for _ in range(24))


def _now() -> int:
    return int(time.time())


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
    ts = _now() if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{ts}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={ts},v1={mac}"


def make_event(
    type: str, obj: dict, event_id: str | None = None, *, account: str | None = None
) -> dict:
    """A Stripe event envelope around ``obj``; ``account`` marks a Connect event."""
    event = {
        "id": event_id or _new_id("evt"),
        "object": "event",
        "api_version": stripe.api_version,
        "created": _now(),
        "data": {"object": copy.deepcopy(obj)},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": type,
    }
    if account:
        event["account"] = account
    return event


class StripeStandinError(Exception):
    """Raised by endpoint handlers; rendered as ``{"error": {...}}`` with ``status``."""

    def __init__(
        self, status: int, message: str, *, code=None, param=None, type="invalid_request_error"
    ):
        super().__init__(message)
        self.status = status
        self.body: Params = {"type": type, "message": message}
        self.body |= {k: v for k, v in (("code", code), ("param", param)) if v}


def _bad(message: str, **body: str) -> StripeStandinError:
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


class StripeStandin:
    """In-process fake of the Stripe endpoints Timz uses. See the module docstring."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.objects: dict[str, Params] = {}  # every created object, by id
        self.errors: list[str] = []  # tracebacks of unexpected handler exceptions
        self.refund_status = "succeeded"  # set to "pending" to get pending refunds
        # (Stripe-Account, Idempotency-Key) -> (request fingerprint, first 2xx response)
        self._idempotent: dict[tuple[str | None, str], tuple[tuple, Params]] = {}
        self._refunded: dict[str, int] = {}  # payment_intent id -> amount refunded
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
            ("GET", r"/v1/(?P<kind>" + "|".join(_RETRIEVABLE) + ")" + item, self._retrieve),
        ]

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

    # -- test helpers (no HTTP) --------------------------------------------------------

    def requests_for(self, path: str, method: str | None = None) -> list[RecordedRequest]:
        """Recorded requests whose path (without query string) equals ``path``."""
        return [
            r
            for r in self.requests
            if r.path == path and (method is None or r.method == method.upper())
        ]

    def complete_checkout(self, session_id: str) -> Params:
        """Pay an open session as a customer would: creates its payment intent and charge."""
        with self._lock:
            session = self._get(session_id, "checkout.session")
            if session["status"] != "open":
                raise ValueError(f"session {session_id} is {session['status']}, not open")
            pi_data = session.pop("_payment_intent_data", {})
            fee = pi_data.get("application_fee_amount")
            pi = self._store(
                "pi",
                "payment_intent",
                amount=session["amount_total"],
                amount_received=session["amount_total"],
                application_fee_amount=int(fee) if fee is not None else None,
                currency=session["currency"],
                latest_charge=_new_id("ch"),
                metadata=pi_data.get("metadata", {}),
                status="succeeded",
                transfer_data=pi_data.get("transfer_data"),
                transfer_group=pi_data.get("transfer_group"),
            )
            session.update(status="complete", payment_status="paid", payment_intent=pi["id"])
            return self._public(session)

    def set_account(
        self, acct_id: str, *, charges_enabled: bool = True, payouts_enabled: bool = True
    ) -> Params:
        """Simulate onboarding progress; both flags true clears the requirements."""
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
            return self._public(account)

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
        if not auth.startswith("Bearer sk_test_"):
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
        if key and (stored := self._idempotent.get((req.stripe_account, key))):
            if stored[0] != fingerprint:
                message = (
                    "Keys for idempotent requests can only be used with the same parameters "
                    f"they were first used with. Try a key other than '{key}'."
                )
                raise _bad(message, type="idempotency_error")
            return 200, copy.deepcopy(stored[1]), {"Idempotent-Replayed": "true"}
        obj = self._public(handler(req.params, **match.groupdict()))
        payload = self._expand(obj, req.params.get("expand", []))
        if key:
            self._idempotent[(req.stripe_account, key)] = (fingerprint, payload)
        return 200, copy.deepcopy(payload), {}

    # -- storage -----------------------------------------------------------------------

    def _store(self, prefix: str, object_type: str, **fields: Any) -> Params:
        obj = {"id": _new_id(prefix), "object": object_type, "created": _now(), "livemode": False}
        obj.update(fields)
        self.objects[obj["id"]] = obj
        return obj

    def _get(self, obj_id: str, object_type: str | None = None) -> Params:
        obj = self.objects.get(obj_id)
        if obj is None or (object_type and obj["object"] != object_type):
            raise _missing(object_type or "object", obj_id)
        return obj

    def _expand(self, obj: Params, fields: list[str]) -> Params:
        """Replace top-level id fields named in ``expand`` by the stored objects."""
        for name in fields:
            if isinstance(obj.get(name), str) and obj[name] in self.objects:
                obj[name] = self._public(self.objects[obj[name]])
        return obj

    @staticmethod
    def _public(obj: Params) -> Params:
        """A deep copy without private (``_``-prefixed) bookkeeping keys."""
        return copy.deepcopy({k: v for k, v in obj.items() if not k.startswith("_")})

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
        if account not in self.objects:
            raise _missing("account", account, param="account")
        created = _now()
        return {
            "object": "account_link",
            "created": created,
            "expires_at": created + 300,
            "url": f"{self.url}/connect/onboard/{account}",
        }

    def _create_session(self, params: Params) -> Params:
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
        pi_data = params.get("payment_intent_data", {})
        if _int(pi_data, "application_fee_amount", 0) > total:
            message = "The application fee cannot exceed the amount of the payment."
            raise _bad(message, param="payment_intent_data[application_fee_amount]")
        created = _now()
        session = self._store(
            "cs_test",
            "checkout.session",
            **{k: params.get(k) for k in _SESSION_ECHOED},
            created=created,
            amount_subtotal=total,
            amount_total=total,
            currency=currencies.pop().lower(),
            customer=None,
            expires_at=_int(params, "expires_at", created + 24 * 3600),
            metadata=params.get("metadata", {}),
            mode=params.get("mode", "payment"),
            payment_intent=None,
            payment_status="unpaid",
            status="open",
            _payment_intent_data=pi_data,  # private: used by complete_checkout()
        )
        session["url"] = f"{self.url}/checkout/pay/{session['id']}"
        return session

    def _expire_session(self, params: Params, id: str) -> Params:
        session = self._get(id, "checkout.session")
        if session["status"] != "open":
            raise _bad(f"Only open Checkout Sessions can be expired, not {session['status']}.")
        session["status"] = "expired"
        return session

    def _create_refund(self, params: Params) -> Params:
        if "payment_intent" in params:
            pi = self._get(params["payment_intent"], "payment_intent")
        elif "charge" in params:
            charge = params["charge"]
            found = [o for o in self.objects.values() if o.get("latest_charge") == charge]
            if not found:
                raise _missing("charge", charge, param="charge")
            pi = found[0]
        else:
            raise _bad("One of payment_intent or charge is required.")
        remaining = pi["amount"] - self._refunded.get(pi["id"], 0)
        amount = _int(params, "amount", remaining)
        if remaining == 0:
            message = f"Charge {pi['latest_charge']} has already been refunded."
            raise _bad(message, code="charge_already_refunded")
        if not 0 < amount <= remaining:
            message = f"Refund amount ({amount}) must be in 1..{remaining} (unrefunded amount)."
            raise _bad(message, param="amount")
        self._refunded[pi["id"]] = pi["amount"] - remaining + amount
        return self._store(
            "re",
            "refund",
            amount=amount,
            balance_transaction=None,
            charge=pi["latest_charge"],
            currency=pi["currency"],
            metadata=params.get("metadata", {}),
            payment_intent=pi["id"],
            reason=params.get("reason"),
            status=self.refund_status,
        )


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
