"""Staff tools: payments (with the refund action; tips included), refunds, disputes, connected
accounts, payouts and one pro's month of money, Stripe events, the platform fee's rates."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Subquery
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import ProProfile
from accounts.timezones import zone_of
from payments import selectors, services
from payments.forms import StaffRefundForm
from payments.models import (
    ConnectedAccount,
    Dispute,
    FeeRate,
    Payment,
    Payout,
    Refund,
    SavedCard,
    StripeCustomer,
    StripeEvent,
)
from timz.formats import pattern
from timz.money import format_money


def _shown_fields(model, money_displays: dict[str, str]) -> tuple[str, ...]:
    """The model's fields in order, each money field replaced by the display that formats it."""
    return tuple(money_displays.get(f.name, f.name) for f in model._meta.fields)


class PaymentLink:
    """A link to the payment a refund or dispute belongs to."""

    @admin.display(description=_("Payment"))
    def payment_link(self, obj):
        url = reverse("admin:payments_payment_change", args=[obj.payment_id])
        return format_html('<a href="{}">#{}</a>', url, obj.payment_id)


class RefundMoney:
    """A refund's amounts shown in its payment's currency, not as raw minor units."""

    @admin.display(description=_("Amount"), ordering="amount")
    def amount_display(self, obj):
        return format_money(obj.amount, obj.payment.currency)

    @admin.display(description=_("Application fee refunded"), ordering="application_fee_refunded")
    def fee_refunded_display(self, obj):
        return format_money(obj.application_fee_refunded, obj.payment.currency)


class ReadOnlyInline(admin.TabularInline):
    """Rows a payment's page shows but staff never add or delete there."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class RefundInline(RefundMoney, ReadOnlyInline):
    model = Refund
    fields = (
        "amount_display",
        "fee_refunded_display",
        "status",
        "reason",
        "stripe_refund_id",
        "requested_by",
        "created_at",
        "last_error",
    )
    readonly_fields = fields


class AmountInCurrency:
    """The `amount` of an object that carries its own `currency` (a payment, a dispute)."""

    @admin.display(description=_("Amount"), ordering="amount")
    def amount_display(self, obj):
        return format_money(obj.amount, obj.currency)


class DisputeMoney(AmountInCurrency):
    """A dispute's amounts shown in its currency."""

    @admin.display(description=_("Recovered"), ordering="funds_recovered")
    def recovered_display(self, obj):
        return format_money(obj.funds_recovered, obj.currency)


class DisputeInline(DisputeMoney, ReadOnlyInline):
    model = Dispute
    fields = (
        "stripe_dispute_id",
        "amount_display",
        "reason",
        "status",
        "opened_at",
        "closed_at",
        "recovered_display",
        "last_error",
    )
    readonly_fields = fields


class DisputeFilter(admin.SimpleListFilter):
    """Payments by their disputes: any open one, any lost one, or none at all."""

    title = _("dispute")
    parameter_name = "dispute"

    def lookups(self, request, model_admin):
        return [
            ("open", pgettext_lazy("dispute", "Open")),
            ("lost", pgettext_lazy("dispute", "Lost")),
            ("any", pgettext_lazy("dispute", "Any")),
            ("none", pgettext_lazy("dispute", "None")),
        ]

    def queryset(self, request, queryset):
        disputes = Dispute.objects.filter(payment=OuterRef("pk"))
        if self.value() == "open":
            return queryset.filter(Exists(disputes.exclude(status__in=Dispute.CLOSED_STATUSES)))
        if self.value() == "lost":
            return queryset.filter(Exists(disputes.filter(status=Dispute.Status.LOST)))
        if self.value() == "any":
            return queryset.filter(Exists(disputes))
        if self.value() == "none":
            return queryset.exclude(Exists(disputes))
        return queryset


