"""Admin of the booking domain.

A booking's status is read-only here: staff change it only through the admin actions below,
which call bookings.services.booking_transition as ``staff`` so that the lifecycle table, the
event row, the signal and the emails apply exactly as everywhere else.

Labels and messages are in the staff member's language; the reason an action writes on the
booking's event is a record both sides of the booking read, kept in the site's language like
every event reason.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.functional import lazy
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from bookings import lifecycle, services
from bookings.models import (
    Booking,
    BookingEvent,
    BookingRules,
    BookingSeries,
    BusyInterval,
    ClientNote,
    DateOverride,
    DateOverrideInterval,
    ExternalCalendar,
    RebookNudge,
    Review,
    Service,
    TimeOff,
    WaitlistEntry,
    WaitlistOffer,
    WeeklyHours,
)
from timz import money
from timz.money import format_money


class PriceInCurrency:
    """`price_amount` (minor units) written with its `currency`, as the site writes it."""

    @admin.display(description=gettext_lazy("Price"), ordering="price_amount")
    def price(self, obj):
        return format_money(obj.price_amount, obj.currency)


class ServiceAdminForm(forms.ModelForm):
    """The service's price typed in major units of its pro's currency ("35.50"), stored in
    minor units; the currency is the pro's (changed on the pro's profile page only)."""

    price = forms.DecimalField(
        min_value=0,
        label=gettext_lazy("Price"),
        help_text=gettext_lazy("In the pro's currency, e.g. 35.50."),
    )

    class Meta:
        model = Service
        fields = (
            "pro",
            "name",
            "description",
            "duration_minutes",
            "payment_mode",
            "image",
            "is_active",
            "position",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["price"] = money.to_major(
                self.instance.price_amount, self.instance.currency
            )

    def clean(self):
        cleaned = super().clean()
        pro = cleaned.get("pro")
        currency = pro.currency if pro else None
        if currency:
            self.instance.currency = currency
        price = cleaned.get("price")
        if price is not None and currency:
            try:
                self.instance.price_amount = money.to_minor(price, currency)
            except ValueError as exc:
                self.add_error("price", str(exc))
        return cleaned


@admin.register(Service)
class ServiceAdmin(PriceInCurrency, admin.ModelAdmin):
    form = ServiceAdminForm
    fields = (
        "pro",
        "name",
        "description",
        "duration_minutes",
        "price",
        "currency",
        "payment_mode",
        "image",
        "is_active",
        "position",
    )
    list_display = (
        "name",
        "pro",
        "duration_minutes",
        "price",
        "is_active",
        "payment_mode",
    )
    readonly_fields = ("currency",)
    list_filter = ("is_active", "currency", "payment_mode")
    search_fields = ("name", "pro__display_name")
    list_select_related = ("pro",)
    autocomplete_fields = ("pro",)


@admin.register(BookingRules)
class BookingRulesAdmin(admin.ModelAdmin):
    list_display = (
        "pro",
        "confirmation_mode",
        "slot_step_minutes",
        "min_notice_minutes",
        "horizon_days",
        "buffer_minutes",
        "cancellation_window_hours",
    )
    list_filter = ("confirmation_mode",)
    search_fields = ("pro__display_name",)
    list_select_related = ("pro",)
    readonly_fields = ("calendar_token",)
    autocomplete_fields = ("pro",)


@admin.register(WeeklyHours)
class WeeklyHoursAdmin(admin.ModelAdmin):
    list_display = ("pro", "weekday", "start", "end")
    list_filter = ("weekday",)
    search_fields = ("pro__display_name",)
    list_select_related = ("pro",)
    autocomplete_fields = ("pro",)


class DateOverrideIntervalInline(admin.TabularInline):
    model = DateOverrideInterval
    extra = 0


@admin.register(DateOverride)
class DateOverrideAdmin(admin.ModelAdmin):
    list_display = ("pro", "date", "is_closed", "note")
    list_filter = ("is_closed",)
    date_hierarchy = "date"
    search_fields = ("pro__display_name", "note")
    list_select_related = ("pro",)
    inlines = [DateOverrideIntervalInline]
    autocomplete_fields = ("pro",)


@admin.register(DateOverrideInterval)
class DateOverrideIntervalAdmin(admin.ModelAdmin):
    """Mostly edited inline on the date override; listed for search and completeness."""

    list_display = ("override", "start", "end")
    search_fields = ("override__pro__display_name",)
    list_select_related = ("override", "override__pro")
    autocomplete_fields = ("override",)


@admin.register(TimeOff)
class TimeOffAdmin(admin.ModelAdmin):
    list_display = ("pro", "starts_at", "ends_at", "reason")
    search_fields = ("pro__display_name", "reason")
    list_select_related = ("pro",)
    autocomplete_fields = ("pro",)


class BookingEventInline(admin.TabularInline):
    model = BookingEvent
    extra = 0
    can_delete = False
    fields = ("at", "actor", "actor_role", "from_status", "to_status", "reason")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def _staff_reason(action: str) -> str:
    """The event's reason where the table wants one from staff: who did it ("Cancelled by Timz
    staff."), in the site's language (a record; see the module docstring)."""
    if not lifecycle.reason_required(action, lifecycle.STAFF):
        return ""
    with translation.override(settings.LANGUAGE_CODE):
        return f"{str(lifecycle.past_tense(action)).capitalize()} by Timz staff."


