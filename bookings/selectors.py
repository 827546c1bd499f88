"""Reads of the booking domain. Querysets come with their joins applied (no N+1 by accident).

``free_slots`` loads everything the slot engine needs for a window in at most three SQL queries:
the pro's rules (none when the caller already holds them on ``pro.booking_rules``), the working
time (weekly hours UNION ALL the date overrides' intervals) and the blocked time (time off UNION
ALL the active bookings UNION ALL the live waitlist offers, which hold their time for their
client only, UNION ALL the busy times imported from the pro's own calendars). Everything is
converted to the engine's dataclasses and handed to the pure ``bookings.availability`` module.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import EmptyResultSet, ObjectDoesNotExist
from django.db import connections
from django.db.models import (
    Case,
    Count,
    DateField,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts import selectors as directory
from accounts.models import ProProfile, User
from accounts.timezones import parse_zone, zone_of
from bookings import availability, search, series
from bookings.models import (
    SERVICE_MAX_MINUTES,
    Booking,
    BookingRules,
    BookingSeries,
    BusyInterval,
    ClientNote,
    DateOverride,
    ExternalCalendar,
    RebookNudge,
    Review,
    Service,
    TimeOff,
    WaitlistEntry,
    WaitlistOffer,
    WeeklyHours,
)
from timz import prepared

# ---------------------------------------------------------------------------------------------
# Catalog, rules, schedule
# ---------------------------------------------------------------------------------------------


def booking_rules_for(pro: ProProfile) -> BookingRules:
    """The pro's rules: a read, at most one query, none when joined in or read before (the
    row is cached on the pro object). Every pro has one row, made with the pro
    (bookings.receivers)."""
    return pro.booking_rules


def pro_for_calendar_token(*, token: str) -> ProProfile:
    """The pro whose private calendar feed this token opens, else Http404."""
    rules = (
        BookingRules.objects.select_related("pro__user").filter(calendar_token=token).first()
        if token
        else None
    )
    if rules is None:
        raise Http404(_("No such calendar feed."))
    return rules.pro


def services_for_pro(*, pro: ProProfile, include_inactive: bool = False):
    qs = Service.objects.filter(pro=pro).select_related("pro").order_by("position", "id")
    if not include_inactive:
        qs = qs.filter(is_active=True)
    return qs


def service_get_for_pro(*, pro: ProProfile, pk) -> Service:
    """The pro's own service `pk`, active or not (with its pro); Http404 for anyone else's."""
    service = services_for_pro(pro=pro, include_inactive=True).filter(pk=pk).first()
    if service is None:
        raise Http404("No such service.")
    return service


def services_for_series(*, pro: ProProfile) -> list[Service]:
    """The pro's active services a standing appointment can be of: those not paid online
    (bookings.services.series). Two queries: the services and the pro's payment account."""
    offered = list(services_for_pro(pro=pro))
    for service in offered:
        service.pro = pro  # one payment-account look-up for them all
    return [service for service in offered if not service_pays_online(service)]


NOT_BOOKABLE = gettext_lazy("This service cannot be booked.")


def services_bookable() -> QuerySet[Service]:
    """The services a client can book: active, offered by a public pro."""
    return Service.objects.filter(is_active=True, pro__in=ProProfile.objects.public())


def service_get_bookable(*, service_id: int, pro_slug: str | None = None) -> Service:
    """The bookable service `service_id` (of the pro `pro_slug` when given), with `pro`,
    `pro.user`, `pro.booking_rules` and the pro's payment account joined (whether it is paid
    online: ``service_pays_online``); else Http404(NOT_BOOKABLE), whatever the reason
    (unknown, inactive, another pro's, a hidden or closed pro), so the answer reveals nothing."""
    try:
        pk = int(service_id)
    except (TypeError, ValueError):
        raise Http404(NOT_BOOKABLE) from None
    found = prepared.instances("bookings.service_bookable", _service_bookable, pk=pk)
    # The slug compared here as the database would (exact, case-sensitive): one compiled query
    # serves both the API (an id alone) and the booking pages (an id under a pro's URL).
    if not found or (pro_slug is not None and found[0].pro.slug != pro_slug):
        raise Http404(NOT_BOOKABLE)
    return found[0]


def _service_bookable(*, pk: int):
    # Compiled once per process (timz.prepared): the four joins cost ~2 ms to compile.
    return (
        services_bookable()
        .select_related("pro__user", "pro__booking_rules", "pro__connected_account")
        .filter(pk=pk)[:1]
    )


def service_pays_online(service: Service) -> bool:
    """Whether booking `service` now starts with an online payment (a payment hold): the
    service asks for it (the price, or a deposit) and its pro can take online payments. The
    flow's "Pay now" line and booking_create both ask here."""
    from payments.selectors import pro_accepts_online_payments

    asks = (
        service.payment_mode == Service.PaymentMode.ONLINE
        or service.protection == Service.Protection.DEPOSIT
    )
    return asks and pro_accepts_online_payments(service.pro)


def protection_policy(item: Service | Booking) -> str:
    """The no-show protection of a service (shown before booking) or of a booking (its snapshot),
    in one or two sentences; "" when there is none. The one wording, used by the pro page, the
    confirm step, the booking page and the confirmation email (``{% protection_policy %}``).

    Reads the pro's cancellation window (``booking_rules_for``: no query once joined).
    """
    from payments.fees import percent_of
    from timz.money import format_money

    if item.protection == Service.Protection.NONE:
        return ""  # the common case reads nothing more
    price, currency = item.price_amount, item.currency
    window = booking_rules_for(item.pro).cancellation_window_hours
    if isinstance(item, Service):
        deposit = item.deposit_due()
    else:
        deposit = item.deposit_amount if item.protection == Service.Protection.DEPOSIT else 0
    if item.protection == Service.Protection.DEPOSIT and deposit > 0:
        paid = _(
            "A deposit of %(deposit)s is paid when booking; the remaining %(rest)s is paid at "
            "the visit or online."
        ) % {
            "deposit": format_money(deposit, currency),
            "rest": format_money(price - deposit, currency),
        }
        if window:
            back = ngettext(
                "Cancel until %(hours)s hour before to get the deposit back.",
                "Cancel until %(hours)s hours before to get the deposit back.",
                window,
            ) % {"hours": window}
        else:
            back = _("Cancel before the start to get the deposit back.")
        return f"{paid} {back}"
    if item.protection == Service.Protection.CARD and item.no_show_fee_percent > 0:
        values = {
            "hours": window,
            "percent": item.no_show_fee_percent,
            "fee": format_money(
                percent_of(amount=price, percent=item.no_show_fee_percent), currency
            ),
        }
        if isinstance(item, Service) and window:
            text = ngettext(
                "Your card is saved when booking; if you miss the appointment or cancel later "
                "than %(hours)s hour before, the pro may charge %(percent)s%% (%(fee)s).",
                "Your card is saved when booking; if you miss the appointment or cancel later "
                "than %(hours)s hours before, the pro may charge %(percent)s%% (%(fee)s).",
                window,
            )
        elif isinstance(item, Service):
            text = _(
                "Your card is saved when booking; if you miss the appointment, the pro may "
                "charge %(percent)s%% (%(fee)s)."
            )
        elif window:
            text = ngettext(
                "Your card is saved; if you miss the appointment or cancel later than "
                "%(hours)s hour before, the pro may charge %(percent)s%% (%(fee)s).",
                "Your card is saved; if you miss the appointment or cancel later than "
                "%(hours)s hours before, the pro may charge %(percent)s%% (%(fee)s).",
                window,
            )
        else:
            text = _(
                "Your card is saved; if you miss the appointment, the pro may charge "
                "%(percent)s%% (%(fee)s)."
            )
        return text % values
    return ""