@admin.register(Payment)
class PaymentAdmin(AmountInCurrency, admin.ModelAdmin):
    # A laptop's width holds these (e2e/test_mfa.py): the kind opens the payment.
    list_display = (
        "kind",
        "booking_link",
        "client_email",
        "amount_display",
        "fee_display",
        "net_display",
        "refunded_display",
        "status",
        "dispute_display",
        "created_at",
    )
    list_display_links = ("kind",)
    list_filter = (
        "status",
        "kind",
        DisputeFilter,
        "backend",
        ("created_at", admin.DateFieldListFilter),
    )
    search_fields = (
        "=booking__id",
        "booking__client__email",
        "checkout_session_id",
        "payment_intent_id",
    )
    list_select_related = ("booking", "booking__client")
    date_hierarchy = "created_at"
    readonly_fields = fields = _shown_fields(
        Payment,
        {
            "amount": "amount_display",
            "fee": "fee_display",
            "amount_refunded": "refunded_display",
            "fee_refunded": "fee_refunded_display",
        },
    ) + ("net_display",)
    inlines = [RefundInline, DisputeInline]
    actions = ["refund_payments"]

    def get_queryset(self, request):
        newest = Dispute.objects.filter(payment=OuterRef("pk")).order_by("-opened_at", "-id")
        return (
            super()
            .get_queryset(request)
            .annotate(dispute_status=Subquery(newest.values("status")[:1]))
        )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("Dispute"), ordering="dispute_status")
    def dispute_display(self, obj):
        status = getattr(obj, "dispute_status", None)
        return Dispute.Status(status).label if status in Dispute.Status.values else status or ""

    @admin.display(description=_("Booking"), ordering="booking_id")
    def booking_link(self, obj):
        return format_html("#{} {}", obj.booking_id, obj.booking.service_name)

    @admin.display(description=_("Client"), ordering="booking__client__email")
    def client_email(self, obj):
        return obj.booking.client.email

    @admin.display(description=_("Fee"), ordering="fee")
    def fee_display(self, obj):
        return format_money(obj.fee, obj.currency)

    @admin.display(description=_("Net to pro"))
    def net_display(self, obj):
        return format_money(obj.net, obj.currency)

    @admin.display(description=_("Refunded"), ordering="amount_refunded")
    def refunded_display(self, obj):
        return format_money(obj.amount_refunded, obj.currency)

    @admin.display(description=_("Fee refunded"), ordering="fee_refunded")
    def fee_refunded_display(self, obj):
        return format_money(obj.fee_refunded, obj.currency)

    @admin.action(description=_("Refund selected payments…"), permissions=["change"])
    def refund_payments(self, request, queryset):
        payments = list(queryset.select_related("booking", "booking__client"))
        currencies = {p.currency for p in payments}
        if "apply" in request.POST:
            form = StaffRefundForm(request.POST, currencies=currencies)
            if form.is_valid():
                done = 0
                for payment in payments:
                    try:
                        services.refund_create(
                            payment=payment,
                            amount=form.cleaned_data["amount"],
                            reason=form.cleaned_data["reason"],
                            by=request.user,
                        )
                        done += 1
                    except ValidationError as exc:
                        self.message_user(
                            request,
                            gettext("Payment #%(payment)s: %(error)s")
                            % {"payment": payment.pk, "error": " ".join(exc.messages)},
                            messages.ERROR,
                        )
                if done:
                    self.message_user(
                        request,
                        ngettext(
                            "%(count)d refund requested.", "%(count)d refunds requested.", done
                        )
                        % {"count": done},
                        messages.SUCCESS,
                    )
                return None
        else:
            form = StaffRefundForm(currencies=currencies)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Refund payments"),
            "payments": payments,
            "form": form,
            "opts": self.model._meta,
            "action_name": "refund_payments",
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/payments/refund_form.html", context)


@admin.register(Refund)
class RefundAdmin(PaymentLink, RefundMoney, admin.ModelAdmin):
    list_display = (
        "id",
        "payment_link",
        "amount_display",
        "fee_refunded_display",
        "status",
        "reason",
        "requested_by",
        "created_at",
    )
    list_filter = ("status", ("created_at", admin.DateFieldListFilter))
    search_fields = ("=payment__booking__id", "payment__booking__client__email", "stripe_refund_id")
    list_select_related = ("payment", "requested_by")
    readonly_fields = fields = _shown_fields(
        Refund, {"amount": "amount_display", "application_fee_refunded": "fee_refunded_display"}
    )
    actions = ["resend"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Re-send pending refunds to the payment provider"))
    def resend(self, request, queryset):
        sent = 0
        for refund in queryset.filter(status=Refund.Status.PENDING, stripe_refund_id__isnull=True):
            refund = services.refund_send(refund_id=refund.pk)
            sent += 0 if refund.last_error else 1
        self.message_user(
            request,
            ngettext("%(count)d refund sent.", "%(count)d refunds sent.", sent) % {"count": sent},
        )


@admin.register(Dispute)
class DisputeAdmin(PaymentLink, DisputeMoney, admin.ModelAdmin):
    list_display = (
        "stripe_dispute_id",
        "payment_link",
        "amount_display",
        "reason",
        "status",
        "opened_at",
        "closed_at",
        "recovered_display",
    )
    list_filter = ("status", "reason", ("opened_at", admin.DateFieldListFilter))
    search_fields = ("=stripe_dispute_id", "=payment__booking__id")
    list_select_related = ("payment",)
    readonly_fields = fields = _shown_fields(
        Dispute, {"amount": "amount_display", "funds_recovered": "recovered_display"}
    )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ConnectedAccount)
