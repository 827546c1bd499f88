"""Forms of the bookings pages. They validate input and convert it (money to minor units, local
wall-clock times to aware UTC); the writes themselves go through bookings.services.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time
from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext, pgettext_lazy

from accounts import geo
from accounts.forms import VersionsForm, version_field_name
from accounts.timezones import viewer_zone
from bookings import search
from bookings.availability import IntervalError, day_intervals
from bookings.models import BookingRules, Service
from bookings.services.clients import CLIENT_NOTE_MAX
from bookings.services.schedule import interval_message
from timz import money

SERVICE_IMAGE_MAX_SIDE = 1200
INTERVAL_ROWS_MIN = 3
NOTE_MAX = 1000
REASON_MAX = 500
REVIEW_MAX = 2000


class ServiceForm(VersionsForm):
    name = forms.CharField(max_length=120, label=pgettext_lazy("service", "Name"))
    description = forms.CharField(
        max_length=2000,
        required=False,
        label=gettext_lazy("Description"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    duration_minutes = forms.IntegerField(
        label=gettext_lazy("Duration (minutes)"),
        min_value=5,
        max_value=480,
        help_text=gettext_lazy("Between 5 and 480 minutes."),
    )
    price = forms.DecimalField(
        min_value=Decimal("0"),
        max_digits=9,
        decimal_places=3,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )
    image = forms.FileField(
        required=False,
        label=gettext_lazy("Picture"),
        help_text=gettext_lazy("JPEG, PNG or WebP, at most 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    payment_mode = forms.ChoiceField(
        label=gettext_lazy("Payment"),
        choices=Service.PaymentMode.choices,
        initial="at_appointment",
    )
    is_active = forms.BooleanField(
        label=gettext_lazy("Bookable (shown on your page)"), required=False, initial=True
    )
    # No-show protection: the fieldset of the form page; bookings.services.check_protection
    # holds the rule.
    protection = forms.ChoiceField(
        label=gettext_lazy("No-show protection"),
        choices=[
            ("none", pgettext_lazy("no-show protection", "Nothing")),
            ("deposit", gettext_lazy("A deposit, paid when booking")),
            (
                "card",
                gettext_lazy("A card on file, charged only after a no-show or a late cancellation"),
            ),
        ],
        initial="none",
        required=False,  # not sent (an older form, an API client): nothing
        widget=forms.RadioSelect,
    )
    deposit_kind = forms.ChoiceField(
        label=gettext_lazy("The deposit is"),
        choices=[
            ("amount", gettext_lazy("A fixed amount")),
            ("percent", gettext_lazy("A percentage of the price")),
        ],
        initial="amount",
        required=False,
        widget=forms.RadioSelect,
    )
    deposit_amount = forms.DecimalField(
        label=gettext_lazy("Deposit amount"),
        required=False,
        min_value=Decimal("0"),
        max_digits=9,
        decimal_places=3,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )
    deposit_percent = forms.IntegerField(
        label=gettext_lazy("Deposit (percent of the price)"),
        required=False,
        min_value=1,
        max_value=99,
        error_messages=dict.fromkeys(
            ("min_value", "max_value"),
            # Django fills in %(limit_value)s, so a percent sign is written "%%".
            gettext_lazy("The deposit must be between 1%% and 99%% of the price."),
        ),
    )
    no_show_fee_percent = forms.IntegerField(
        label=gettext_lazy("No-show fee (percent of the price)"),
        required=False,
        min_value=1,
        max_value=100,
        help_text=gettext_lazy("Charged to the saved card after a no-show or a late cancellation."),
        error_messages=dict.fromkeys(
            ("min_value", "max_value"),
            gettext_lazy("The no-show fee must be between 1%% and 100%% of the price."),
        ),
    )

    PROTECTION_FIELDS = ("protection", "deposit_kind", "deposit_amount", "deposit_percent")
    translated_fields = Service.TRANSLATED_FIELDS

    def __init__(self, *args, pro, currency: str, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.pro = pro
        self.currency = currency
        # Name and description are in the pro's content language; versions in the others.
        self.add_version_fields(
            content_language=pro.content_language if pro else settings.LANGUAGE_CODE,
            translations=None,
        )
        self.fields["price"].label = _("Price (%(currency)s)") % {"currency": currency}
        # One minor unit: "0.01" for EUR, "1" for JPY, "0.001" for KWD.
        self.fields["price"].widget.attrs["step"] = str(money.to_major(1, currency))
        self.fields["deposit_amount"].label = _("Deposit amount (%(currency)s)") % {
            "currency": currency
        }
        self.fields["deposit_amount"].widget.attrs["step"] = str(money.to_major(1, currency))

    @classmethod
    def initial_for(cls, service: Service) -> dict:
        versions = {
            version_field_name(name, code): text
            for code, texts in (service.translations or {}).items()
            for name, text in texts.items()
        }
        return {
            **versions,
            "name": service.name,
            "description": service.description,
            "duration_minutes": service.duration_minutes,
            "price": money.to_major(service.price_amount, service.currency),
            "payment_mode": service.payment_mode,
            "is_active": service.is_active,
            "protection": service.protection,
            "deposit_kind": "percent" if service.deposit_percent is not None else "amount",
            "deposit_amount": money.to_major(service.deposit_amount, service.currency)
            if service.deposit_amount is not None
            else None,
            "deposit_percent": service.deposit_percent,
            "no_show_fee_percent": service.no_show_fee_percent or None,
        }

    def clean_price(self):
        """The price in minor units of the pro's currency."""
        try:
            return money.to_minor(self.cleaned_data["price"], self.currency)
        except ValueError as exc:
            raise ValidationError(str(exc), code="precision") from exc

    def clean_payment_mode(self):
        """Allow "pay online" only while the pro can take charges (payments decides when)."""
        mode = self.cleaned_data["payment_mode"]
        if mode == Service.PaymentMode.ONLINE:
            from payments.selectors import online_payment_unavailable_reason

            reason = online_payment_unavailable_reason(self.pro)
            if reason:
                # The way out is one click away: the message links to the Payouts page.
                message = format_html(
                    '{} <a href="{}">{}</a>',
                    reason,
                    reverse("payments:get_paid"),
                    _("Open Payouts"),
                )
                raise ValidationError(message, code="online_unavailable")
        return mode

    def clean(self):
        """A price paid online must be one that Stripe can charge (KWD 1.230, not KWD 1.235;
        at least Stripe's minimum, EUR 0.50); the message names the rule it breaks."""
        cleaned = super().clean()
        self.cleaned_data["translations"] = self.cleaned_translations(
            content_language=self.base_language
        )
        price = cleaned.get("price")
        if price is not None and cleaned.get("payment_mode") == Service.PaymentMode.ONLINE:
            error = money.stripe_charge_error(price, self.currency)
            if error:
                self.add_error("price", ValidationError(error, code="not_chargeable"))
        self._clean_protection(cleaned)
        return cleaned

    def clean_deposit_amount(self):
        """The deposit in minor units of the service's currency (None when not given)."""
        amount = self.cleaned_data.get("deposit_amount")
        if amount is None:
            return None
        try:
            return money.to_minor(amount, self.currency)
        except ValueError as exc:
            raise ValidationError(str(exc), code="precision") from exc

    def clean_protection(self):
        return self.cleaned_data.get("protection") or "none"

    def _clean_protection(self, cleaned: dict) -> None:
        """Only the chosen kind's fields count; bookings.services.check_protection decides."""
        from bookings.services.catalog import check_protection

        protection = cleaned.get("protection")
        if protection != "deposit":
            cleaned["deposit_amount"] = cleaned["deposit_percent"] = None
            for name in ("deposit_amount", "deposit_percent"):
                self.errors.pop(name, None)
        elif cleaned.get("deposit_kind") == "percent":
            cleaned["deposit_amount"] = None
            self.errors.pop("deposit_amount", None)
        else:
            cleaned["deposit_percent"] = None
            self.errors.pop("deposit_percent", None)
        if protection != "card":
            cleaned["no_show_fee_percent"] = 0
            self.errors.pop("no_show_fee_percent", None)
        if protection is None or cleaned.get("price") is None or self.has_error("deposit_amount"):
            return
        if protection == "deposit":
            field = (
                "deposit_percent" if cleaned.get("deposit_kind") == "percent" else "deposit_amount"
            )
            if self.has_error(field):
                return  # its own message says what is wrong
            if cleaned.get(field) is None:
                self.add_error(field, ValidationError(_("Enter the deposit."), code="required"))
                return
        if protection == "card" and self.has_error("no_show_fee_percent"):
            return
        if protection == "card" and not cleaned.get("no_show_fee_percent"):
            self.add_error(
                "no_show_fee_percent",
                ValidationError(_("Enter the no-show fee."), code="required"),
            )
            return
        try:
            check_protection(
                pro=self.pro,
                price_amount=cleaned["price"],
                currency=self.currency,
                payment_mode=cleaned.get("payment_mode") or Service.PaymentMode.AT_APPOINTMENT,
                protection=protection,
                deposit_amount=cleaned.get("deposit_amount"),
                deposit_percent=cleaned.get("deposit_percent"),
                no_show_fee_percent=cleaned.get("no_show_fee_percent") or 0,
            )
        except ValidationError as exc:
            for field, errors in exc.error_dict.items():
                for error in errors:
                    if error.code == "online_unavailable":
                        # The way out is one click away: the message links to the Payouts page.
                        error = ValidationError(
                            format_html(
                                '{} <a href="{}">{}</a>',
                                " ".join(error.messages),
                                reverse("payments:get_paid"),
                                _("Get paid"),
                            ),
                            code=error.code,
                        )
                    self.add_error(field, error)

    def clean_image(self):
        upload = self.cleaned_data.get("image")
        if not upload:
            return upload  # None (nothing sent) or False (the "clear" box)
        from accounts.images import process_image  # written by the accounts work

        return process_image(upload, max_side=SERVICE_IMAGE_MAX_SIDE)

    def service_fields(self) -> dict:
        """Keyword arguments for service_create / service_update."""
        data = self.cleaned_data
        fields = {
            "name": data["name"],
            "description": data["description"],
            "translations": data["translations"],
            "duration_minutes": data["duration_minutes"],
            "price_amount": data["price"],
            "payment_mode": data["payment_mode"],
            "is_active": data["is_active"],
            "protection": data["protection"],
            "deposit_amount": data.get("deposit_amount"),
            "deposit_percent": data.get("deposit_percent"),
            "no_show_fee_percent": data.get("no_show_fee_percent") or 0,
        }
        if data.get("image"):
            fields["image"] = data["image"]
        elif data.get("image") is False:
            fields["image"] = ""
        return fields


