"""Payments: pros' connected accounts, booking payments, refunds, disputes and received Stripe
events.

Money is integer minor units with a three-letter currency code (as in ``bookings``). A booking has
at most one *active* payment (pending, or money taken: succeeded / partially refunded / refunded);
failed or expired attempts stay as history and a new attempt gets the next ``attempt`` number,
which also names its Checkout Session's creation (``payments.gateways.idempotency_key``).
Statuses only move forward (see ``payments.services``); refunds follow Stripe's refund statuses.

Sentences Timz itself writes into a row (a refund's reason, why a fee's card was declined) are
kept in English: one row is read by several people in their own languages (the client, the
pro, staff), so it is translated when shown (``recorded_text``), never when written.
"""

import re

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import ProProfile
from bookings.models import Booking

# The sentences Timz records (``recorded_text``). Words a person typed (a pro's or staff's
# reason) or Stripe sent are shown as they are.
REFUND_DECLINED = gettext_noop("The professional declined the request.")
REFUND_EXPIRED = gettext_noop("The request expired without an answer.")
REFUND_CANCELLED_BY_CLIENT = gettext_noop("Booking cancelled by the client.")
REFUND_CANCELLED_BY_PRO = gettext_noop("Booking cancelled by the professional.")
REFUND_CANCELLED_BY_STAFF = gettext_noop("Booking cancelled by staff.")
REFUND_CANCELLED_BY_SYSTEM = gettext_noop("Booking cancelled by the system.")
REFUND_BALANCE_AFTER_END = gettext_noop("The booking had ended when the balance arrived.")
REFUND_HOLD_LAPSED = gettext_noop("The time was no longer held when the payment arrived.")
REFUND_OUTSIDE_TIMZ = gettext_noop("Refunded in the Stripe dashboard.")
CARD_DECLINED = gettext_noop("The card was declined.")
# Written with the percent filled in: `LATE_CANCELLATION % {"percent": 50}`.
LATE_CANCELLATION = gettext_noop(
    "Late cancellation: the professional keeps %(percent)s%% of the price."
)
_LATE_CANCELLATION = re.compile(
    r"Late cancellation: the professional keeps (?P<percent>\d+)% of the price\."
)
RECORDED = frozenset(
    {
        REFUND_DECLINED,
        REFUND_EXPIRED,
        REFUND_CANCELLED_BY_CLIENT,
        REFUND_CANCELLED_BY_PRO,
        REFUND_CANCELLED_BY_STAFF,
        REFUND_CANCELLED_BY_SYSTEM,
        REFUND_BALANCE_AFTER_END,
        REFUND_HOLD_LAPSED,
        REFUND_OUTSIDE_TIMZ,
        CARD_DECLINED,
    }
)


def recorded_text(text: str) -> str:
    """`text` from a row, in the active language when Timz wrote it (one of ``RECORDED``, or
    ``LATE_CANCELLATION`` with its percent); anything else as it is."""
    if text in RECORDED:
        return gettext(text)
    late = _LATE_CANCELLATION.fullmatch(text)
    if late:
        return gettext(LATE_CANCELLATION) % {"percent": late["percent"]}
    return text


class ConnectedAccount(models.Model):
    """A pro's Stripe Express account (or a simulated one with the offline backend)."""

    pro = models.OneToOneField(
        ProProfile, on_delete=models.CASCADE, related_name="connected_account"
    )
    stripe_account_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    charges_enabled = models.BooleanField(default=False)
    payouts_enabled = models.BooleanField(default=False)
    details_submitted = models.BooleanField(default=False)
    requirements_due = models.JSONField(default=list, blank=True)
    is_simulated = models.BooleanField(
        default=False, help_text=_("Offline backend: no Stripe account behind it.")
    )
    # `created` of the newest account.updated event applied, so an older one is ignored.
    stripe_updated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("connected account")
        verbose_name_plural = _("connected accounts")
        ordering = ["-updated_at"]

    def __str__(self):
        return self.stripe_account_id or f"simulated account of {self.pro}"

    @property
    def status_label(self) -> str:
        if self.charges_enabled and self.payouts_enabled:
            # Translators: a payout account's status.
            return gettext("Ready")
        if self.charges_enabled:
            return gettext("Can take payments")
        if self.details_submitted:
            return gettext("Under review")
        return gettext("Setup not finished")