class ConnectedAccountAdmin(admin.ModelAdmin):
    list_display = (
        "pro",
        "stripe_account_id",
        "status",
        "charges_enabled",
        "payouts_enabled",
        "is_simulated",
        "updated_at",
        "money_link",
    )  # "Details submitted" shows in the status ("Under review"); a laptop's width holds these
    list_filter = ("charges_enabled", "payouts_enabled", "is_simulated")
    search_fields = ("pro__display_name", "pro__user__email", "stripe_account_id")
    list_select_related = ("pro",)
    readonly_fields = (
        "pro",
        "stripe_account_id",
        "charges_enabled",
        "payouts_enabled",
        "details_submitted",
        "requirements_due",
        "is_simulated",
        "stripe_updated_at",
        "created_at",
        "updated_at",
    )

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("Status"))
    def status(self, obj):
        return obj.status_label

    @admin.display(description=_("Money"))
    def money_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:payments_pro_money", args=[obj.pro_id]),
            gettext("This month"),
        )


@admin.register(Payout)
class PayoutAdmin(AmountInCurrency, admin.ModelAdmin):
    """Payouts Timz recorded (the offline backend's); read-only like the other money rows.
    Also the staff's view of one pro's month (``money/<pro id>/?month=YYYY-MM``): the money
    page's figures, lines and payouts."""

    list_display = (
        "pro",
        "amount_display",
        "arrival_date",
        "status",
        "stripe_payout_id",
        "money_link",
    )
    list_filter = ("status", ("arrival_date", admin.DateFieldListFilter))
    search_fields = ("pro__display_name", "pro__user__email", "=stripe_payout_id")
    list_select_related = ("pro",)
    readonly_fields = [f.name for f in Payout._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("Money"))
    def money_link(self, obj):
        url = reverse("admin:payments_pro_money", args=[obj.pro_id])
        return format_html(
            '<a href="{}?month={}">{}</a>',
            url,
            obj.arrival_date.strftime("%Y-%m"),
            gettext("Month of this pro"),
        )

    def get_urls(self):
        money = path(
            "money/<int:pro_id>/",
            self.admin_site.admin_view(self.pro_money_view),
            name="payments_pro_money",
        )
        return [money, *super().get_urls()]

    def pro_money_view(self, request, pro_id: int):
        """One pro's month for staff, as the pro's money page shows it (read-only)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        pro = get_object_or_404(ProProfile.objects.select_related("user"), pk=pro_id)
        try:
            month = selectors.pro_month(pro=pro, month=request.GET.get("month") or None)
        except ValueError as exc:
            messages.error(request, str(exc))
            month = selectors.pro_month(pro=pro)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Money of %(pro)s, %(month)s")
            % {"pro": pro, "month": date_format(month.first_day, pattern("YEAR_MONTH_FORMAT"))},
            "pro": pro,
            "month": month,
            "zone": zone_of(pro.timezone),
            "earnings": selectors.earnings_for_month(pro=pro, month=month),
            "payouts": selectors.payouts_for_month(pro=pro, month=month),
        }
        return TemplateResponse(request, "admin/payments/pro_money.html", context)


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin):
    list_display = ("event_id", "type", "received_at", "processed_at", "has_error")
    list_filter = ("type", ("received_at", admin.DateFieldListFilter))
    search_fields = ("=event_id", "type")
    readonly_fields = [f.name for f in StripeEvent._meta.fields]

    @admin.display(boolean=True, description=_("Error"))
    def has_error(self, obj):
        return bool(obj.error)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(FeeRate)
class FeeRateAdmin(admin.ModelAdmin):
    """The platform fee on marketplace bookings. A change is a new rate from a given moment:
    bookings made before it keep the rate they were made under, so a rate in force is never
    edited or deleted (one not yet in force may be). Bookings through a pro's own link pay no
    fee, and tips never do."""

    list_display = ("effective_from", "percent", "fixed", "minimum", "in_force", "created_by")
    fields = ("percent", "fixed", "minimum", "effective_from", "note", "created_by", "created_at")
    readonly_fields = ("created_by", "created_at")

    def _started(self, obj) -> bool:
        return obj is not None and obj.pk is not None and obj.effective_from <= timezone.now()

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not self._started(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not self._started(obj)

    @admin.display(description=_("In force now"), boolean=True)
    def in_force(self, obj):
        current = selectors.fee_rate_at(timezone.now())
        return current is not None and current.effective_from == obj.effective_from

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(StripeCustomer)
class StripeCustomerAdmin(admin.ModelAdmin):
    """Clients' customers on the platform account (card on file)."""

    list_display = ("stripe_customer_id", "user", "created_at")
    search_fields = ("=stripe_customer_id", "user__email")
    list_select_related = ("user",)
    readonly_fields = ("user", "stripe_customer_id", "created_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SavedCard)
class SavedCardAdmin(admin.ModelAdmin):
    """The card each card-protected booking keeps for its no-show fee (read only)."""

    list_display = ("booking", "card", "status", "backend", "saved_at")
    list_filter = ("status", "backend")
    search_fields = ("=booking__id", "booking__client__email", "=payment_method_id")
    list_select_related = ("booking",)
    readonly_fields = [f.name for f in SavedCard._meta.fields]

    @admin.display(description=_("Card"))
    def card(self, obj):
        return obj.label or "—"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