# Every time on the pro's pages is written 24-hour, "HH:MM", as the badges show it: a text box
# rather than <input type="time">, whose display follows the browser's locale ("09:00 AM").
TIME_FORMATS = ["%H:%M", "%H.%M", "%H%M"]
TIME_PATTERN = r"([01]?[0-9]|2[0-3])[:.]?[0-5][0-9]"
TIME_INVALID = gettext_lazy("Enter a time as HH:MM on the 24-hour clock, e.g. 09:30 or 17:45.")


class Time24Input(forms.TimeInput):
    """A 24-hour "HH:MM" text box (numeric keyboard on phones)."""

    def __init__(self, attrs=None):
        defaults = {
            "inputmode": "numeric",
            "pattern": TIME_PATTERN,
            # Translators: the placeholder of a 24-hour time box (hours, then minutes).
            "placeholder": gettext_lazy("HH:MM"),
            "maxlength": "5",
            "size": "5",
            "autocomplete": "off",
            "class": "time-input",
        }
        super().__init__({**defaults, **(attrs or {})}, format="%H:%M")


class Time24Field(forms.TimeField):
    widget = Time24Input
    default_error_messages = {"invalid": TIME_INVALID}

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", TIME_FORMATS)
        super().__init__(**kwargs)


class IntervalsForm(forms.Form):
    """Any number of start/end rows (blank rows ignored), checked for overlaps; an end not after
    its start runs overnight (bookings.availability.day_intervals).

    Without JavaScript the page shows the existing rows plus spare blank ones; saving with more
    rows filled gives more spare rows next time.
    """

    def __init__(self, *args, intervals=(), rows: int | None = None, **kwargs):
        self.rows = max(rows or 0, len(intervals) + 1, INTERVAL_ROWS_MIN)
        initial = kwargs.pop("initial", None) or {}
        for i, (start, end) in enumerate(intervals):
            initial[f"start_{i}"] = start
            initial[f"end_{i}"] = end
        super().__init__(*args, initial=initial, **kwargs)
        if self.is_bound:
            # Accept as many rows as were posted (JS may add rows).
            marker = self.add_prefix("start_")
            posted = sum(1 for key in self.data if key.startswith(marker))
            self.rows = max(self.rows, min(posted, 24))
        for i in range(self.rows):
            self.fields[f"start_{i}"] = Time24Field(
                required=False, label=pgettext("time range", "From")
            )
            self.fields[f"end_{i}"] = Time24Field(
                required=False, label=pgettext("time range", "To")
            )

    def row_fields(self):
        return [(self[f"start_{i}"], self[f"end_{i}"]) for i in range(self.rows)]

    def posted_rows(self) -> list[tuple[str, str]]:
        """The rows as typed (bound form), for copying them to another day unchanged."""
        return [
            (self[f"start_{i}"].value() or "", self[f"end_{i}"].value() or "")
            for i in range(self.rows)
        ]

    def clean(self):
        cleaned = super().clean()
        intervals: list[tuple[time, time]] = []
        for i in range(self.rows):
            start, end = cleaned.get(f"start_{i}"), cleaned.get(f"end_{i}")
            if start is None and end is None:
                continue
            if start is None or end is None:
                if f"start_{i}" in self.errors or f"end_{i}" in self.errors:
                    continue
                self.add_error(f"start_{i}" if start is None else f"end_{i}", _("Give both times."))
                continue
            intervals.append((start, end))
        try:
            cleaned["intervals"] = day_intervals(intervals)
        except IntervalError as exc:
            raise ValidationError(interval_message(exc), code="intervals") from exc
        return cleaned