def service_saves_card(service: Service) -> bool:
    """Whether booking `service` now starts with saving a card (a payment hold, then Checkout
    in setup mode): card-on-file protection with a fee, a service paid at the appointment
    (one paid online needs no card), and a pro who can take online payments."""
    from payments.selectors import pro_accepts_online_payments

    return (
        service.protection == Service.Protection.CARD
        and service.no_show_fee_percent > 0
        and service.payment_mode == Service.PaymentMode.AT_APPOINTMENT
        and pro_accepts_online_payments(service.pro)
    )


def schedule_for_pro(*, pro: ProProfile) -> dict:
    """The pro's schedule for the schedule page.

    ``{"weekly": [(weekday, label, [WeeklyHours, ...]) for Monday..Sunday],
    "overrides": [DateOverride (with .intervals prefetched), ...] from today (pro's local date),
    "time_off": [TimeOff, ...] not yet over}``.
    """
    now = timezone.now()
    today = now.astimezone(parse_zone(pro.timezone)).date()
    hours = list(WeeklyHours.objects.filter(pro=pro).order_by("weekday", "start"))
    weekly = [
        (value, label, [h for h in hours if h.weekday == value])
        for value, label in WeeklyHours.Weekday.choices
    ]
    overrides = list(
        DateOverride.objects.filter(pro=pro, date__gte=today)
        .prefetch_related("intervals")
        .order_by("date")
    )
    time_off = list(TimeOff.objects.filter(pro=pro, ends_at__gt=now).order_by("starts_at"))
    return {"weekly": weekly, "overrides": overrides, "time_off": time_off}


# ---------------------------------------------------------------------------------------------
# Free slots
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EngineInput:
    tz: ZoneInfo
    weekly: list[availability.WeeklyHours]
    overrides: list[availability.DayOverride]
    time_off: list[availability.Interval]
    busy: list[availability.Interval]
    rules: availability.Rules

    def engine_kwargs(self) -> dict:
        """The pro's side of the engine's arguments."""
        return {
            "tz": self.tz,
            "weekly": self.weekly,
            "overrides": self.overrides,
            "time_off": self.time_off,
            "busy": self.busy,
            "rules": self.rules,
        }

    def with_horizon(self, days: int | None) -> EngineInput:
        """This data with the horizon `days` instead of the pro's (None: unchanged)."""
        if days is None:
            return self
        return dataclasses.replace(self, rules=dataclasses.replace(self.rules, horizon_days=days))

    def free_slots(
        self, *, duration_minutes: int, window_start: datetime, window_end: datetime, now
    ) -> list[datetime]:
        """The engine's free starts for this data (bookings.availability.free_slots)."""
        return availability.free_slots(
            **self.engine_kwargs(),
            duration_minutes=duration_minutes,
            window_start=window_start,
            window_end=window_end,
            now=now,
        )


def engine_rules(rules: BookingRules) -> availability.Rules:
    return availability.Rules(
        step_minutes=rules.slot_step_minutes,
        notice_minutes=rules.min_notice_minutes,
        horizon_days=rules.horizon_days,
        buffer_minutes=rules.buffer_minutes,
    )


def load_engine_input(
    *,
    pro: ProProfile,
    window_start: datetime,
    window_end: datetime,
    duration_minutes: int,
    exclude_booking_id: int | None = None,
    holder=None,
    now: datetime | None = None,
) -> EngineInput:
    """Everything the engine needs for starts in [window_start, window_end): <= 3 queries.

    Busy time is the pro's active bookings and the waitlist offers live at `now` (default: the
    clock), except those held for `holder` (the client asking: their own offer is free to them).
    The two queries of one pro are the same SQL every time: compiled once per process
    (``timz.prepared``), they cost what the database takes to run them.
    """
    return _load_one(
        pro=pro,
        window_start=window_start,
        window_end=window_end,
        duration_minutes=duration_minutes,
        exclude_booking_id=exclude_booking_id,
        holder=holder,
        now=now,
    )[0]


def load_engine_inputs(
    *,
    pros: list[ProProfile],
    window_start: datetime,
    window_end: datetime,
    duration_minutes: int,
    exclude_booking_id: int | None = None,
    holder=None,
    now: datetime | None = None,
) -> dict[int, EngineInput]:
    """What the engine needs for each pro, for starts in [window_start, window_end) of a service
    of up to `duration_minutes`: two queries whatever the number of pros (plus one per pro
    whose `booking_rules` were neither joined nor read before). Busy time: active bookings and
    waitlist offers live at `now`, except those held for `holder`, and the busy times of the
    pros' own calendars (BusyInterval)."""
    rules_of = {pro.pk: booking_rules_for(pro) for pro in pros}
    ids = list(rules_of)
    span = _EngineSpan.of(
        rules=rules_of.values(),
        window_start=window_start,
        window_end=window_end,
        duration_minutes=duration_minutes,
        now=now,
    )
    optional = {}
    if exclude_booking_id is not None:
        optional["exclude_booking_id"] = exclude_booking_id
    if holder is not None:
        optional["holder_id"] = holder.pk
    working = _raw_rows(_working_query(pro_ids=ids, **span.working()))
    blocked = _raw_rows(_blocked_query(pro_ids=ids, **span.blocked(), **optional))
    return _engine_inputs(pros, rules_of, working, blocked)