class Payment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Paid")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
        REFUNDED = "refunded", _("Refunded")

    # Money was taken in these statuses.
    PAID_STATUSES = (Status.SUCCEEDED, Status.PARTIALLY_REFUNDED, Status.REFUNDED)
    ACTIVE_STATUSES = (Status.PENDING, *PAID_STATUSES)

    class Backend(models.TextChoices):
        STRIPE = "stripe", "Stripe"
        OFFLINE = "offline", _("Offline (test mode)")

    class Kind(models.TextChoices):
        """What the charge is for. A booking has at most one active payment of each kind."""

        # Translators: what a payment is for (a receipt's line, the pro's money page).
        FULL = "full", pgettext_lazy("payment kind", "Booking")
        DEPOSIT = "deposit", pgettext_lazy("payment kind", "Deposit")
        # Translators: the rest of the price after a deposit, not an account's balance.
        BALANCE = "balance", pgettext_lazy("payment kind", "Balance")
        NO_SHOW_FEE = (
            "no_show_fee",
            pgettext_lazy("payment kind", "No-show or late-cancellation fee"),
        )
        TIP = "tip", pgettext_lazy("payment kind", "Tip")

    # The kinds that pay for the booking itself (the rest are charges after the visit).
    BOOKING_KINDS = (Kind.FULL, Kind.DEPOSIT, Kind.BALANCE)

    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.FULL)
    attempt = models.PositiveIntegerField(default=1)
    backend = models.CharField(max_length=10, choices=Backend.choices)
    amount = models.PositiveIntegerField(help_text=_("In minor units."))
    fee = models.PositiveIntegerField(help_text=_("Platform fee, in minor units."))
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    amount_refunded = models.PositiveIntegerField(default=0)
    fee_refunded = models.PositiveIntegerField(default=0)
    destination_account = models.CharField(max_length=255, blank=True)
    checkout_session_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    checkout_url = models.URLField(max_length=2000, blank=True)
    payment_intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    # Why the provider refused the charge, in words safe for the pro (an off-session fee).
    failure_message = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="payment_amount_gte_0"),
            models.CheckConstraint(
                condition=Q(fee__gte=0, fee__lte=F("amount")), name="payment_fee_lte_amount"
            ),
            models.CheckConstraint(
                condition=Q(amount_refunded__gte=0, amount_refunded__lte=F("amount")),
                name="payment_refunded_lte_amount",
            ),
            models.CheckConstraint(
                condition=Q(fee_refunded__gte=0, fee_refunded__lte=F("fee")),
                name="payment_fee_refunded_lte_fee",
            ),
            models.UniqueConstraint(fields=["booking", "attempt"], name="payment_booking_attempt"),
            models.UniqueConstraint(
                fields=["booking", "kind"],
                condition=Q(status__in=["pending", "succeeded", "partially_refunded", "refunded"]),
                name="payment_one_active_per_booking_kind",
            ),
        ]
        indexes = [models.Index(fields=["status", "paid_at"], name="payment_status_paid_idx")]

    def __str__(self):
        return f"Payment #{self.pk} for booking #{self.booking_id} ({self.get_status_display()})"

    @property
    def net(self) -> int:
        """What the pro receives, after the platform fee (before any refund)."""
        return self.amount - self.fee

    @property
    def net_after_refunds(self) -> int:
        """What the pro keeps once refunds are done (the fee is refunded in proportion)."""
        return (self.amount - self.amount_refunded) - (self.fee - self.fee_refunded)

    @property
    def is_paid(self) -> bool:
        return self.status in self.PAID_STATUSES

    @property
    def failure_text(self) -> str:
        """Why the card was declined, in the reader's language when Timz wrote it."""
        return recorded_text(self.failure_message)


class Refund(models.Model):
    class Status(models.TextChoices):
        # Stripe's refund statuses (requires_action is kept as pending).
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Refunded")
        FAILED = "failed", _("Failed")
        CANCELED = "canceled", _("Canceled")

    # Statuses that count against the refundable amount.
    OPEN_OR_DONE = (Status.PENDING, Status.SUCCEEDED)

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.PositiveIntegerField(help_text=_("In minor units."))
    application_fee_refunded = models.PositiveIntegerField(default=0)
    reason = models.CharField(max_length=500)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    stripe_refund_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_gt_0"),
            models.CheckConstraint(
                condition=Q(
                    application_fee_refunded__gte=0, application_fee_refunded__lte=F("amount")
                ),
                name="refund_fee_lte_amount",
            ),
        ]

    def __str__(self):
        return f"Refund #{self.pk} of payment #{self.payment_id} ({self.get_status_display()})"

    @property
    def reason_text(self) -> str:
        """The reason, in the reader's language when Timz wrote it (``recorded_text``)."""
        return recorded_text(self.reason)

    @property
    def operation(self) -> str:
        """The gateway call's name (its idempotency key adds a hash of the parameters)."""
        return f"refund-{self.pk}"