WORKING_WEEKDAYS = range(5)  # Monday-Friday, the targets of "Copy to all weekdays"


class WeekHoursForm:
    """The whole week's hours on one form: one IntervalsForm per weekday (prefix ``day-<n>``,
    0=Monday). Valid only when every day is; ``week`` is then {weekday: intervals}.

    ``copied(data, source=n)`` is the posted form with day n's rows, as typed, copied to
    Monday-Friday: the pro sees the result and saves it (the "Copy to all weekdays" button).
    """

    def __init__(self, data=None, *, weekly: dict[int, list[tuple[time, time]]] | None = None):
        weekly = weekly or {}
        self.is_bound = data is not None
        self.days = [
            IntervalsForm(data, prefix=f"day-{weekday}", intervals=weekly.get(weekday, []))
            for weekday in range(7)
        ]

    @classmethod
    def copied(cls, data, *, source: int) -> WeekHoursForm:
        bound = cls(data)
        rows = bound.days[source].posted_rows()
        copy = dict(data.items())
        for weekday in WORKING_WEEKDAYS:
            form = bound.days[weekday]
            for key in [k for k in copy if k.startswith(form.add_prefix(""))]:
                del copy[key]
            for i, (start, end) in enumerate(rows):
                copy[form.add_prefix(f"start_{i}")] = start
                copy[form.add_prefix(f"end_{i}")] = end
        return cls(copy)

    def is_valid(self) -> bool:
        valid = [form.is_valid() for form in self.days]  # every day, so each shows its errors
        return all(valid)

    @property
    def has_errors(self) -> bool:
        return any(form.errors for form in self.days)

    @property
    def week(self) -> dict[int, list[tuple[time, time]]]:
        return {weekday: form.cleaned_data["intervals"] for weekday, form in enumerate(self.days)}