@dataclass(frozen=True, slots=True)
class _EngineSpan:
    """The bounds the two loader queries compare with, derived from a window of starts (the
    prepared queries take values as they are: they compute nothing)."""

    first_day: date  # override dates from (the window can touch any zone's dates, and the
    last_day: date  # day before for overnight hours)
    off_after: datetime  # time off ending after the window's start
    busy_after: datetime  # busy time ending after the window's start less the buffer
    busy_starts_after: datetime  # bookings starting after that less the longest service
    reach_end: datetime  # anything starting before the last start's end plus the buffer
    now: datetime

    @classmethod
    def of(cls, *, rules, window_start, window_end, duration_minutes, now) -> _EngineSpan:
        buffer = timedelta(minutes=max((r.buffer_minutes for r in rules), default=0))
        reach_end = window_end + timedelta(minutes=duration_minutes) + buffer
        return cls(
            # UTC offsets stay within a day: two days around covers every zone.
            first_day=window_start.astimezone(UTC).date() - timedelta(days=2),
            last_day=reach_end.astimezone(UTC).date() + timedelta(days=2),
            off_after=window_start,
            busy_after=window_start - buffer,
            # Implied by busy_after (no booking is longer than a service may be); it bounds the
            # (pro, status, starts_at) index scan on both sides instead of reading every past
            # booking.
            busy_starts_after=window_start - buffer - timedelta(minutes=SERVICE_MAX_MINUTES),
            reach_end=reach_end,
            now=now or timezone.now(),
        )

    def working(self) -> dict:
        return {"first_day": self.first_day, "last_day": self.last_day}

    def blocked(self) -> dict:
        return {
            "off_after": self.off_after,
            "busy_after": self.busy_after,
            "busy_starts_after": self.busy_starts_after,
            "reach_end": self.reach_end,
            "now": self.now,
        }


# The kinds of row of the blocked-time query.
_TIME_OFF, _BUSY, _CLIENT_BUSY, _HELD_FOR_CLIENT, _PRO_CALENDAR = 0, 1, 2, 3, 4


def _working_query(*, pro_ids, first_day, last_day) -> QuerySet:
    """Working time: weekly hours UNION ALL override intervals (LEFT JOIN: a closed override
    has no interval and comes back with NULL times)."""
    null_date = Value(None, output_field=DateField())
    weekly_q = (
        WeeklyHours.objects.filter(pro__in=pro_ids)
        .order_by()
        .values_list("pro_id", "weekday", null_date, "start", "end")
    )
    override_q = (
        DateOverride.objects.order_by()
        .filter(pro__in=pro_ids, date__range=(first_day, last_day))
        .values_list(
            "pro_id",
            Value(-1, output_field=IntegerField()),
            "date",
            "intervals__start",
            "intervals__end",
        )
    )
    return weekly_q.union(override_q, all=True).order_by()


def _blocked_query(
    *,
    pro_ids,
    off_after,
    busy_after,
    busy_starts_after,
    reach_end,
    now,
    exclude_booking_id=None,
    holder_id=None,
    client_id=None,
    client_starts=None,
    client_ends=None,
) -> QuerySet:
    """Blocked time: time off UNION ALL the pros' active bookings near the window UNION ALL the
    waitlist offers live at `now` (but those held for `holder_id`) UNION ALL the busy times of
    the pros' own calendars, as (pro, kind, start, end).

    With `client_id` (a booking's check, ``slot_check``) also that client's other active
    bookings overlapping [client_starts, client_ends) (any pro's, kind _CLIENT_BUSY), their own
    waitlist offers of these pros starting at client_starts (_HELD_FOR_CLIENT) and a row per
    calendar of the pros' own (_PRO_CALENDAR, no times)."""

    def kind(value):
        return Value(value, output_field=IntegerField())

    off_q = (
        TimeOff.objects.order_by()
        .filter(pro__in=pro_ids, starts_at__lt=reach_end, ends_at__gt=off_after)
        .values_list("pro_id", kind(_TIME_OFF), "starts_at", "ends_at")
    )
    busy_q = Booking.objects.order_by().filter(
        pro__in=pro_ids,
        status__in=Booking.ACTIVE_STATUSES,
        starts_at__lt=reach_end,
        ends_at__gt=busy_after,
        starts_at__gt=busy_starts_after,
    )
    if exclude_booking_id is not None:
        busy_q = busy_q.exclude(pk=exclude_booking_id)
    busy_q = busy_q.values_list("pro_id", kind(_BUSY), "starts_at", "ends_at")
    held_q = WaitlistOffer.objects.order_by().filter(
        pro__in=pro_ids,
        status=WaitlistOffer.Status.OFFERED,
        expires_at__gt=now,
        starts_at__lt=reach_end,
        ends_at__gt=busy_after,
    )
    if holder_id is not None:
        held_q = held_q.exclude(entry__client_id=holder_id)
    held_q = held_q.values_list("pro_id", kind(_BUSY), "starts_at", "ends_at")
    # The pros' own calendars (bookings.services.calendars): busy like a booking.
    calendar_q = (
        BusyInterval.objects.order_by()
        .filter(pro__in=pro_ids, starts_at__lt=reach_end, ends_at__gt=busy_after)
        .values_list("pro_id", kind(_BUSY), "starts_at", "ends_at")
    )
    parts = [busy_q, held_q, calendar_q]
    if client_id is not None:
        mine_q = Booking.objects.order_by().filter(
            client_id=client_id,
            status__in=Booking.ACTIVE_STATUSES,
            starts_at__lt=client_ends,
            ends_at__gt=client_starts,
        )
        if exclude_booking_id is not None:
            mine_q = mine_q.exclude(pk=exclude_booking_id)
        parts.append(mine_q.values_list("pro_id", kind(_CLIENT_BUSY), "starts_at", "ends_at"))
        # What bookings.services.waitlist_offer_redeem looks for (whatever its expiry).
        offered_q = WaitlistOffer.objects.order_by().filter(
            entry__client_id=client_id,
            pro__in=pro_ids,
            starts_at=client_starts,
            status=WaitlistOffer.Status.OFFERED,
        )
        parts.append(
            offered_q.values_list("pro_id", kind(_HELD_FOR_CLIENT), "starts_at", "ends_at")
        )
        no_time = Value(None, output_field=DateTimeField())
        parts.append(
            ExternalCalendar.objects.order_by()
            .filter(pro__in=pro_ids)
            .values_list("pro_id", kind(_PRO_CALENDAR), no_time, no_time)
        )
    return off_q.union(*parts, all=True).order_by()


