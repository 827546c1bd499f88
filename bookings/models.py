"""The booking domain's rows: services, booking rules, availability (weekly hours, date
overrides, time off), bookings with their events, and reviews.

Choice labels, help texts and validator messages are translated lazily (their English text is
what the migrations hold, so marking them changes no migration); ``__str__`` writes in the active
language where it has words (the admin shows it)."""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from accounts import content
from accounts.images import PictureField
from accounts.models import ProProfile
from bookings import availability
from bookings.series import every_label
from payments.fees import percent_of
from timz.formats import platform_datetime

currency_validator = RegexValidator(
    r"^[A-Z]{3}$", gettext_lazy("Use a three-letter ISO 4217 code, e.g. EUR.")
)


def service_image_path(instance, filename):
    return f"services/{filename}"


# The longest a service lasts; a booking lasts as long as its service (Booking.from_service),
# so no booking is longer either (the slot loader bounds its search for bookings with it).
SERVICE_MAX_MINUTES = 480


class Protection(models.TextChoices):
    """What protects a pro from a no-show, chosen per service and copied onto each booking."""

    NONE = "none", pgettext_lazy("no-show protection", "Nothing")
    DEPOSIT = "deposit", gettext_lazy("A deposit paid when booking")
    CARD = "card", gettext_lazy("A card on file for a no-show fee")


class Service(models.Model):
    class PaymentMode(models.TextChoices):
        AT_APPOINTMENT = "at_appointment", gettext_lazy("Pay at the appointment")
        ONLINE = "online", gettext_lazy("Pay online when booking")

    Protection = Protection

    pro = models.ForeignKey(ProProfile, on_delete=models.CASCADE, related_name="services")
    name = models.CharField(max_length=120)
    description = models.TextField(max_length=2000, blank=True)
    # The pro's versions of name and description in languages other than the pro's content
    # language ({"fr": {"name": ..., "description": ...}}; accounts.content).
    translations = models.JSONField(default=dict, blank=True)
    duration_minutes = models.PositiveIntegerField(
        validators=[MinValueValidator(5), MaxValueValidator(SERVICE_MAX_MINUTES)]
    )
    price_amount = models.PositiveIntegerField(help_text=gettext_lazy("In minor units (cents)."))
    currency = models.CharField(max_length=3, default="EUR", validators=[currency_validator])
    image = PictureField(upload_to=service_image_path, blank=True)
    is_active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)
    payment_mode = models.CharField(
        max_length=20, choices=PaymentMode.choices, default=PaymentMode.AT_APPOINTMENT
    )
    # No-show protection. A deposit is either a fixed amount (minor units) or a percentage of
    # the price, never both; a card on file lets the pro charge no_show_fee_percent of the price
    # after a no-show or a late cancellation.
    protection = models.CharField(
        max_length=10, choices=Protection.choices, default=Protection.NONE
    )
    deposit_amount = models.PositiveIntegerField(
        null=True, blank=True, help_text=gettext_lazy("In minor units.")
    )
    deposit_percent = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    no_show_fee_percent = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(100)]
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # What `translations` may hold, and the text in the reader's language (accounts.content).
    TRANSLATED_FIELDS = ("name", "description")
    localized_name = content.Localized("name")
    localized_description = content.Localized("description")

    class Meta:
        ordering = ["pro", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    duration_minutes__gte=5, duration_minutes__lte=SERVICE_MAX_MINUTES
                ),
                name="service_duration_range",
            ),
            models.CheckConstraint(
                condition=~models.Q(protection="deposit")
                | models.Q(deposit_amount__isnull=False, deposit_percent__isnull=True)
                | models.Q(deposit_amount__isnull=True, deposit_percent__isnull=False),
                name="service_deposit_amount_or_percent",
            ),
            models.CheckConstraint(
                condition=models.Q(no_show_fee_percent__lte=100)
                & (models.Q(deposit_percent__isnull=True) | models.Q(deposit_percent__lte=100)),
                name="service_percents_lte_100",
            ),
        ]
        indexes = [models.Index(fields=["pro", "is_active", "position"], name="service_pro_idx")]

    def __str__(self):
        return f"{self.name} ({self.pro})"

    def save(self, *args, **kwargs):
        self.translations = content.prune(self.translations)
        super().save(*args, **kwargs)

    def clean(self):
        """Versions: in a language other than the pro's content language (reads `pro`)."""
        try:
            self.translations = content.clean_translations(
                self.translations,
                fields=content.field_lengths(Service, self.TRANSLATED_FIELDS),
                content_language=self.pro.content_language,
            )
        except ValidationError as exc:
            raise ValidationError({"translations": exc.error_list}) from None

    def deposit_due(self) -> int:
        """The deposit a booking of this service pays when booking, in minor units (0 unless the
        service asks for one); never more than the price."""
        if self.protection != Protection.DEPOSIT:
            return 0
        if self.deposit_percent is not None:
            return percent_of(amount=self.price_amount, percent=self.deposit_percent)
        return min(self.deposit_amount or 0, self.price_amount)