class StripeEvent(models.Model):
    """Every webhook event received, once (the unique event id makes redelivery a no-op)."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100, db_index=True)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("stripe event")
        verbose_name_plural = _("stripe events")
        ordering = ["-received_at", "-id"]

    def __str__(self):
        return f"{self.type} {self.event_id}"


class Dispute(models.Model):
    """A cardholder's dispute (chargeback or inquiry) of a payment, as Stripe reports it.

    With destination charges the platform is liable: Stripe debits the platform's balance.
    A lost dispute is recovered from the pro by reversing their transfer (``funds_recovered``,
    ``payments.services.dispute_recover_funds``); the policy is in docs/deploy.md.
    """

    class Status(models.TextChoices):
        # Stripe's dispute statuses.
        WARNING_NEEDS_RESPONSE = "warning_needs_response", _("Inquiry: needs response")
        WARNING_UNDER_REVIEW = "warning_under_review", _("Inquiry: under review")
        WARNING_CLOSED = "warning_closed", _("Inquiry closed")
        NEEDS_RESPONSE = "needs_response", _("Needs response")
        UNDER_REVIEW = "under_review", _("Under review")
        APPEAL_NEEDS_RESPONSE = "appeal_needs_response", _("Appeal: needs response")
        APPEAL_UNDER_REVIEW = "appeal_under_review", _("Appeal: under review")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")
        PREVENTED = "prevented", _("Prevented")

    CLOSED_STATUSES = (Status.WARNING_CLOSED, Status.WON, Status.LOST, Status.PREVENTED)

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="disputes")
    stripe_dispute_id = models.CharField(max_length=255, unique=True)
    amount = models.PositiveIntegerField(help_text=_("Disputed amount, in minor units."))
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=30, choices=Status.choices, db_index=True)
    funds_recovered = models.PositiveIntegerField(
        default=0, help_text=_("Taken back from the pro's transfer, in minor units.")
    )
    transfer_reversal_id = models.CharField(max_length=255, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    opened_at = models.DateTimeField(help_text=_("When Stripe opened it."))
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(funds_recovered__lte=F("amount")),
                name="dispute_recovered_lte_amount",
            ),
        ]

    def __str__(self):
        status = self.get_status_display()
        return f"Dispute {self.stripe_dispute_id} of payment #{self.payment_id} ({status})"

    @property
    def is_open(self) -> bool:
        return self.status not in self.CLOSED_STATUSES

    @property
    def operation(self) -> str:
        """The recovery call's name (its idempotency key adds a hash of the parameters)."""
        return f"dispute-{self.pk}-recovery"


class Payout(models.Model):
    """Money sent from the platform to a pro's bank, in our own records.

    The offline backend writes these (``payments.services.payouts_offline_run``: once a week,
    everything a pro earned and was not yet paid out). A Stripe account's payouts are Stripe's
    own, read from its balance transactions (``payments.selectors.payouts_for_month``), and not
    copied here; ``stripe_payout_id`` is kept for a payout that was.
    """

    class Status(models.TextChoices):
        # Stripe's payout statuses.
        PENDING = "pending", _("Pending")
        IN_TRANSIT = "in_transit", _("In transit")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed")
        CANCELED = "canceled", _("Canceled")

    pro = models.ForeignKey(ProProfile, on_delete=models.CASCADE, related_name="payouts")
    amount = models.PositiveIntegerField(help_text=_("In minor units."))
    currency = models.CharField(max_length=3)
    arrival_date = models.DateField(help_text=_("When the money reaches the pro's bank."))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PAID)
    stripe_payout_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        ordering = ["-arrival_date", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payout_amount_gt_0"),
        ]
        indexes = [models.Index(fields=["pro", "arrival_date"], name="payout_pro_arrival_idx")]

    def __str__(self):
        return f"Payout #{self.pk} to {self.pro} ({self.get_status_display()})"


