"""Payment reads, including the ones other apps call.

``pro_accepts_online_payments`` is the rule bookings and the service form use: with Stripe, the
pro's connected account must have ``charges_enabled`` (from Stripe, via ``account.updated``);
with the offline backend, the pro must have a simulated, enabled account. Private objects are
fetched with the user's permission checked in the same query (404 otherwise).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TypeGuard

from django.conf import settings
from django.core.cache import cache
from django.db.models import Prefetch, Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from accounts.models import ProProfile
from accounts.timezones import zone_of
from bookings.models import Booking
from payments.gateways import GatewayError, PayoutInfo, get_gateway, is_offline
from payments.models import ConnectedAccount, FeeRate, Payment, Payout, Refund, SavedCard
from payments.reports import EarningLine, FeeLine, earning_lines, fee_report, month_in_zone
from timz.links import absolute_url


@dataclass(frozen=True, slots=True)
class Hold:
    """The time held for a booking while its client pays (``Booking.expires_at``)."""

    deadline: datetime
    seconds_left: int

    @property
    def lapsed(self) -> bool:
        return self.seconds_left <= 0

    @property
    def in_words(self) -> str:
        """ "in 28 minutes", "in 1 minute", "in less than a minute"."""
        if self.seconds_left < 60:
            return _("in less than a minute")
        minutes = math.ceil(self.seconds_left / 60)
        return ngettext("in %(count)d minute", "in %(count)d minutes", minutes) % {"count": minutes}


@dataclass(frozen=True, slots=True)
class Rate:
    """A staff-set fee rate (``FeeRate``) as the cache keeps it."""

    effective_from: datetime
    percent: Decimal
    fixed: int
    minimum: int


FEE_RATES_CACHE_KEY = "payments:fee-rates:v1"


def fee_rates() -> list[Rate]:
    """Every fee rate staff have set, newest first; cached until a rate is saved or deleted
    (``payments.models``' receivers drop the key)."""
    rates = cache.get(FEE_RATES_CACHE_KEY)
    if rates is None:
        rates = [
            Rate(r.effective_from, r.percent, r.fixed, r.minimum)
            for r in FeeRate.objects.order_by("-effective_from", "-id")
        ]
        cache.set(FEE_RATES_CACHE_KEY, rates, timeout=None)
    return rates


def fee_rate_at(when: datetime) -> Rate | None:
    """The rate in force at `when` (the newest that started at or before it), else None."""
    return next((rate for rate in fee_rates() if rate.effective_from <= when), None)


def payment_hold(booking: Booking, *, now: datetime) -> Hold | None:
    """The hold of a booking waiting for its payment at `now` (lapsed once the deadline has
    passed, even before process_due expires the booking); None for any other booking."""
    if booking.status != Booking.Status.PENDING_PAYMENT or booking.expires_at is None:
        return None
    left = math.ceil((booking.expires_at - now).total_seconds())
    return Hold(deadline=booking.expires_at, seconds_left=max(0, left))


def connected_account_for(pro) -> ConnectedAccount | None:
    """The pro's account (uses the cached relation when select_related)."""
    try:
        return pro.connected_account
    except ConnectedAccount.DoesNotExist:
        return None


def account_can_charge(account: ConnectedAccount | None) -> TypeGuard[ConnectedAccount]:
    if account is None or not account.charges_enabled:
        return False
    if is_offline():
        return account.is_simulated
    return bool(account.stripe_account_id) and not account.is_simulated


def pro_accepts_online_payments(pro) -> bool:
    """Whether `pro` can take online payments now (see the module docstring)."""
    return account_can_charge(connected_account_for(pro))


def booking_for_payment(*, user, pk) -> Booking:
    """A booking its client may pay (only the booking's own client): 404 for anyone else."""
    if not getattr(user, "is_authenticated", False):
        raise Http404(_("No such booking."))
    try:
        return Booking.objects.select_related("pro", "pro__user", "client", "service").get(
            pk=pk, client=user
        )
    except (Booking.DoesNotExist, ValueError, TypeError):
        raise Http404(_("No such booking.")) from None


def payment_for_test_checkout(*, user, session_id: str) -> Payment:
    """The offline test payment of `session_id`, for the booking's client only (else 404).

    Always 404 while the Stripe backend is configured: a pending offline payment left over
    from before the switch must never be marked paid without money.
    """
    return _offline_session_for_client(Payment, user=user, session_id=session_id)


def payment_for_receipt(*, user, pk) -> Payment:
    """A payment taken (any kind), for its booking's client, its pro or staff; else 404 (also
    for a payment never taken: it has no receipt)."""
    if not getattr(user, "is_authenticated", False):
        raise Http404(_("No such receipt."))
    qs = payments_with_refunds().select_related(
        "booking__pro",
        "booking__client",
        "booking__client__client_profile",
        "booking__client__pro_profile",  # User.display_name looks here first
    )
    qs = qs.filter(status__in=Payment.PAID_STATUSES, paid_at__isnull=False)
    if not user.is_staff:
        qs = qs.filter(Q(booking__client=user) | Q(booking__pro__user=user))
    try:
        return qs.get(pk=pk)
    except (Payment.DoesNotExist, ValueError, TypeError):
        raise Http404(_("No such receipt.")) from None


def payments_with_refunds():
    return Payment.objects.select_related("booking").prefetch_related(
        Prefetch("refunds", queryset=Refund.objects.order_by("created_at", "id"))
    )


def current_payment_for(booking: Booking) -> Payment | None:
    """The booking's active payment for the booking itself (not a tip or a no-show fee), else
    its latest such attempt (None when it never had one).

    Uses ``booking.payments`` when prefetched, so a list of bookings costs one query.
    """
    return _active_or_latest(booking, kinds=Payment.BOOKING_KINDS)


def _active_or_latest(booking: Booking, *, kinds) -> Payment | None:
    """The booking's active payment of one of `kinds`, else its latest attempt of them."""
    cache = getattr(booking, "_prefetched_objects_cache", {})
    if "payments" in cache:
        payments = sorted(cache["payments"], key=lambda p: p.attempt, reverse=True)
    else:
        payments = list(payments_with_refunds().filter(booking=booking).order_by("-attempt"))
    payments = [p for p in payments if p.kind in kinds]
    active = [p for p in payments if p.status in Payment.ACTIVE_STATUSES]
    return active[0] if active else (payments[0] if payments else None)


def tip_for(booking: Booking) -> Payment | None:
    """The booking's tip: the active one (pending or paid), else its latest attempt, else None.
    Uses ``booking.payments`` when prefetched."""
    return _active_or_latest(booking, kinds=(Payment.Kind.TIP,))


def tip_summary_for(*, booking: Booking, viewer) -> dict | None:
    """The booking's ``tip`` JSON (None without a tip): ``checkout_url`` only for the client
    while the tip is pending."""
    tip = tip_for(booking)
    if tip is None:
        return None
    is_client = viewer is not None and getattr(viewer, "pk", None) == booking.client_id
    pending = tip.status == Payment.Status.PENDING
    return {
        "amount": tip.amount,
        "currency": tip.currency,
        "status": tip.status,
        "refunded": tip.amount_refunded,
        "checkout_url": absolute_url(tip.checkout_url) if (pending and is_client) else None,
    }


def viewer_sees_fee(*, booking: Booking, viewer) -> bool:
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return False
    return viewer.is_staff or viewer.pk == booking.pro.user_id


def booking_payments_by_kind(booking: Booking) -> dict[str, Payment]:
    """The booking's own payments (full, deposit, balance), one per kind: the active one, else
    the latest attempt. Uses ``booking.payments`` when prefetched (no query then)."""
    cache = getattr(booking, "_prefetched_objects_cache", {})
    if "payments" in cache:
        payments = list(cache["payments"])
    else:
        payments = list(payments_with_refunds().filter(booking=booking))
    chosen: dict[str, Payment] = {}
    for payment in sorted(payments, key=lambda p: p.attempt, reverse=True):
        if payment.kind not in Payment.BOOKING_KINDS:
            continue
        held = chosen.get(payment.kind)
        if held is None or (
            held.status not in Payment.ACTIVE_STATUSES and payment.status in Payment.ACTIVE_STATUSES
        ):
            chosen[payment.kind] = payment
    return chosen


# The JSON says "due" for money still to pay; otherwise the payment's own status.
DUE = "due"


def payment_summary_for(*, booking: Booking, viewer) -> dict | None:
    """The booking's ``payment`` JSON: None for a booking paid at the appointment (a
    card-on-file booking waiting for its card included).

    From ``pending_payment`` on, it says what is paid when booking (the price, or the deposit):
    ``status`` "due" until it is paid, then the payment's status (succeeded, refunded, ...).
    A deposit booking adds ``deposit`` (amount, status) and ``balance`` (amount; status "due"
    while the booking is ahead, a paid balance's status, or "none" when the booking ended
    without it being paid online; ``checkout_url`` while the client's balance checkout is open).
    ``fee`` is shown to the pro and staff only (None for the client); checkout URLs only to the
    client.
    """
    by_kind = booking_payments_by_kind(booking)
    has_deposit = booking.deposit_amount > 0
    main = by_kind.get(Payment.Kind.DEPOSIT if has_deposit else Payment.Kind.FULL)
    awaiting = booking.status == Booking.Status.PENDING_PAYMENT
    if main is None and (not awaiting or booking_saves_card(booking)):
        # A card-on-file booking awaits a card, not a payment: it is paid at the appointment
        # (the booking JSON's `card` block says the card is missing).
        return None
    is_client = viewer is not None and getattr(viewer, "pk", None) == booking.client_id
    sees_fee = viewer_sees_fee(booking=booking, viewer=viewer)

    def link(payment: Payment | None) -> str | None:
        if payment is None or payment.status != Payment.Status.PENDING or not is_client:
            return None
        return absolute_url(payment.checkout_url)

    def status_of(payment: Payment | None, *, due: bool) -> str:
        if payment is not None and payment.is_paid:
            return payment.status
        return DUE if due or payment is None else payment.status

    status = status_of(main, due=awaiting)
    summary = {
        "status": status,
        "amount": main.amount if main else (booking.deposit_amount or booking.price_amount),
        "fee": (main.fee if main else None) if sees_fee else None,
        "refunded": main.amount_refunded if main else 0,
        "currency": booking.currency,
        "checkout_url": link(main) if awaiting else None,
    }
    if has_deposit:
        balance = by_kind.get(Payment.Kind.BALANCE)
        ahead = booking.status in Booking.ACTIVE_STATUSES
        balance_status = status_of(balance, due=True)
        if balance_status == DUE and not ahead:
            balance_status = "none"
        summary["deposit"] = {"amount": booking.deposit_amount, "status": status}
        summary["balance"] = {
            "amount": booking.price_amount - booking.deposit_amount,
            "status": balance_status,
            "checkout_url": link(balance) if ahead else None,
        }
    return summary


def balance_due_online(booking: Booking, *, now: datetime) -> bool:
    """Whether the client of `booking` may pay its balance online now: a confirmed deposit
    booking, its visit ahead, its balance not paid (the booking page's "Pay the balance")."""
    if booking.deposit_amount <= 0 or booking.status != Booking.Status.CONFIRMED:
        return False
    if booking.starts_at <= now or booking.price_amount <= booking.deposit_amount:
        return False
    balance = booking_payments_by_kind(booking).get(Payment.Kind.BALANCE)
    return balance is None or not balance.is_paid


def refunds_for(payment: Payment) -> list[Refund]:
    cache = getattr(payment, "_prefetched_objects_cache", {})
    if "refunds" in cache:
        return list(cache["refunds"])
    return list(payment.refunds.order_by("created_at", "id"))


def online_payment_unavailable_reason(pro) -> str | None:
    """Why `pro` cannot offer "pay online" on a service now (None when they can): for the
    service form's validation message."""
    if pro_accepts_online_payments(pro):
        return None
    if is_offline():
        return _("Set up payouts on the Payouts page before offering online payment.")
    return _(
        "Online payment needs a Stripe account that can take charges: finish the setup on "
        "the Payouts page first."
    )


# ---------------------------------------------------------------------------------------------
# A pro's money for a month (the money page, the dashboard, GET /api/v1/me/earnings)
# ---------------------------------------------------------------------------------------------

PAYOUTS_UNAVAILABLE = gettext_noop(
    "Payouts could not be loaded just now. The figures above are complete."
)
# Stripe's payouts of a (pro, month), read from the account's balance transactions, are kept
# this long, so a page view is not an API call.
PAYOUT_CACHE_SECONDS = 300


@dataclass(frozen=True)
class Month:
    """A calendar month on a pro's wall clock: [start, end) as aware datetimes."""

    key: str  # "2026-11"
    start: datetime
    end: datetime

    @property
    def first_day(self) -> date:
        return self.start.date()

    @property
    def next_first_day(self) -> date:
        return self.end.date()

    @property
    def previous_first_day(self) -> date:
        first = self.first_day
        return (
            first.replace(year=first.year - 1, month=12)
            if first.month == 1
            else (first.replace(month=first.month - 1))
        )

    @property
    def previous_key(self) -> str:
        first = self.first_day
        return f"{first.year - 1}-12" if first.month == 1 else f"{first.year}-{first.month - 1:02}"

    @property
    def next_key(self) -> str:
        return self.end.strftime("%Y-%m")


def pro_month(*, pro: ProProfile, month: str | None = None, now: datetime | None = None) -> Month:
    """The pro's calendar month `month` ("YYYY-MM"), or the one `now` falls in on the pro's
    clock. ValueError (a readable message) for anything that is not a month."""
    zone = zone_of(pro.timezone)
    if month is None:
        month = (now or timezone.now()).astimezone(zone).strftime("%Y-%m")
    start, end = month_in_zone(month, zone)
    if not 2000 <= start.year <= 9998:
        raise ValueError(
            _("“%(month)s” is out of range: months from 2000-01 on.") % {"month": month}
        )
    return Month(key=start.strftime("%Y-%m"), start=start, end=end)


@dataclass(frozen=True)
class Payouts:
    items: list[PayoutInfo]
    error: str = ""

    def totals(self) -> dict[str, int]:
        """Paid out per currency (failed and cancelled payouts left out)."""
        out: dict[str, int] = {}
        for item in self.items:
            if item.status not in (Payout.Status.FAILED, Payout.Status.CANCELED):
                out[item.currency] = out.get(item.currency, 0) + item.amount
        return out


def payouts_for_month(*, pro: ProProfile, month: Month) -> Payouts:
    """The pro's payouts arriving in `month` (by arrival date), newest first: Timz's own
    records (the offline backend's) and, for a Stripe account, the payouts among its Stripe
    balance transactions (``list_payouts``), cached for ``PAYOUT_CACHE_SECONDS`` per pro and
    month. When Stripe cannot be reached the records are
    returned with ``error`` set; nothing is cached then."""
    own = [
        PayoutInfo(
            id=row.stripe_payout_id or f"timz-{row.pk}",
            amount=row.amount,
            currency=row.currency,
            arrival_date=row.arrival_date,
            status=row.status,
        )
        for row in Payout.objects.filter(
            pro=pro, arrival_date__gte=month.first_day, arrival_date__lt=month.next_first_day
        )
    ]
    account = ConnectedAccount.objects.filter(pro=pro).only("stripe_account_id").first()
    if account is None or not account.stripe_account_id or is_offline():
        return Payouts(items=own)
    key = f"payouts:{pro.pk}:{account.stripe_account_id}:{month.key}"
    remote = cache.get(key)
    if remote is None:
        try:
            remote = get_gateway().list_payouts(
                account_id=account.stripe_account_id,
                arrival_from=month.first_day,
                arrival_to=month.next_first_day,
            )
        except GatewayError:
            return Payouts(items=own, error=_(PAYOUTS_UNAVAILABLE))
        cache.set(key, remote, PAYOUT_CACHE_SECONDS)
    known = {item.id for item in own}
    items = own + [item for item in remote if item.id not in known]
    return Payouts(items=sorted(items, key=lambda item: item.arrival_date, reverse=True))


@dataclass(frozen=True)
class Earnings:
    """A pro's month: the figures per currency (never added across currencies), the lines
    they are the sum of, and the payouts."""

    month: Month
    figures: list[FeeLine]
    lines: list[EarningLine]

    @property
    def main(self) -> FeeLine:
        """The figures of the month's main currency: the only one, or the one clients paid
        most in; an empty line in the platform's default currency for a quiet month."""
        if not self.figures:
            return FeeLine(
                currency=settings.DEFAULT_CURRENCY,
                payments=0,
                gross=0,
                fees=0,
                refunds=0,
                fee_refunds=0,
            )
        return max(self.figures, key=lambda f: (f.volume, f.payments))


def figures_for_month(*, pro: ProProfile, month: Month) -> list[FeeLine]:
    """The pro's figures for `month`, per currency: ``fee_report`` for this pro (the function
    staff run), three queries."""
    return fee_report(start=month.start, end=month.end, pro=pro)


def earnings_for_month(*, pro: ProProfile, month: Month) -> Earnings:
    """The pro's figures (``fee_report`` for this pro, the same function staff run) and
    lines for `month`: six queries whatever the month holds."""
    return Earnings(
        month=month,
        figures=figures_for_month(pro=pro, month=month),
        lines=earning_lines(pro=pro, start=month.start, end=month.end),
    )


# -- Card on file (payments.card_on_file) -------------------------------------------------------


def booking_saves_card(booking: Booking) -> bool:
    """Whether `booking` waits for its client to save a card (not for a payment)."""
    from bookings.models import Protection, Service

    if booking.protection != Protection.CARD or booking.status != Booking.Status.PENDING_PAYMENT:
        return False
    service = booking.service if booking.service_id else None
    return service is None or service.payment_mode != Service.PaymentMode.ONLINE


def saved_card_of(booking: Booking) -> SavedCard | None:
    """The booking's saved card row (any status), or None."""
    try:
        return booking.saved_card
    except SavedCard.DoesNotExist:
        return None


def fee_payments_of(booking: Booking) -> list[Payment]:
    """The booking's no-show fee attempts, newest first (from the prefetch when there is one)."""
    cache = getattr(booking, "_prefetched_objects_cache", {})
    if "payments" in cache:
        found = [p for p in cache["payments"] if p.kind == Payment.Kind.NO_SHOW_FEE]
    else:
        found = list(booking.payments.filter(kind=Payment.Kind.NO_SHOW_FEE))
    return sorted(found, key=lambda p: p.attempt, reverse=True)


def booking_for_fee(*, user, pk) -> Booking:
    """A booking whose no-show fee `user` may charge: only its own pro (404 for anyone else)."""
    if not getattr(user, "is_authenticated", False):
        raise Http404(_("No such booking."))
    try:
        return Booking.objects.select_related(
            "pro", "pro__user", "client", "saved_card", "service"
        ).get(pk=pk, pro__user=user)
    except (Booking.DoesNotExist, ValueError, TypeError):
        raise Http404(_("No such booking.")) from None


def saved_card_for_test_setup(*, user, session_id: str) -> SavedCard:
    """The offline test card page of `session_id`, for the booking's client only (else 404);
    always 404 while Stripe is configured."""
    return _offline_session_for_client(SavedCard, user=user, session_id=session_id)


def _offline_session_for_client[M: (Payment, SavedCard)](
    model: type[M], *, user, session_id: str
) -> M:
    """The offline checkout session `session_id` (a payment's or a card setup's) of a booking
    of `user`'s, else 404; always 404 while Stripe is configured."""
    missing = Http404(_("No such payment.") if model is Payment else _("No such saved card."))
    if not is_offline() or not getattr(user, "is_authenticated", False):
        raise missing
    try:
        return model.objects.select_related("booking", "booking__pro").get(
            checkout_session_id=session_id,
            backend=Payment.Backend.OFFLINE,
            booking__client=user,
        )
    except model.DoesNotExist:
        raise missing from None


def card_summary_for(*, booking: Booking) -> dict | None:
    """The booking's ``card`` JSON (brand and last four digits only): None unless the booking
    is protected by a card on file."""
    from bookings.models import Protection

    if booking.protection != Protection.CARD:
        return None
    card = saved_card_of(booking)
    if card is None:
        return {"status": "missing", "label": "", "brand": "", "last4": ""}
    return {"status": card.status, "label": card.label, "brand": card.brand, "last4": card.last4}


def no_show_fee_summary_for(*, booking: Booking, viewer) -> dict | None:
    """The booking's ``no_show_fee`` JSON: the fee a card-protected booking may cost, its
    latest charge (``status`` None until charged), whether the viewer may charge it now (its
    pro) and, for its client while the bank waits for them, where to pay it."""
    from bookings.models import Protection
    from payments import card_on_file

    if booking.protection != Protection.CARD:
        return None
    fee_payments = fee_payments_of(booking)
    latest = fee_payments[0] if fee_payments else None
    is_pro = getattr(viewer, "pk", None) == booking.pro.user_id
    is_client = getattr(viewer, "pk", None) == booking.client_id
    return {
        "amount": card_on_file.no_show_fee_amount(booking),
        "currency": booking.currency,
        "percent": booking.no_show_fee_percent,
        "status": latest.status if latest else None,
        "platform_fee": (
            latest.fee if latest and viewer_sees_fee(booking=booking, viewer=viewer) else None
        ),
        "failure_message": latest.failure_text if latest and is_pro else "",
        "can_charge": is_pro
        and not card_on_file.fee_refusal(booking=booking, fee_payments=fee_payments),
        "awaits_client": card_on_file.fee_awaits_client(latest),
        "pay_url": (
            absolute_url(reverse("bookings:detail", kwargs={"pk": booking.pk}))
            if is_client and card_on_file.fee_awaits_client(latest)
            else None
        ),
    }