def service_name_versions(service: Service) -> dict:
    """A booking's snapshot of the versions of its service's name: {"fr": {"service_name": ..}}."""
    return {
        code: {"service_name": texts["name"]}
        for code, texts in (service.translations or {}).items()
        if isinstance(texts, dict) and texts.get("name")
    }


class BookingRules(models.Model):
    """A pro's booking rules: one row per pro, created with the defaults with the pro."""

    class ConfirmationMode(models.TextChoices):
        INSTANT = "instant", gettext_lazy("Confirm bookings instantly")
        REQUEST = "request", gettext_lazy("Review each request")

    pro = models.OneToOneField(ProProfile, on_delete=models.CASCADE, related_name="booking_rules")
    slot_step_minutes = models.PositiveIntegerField(
        default=15, validators=[MinValueValidator(5), MaxValueValidator(240)]
    )
    min_notice_minutes = models.PositiveIntegerField(
        default=120, validators=[MaxValueValidator(60 * 24 * 30)]
    )
    horizon_days = models.PositiveIntegerField(
        default=60, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    buffer_minutes = models.PositiveIntegerField(default=0, validators=[MaxValueValidator(240)])
    confirmation_mode = models.CharField(
        max_length=10, choices=ConfirmationMode.choices, default=ConfirmationMode.INSTANT
    )
    request_expiry_hours = models.PositiveIntegerField(
        default=24, validators=[MinValueValidator(1), MaxValueValidator(24 * 14)]
    )
    cancellation_window_hours = models.PositiveIntegerField(
        default=24, validators=[MaxValueValidator(24 * 14)]
    )
    late_cancellation_fee_percent = models.PositiveIntegerField(
        default=0, validators=[MaxValueValidator(100)]
    )
    reminder_hours = models.PositiveIntegerField(
        default=24, validators=[MinValueValidator(1), MaxValueValidator(24 * 7)]
    )
    calendar_token = models.CharField(max_length=64, blank=True, db_index=True)

    class Meta:
        verbose_name_plural = gettext_lazy("booking rules")

    def __str__(self):
        return _("Rules for %(pro)s") % {"pro": self.pro}


class WeeklyHours(models.Model):
    """One working interval on a weekday, wall-clock time in the pro's zone."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, gettext_lazy("Monday")
        TUESDAY = 1, gettext_lazy("Tuesday")
        WEDNESDAY = 2, gettext_lazy("Wednesday")
        THURSDAY = 3, gettext_lazy("Thursday")
        FRIDAY = 4, gettext_lazy("Friday")
        SATURDAY = 5, gettext_lazy("Saturday")
        SUNDAY = 6, gettext_lazy("Sunday")

    pro = models.ForeignKey(ProProfile, on_delete=models.CASCADE, related_name="weekly_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        ordering = ["pro", "weekday", "start"]
        verbose_name_plural = gettext_lazy("weekly hours")
        constraints = [
            # end <= start runs overnight (bookings.availability); equal times mean nothing.
            models.CheckConstraint(
                condition=~models.Q(start=models.F("end")), name="weekly_start_is_not_end"
            ),
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="weekly_weekday_range"),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"

    @property
    def overnight(self) -> bool:
        return availability.overnight(self.start, self.end)


class DateOverride(models.Model):
    """Different hours on one local date; no intervals (is_closed) means closed that day."""

    pro = models.ForeignKey(ProProfile, on_delete=models.CASCADE, related_name="date_overrides")
    date = models.DateField()
    is_closed = models.BooleanField(default=False)
    note = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["pro", "date"]
        constraints = [
            models.UniqueConstraint(fields=["pro", "date"], name="override_one_per_date"),
        ]

    def __str__(self):
        if self.is_closed:
            return _("%(date)s (closed)") % {"date": self.date}
        return _("%(date)s (special hours)") % {"date": self.date}


class DateOverrideInterval(models.Model):
    override = models.ForeignKey(DateOverride, on_delete=models.CASCADE, related_name="intervals")
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        ordering = ["override", "start"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(start=models.F("end")), name="override_start_is_not_end"
            ),
        ]

    def __str__(self):
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    @property
    def overnight(self) -> bool:
        return availability.overnight(self.start, self.end)


class TimeOff(models.Model):
    """An absolute span (aware UTC) when the pro takes no bookings."""

    pro = models.ForeignKey(ProProfile, on_delete=models.CASCADE, related_name="time_off")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["pro", "starts_at"]
        verbose_name_plural = gettext_lazy("time off")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(starts_at__lt=models.F("ends_at")),
                name="timeoff_start_before_end",
            ),
        ]
        indexes = [models.Index(fields=["pro", "ends_at"], name="timeoff_pro_end_idx")]

    def __str__(self):
        return f"{platform_datetime(self.starts_at)} → {platform_datetime(self.ends_at)}"


class BookingSeries(models.Model):
    """A standing appointment: `count` bookings of one service, every `every_weeks` weeks, at
    the same wall-clock `local_time` in the pro's zone from `first_date` (bookings.series).

    Each occurrence is an ordinary Booking pointing here (``Booking.series``); an occurrence
    moved to another time before confirming keeps its place in the series.
    """

    EVERY_WEEKS_MAX = 12
    COUNT_MIN, COUNT_MAX = 2, 52

    client = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="booking_series"
    )
    pro = models.ForeignKey(ProProfile, on_delete=models.PROTECT, related_name="booking_series")
    service = models.ForeignKey(
        Service, on_delete=models.SET_NULL, null=True, blank=True, related_name="series"
    )
    every_weeks = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(EVERY_WEEKS_MAX)]
    )
    count = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(COUNT_MIN), MaxValueValidator(COUNT_MAX)]
    )
    # Wall clock in the pro's zone (`timezone`, kept so a later change of zone moves nothing).
    first_date = models.DateField()
    local_time = models.TimeField()
    timezone = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = gettext_lazy("booking series")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(every_weeks__gte=1, every_weeks__lte=12),
                name="series_every_weeks_range",
            ),
            models.CheckConstraint(
                condition=models.Q(count__gte=2, count__lte=52), name="series_count_range"
            ),
        ]

    def __str__(self):
        return ngettext(
            "Series #%(number)s: %(every)s, %(count)s time",
            "Series #%(number)s: %(every)s, %(count)s times",
            self.count,
        ) % {"number": self.pk, "every": every_label(self.every_weeks), "count": self.count}


class Booking(models.Model):
    """A client's booking of a pro's service. Status moves only through bookings.lifecycle."""

    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", pgettext_lazy("booking status", "Awaiting payment")
        REQUESTED = "requested", pgettext_lazy("booking status", "Requested")
        CONFIRMED = "confirmed", pgettext_lazy("booking status", "Confirmed")
        DECLINED = "declined", pgettext_lazy("booking status", "Declined")
        CANCELLED = "cancelled", pgettext_lazy("booking status", "Cancelled")
        COMPLETED = "completed", pgettext_lazy("booking status", "Completed")
        NO_SHOW = "no_show", pgettext_lazy("booking status", "No-show")
        EXPIRED = "expired", pgettext_lazy("booking status", "Expired")

    # Statuses that hold the time slot.
    ACTIVE_STATUSES = (Status.PENDING_PAYMENT, Status.REQUESTED, Status.CONFIRMED)

    class Source(models.TextChoices):
        """Who brought the client: decided once by booking_create, never changed after
        (``bookings.attribution``). A pro-link booking carries no platform fee."""

        MARKETPLACE = "marketplace", gettext_lazy("Timz marketplace")
        PRO_LINK = "pro_link", gettext_lazy("The pro's own link")

    client = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="client_bookings"
    )
    pro = models.ForeignKey(ProProfile, on_delete=models.PROTECT, related_name="bookings")
    service = models.ForeignKey(
        Service, on_delete=models.SET_NULL, null=True, blank=True, related_name="bookings"
    )
    # Snapshot of the service at booking time: later edits of the service never change it.
    service_name = models.CharField(max_length=120)
    # ... with the versions of its name in other languages ({"fr": {"service_name": ...}}).
    translations = models.JSONField(default=dict, blank=True, editable=False)
    duration_minutes = models.PositiveIntegerField()
    price_amount = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, db_index=True)
    note = models.TextField(max_length=1000, blank=True)
    is_late_cancellation = models.BooleanField(default=False)
    source = models.CharField(
        max_length=12, choices=Source.choices, default=Source.MARKETPLACE, editable=False
    )
    # Snapshot of the service's no-show protection (Service.deposit_due at booking time).
    protection = models.CharField(
        max_length=10, choices=Protection.choices, default=Protection.NONE
    )
    deposit_amount = models.PositiveIntegerField(
        default=0, help_text=gettext_lazy("In minor units.")
    )
    no_show_fee_percent = models.PositiveSmallIntegerField(default=0)
    # When a requested booking (or a payment hold) lapses if nobody acts.
    expires_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    # iCalendar SEQUENCE: bumped on every reschedule or cancellation so calendars update.
    sequence = models.PositiveIntegerField(default=0)
    # A standing appointment this booking is one occurrence of (bookings.series).
    series = models.ForeignKey(
        BookingSeries, on_delete=models.SET_NULL, null=True, blank=True, related_name="bookings"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(starts_at__lt=models.F("ends_at")),
                name="booking_start_before_end",
            ),
        ]
        indexes = [
            models.Index(fields=["pro", "status", "starts_at"], name="booking_pro_idx"),
            models.Index(fields=["client", "status", "starts_at"], name="booking_client_idx"),
            models.Index(fields=["status", "expires_at"], name="booking_expiry_idx"),
            # The free-time search reads every matching pro's bookings around one window.
            models.Index(fields=["starts_at"], name="booking_starts_idx"),
        ]

    localized_service_name = content.Localized("service_name")

    def __str__(self):
        return _("#%(number)s %(service)s at %(when)s (%(status)s)") % {
            "number": self.pk,
            "service": self.service_name,
            "when": platform_datetime(self.starts_at),
            "status": self.get_status_display().lower(),
        }

    @classmethod
    def from_service(cls, *, service: Service, client, starts_at: datetime, **fields) -> "Booking":
        """An unsaved booking of `service` by `client` at `starts_at`: the pro, the snapshot of
        the service (name, duration, price, currency) and the end come from the service;
        `fields` sets the rest (status, note, expires_at...). Checks nothing: booking_create
        is how a booking is made, this is how its row is built."""
        return cls(
            client=client,
            pro=service.pro,
            service=service,
            service_name=service.name,
            translations=service_name_versions(service),
            duration_minutes=service.duration_minutes,
            price_amount=service.price_amount,
            currency=service.currency,
            protection=service.protection,
            deposit_amount=service.deposit_due(),
            no_show_fee_percent=service.no_show_fee_percent,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=service.duration_minutes),
            **fields,
        )

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES


class BookingEvent(models.Model):
    """One row per status transition: who, which action (bookings.lifecycle; "create" for the
    first row), from, to, when, why; a reschedule also keeps the old and the new start."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_role = models.CharField(max_length=10)  # client, pro, staff or system
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    action = models.CharField(max_length=20, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    old_starts_at = models.DateTimeField(null=True, blank=True)
    new_starts_at = models.DateTimeField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["booking", "at", "id"]

    def __str__(self):
        return f"{self.from_status or '∅'} → {self.to_status}"


class Review(models.Model):
    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="review")
    pro = models.ForeignKey(ProProfile, on_delete=models.CASCADE, related_name="reviews")
    author = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="reviews_written"
    )
    rating = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    text = models.TextField(max_length=2000, blank=True)
    reply = models.TextField(max_length=2000, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__gte=1, rating__lte=5), name="review_rating_range"
            ),
        ]

    def __str__(self):
        return _("%(rating)s★ for %(pro)s") % {"rating": self.rating, "pro": self.pro}