def _action_description(action: str) -> str:
    return _("%(action)s (as staff) for the selected bookings") % {
        "action": lifecycle.action_label(action)
    }


def _transition_action(action: str):
    """An admin action applying `action` as staff to each selected booking the table allows.

    Where the table wants a reason from staff, the event says who did it (``_staff_reason``).
    """
    reason = _staff_reason(action)

    def run(modeladmin, request, queryset):
        done, refused = 0, []
        for booking in queryset.select_related("pro", "client"):
            try:
                services.booking_transition(
                    booking=booking, action=action, by=request.user, reason=reason
                )
                done += 1
            except ValidationError as exc:
                refused.append(f"#{booking.pk}: {' '.join(exc.messages)}")
        if done:
            modeladmin.message_user(
                request,
                ngettext("%(count)s booking updated.", "%(count)s bookings updated.", done)
                % {"count": done},
                messages.SUCCESS,
            )
        if refused:
            modeladmin.message_user(
                request,
                _("Not allowed now — %(refusals)s") % {"refusals": "; ".join(refused)},
                messages.WARNING,
            )

    run.__name__ = f"staff_{action}"
    # Lazy: the admin reads it per request, in the staff member's language.
    run.short_description = lazy(_action_description, str)(action)
    run.allowed_permissions = ("change",)
    return run


@admin.register(Booking)
class BookingAdmin(PriceInCurrency, admin.ModelAdmin):
    list_display = (
        "id",
        "starts_at",
        "status",
        "pro",
        "client_email",
        "service_name",
        "price",
    )
    list_filter = ("status",)
    date_hierarchy = "starts_at"
    search_fields = ("=id", "client__email", "pro__display_name")
    list_select_related = ("pro", "client")
    inlines = [BookingEventInline]
    readonly_fields = (
        "status",
        "client",
        "pro",
        "service",
        "service_name",
        "duration_minutes",
        "price",
        "starts_at",
        "ends_at",
        "is_late_cancellation",
        "expires_at",
        "reminder_sent_at",
        "sequence",
        "created_at",
        "updated_at",
        "allowed_staff_actions",
    )
    fields = (*readonly_fields[:-1], "note", "allowed_staff_actions")
    # One per action a button takes that the table gives to staff.
    actions = [
        _transition_action(action)
        for action in lifecycle.actions_for(lifecycle.STAFF)
        if action in lifecycle.BUTTON_ACTIONS
    ]

    def has_add_permission(self, request):
        # Bookings are made through the booking flow (slot checks, events, emails).
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("Client"), ordering="client__email")
    def client_email(self, obj):
        return obj.client.email

    @admin.display(description=gettext_lazy("Staff may now"))
    def allowed_staff_actions(self, obj):
        found = lifecycle.open_actions(booking=obj, role=lifecycle.STAFF, now=timezone.now())
        return ", ".join(lifecycle.action_label(action) for action in found) or "—"