def _engine_inputs(pros, rules_of, working, blocked) -> dict[int, EngineInput]:
    """The engine's input of each pro from the rows of the two queries (kinds _TIME_OFF and
    _BUSY; the client's rows of a booking check are read by ``slot_check``)."""
    ids = list(rules_of)
    weekly: dict[int, list[availability.WeeklyHours]] = {pk: [] for pk in ids}
    by_day: dict[int, dict[date, list]] = {pk: {} for pk in ids}
    for pro_id, weekday, day, start, end in working:
        if day is None:
            weekly[pro_id].append(availability.WeeklyHours(weekday, _time(start), _time(end)))
        else:
            intervals = by_day[pro_id].setdefault(_date(day), [])
            if start is not None:
                intervals.append((_time(start), _time(end)))
    time_off: dict[int, list[availability.Interval]] = {pk: [] for pk in ids}
    busy: dict[int, list[availability.Interval]] = {pk: [] for pk in ids}
    for pro_id, kind, starts_at, ends_at in blocked:
        if kind in (_TIME_OFF, _BUSY):
            interval = availability.Interval(_aware(starts_at), _aware(ends_at))
            (busy if kind == _BUSY else time_off)[pro_id].append(interval)
    return {
        pro.pk: EngineInput(
            tz=parse_zone(pro.timezone),
            weekly=weekly[pro.pk],
            overrides=[
                availability.DayOverride(day, tuple(iv)) for day, iv in by_day[pro.pk].items()
            ],
            time_off=time_off[pro.pk],
            busy=busy[pro.pk],
            rules=engine_rules(rules_of[pro.pk]),
        )
        for pro in pros
    }


def _load_one(
    *,
    pro: ProProfile,
    window_start: datetime,
    window_end: datetime,
    duration_minutes: int,
    exclude_booking_id: int | None = None,
    holder=None,
    now: datetime | None = None,
    client_ends: datetime | None = None,
) -> tuple[EngineInput, list[tuple]]:
    """load_engine_input of one pro through prepared queries (``timz.prepared``), and with
    `client_ends` the rows of `holder`'s own bookings and offers (``slot_check``)."""
    rules = booking_rules_for(pro)
    span = _EngineSpan.of(
        rules=[rules],
        window_start=window_start,
        window_end=window_end,
        duration_minutes=duration_minutes,
        now=now,
    )
    optional: dict = {}
    if exclude_booking_id is not None:
        optional["exclude_booking_id"] = exclude_booking_id
    if holder is not None:
        optional["holder_id"] = holder.pk
    if client_ends is not None:
        optional.update(client_id=holder.pk, client_starts=window_start, client_ends=client_ends)
    shape = "-".join(sorted(optional))

    def working_one(*, pro_id, **values):
        return _working_query(pro_ids=[pro_id], **values)

    def blocked_one(*, pro_id, **values):
        return _blocked_query(pro_ids=[pro_id], **values)

    working = prepared.rows("bookings.engine.working", working_one, pro_id=pro.pk, **span.working())
    blocked = prepared.rows(
        f"bookings.engine.blocked:{shape}",
        blocked_one,
        pro_id=pro.pk,
        **span.blocked(),
        **optional,
    )
    engine = _engine_inputs([pro], {pro.pk: rules}, working, blocked)[pro.pk]
    return engine, [row for row in blocked if row[1] not in (_TIME_OFF, _BUSY)]