class ClientNote(models.Model):
    """A pro's private note about one of their clients: only that pro ever reads it."""

    pro = models.ForeignKey(ProProfile, on_delete=models.CASCADE, related_name="client_notes")
    client = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    text = models.TextField(max_length=2000, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["pro", "client"], name="client_note_one_per_client"),
        ]

    def __str__(self):
        return _("Note of %(pro)s on client #%(client)s") % {
            "pro": self.pro,
            "client": self.client_id,
        }


class RebookNudge(models.Model):
    """One "book again in N weeks" email a pro sent a client (the log the client card reads)."""

    pro = models.ForeignKey(ProProfile, on_delete=models.CASCADE, related_name="rebook_nudges")
    client = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    weeks = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(52)]
    )
    # The local date (pro's zone) the email's link opens the booking calendar at.
    suggested_date = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        indexes = [
            models.Index(fields=["pro", "client", "-sent_at"], name="nudge_pro_client_idx"),
        ]

    def __str__(self):
        return ngettext(
            "Nudge from %(pro)s to client #%(client)s (%(weeks)s week)",
            "Nudge from %(pro)s to client #%(client)s (%(weeks)s weeks)",
            self.weeks,
        ) % {"pro": self.pro, "client": self.client_id, "weeks": self.weeks}


class WaitlistEntry(models.Model):
    """A client waiting for a time in a window: with one pro (and service), or search-wide.

    The window is a local date and wall-clock from/to times in the client's zone (``timezone``,
    stored with the entry so a later change of profile zone does not move it). A search-wide
    entry has no pro: it matches any public pro of its ``category`` and ``q`` (and, when set,
    within ``km`` of ``latitude``/``longitude``). Offers of a freed time go to the waiting
    entries first come, first served (bookings.services.waitlist).
    """

    class Status(models.TextChoices):
        WAITING = "waiting", pgettext_lazy("waitlist status", "Waiting")
        OFFERED = "offered", pgettext_lazy("waitlist status", "Time offered")
        BOOKED = "booked", pgettext_lazy("waitlist status", "Booked")
        EXPIRED = "expired", pgettext_lazy("waitlist status", "Expired")
        CANCELLED = "cancelled", pgettext_lazy("waitlist status", "Left the waitlist")

    # Statuses of an entry still on the waitlist.
    OPEN_STATUSES = (Status.WAITING, Status.OFFERED)

    client = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="waitlist_entries"
    )
    pro = models.ForeignKey(
        ProProfile, on_delete=models.CASCADE, null=True, blank=True, related_name="waitlist"
    )
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, null=True, blank=True, related_name="waitlist"
    )
    # Search-wide criteria (no pro).
    category = models.ForeignKey(
        "accounts.Category", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    q = models.CharField(max_length=100, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    km = models.PositiveIntegerField(null=True, blank=True)
    # The window, wall-clock in `timezone` (the client's zone when they joined).
    date = models.DateField()
    from_time = models.TimeField()
    to_time = models.TimeField()
    timezone = models.CharField(max_length=64)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.WAITING, db_index=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = gettext_lazy("waitlist entries")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(from_time__lt=models.F("to_time")),
                name="waitlist_from_before_to",
            ),
            models.CheckConstraint(
                condition=models.Q(pro__isnull=False)
                | models.Q(category__isnull=False)
                | ~models.Q(q=""),
                name="waitlist_pro_or_search",
            ),
        ]
        indexes = [models.Index(fields=["status", "date"], name="waitlist_status_date_idx")]

    def __str__(self):
        what = self.pro or self.q or self.category or _("a search")
        return _("%(client)s waiting for %(what)s on %(date)s %(start)s-%(end)s") % {
            "client": self.client,
            "what": what,
            "date": self.date,
            "start": f"{self.from_time:%H:%M}",
            "end": f"{self.to_time:%H:%M}",
        }

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class WaitlistOffer(models.Model):
    """A freed time offered to one waiting client, held for them until ``expires_at``.

    While an offer is live (status ``offered`` and not past ``expires_at``) the slot engine
    counts its time as busy for everyone but its client (bookings.selectors.load_engine_input).
    At most one live offer per pro and start time, whatever the concurrency: the partial unique
    constraint below backs the pro-row lock of bookings.services.waitlist.
    """

    class Status(models.TextChoices):
        OFFERED = "offered", pgettext_lazy("waitlist offer status", "Held for you")
        BOOKED = "booked", pgettext_lazy("waitlist offer status", "Booked")
        DECLINED = "declined", pgettext_lazy("waitlist offer status", "Declined")
        EXPIRED = "expired", pgettext_lazy("waitlist offer status", "Expired")

    HOLD_MINUTES = 15

    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="offers")
    pro = models.ForeignKey(ProProfile, on_delete=models.CASCADE, related_name="waitlist_offers")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="waitlist_offers")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    offered_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    token = models.CharField(max_length=64, unique=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.OFFERED, db_index=True
    )

    class Meta:
        ordering = ["-offered_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(starts_at__lt=models.F("ends_at")),
                name="waitlist_offer_start_before_end",
            ),
            models.UniqueConstraint(
                fields=["pro", "starts_at"],
                condition=models.Q(status="offered"),
                name="waitlist_one_live_offer_per_slot",
            ),
            models.UniqueConstraint(
                fields=["entry"],
                condition=models.Q(status="offered"),
                name="waitlist_one_live_offer_per_entry",
            ),
        ]
        indexes = [
            models.Index(fields=["pro", "status", "starts_at"], name="waitlist_offer_pro_idx"),
            models.Index(fields=["status", "expires_at"], name="waitlist_offer_expiry_idx"),
        ]

    def __str__(self):
        return _("Offer of %(when)s to %(client)s (%(status)s)") % {
            "when": f"{self.starts_at:%Y-%m-%d %H:%M}",
            "client": self.entry.client,
            "status": self.get_status_display(),
        }

    def is_live(self, now: datetime) -> bool:
        return self.status == self.Status.OFFERED and now < self.expires_at