@admin.register(BookingEvent)
class BookingEventAdmin(admin.ModelAdmin):
    list_display = ("booking_ref", "at", "actor_role", "action", "to_status", "short_reason")
    list_filter = ("actor_role", "action", "to_status")
    search_fields = ("=booking__id", "reason")
    list_select_related = ("booking",)

    @admin.display(description=gettext_lazy("booking"), ordering="booking_id")
    def booking_ref(self, obj):
        return f"#{obj.booking_id} {Truncator(obj.booking.service_name).chars(24)}"

    @admin.display(description=gettext_lazy("reason"))
    def short_reason(self, obj):
        # The full text is on the event's page; a long reason ("Moved from … to …") would
        # push the list past a laptop's width.
        return Truncator(obj.reason).chars(40)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ("pro", "rating", "author", "created_at", "replied_at")
    list_filter = ("rating",)
    search_fields = ("pro__display_name", "author__email", "text")
    list_select_related = ("pro", "author")
    readonly_fields = ("booking", "pro", "author", "created_at", "replied_at")


class WaitlistOfferInline(admin.TabularInline):
    model = WaitlistOffer
    extra = 0
    can_delete = False
    fields = ("starts_at", "service", "status", "offered_at", "expires_at")
    readonly_fields = fields
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that only bookings.services write: staff read them to answer a question."""

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(ReadOnlyAdmin):
    """Entries and offers move through bookings.services (joining, leaving, offers) only."""

    list_display = ("client", "pro", "service", "q", "date", "from_time", "to_time", "status")
    list_filter = ("status",)
    search_fields = ("client__email", "pro__display_name", "q")
    list_select_related = ("client", "pro", "service")
    date_hierarchy = "date"
    inlines = [WaitlistOfferInline]


@admin.register(WaitlistOffer)
class WaitlistOfferAdmin(ReadOnlyAdmin):
    list_display = ("starts_at", "pro", "service", "entry", "status", "expires_at")
    list_filter = ("status",)
    search_fields = ("pro__display_name", "entry__client__email")
    list_select_related = ("pro", "service", "entry__client")
    exclude = ("token",)  # the offer link's secret stays out of staff screens

    def get_readonly_fields(self, request, obj=None):
        return [f for f in super().get_readonly_fields(request, obj) if f != "token"]


@admin.register(ClientNote)
class ClientNoteAdmin(ReadOnlyAdmin):
    """A pro's private note: written by the pro only (bookings.services.client_note_set)."""

    list_display = ("pro", "client", "updated_at")
    search_fields = ("pro__display_name", "client__email")
    list_select_related = ("pro", "client")


@admin.register(RebookNudge)
class RebookNudgeAdmin(ReadOnlyAdmin):
    list_display = ("pro", "client", "weeks", "suggested_date", "sent_at")
    search_fields = ("pro__display_name", "client__email")
    list_select_related = ("pro", "client")


@admin.register(BookingSeries)
class BookingSeriesAdmin(ReadOnlyAdmin):
    """Standing appointments: made and cancelled through bookings.services.series only."""

    list_display = ("pk", "client", "pro", "service", "every_weeks", "count", "first_date")
    search_fields = ("pro__display_name", "client__email")
    list_select_related = ("client", "pro", "service")
    date_hierarchy = "first_date"


@admin.register(ExternalCalendar)
class ExternalCalendarAdmin(ReadOnlyAdmin):
    """A pro's own calendar: the pro connects and removes it; staff see its sync state. The
    address (an ICS link's path is its secret) and the password stay out of staff screens."""

    list_display = ("name", "pro", "kind", "status", "last_synced_at", "last_attempt_at")
    list_filter = ("kind", "status")
    search_fields = ("pro__display_name", "name")
    list_select_related = ("pro",)
    exclude = ("url", "password_encrypted", "etag", "last_modified")

    def get_readonly_fields(self, request, obj=None):
        return [f for f in super().get_readonly_fields(request, obj) if f not in self.exclude]


@admin.register(BusyInterval)
class BusyIntervalAdmin(ReadOnlyAdmin):
    list_display = ("starts_at", "ends_at", "pro", "calendar")
    search_fields = ("pro__display_name",)
    list_select_related = ("pro", "calendar")