class DateOverrideForm(IntervalsForm):
    day = forms.DateField(
        label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    closed = forms.BooleanField(label=gettext_lazy("Closed all day"), required=False)
    note = forms.CharField(max_length=120, required=False, label=gettext_lazy("Note (optional)"))

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def clean_day(self):
        day = self.cleaned_data["day"]
        if self.today and day < self.today:
            raise ValidationError(_("Pick today or a later date."), code="past")
        return day

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        if cleaned.get("closed"):
            cleaned["intervals"] = []
        elif not cleaned.get("intervals"):
            raise ValidationError(
                _("Give the special hours, or tick “Closed all day”."), code="empty"
            )
        return cleaned


class Split24DateWidget(forms.SplitDateTimeWidget):
    """A date box and a 24-hour "HH:MM" text box (Time24Input)."""

    def __init__(self, attrs=None):
        super().__init__(attrs, date_attrs={"type": "date"}, date_format="%Y-%m-%d")
        self.widgets[1] = Time24Input()


class Split24DateTimeField(forms.SplitDateTimeField):
    widget = Split24DateWidget
    default_error_messages = {
        **forms.SplitDateTimeField.default_error_messages,
        "invalid_time": TIME_INVALID,
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("input_time_formats", TIME_FORMATS)
        super().__init__(**kwargs)


class TimeOffForm(forms.Form):
    """Start and end entered as wall-clock date-times in the pro's zone; cleaned to aware UTC."""

    starts_at = Split24DateTimeField(label=pgettext_lazy("time off", "From"))
    ends_at = Split24DateTimeField(label=pgettext_lazy("time off", "Until"))
    reason = forms.CharField(
        max_length=120, required=False, label=gettext_lazy("Reason (optional)")
    )

    def __init__(self, *args, tz: zoneinfo.ZoneInfo, **kwargs):
        super().__init__(*args, **kwargs)
        self.tz = tz
        for name in ("starts_at", "ends_at"):
            label = self.fields[name].label
            self.fields[name].widget.widgets[1].attrs["aria-label"] = _(
                "%(label)s: time (HH:MM)"
            ) % {"label": label}
        self.fields["starts_at"].help_text = _("Date, then time (24-hour), in %(zone)s.") % {
            "zone": tz.key
        }

    def _aware(self, name):
        value: datetime = self.cleaned_data[name]
        # The form field made the wall-clock value aware in the active zone (UTC): undo that.
        naive = timezone.make_naive(value) if timezone.is_aware(value) else value
        return naive.replace(tzinfo=self.tz).astimezone(zoneinfo.ZoneInfo("UTC"))

    def clean_starts_at(self):
        return self._aware("starts_at")

    def clean_ends_at(self):
        return self._aware("ends_at")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("starts_at"), cleaned.get("ends_at")
        if start and end:
            if end <= start:
                self.add_error("ends_at", _("The end must be after the start."))
            elif end <= timezone.now():
                self.add_error("ends_at", _("This time off is already over."))
        return cleaned


class BookingRulesForm(forms.ModelForm):
    class Meta:
        model = BookingRules
        fields = [
            "confirmation_mode",
            "slot_step_minutes",
            "min_notice_minutes",
            "horizon_days",
            "buffer_minutes",
            "request_expiry_hours",
            "cancellation_window_hours",
            "late_cancellation_fee_percent",
            "reminder_hours",
        ]
        labels = {
            "confirmation_mode": gettext_lazy("Confirmation"),
            "slot_step_minutes": gettext_lazy("Time slot step (minutes)"),
            "min_notice_minutes": gettext_lazy("Minimum notice (minutes)"),
            "horizon_days": gettext_lazy("Booking horizon (days)"),
            "buffer_minutes": gettext_lazy("Buffer after each booking (minutes)"),
            "request_expiry_hours": gettext_lazy("Requests expire after (hours)"),
            "cancellation_window_hours": gettext_lazy(
                "Cancellation window (hours before the start)"
            ),
            "late_cancellation_fee_percent": gettext_lazy("Late cancellation fee (%)"),
            "reminder_hours": gettext_lazy("Reminder (hours before the start)"),
        }
        help_texts = {
            "confirmation_mode": gettext_lazy(
                "Instant: a booking is confirmed at once. Request: you accept or decline each "
                "booking."
            ),
            "slot_step_minutes": gettext_lazy(
                "Start times are offered every this many minutes (5–240)."
            ),
            "min_notice_minutes": gettext_lazy(
                "Clients cannot book a time that starts sooner than this."
            ),
            "horizon_days": gettext_lazy("How far ahead clients can book (1–365 days)."),
            "buffer_minutes": gettext_lazy("Free time kept after each appointment (0–240)."),
            "request_expiry_hours": gettext_lazy(
                "In request mode, an unanswered request lapses after this."
            ),
            "cancellation_window_hours": gettext_lazy(
                "Clients may cancel for free until this many hours before the start; later it "
                "is a late cancellation and rescheduling is closed."
            ),
            "late_cancellation_fee_percent": gettext_lazy(
                "Charged on late cancellations of paid-online bookings (0–100)."
            ),
            "reminder_hours": gettext_lazy(
                "Both sides get a reminder email this long before the start."
            ),
        }
        widgets = {"confirmation_mode": forms.RadioSelect}


class BookingNoteForm(forms.Form):
    start = forms.CharField(widget=forms.HiddenInput)
    note = forms.CharField(
        label=gettext_lazy("Note for the pro (optional)"),
        max_length=NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": NOTE_MAX}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["note"].help_text = ngettext(
            "At most %(max)d character.", "At most %(max)d characters.", NOTE_MAX
        ) % {"max": NOTE_MAX}


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=REASON_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": REASON_MAX}),
    )


def _star_choices() -> list[tuple[int, str]]:
    """5 stars .. 1 star, in the active language (a callable: read when the form is shown)."""
    return [
        (i, ngettext("%(count)d star", "%(count)d stars", i) % {"count": i})
        for i in range(5, 0, -1)
    ]


class ReviewForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=gettext_lazy("Rating"),
        choices=_star_choices,
        coerce=int,
        widget=forms.RadioSelect,
    )
    text = forms.CharField(
        label=gettext_lazy("Your review (optional)"),
        max_length=REVIEW_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": REVIEW_MAX}),
    )


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Your reply"),
        max_length=REVIEW_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": REVIEW_MAX}),
    )


class ClientSearchForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Search your clients"), max_length=100, required=False)


class ClientNoteForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Private note"),
        required=False,
        max_length=CLIENT_NOTE_MAX,
        help_text=gettext_lazy(
            "Only you see this: preferences, allergies, what you did last time."
        ),
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": CLIENT_NOTE_MAX}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def _weeks_choices() -> list[tuple[int, str]]:
    """1 week .. 12 weeks, in the active language (a callable: read when the form is shown)."""
    return [
        (n, ngettext("%(count)d week", "%(count)d weeks", n) % {"count": n})
        for n in (1, 2, 3, 4, 5, 6, 8, 10, 12)
    ]


class RebookNudgeForm(forms.Form):
    weeks = forms.TypedChoiceField(
        label=gettext_lazy("Invite to book again in"),
        coerce=int,
        choices=_weeks_choices,
        initial=4,
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class WaitlistJoinForm(forms.Form):
    """Join the waitlist: a pro's service (`pro` + `service`) or a search (`category`, `q`,
    and `lat`/`lng`/`km` together), a local date and a from/to window in the viewer's zone."""

    pro = forms.SlugField(required=False, widget=forms.HiddenInput)
    service = forms.IntegerField(required=False, min_value=1, max_value=2**62)
    category = forms.SlugField(required=False, widget=forms.HiddenInput)
    q = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)
    lat = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    lng = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)
    km = forms.IntegerField(required=False, min_value=1, max_value=500, widget=forms.HiddenInput)
    date = forms.DateField(
        label=gettext_lazy("Day"), widget=forms.DateInput(attrs={"type": "date"})
    )
    from_time = forms.TimeField(
        label=pgettext_lazy("time range", "From"),
        initial=time(9),
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    to_time = forms.TimeField(
        label=pgettext_lazy("time range", "To"),
        initial=time(18),
        widget=forms.TimeInput(attrs={"type": "time"}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("from_time"), cleaned.get("to_time")
        if start and end and not start < end:
            self.add_error("to_time", _("The window must end after it starts (on the same day)."))
        wants = cleaned.get("pro") or cleaned.get("category") or cleaned.get("q")
        if not wants and not self.has_error("date"):
            raise ValidationError(_("Say what you are waiting for: a pro, a category or words."))
        return cleaned


class FreeTimeSearchForm(forms.Form):
    """ "Find a free time" (GET): what, when, where, and the order. Bound to request.GET.

    `clean()` turns the fields into `self.search` (keyword arguments for
    bookings.selectors.availability_search) and `self.zone`; each mistake is an error on the
    field that caused it."""

    q = forms.CharField(
        required=False,
        max_length=100,
        label=gettext_lazy("Service"),
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": gettext_lazy("Haircut, massage…")}
        ),
    )
    category = forms.ChoiceField(required=False, label=gettext_lazy("Category"))
    when = forms.ChoiceField(
        required=False,
        label=gettext_lazy("Day"),
        choices=list(search.WHEN.items()),
        initial="today",
    )
    date = forms.CharField(
        required=False,
        max_length=10,
        label=gettext_lazy("Date"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    period = forms.ChoiceField(
        required=False,
        label=gettext_lazy("Time of day"),
        choices=[(key, label) for key, (label, _start, _end) in search.PERIODS.items()],
    )
    start = forms.CharField(
        required=False,
        max_length=8,
        label=pgettext_lazy("time range", "From"),
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    end = forms.CharField(
        required=False,
        max_length=8,
        label=pgettext_lazy("time range", "To"),
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    near = forms.CharField(
        required=False,
        max_length=120,
        label=gettext_lazy("Near"),
        widget=forms.TextInput(
            attrs={
                "list": "search-places",
                "placeholder": gettext_lazy("City"),
                "autocomplete": "off",
            }
        ),
    )
    km = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=geo.MAX_SEARCH_KM,
        label=gettext_lazy("Within (km)"),
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "placeholder": "10"}),
    )
    sort = forms.ChoiceField(
        required=False, label=gettext_lazy("Sort by"), choices=list(search.SORTS.items())
    )
    # Filled by static/js/search.js from the browser (Intl API) for visitors.
    tz = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    known_places = staticmethod(geo.city_names)

    def __init__(self, *args, categories, user=None, **kwargs):
        # Its own ids: the home page also holds the directory's form (id_q, id_category).
        kwargs.setdefault("auto_id", "free_%s")
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["category"].choices = [("", pgettext("category", "Any"))] + [
            (c.slug, c.name) for c in categories
        ]
        self.search: dict = {}
        self.zone = None

    def clean(self):
        data = super().clean()
        place = None
        km = data.get("km")
        if "near" in data and "km" not in self.errors:
            try:
                place, km = geo.parse_near(data["near"], km)
            except ValueError as exc:
                self.add_error("near", str(exc))
        try:
            self.zone = viewer_zone(
                self.user, requested=data.get("tz"), fallback=place.timezone if place else "UTC"
            )
        except ValueError:
            self.zone = viewer_zone(self.user, fallback=place.timezone if place else "UTC")
        try:
            window = search.parse_window(
                zone=self.zone,
                now=timezone.now(),
                when=data.get("when", ""),
                day=data.get("date", ""),
                period=data.get("period", ""),
                start=data.get("start", ""),
                end=data.get("end", ""),
            )
        except search.SearchError as exc:
            self.add_error(exc.field, str(exc))
            window = None
        sort = data.get("sort") or "time"
        if sort == "distance" and place is None and "near" not in self.errors:
            self.add_error("near", _("Choose a place to sort by distance."))
        if not self.errors:
            self.search = {
                "window": window,
                "category": data.get("category") or None,
                "q": data.get("q", ""),
                "near": (place.lat, place.lng) if place else None,
                "km": km,
                "sort": sort,
            }
        self.place = place
        return data


class ICSCalendarForm(forms.Form):
    """Connect a calendar by its secret iCalendar link (bookings.services.calendar_add)."""

    name = forms.CharField(
        max_length=100,
        initial=pgettext_lazy("calendar name", "Personal"),
        label=pgettext_lazy("calendar", "Name"),
    )
    url = forms.CharField(
        max_length=2000,
        label=gettext_lazy("Secret ICS link"),
        help_text=gettext_lazy(
            "Google: Settings → your calendar → “Secret address in iCal format”. iCloud: share "
            "the calendar publicly and copy the link. Outlook: Settings → Shared calendars → "
            "Publish → ICS."
        ),
        widget=forms.URLInput(attrs={"placeholder": "https://…/basic.ics", "inputmode": "url"}),
    )


class CalDAVCalendarForm(forms.Form):
    """Connect a CalDAV account or calendar (bookings.services.calendar_add)."""

    name = forms.CharField(
        max_length=100,
        initial=pgettext_lazy("calendar name", "Work"),
        label=pgettext_lazy("calendar", "Name"),
    )
    caldav_url = forms.CharField(
        max_length=2000,
        label=gettext_lazy("CalDAV address"),
        help_text=gettext_lazy(
            "The server’s address, or one calendar’s (e.g. https://caldav.icloud.com/)."
        ),
        widget=forms.URLInput(attrs={"placeholder": "https://", "inputmode": "url"}),
    )
    username = forms.CharField(
        max_length=200,
        label=gettext_lazy("User name"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    password = forms.CharField(
        max_length=500,
        label=gettext_lazy("App password"),
        help_text=gettext_lazy(
            "Make an app password for Timz in your account’s security settings; it is stored "
            "encrypted and used only to read busy times."
        ),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