class ExternalCalendar(models.Model):
    """One of a pro's own calendars (Google, iCloud, Outlook, any CalDAV server) whose busy times
    block the pro's free time. Fetched by bookings.services.calendars; only the busy times are
    kept (BusyInterval), never what the events are.

    ``status`` is the outcome of the last attempt; what pages and the booking check use is
    ``freshness(now)``, which also turns an old success stale.
    """

    class Kind(models.TextChoices):
        ICS = "ics", gettext_lazy("ICS link")
        CALDAV = "caldav", "CalDAV"

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("calendar status", "Not synced yet")
        OK = "ok", pgettext_lazy("calendar status", "Up to date")
        STALE = "stale", pgettext_lazy("calendar status", "Out of date")
        ERROR = "error", pgettext_lazy("calendar status", "Cannot be read")

    MAX_PER_PRO = 10

    pro = models.ForeignKey(ProProfile, on_delete=models.CASCADE, related_name="calendars")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # The address as a Fernet token (timz.crypto): a secret ICS link is itself a credential
    # (whoever has it reads the calendar). Pages show `host` only; the data export decrypts it.
    url_encrypted = models.TextField()
    host = models.CharField(max_length=253, blank=True)
    username = models.CharField(max_length=200, blank=True)
    # Fernet token (timz.crypto); never shown, never exported.
    password_encrypted = models.TextField(blank=True)
    # Validators of the last full ICS fetch, sent back as If-None-Match / If-Modified-Since.
    etag = models.CharField(max_length=200, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    last_error = models.CharField(max_length=500, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    # The busy times stored run up to here (the expansion window's end).
    synced_until = models.DateTimeField(null=True, blank=True)
    next_sync_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pro", "name", "id"]
        indexes = [models.Index(fields=["next_sync_at"], name="calendar_next_sync_idx")]

    def __str__(self):
        return _("%(name)s (%(kind)s) of %(pro)s") % {
            "name": self.name,
            "kind": self.get_kind_display(),
            "pro": self.pro,
        }

    def freshness(self, now: datetime, *, stale_after: timedelta) -> str:
        """``ok``, ``stale`` (no success for `stale_after`), ``error`` (the last attempt failed)
        or ``pending`` (never synced yet)."""
        if self.status == self.Status.ERROR:
            return self.Status.ERROR
        if self.last_synced_at is None:
            return self.Status.PENDING
        if now - self.last_synced_at > stale_after:
            return self.Status.STALE
        return self.Status.OK


class BusyInterval(models.Model):
    """A time the pro is busy in one of their own calendars: no title, only the times (aware
    UTC). Busy time for the slot engine and the booking check (load_engine_inputs)."""

    calendar = models.ForeignKey(
        ExternalCalendar, on_delete=models.CASCADE, related_name="busy_intervals"
    )
    # The calendar's pro, repeated so that the slot loader reads busy times by pro and time.
    pro = models.ForeignKey(ProProfile, on_delete=models.CASCADE, related_name="busy_intervals")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(starts_at__lt=models.F("ends_at")),
                name="busy_interval_start_before_end",
            ),
        ]
        indexes = [models.Index(fields=["pro", "starts_at"], name="busy_interval_pro_idx")]

    def __str__(self):
        return _("Busy %(start)s – %(end)s") % {
            "start": platform_datetime(self.starts_at),
            "end": platform_datetime(self.ends_at),
        }