class FeeRate(models.Model):
    """The platform fee on marketplace bookings, as staff set it in the admin.

    Rows are never edited once in force: a change is a new row with its ``effective_from``, so
    the table is the fee's history. A booking's fee follows the row in force when the booking
    was made (``payments.services.fee_policy``), so a change applies to the next bookings only.
    Before any row exists the ``PLATFORM_FEE_*`` settings apply. A booking through a pro's own
    link (``Booking.Source.PRO_LINK``) carries no fee whatever the rate.
    """

    percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Percent of the price, 0 to 100 (e.g. 10 or 7.5)."),
    )
    fixed = models.PositiveIntegerField(
        default=0, help_text=_("Added to each payment, in minor units of its currency (cents).")
    )
    minimum = models.PositiveIntegerField(
        default=0,
        help_text=_("The fee is never below this, in minor units (never above the price)."),
    )
    effective_from = models.DateTimeField(
        default=timezone.now, help_text=_("Bookings made from this moment on pay this fee.")
    )
    note = models.CharField(max_length=200, blank=True, help_text=_("Why it changed (staff only)."))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("fee rate")
        verbose_name_plural = _("fee rates")
        ordering = ["-effective_from", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(percent__gte=0, percent__lte=100), name="fee_rate_percent_0_100"
            ),
        ]

    def __str__(self):
        since = f"{self.effective_from:%Y-%m-%d %H:%M}"
        return f"{self.percent}% + {self.fixed} (min {self.minimum}) from {since} UTC"


def _drop_fee_rates_cache(**kwargs) -> None:
    """A saved or deleted rate: the next read (and again after the commit) loads them afresh."""
    from django.core.cache import cache
    from django.db import transaction

    from payments.selectors import FEE_RATES_CACHE_KEY

    cache.delete(FEE_RATES_CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(FEE_RATES_CACHE_KEY))


models.signals.post_save.connect(_drop_fee_rates_cache, sender=FeeRate, weak=False)
models.signals.post_delete.connect(_drop_fee_rates_cache, sender=FeeRate, weak=False)


class StripeCustomer(models.Model):
    """A client's Stripe customer on the platform account (created once, reused for every card
    the client saves), or a simulated one with the offline backend."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stripe_customer"
    )
    stripe_customer_id = models.CharField(max_length=255, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("stripe customer")
        verbose_name_plural = _("stripe customers")
        ordering = ["-created_at"]

    def __str__(self):
        return self.stripe_customer_id


class SavedCard(models.Model):
    """The card a client saved for one booking (Checkout in setup mode), which lets the pro
    charge the no-show fee off-session (``payments.card_on_file``)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the card")
        SAVED = "saved", _("Saved")
        EXPIRED = "expired", _("Not saved")
        REMOVED = "removed", _("Removed")

    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="saved_card")
    backend = models.CharField(max_length=10, choices=Payment.Backend.choices)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    customer_id = models.CharField(max_length=255, blank=True)
    checkout_session_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    checkout_url = models.URLField(max_length=2000, blank=True)
    attempt = models.PositiveIntegerField(default=1)
    setup_intent_id = models.CharField(max_length=255, blank=True)
    payment_method_id = models.CharField(max_length=255, blank=True)
    brand = models.CharField(max_length=20, blank=True)
    last4 = models.CharField(max_length=4, blank=True)
    exp_month = models.PositiveSmallIntegerField(null=True, blank=True)
    exp_year = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    saved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("saved card")
        verbose_name_plural = _("saved cards")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="saved") | ~Q(payment_method_id=""),
                name="saved_card_has_payment_method",
            ),
        ]

    def __str__(self):
        status = self.get_status_display()
        return f"{self.label or 'Card'} for booking #{self.booking_id} ({status})"

    @property
    def label(self) -> str:
        """ "Visa ending 4242" (empty until the card is known)."""
        if not self.last4:
            return ""
        brand = BRAND_NAMES.get(self.brand, self.brand.replace("_", " ").title()) or gettext("Card")
        # Translators: a saved card, e.g. "Visa ending 4242".
        return gettext("%(brand)s ending %(last4)s") % {"brand": brand, "last4": self.last4}

    @property
    def is_saved(self) -> bool:
        return self.status == self.Status.SAVED


# Stripe's card brands in words.
BRAND_NAMES = {
    "amex": "American Express",
    "cartes_bancaires": "Cartes Bancaires",
    "diners": "Diners Club",
    "discover": "Discover",
    "eftpos_au": "eftpos",
    "jcb": "JCB",
    "mastercard": "Mastercard",
    "unionpay": "UnionPay",
    "visa": "Visa",
}