def _raw_rows(qs) -> list[tuple]:
    """The rows of `qs` as the database driver hands them over, without Django's per-value
    converters: for a few thousand rows of a search those were most of the load's time. The
    loader reads the few types it needs with `_time`, `_date` and `_aware`."""
    try:
        sql, params = qs.query.get_compiler(using=qs.db).as_sql()
    except EmptyResultSet:
        return []
    with connections[qs.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _time(value) -> time:
    # SQLite hands back "HH:MM:SS[.ffffff]"; PostgreSQL a time.
    return time.fromisoformat(value) if isinstance(value, str) else value


def _date(value) -> date:
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    return value.date() if isinstance(value, datetime) else value


def _aware(value) -> datetime:
    # SQLite hands back "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC; PostgreSQL an aware datetime.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)
    return value


def local_window(*, start: date, days: int, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[local midnight of `start`, local midnight `days` later) in `tz`, as aware datetimes."""
    first = datetime.combine(start, datetime.min.time()).replace(tzinfo=tz)
    last = datetime.combine(start + timedelta(days=days), datetime.min.time()).replace(tzinfo=tz)
    return first, last


def free_slots(
    *,
    pro: ProProfile,
    service: Service,
    start: date,
    days: int,
    now: datetime | None = None,
    tz=None,
    holder=None,
) -> list[datetime]:
    """Free start times for `service` on the `days` local dates from `start`.

    Dates are local to `tz` (default: the pro's zone). Returns aware datetimes (in the pro's zone;
    format them in the viewer's zone). A waitlist offer held for `holder` counts as free.
    At most 3 SQL queries.
    """
    zone = parse_zone(tz or pro.timezone)
    window_start, window_end = local_window(start=start, days=days, tz=zone)
    now = now or timezone.now()
    data = load_engine_input(
        pro=pro,
        window_start=window_start,
        window_end=window_end,
        duration_minutes=service.duration_minutes,
        holder=holder,
        now=now,
    )
    return data.free_slots(
        duration_minutes=service.duration_minutes,
        window_start=window_start,
        window_end=window_end,
        now=now,
    )


def slot_is_free(
    *,
    pro: ProProfile,
    duration_minutes: int,
    starts_at: datetime,
    now: datetime,
    exclude_booking_id: int | None = None,
    holder=None,
    horizon_days: int | None = None,
) -> bool:
    """Whether `starts_at` is a free start for `holder` (a waitlist offer held for `holder`
    does not block them). `horizon_days` replaces the pro's horizon (a standing appointment
    reaches further, bookings.series.REACH_DAYS). Inside a booking's transaction, ``slot_check``
    asks this and the client's side in the same two queries."""
    data = load_engine_input(
        pro=pro,
        window_start=starts_at,
        window_end=starts_at + timedelta(microseconds=1),
        duration_minutes=duration_minutes,
        exclude_booking_id=exclude_booking_id,
        holder=holder,
        now=now,
    )
    data = data.with_horizon(horizon_days)
    return availability.is_slot_free(
        **data.engine_kwargs(), duration_minutes=duration_minutes, starts_at=starts_at, now=now
    )


@dataclass(frozen=True, slots=True)
class SlotCheck:
    """What a booking of [starts_at, ends_at) needs to know, read inside its transaction."""

    pro_free: bool  # a free start of the pro for this client (slot_is_free)
    client_free: bool  # no other active booking of the client overlaps it
    offer_held: bool  # the client holds an offered waitlist offer of this pro at this start
    pro_has_calendars: bool  # the pro keeps calendars of their own (calendars_unchecked)


def slot_check(
    *,
    pro: ProProfile,
    client,
    duration_minutes: int,
    starts_at: datetime,
    now: datetime,
    exclude_booking_id: int | None = None,
    horizon_days: int | None = None,
) -> SlotCheck:
    """``slot_is_free`` for `client` (as its holder), whether the client is free then (their
    active bookings but `exclude_booking_id`), whether they hold a waitlist offer of the pro
    at `starts_at` (what ``services.waitlist_offer_redeem`` books) and whether the pro keeps
    calendars of their own: two queries in all."""
    ends_at = starts_at + timedelta(minutes=duration_minutes)
    data, mine = _load_one(
        pro=pro,
        window_start=starts_at,
        window_end=starts_at + timedelta(microseconds=1),
        duration_minutes=duration_minutes,
        exclude_booking_id=exclude_booking_id,
        holder=client,
        now=now,
        client_ends=ends_at,
    )
    data = data.with_horizon(horizon_days)
    return SlotCheck(
        pro_free=availability.is_slot_free(
            **data.engine_kwargs(), duration_minutes=duration_minutes, starts_at=starts_at, now=now
        ),
        client_free=not any(kind == _CLIENT_BUSY for _, kind, _, _ in mine),
        offer_held=any(kind == _HELD_FOR_CLIENT for _, kind, _, _ in mine),
        pro_has_calendars=any(kind == _PRO_CALENDAR for _, kind, _, _ in mine),
    )


def free_slots_by_day(
    *,
    pro: ProProfile,
    service: Service,
    start: date,
    days: int,
    tz,
    now: datetime | None = None,
    holder=None,
) -> dict[date, list[datetime]]:
    """Free starts for each of `days` local dates in `tz`, in that zone (dates without a free
    start map to []). One load of the engine's data for the whole window."""
    zone = parse_zone(tz)
    by_day: dict[date, list[datetime]] = {start + timedelta(days=i): [] for i in range(days)}
    found = free_slots(
        pro=pro, service=service, start=start, days=days, now=now, tz=zone, holder=holder
    )
    for slot in found:
        local = slot.astimezone(zone)
        by_day.setdefault(local.date(), []).append(local)
    return by_day


def availability_search(
    *,
    window: search.Window,
    category: str | None = None,
    q: str = "",
    near: tuple[float, float] | None = None,
    km: float = 10,
    sort: str = "time",
    currency: str | None = None,
    now: datetime | None = None,
) -> list[search.Offer]:
    """Public pros of `category` matching `q` (and within `km` of `near`, or travelling that
    far) with their free starts in `window`, sorted (bookings.search has the rules; the price
    sort puts `currency`'s offers first).

    Four SQL queries whatever the number of pros: the pros (with category, rules and distance),
    their active services (`pro.active_services`: search.ServiceCard, in the pro's order),
    working time, blocked time."""
    pros_qs = directory.pros_matching(category=category, q=q)
    if near is not None:
        pros_qs = pros_qs.near(near[0], near[1], km, with_travel=True)
    pros = list(pros_qs.select_related("category", "booking_rules"))
    if not pros:
        return []
    cards: dict[int, list[search.ServiceCard]] = {pro.pk: [] for pro in pros}
    rows = (
        Service.objects.filter(is_active=True, pro__in=list(cards))
        .order_by("pro_id", "position", "id")
        .values_list(
            "pro_id",
            "id",
            "name",
            "duration_minutes",
            "price_amount",
            "currency",
            "protection",
            "deposit_amount",
            "deposit_percent",
            "no_show_fee_percent",
            "translations",
        )
    )
    for pro_id, *fields in rows:
        cards[pro_id].append(search.ServiceCard(*fields))
    for pro in pros:
        pro.active_services = cards[pro.pk]
    pros = [pro for pro in pros if pro.active_services]
    if not pros:
        return []
    now = now or timezone.now()
    window_start, window_end = window.bounds()
    longest = max(s.duration_minutes for pro in pros for s in pro.active_services)
    engine = load_engine_inputs(
        pros=pros,
        window_start=window_start,
        window_end=window_end,
        duration_minutes=longest,
        now=now,
    )
    offers = search.find_offers(
        candidates=(
            search.Candidate(
                pro=pro,
                services=pro.active_services,
                engine=engine[pro.pk],
                distance_km=getattr(pro, "distance_km", None),
            )
            for pro in pros
        ),
        window=window,
        terms=directory.search_terms(q),
        now=now,
    )
    return search.sort_offers(offers, sort, currency=currency)


# ---------------------------------------------------------------------------------------------
# Bookings
# ---------------------------------------------------------------------------------------------


def _booking_qs():
    return Booking.objects.select_related(
        "pro",
        "pro__user",
        "pro__booking_rules",
        "client",
        "client__client_profile",
        "client__pro_profile",  # User.display_name looks here first
        "service",
        "series",
    )


def booking_get_for_user(*, user, pk) -> Booking:
    """The booking if `user` is its client or its pro (staff may read any); else Http404."""
    if not getattr(user, "is_authenticated", False):
        raise Http404(_("No such booking."))
    # Its payments too: the payment box, the tip and the JSON read them from the prefetch.
    qs = _booking_qs().prefetch_related("events", "events__actor", "payments")
    if not user.is_staff:
        qs = qs.filter(Q(client=user) | Q(pro__user=user))
    try:
        return qs.get(pk=pk)
    except (Booking.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404(_("No such booking.")) from exc


def booking_as_created(booking: Booking) -> Booking:
    """The booking ``services.booking_create`` just returned, as its creation left it, ready
    for ``booking_json`` without reading it back: its events and payments are the rows the
    creation wrote (``booking.created_rows``), its pro, service and rules those it was made
    with. Only the client's name is read: one query (both profiles) instead of the four of
    ``booking_get_for_user``."""
    rows = booking.created_rows
    booking._prefetched_objects_cache = {  # type: ignore[attr-defined]
        "events": list(rows.events),
        "payments": list(rows.payments),
    }
    (booking.client,) = prepared.instances(
        "bookings.client_named", _user_with_profiles, pk=booking.client_id
    )
    return booking


def _user_with_profiles(*, pk: int):
    return User.objects.select_related("pro_profile", "client_profile").filter(pk=pk)


# The lists of bookings a person reads ("My bookings" tabs and ``GET /api/v1/bookings?scope=``):
# upcoming holds the time still to come, cancelled what never happened, past everything else.
SCOPES = ("upcoming", "past", "cancelled")
CANCELLED_STATUSES = (
    Booking.Status.CANCELLED,
    Booking.Status.DECLINED,
    Booking.Status.EXPIRED,
)


def _scope_q(scope: str, *, now: datetime) -> Q:
    upcoming = Q(status__in=Booking.ACTIVE_STATUSES, ends_at__gte=now)
    cancelled = Q(status__in=CANCELLED_STATUSES)
    if scope == "upcoming":
        return upcoming
    if scope == "cancelled":
        return cancelled
    if scope == "past":
        return ~upcoming & ~cancelled
    raise ValueError(f"scope must be one of: {', '.join(SCOPES)}.")


def bookings_in_scope(qs: QuerySet[Booking], *, scope: str, now: datetime) -> QuerySet[Booking]:
    """`qs` limited to one of SCOPES at `now`: upcoming soonest first, the others newest first.
    Raises ValueError for an unknown scope."""
    ordering = ("starts_at", "id") if scope == "upcoming" else ("-starts_at", "-id")
    return qs.filter(_scope_q(scope, now=now)).order_by(*ordering)


def scope_counts(qs: QuerySet[Booking], *, now: datetime) -> dict[str, int]:
    """How many bookings of `qs` each scope holds, in one query."""
    counts = qs.order_by().aggregate(
        **{scope: Count("pk", filter=_scope_q(scope, now=now)) for scope in SCOPES}
    )
    return {scope: counts[scope] or 0 for scope in SCOPES}


def booking_for_pair(*, client_id: int, pro_id: int, now: datetime) -> Booking | None:
    """The booking a client and a pro are most likely talking about, in one query: their
    soonest upcoming booking, else their latest one; None when they have none."""
    upcoming_start = Case(
        When(_scope_q("upcoming", now=now), then=F("starts_at")),
        default=Value(None),
        output_field=DateTimeField(),
    )
    return (
        Booking.objects.filter(client_id=client_id, pro_id=pro_id)
        .annotate(upcoming_start=upcoming_start)
        .order_by(F("upcoming_start").asc(nulls_last=True), "-starts_at", "-id")
        .first()
    )


def bookings_for_client(*, user):
    """The user's bookings as a client, newest start first."""
    return _booking_qs().filter(client=user).order_by("-starts_at", "-id")


def bookings_for_pro(
    *, pro: ProProfile, start: datetime | None = None, end: datetime | None = None
):
    """The pro's bookings overlapping [start, end) (either bound optional), by start time."""
    qs = _booking_qs().filter(pro=pro)
    if start is not None:
        qs = qs.filter(ends_at__gt=start)
    if end is not None:
        qs = qs.filter(starts_at__lt=end)
    return qs.order_by("starts_at", "id")


@dataclass(frozen=True)
class DaySummary:
    """The pro dashboard's agenda: today's bookings and the next 7 days' (active ones)."""

    today: list[Booking]
    week: list[Booking]  # tomorrow to 7 days later, on the pro's clock


# How many of the coming week's bookings the dashboard lists (the count is always complete).
WEEK_LIST_LIMIT = 8


def day_summary_for_pro(*, pro: ProProfile, now: datetime) -> DaySummary:
    """Today's and the next 7 days' active bookings of `pro`, days on the pro's clock. One
    query."""
    zone = zone_of(pro.timezone)
    today = now.astimezone(zone).date()
    start, end = local_window(start=today, days=8, tz=zone)
    tomorrow = local_window(start=today, days=1, tz=zone)[1]
    rows = list(
        bookings_for_pro(pro=pro, start=start, end=end).filter(status__in=Booking.ACTIVE_STATUSES)
    )
    return DaySummary(
        today=[b for b in rows if b.starts_at < tomorrow],
        week=[b for b in rows if b.starts_at >= tomorrow],
    )


def with_prepaid(queryset):
    """Annotate `is_prepaid`: the client has paid online for the booking (the agenda marks it)."""
    from payments.models import Payment  # payments builds on bookings; this is a read of it

    paid = Payment.objects.filter(booking=OuterRef("pk"), status__in=Payment.PAID_STATUSES)
    return queryset.annotate(is_prepaid=Exists(paid))


def pending_requests_for_pro(*, pro: ProProfile):
    """Requests waiting for the pro's answer, soonest first."""
    return (
        _booking_qs()
        .filter(pro=pro, status=Booking.Status.REQUESTED, starts_at__gt=timezone.now())
        .order_by("starts_at", "id")
    )


def bookings_for_api(
    *, user, role: str | None = None, status: str | None = None, scope: str | None = None
):
    """The caller's bookings (as client, as pro, or both) with events, for the JSON list;
    `scope` is one of SCOPES, as in bookings_in_scope."""
    if role == "client":
        qs = _booking_qs().filter(client=user)
    elif role == "pro":
        qs = _booking_qs().filter(pro__user=user)
    else:
        qs = _booking_qs().filter(Q(client=user) | Q(pro__user=user))
    if status:
        qs = qs.filter(status=status)
    qs = qs.prefetch_related("events", "events__actor", "payments").order_by("-starts_at", "-id")
    if scope:
        qs = bookings_in_scope(qs, scope=scope, now=timezone.now())
    return qs


# ---------------------------------------------------------------------------------------------
# A pro's clients
# ---------------------------------------------------------------------------------------------

CLIENT_HISTORY_MAX = 100  # visits listed on a client card (the counts cover them all)


def clients_for_pro(*, pro: ProProfile, q: str = "") -> QuerySet:
    """The people who booked `pro` (any status), most recently seen first, one query.

    Each user carries, over their bookings with this pro only: ``bookings_count``, ``visits``
    (completed), ``no_shows``, ``last_visit`` (start of the latest booking already begun, None
    when all lie ahead), ``next_visit`` (the next active booking), ``note_text`` (the pro's
    private note, "" when none) and ``nudged_at`` (the last "book again" email, or None).
    `q` keeps the clients whose name contains it.
    """
    now = timezone.now()
    mine = Q(client_bookings__pro=pro)
    note = ClientNote.objects.filter(pro=pro, client=OuterRef("pk")).values("text")[:1]
    nudge = (
        RebookNudge.objects.filter(pro=pro, client=OuterRef("pk"))
        .order_by("-sent_at", "-id")
        .values("sent_at")[:1]
    )
    qs = User.objects.filter(mine)
    terms = (q or "").split()[:5]
    for term in terms:
        qs = qs.filter(
            Q(client_profile__display_name__icontains=term)
            | Q(pro_profile__display_name__icontains=term)
        )
    status = "client_bookings__status"
    started = Q(client_bookings__starts_at__lte=now)
    return (
        qs.select_related("client_profile", "pro_profile")
        .annotate(
            bookings_count=Count("client_bookings", filter=mine),
            visits=Count("client_bookings", filter=mine & Q(**{status: Booking.Status.COMPLETED})),
            no_shows=Count("client_bookings", filter=mine & Q(**{status: Booking.Status.NO_SHOW})),
            last_visit=Max("client_bookings__starts_at", filter=mine & started),
            next_visit=Min(
                "client_bookings__starts_at",
                filter=mine & ~started & Q(**{f"{status}__in": Booking.ACTIVE_STATUSES}),
            ),
            note_text=Coalesce(Subquery(note), Value(""), output_field=TextField()),
            nudged_at=Subquery(nudge),
        )
        .order_by(F("last_visit").desc(nulls_last=True), "next_visit", "pk")
    )


def client_get_for_pro(*, pro: ProProfile, client_id) -> User:
    """One of `pro`'s clients (a User with clients_for_pro's figures), else Http404: someone
    who never booked this pro is nobody's business here."""
    try:
        return clients_for_pro(pro=pro).get(pk=client_id)
    except (ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise Http404(_("No such client.")) from exc


def client_spend(*, pro: ProProfile, client_ids) -> dict[int, list[tuple[str, int]]]:
    """What each client paid `pro` for completed visits, per currency in minor units:
    ``{client_id: [(currency, amount), ...]}`` sorted by currency; one query."""
    rows = (
        Booking.objects.filter(
            pro=pro, client_id__in=list(client_ids), status=Booking.Status.COMPLETED
        )
        .order_by()
        .values_list("client_id", "currency")
        .annotate(total=Sum("price_amount"))
        .order_by("client_id", "currency")
    )
    spend: dict[int, list[tuple[str, int]]] = {}
    for client_id, currency, total in rows:
        spend.setdefault(client_id, []).append((currency, total))
    return spend


def client_history(*, pro: ProProfile, client) -> list[Booking]:
    """The client's bookings with `pro`, newest first (at most CLIENT_HISTORY_MAX), one query."""
    return list(
        Booking.objects.filter(pro=pro, client=client)
        .select_related("review")
        .order_by("-starts_at", "-id")[:CLIENT_HISTORY_MAX]
    )


def client_nudges(*, pro: ProProfile, client, limit: int = 5):
    """The latest "book again" emails `pro` sent `client`, newest first."""
    return list(RebookNudge.objects.filter(pro=pro, client=client)[:limit])


# ---------------------------------------------------------------------------------------------
# Reviews
# ---------------------------------------------------------------------------------------------


def reviews_for_pro(*, pro: ProProfile, unanswered: bool = False) -> QuerySet:
    """`pro`'s reviews, newest first, with the booking and the author's profiles joined;
    `unanswered` keeps those still waiting for the pro's reply."""
    qs = Review.objects.filter(pro=pro).select_related(
        "booking", "author__client_profile", "author__pro_profile"
    )
    if unanswered:
        qs = qs.filter(reply="")
    return qs.order_by("-created_at", "-pk")


def review_counts_for_pro(*, pro: ProProfile) -> dict:
    """``{"total": n, "unanswered": n, "by_rating": {5: n, ..., 1: n}}`` in one query."""
    stars = {f"r{n}": Count("pk", filter=Q(rating=n)) for n in range(1, 6)}
    row = Review.objects.filter(pro=pro).aggregate(
        total=Count("pk"), unanswered=Count("pk", filter=Q(reply="")), **stars
    )
    return {
        "total": row["total"],
        "unanswered": row["unanswered"],
        "by_rating": {n: row[f"r{n}"] for n in range(5, 0, -1)},
    }


# ---------------------------------------------------------------------------------------------
# Waitlist
# ---------------------------------------------------------------------------------------------


def waitlist_for_client(*, user):
    """The client's waitlist entries, open ones first then the newest, each with its pro,
    service and category joined and its offers prefetched (newest first)."""
    open_first = Case(
        When(status__in=WaitlistEntry.OPEN_STATUSES, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return (
        WaitlistEntry.objects.filter(client=user)
        .select_related("pro", "service", "category")
        .prefetch_related("offers")
        .order_by(open_first, "date", "from_time", "-id")
    )


def waitlist_entry_get_for_user(*, user, pk) -> WaitlistEntry:
    """The waitlist entry if `user` is its client; else Http404 (staff use the admin)."""
    if not getattr(user, "is_authenticated", False):
        raise Http404(_("No such waitlist entry."))
    try:
        return waitlist_for_client(user=user).get(pk=pk)
    except (WaitlistEntry.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404(_("No such waitlist entry.")) from exc


def waitlist_offer_get_for_user(*, user, token: str) -> WaitlistOffer:
    """The waitlist offer with this token if `user` is the client it was made to; else Http404.
    The token alone opens nothing: the link in the email needs its client's login."""
    if not getattr(user, "is_authenticated", False) or not token:
        raise Http404(_("No such offer."))
    offer = (
        WaitlistOffer.objects.select_related("entry", "pro", "pro__user", "service")
        .filter(token=token, entry__client=user)
        .first()
    )
    if offer is None:
        raise Http404(_("No such offer."))
    return offer


# ---------------------------------------------------------------------------------------------
# Standing appointments (bookings.series)
# ---------------------------------------------------------------------------------------------

# How many days either side of a conflicting occurrence's date the preview offers other times
# on when its own date has none.
NEARBY_DAYS = 1


@dataclass(slots=True)
class SeriesSlot:
    """One occurrence in a series' preview.

    ``planned`` is its instant by the series' rule (None in a DST gap), ``starts_at`` the one
    that will be booked (``planned``, or the time the booker moved it to; None when dropped or
    still unresolved), ``conflict`` why ``starts_at`` cannot be booked ("" when it can), and
    ``alternatives`` the free starts on its date (or a day either side) to move it to, the
    nearest to its planned time first."""

    index: int
    local_date: date
    planned: datetime | None
    starts_at: datetime | None
    dropped: bool = False
    conflict: str = ""
    alternatives: list[datetime] = dataclasses.field(default_factory=list)

    @property
    def moved(self) -> bool:
        return self.starts_at is not None and self.starts_at != self.planned

    @property
    def bookable(self) -> bool:
        return not self.dropped and not self.conflict and self.starts_at is not None


def series_plan(*, pro: ProProfile, first_start: datetime, every_weeks: int, count: int):
    """The occurrences (bookings.series.Occurrence) of a series starting at `first_start`:
    the same wall clock in the pro's zone every `every_weeks` weeks."""
    zone = parse_zone(pro.timezone)
    local = first_start.astimezone(zone)
    return series.plan(
        first_date=local.date(),
        local_time=local.time().replace(tzinfo=None),
        tz=zone,
        every_weeks=every_weeks,
        count=count,
    )


def series_preview(
    *,
    client,
    service: Service,
    first_start: datetime,
    every_weeks: int,
    count: int,
    choices: dict[int, datetime | None] | None = None,
    by_pro: bool = False,
    now: datetime | None = None,
) -> list[SeriesSlot]:
    """Each occurrence of the series with what stands in its way, by the rules of a single
    booking (bookings.availability, with the series' reach instead of the pro's horizon) and
    the client's own bookings. `choices` maps an occurrence's index to the time the booker
    moved it to, or None for "don't book this one". Three queries plus the rules' one, whatever
    the count."""
    pro = service.pro
    now = now or timezone.now()
    zone = parse_zone(pro.timezone)
    choices = choices or {}
    occurrences = series_plan(
        pro=pro, first_start=first_start, every_weeks=every_weeks, count=count
    )
    span_start = local_window(
        start=occurrences[0].local_date - timedelta(days=NEARBY_DAYS + 1), days=1, tz=zone
    )[0]
    span_end = local_window(
        start=occurrences[-1].local_date + timedelta(days=NEARBY_DAYS + 1), days=1, tz=zone
    )[1]
    data = load_engine_input(
        pro=pro,
        window_start=span_start,
        window_end=span_end,
        duration_minutes=service.duration_minutes,
        holder=client,
        now=now,
    ).with_horizon(series.REACH_DAYS + 1)
    duration = timedelta(minutes=service.duration_minutes)
    mine = [
        availability.Interval(start, end)
        for start, end in Booking.objects.filter(
            client=client,
            status__in=Booking.ACTIVE_STATUSES,
            starts_at__lt=span_end,
            ends_at__gt=span_start,
        ).values_list("starts_at", "ends_at")
    ]

    def client_busy(start: datetime) -> bool:
        return any(b.start < start + duration and start < b.end for b in mine)

    def refusal(start: datetime | None) -> str:
        if start is None:
            return str(series.GAP_REASON)
        if client_busy(start):
            if by_pro:
                return _("The client already has another booking at that time.")
            return _("You already have another booking at that time.")
        if start <= now:
            return _("This time has passed.")
        free = availability.is_slot_free(
            **data.engine_kwargs(),
            duration_minutes=service.duration_minutes,
            starts_at=start,
            now=now,
        )
        if not free:
            return _("%(name)s is not available then (taken, time off or outside hours).") % {
                "name": pro.display_name
            }
        return ""

    def free_near(day: date, near: datetime) -> list[datetime]:
        """Free starts on `day`, else a day either side, nearest to `near` first."""
        found = _free_on_or_around(day)
        return sorted(found, key=lambda slot: (abs(slot - near), slot))

    def _free_on_or_around(day: date) -> list[datetime]:
        for days in [(day,)] + [
            (day - timedelta(days=d), day + timedelta(days=d)) for d in range(1, NEARBY_DAYS + 1)
        ]:
            found = []
            for each in days:
                first, last = local_window(start=each, days=1, tz=zone)
                found += [
                    slot
                    for slot in data.free_slots(
                        duration_minutes=service.duration_minutes,
                        window_start=first,
                        window_end=last,
                        now=now,
                    )
                    if not client_busy(slot)
                ]
            if found:
                return sorted(found)
        return []

    slots = []
    for occurrence in occurrences:
        slot = SeriesSlot(occurrence.index, occurrence.local_date, occurrence.planned_at, None)
        if occurrence.index in choices:
            slot.starts_at = choices[occurrence.index]
            slot.dropped = slot.starts_at is None
        else:
            slot.starts_at = occurrence.planned_at
        if not slot.dropped:
            slot.conflict = refusal(slot.starts_at)
        if slot.conflict or slot.moved or slot.dropped:
            near = occurrence.planned_at or datetime.combine(
                occurrence.local_date, occurrence.local_time, tzinfo=zone
            )
            slot.alternatives = free_near(occurrence.local_date, near)
        if slot.bookable:
            # Later occurrences (a moved one may come close) see this one as taken.
            taken = availability.Interval(slot.starts_at, slot.starts_at + duration)
            mine.append(taken)
            data = dataclasses.replace(data, busy=[*data.busy, taken])
        slots.append(slot)
    return slots


def series_get_for_user(*, user, pk) -> BookingSeries:
    """The series if `user` is its client or its pro (staff may read any); else Http404."""
    if not getattr(user, "is_authenticated", False):
        raise Http404(_("No such series."))
    qs = BookingSeries.objects.select_related("pro", "pro__user", "client", "service")
    if not user.is_staff:
        qs = qs.filter(Q(client=user) | Q(pro__user=user))
    try:
        return qs.get(pk=pk)
    except (BookingSeries.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404(_("No such series.")) from exc


def series_exists(*, pk) -> bool:
    """Whether a series `pk` exists at all (the API's 403 against 404)."""
    try:
        return BookingSeries.objects.filter(pk=int(pk)).exists()
    except (ValueError, TypeError):
        return False


def series_position(booking: Booking) -> dict | None:
    """Where `booking` stands in its series: ``{"series", "number", "count", "previous",
    "next", "following", "waiting"}`` (the neighbouring bookings by start, the active ones
    from this one on, the requests still waiting), or None for a booking of its own. One
    query (the series itself comes with the booking from booking_get_for_user)."""
    if booking.series_id is None:
        return None
    siblings = list(
        Booking.objects.filter(series_id=booking.series_id)
        .order_by("starts_at", "pk")
        .only("pk", "starts_at", "status", "series_id")
    )
    ids = [b.pk for b in siblings]
    at = ids.index(booking.pk)
    return {
        "series": booking.series,
        "number": at + 1,
        "count": len(siblings),
        "previous": siblings[at - 1] if at > 0 else None,
        "next": siblings[at + 1] if at + 1 < len(siblings) else None,
        "following": [b for b in siblings[at:] if b.status in Booking.ACTIVE_STATUSES],
        "waiting": sum(1 for b in siblings if b.status == Booking.Status.REQUESTED),
    }


# ---------------------------------------------------------------------------------------------
# A pro's own calendars (bookings.services.calendars)
# ---------------------------------------------------------------------------------------------


def calendars_for_pro(*, pro: ProProfile) -> QuerySet[ExternalCalendar]:
    """The pro's calendars, by name, each with ``busy_count`` (its stored busy times)."""
    return (
        ExternalCalendar.objects.filter(pro=pro)
        .annotate(busy_count=Count("busy_intervals"))
        .order_by("name", "id")
    )


def calendar_get_for_pro(*, pro: ProProfile, pk) -> ExternalCalendar:
    """The pro's calendar `pk`; Http404 for anyone else's (or none)."""
    calendar = (
        ExternalCalendar.objects.filter(pro=pro, pk=pk).select_related("pro__user").first()
        if isinstance(pk, int)
        else None
    )
    if calendar is None:
        raise Http404(_("No such calendar."))
    return calendar


def calendars_unchecked(
    *, pro: ProProfile, now: datetime, until: datetime | None = None
) -> list[ExternalCalendar]:
    """The pro's calendars whose busy times cannot be trusted at `now`: stale, failing or never
    synced (see ExternalCalendar.freshness), or, with `until` (a booking's end), whose stored
    busy times stop before it (``synced_until``). One query."""
    from bookings.services.calendars import stale_after

    limit = stale_after()
    return [
        c
        for c in ExternalCalendar.objects.filter(pro=pro)
        if c.freshness(now, stale_after=limit) != ExternalCalendar.Status.OK
        or (until is not None and (c.synced_until is None or c.synced_until < until))
    ]


def calendar_busy_overlaps(*, pro: ProProfile, starts_at: datetime, ends_at: datetime) -> bool:
    """Whether the pro's own calendars have them busy at some point in [starts_at, ends_at)."""
    return BusyInterval.objects.filter(
        pro=pro, starts_at__lt=ends_at, ends_at__gt=starts_at
    ).exists()
