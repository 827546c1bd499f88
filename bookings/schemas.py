"""JSON shapes of the bookings API v1 (see bookings.api) and the builder of a booking's JSON."""

from __future__ import annotations

from datetime import date, datetime, time

from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import ConfigDict

from accounts.schemas import VERSIONS_DESCRIPTION, ProOut, ServiceOut, pro_json, service_json
from bookings import lifecycle
from bookings.models import Booking
from payments.selectors import (
    card_summary_for,
    no_show_fee_summary_for,
    payment_summary_for,
    tip_summary_for,
)
from timz.schemas import Id, WholeNumber


class SlotsOut(Schema):
    pro: str
    service: int
    timezone: str
    slots: list[str]


class AvailabilityResultOut(Schema):
    pro: ProOut
    service: ServiceOut
    distance_km: float | None = Field(description="From `near`, in km; null without a place")
    slots: list[str] = Field(description="Free start times, ISO 8601 with the offset of `tz`")


class AvailabilityOut(Schema):
    count: int
    timezone: str
    results: list[AvailabilityResultOut]


def availability_json(request, offers) -> list[dict]:
    return [
        {
            "pro": pro_json(request, offer.pro),
            "service": service_json(offer.service),
            "distance_km": round(offer.distance_km, 2) if offer.distance_km is not None else None,
            "slots": [slot.isoformat() for slot in offer.slots],
        }
        for offer in offers
    ]


class ServiceRef(Schema):
    id: int | None
    name: str
    duration_minutes: int


class ProRef(Schema):
    slug: str
    display_name: str


class ClientRef(Schema):
    display_name: str


class Money(Schema):
    amount: int
    currency: str


class EventOut(Schema):
    model_config = ConfigDict(populate_by_name=True)

    at: str
    actor: str = Field(description="client, pro, staff or system")
    from_: str = Field(alias="from")
    to: str
    reason: str


class DepositOut(Schema):
    amount: int
    status: str = Field(description="due, succeeded (paid), refunded or partially_refunded")


class BalanceOut(Schema):
    amount: int = Field(description="The price less the deposit")
    status: str = Field(
        description="due (at the visit, or online before it), succeeded, refunded, "
        "partially_refunded, or none (the booking ended without it being paid online)"
    )
    checkout_url: str | None = Field(
        None, description="For the client while their balance checkout is open"
    )


class PaymentOut(Schema):
    """What is paid online when booking (the price, or the deposit); ``BookingOut.payment`` is
    None for a booking paid at the appointment."""

    status: str = Field(
        description="due until paid, then succeeded, partially_refunded or refunded; "
        "failed or expired for a booking that ended unpaid"
    )
    amount: int
    fee: int | None = Field(description="Platform fee; only for the pro and staff")
    refunded: int
    currency: str
    checkout_url: str | None = Field(description="For the client while payment is due")
    deposit: DepositOut | None = Field(None, description="Only for a booking with a deposit")
    balance: BalanceOut | None = Field(None, description="Only for a booking with a deposit")


class TipOut(Schema):
    """The client's tip after the visit (``BookingOut.tip`` is None when there is none). The
    pro receives all of it: the platform takes no fee on a tip."""

    amount: int
    currency: str
    status: str
    refunded: int
    checkout_url: str | None = Field(description="For the client while the tip is pending")


class CardOut(Schema):
    """The card saved for a card-protected booking (``BookingOut.card``; None otherwise)."""

    status: str = Field(description="missing, pending, saved, expired or removed")
    label: str = Field(description='e.g. "Visa ending 4242"')
    brand: str
    last4: str


class NoShowFeeOut(Schema):
    """A card-protected booking's no-show or late-cancellation fee (None otherwise)."""

    amount: int
    currency: str
    percent: int
    status: str | None = Field(description="The latest charge's payment status; None until one")
    platform_fee: int | None = Field(description="Only for the pro and staff")
    failure_message: str = Field(description="Why the card was declined; only for the pro")
    can_charge: bool = Field(description="Whether the caller (the booking's pro) may charge now")
    awaits_client: bool = Field(description="The bank wants the client to confirm the charge")
    pay_url: str | None = Field(description="For the client while the bank waits for them")


class BookingOut(Schema):
    id: int
    status: str
    service: ServiceRef
    pro: ProRef
    client: ClientRef
    starts_at: str
    ends_at: str
    price: Money
    allowed_actions: list[str]
    events: list[EventOut]
    payment: PaymentOut | None = None
    tip: TipOut | None = None
    card: CardOut | None = None
    no_show_fee: NoShowFeeOut | None = None


class BookingIn(Schema):
    service: Id
    starts_at: datetime
    note: str = ""


class SeriesIn(Schema):
    """A standing appointment: `service` every `every_weeks` weeks (1-12), `count` times
    (2-52), at the wall clock of `starts_at` in the pro's zone."""

    service: Id
    starts_at: datetime
    every_weeks: WholeNumber
    count: WholeNumber
    note: str = ""


class SeriesOut(Schema):
    id: int
    bookings: list[BookingOut]
    conflicts: list[str] = Field(
        description="Occurrences not booked: their planned start, ISO 8601 (a local time "
        "without an offset when it does not exist that day, in a DST gap)."
    )


class SeriesCancelIn(Schema):
    model_config = ConfigDict(populate_by_name=True)

    from_: Id = Field(alias="from", description="The first booking to cancel.")
    reason: str = ""


class SeriesCancelOut(Schema):
    id: int
    cancelled: list[BookingOut]


class ActionIn(Schema):
    reason: str = ""
    starts_at: datetime | None = None


class ReviewIn(Schema):
    rating: WholeNumber
    text: str = ""


class ReviewOut(Schema):
    id: int
    booking: int
    rating: int
    text: str
    reply: str
    created_at: str


class WaitlistIn(Schema):
    """A pro's waitlist (`pro` and `service`) or a search-wide one (`category` and/or `q`,
    and `lat`/`lng`/`km` together), for the window `date` `from`-`to` in `timezone` (default:
    the caller's zone)."""

    model_config = ConfigDict(populate_by_name=True)

    pro: str | None = Field(None, description="A pro's slug.")
    service: Id | None = Field(None, description="One of the pro's services (with `pro`).")
    category: str | None = Field(None, description="A category slug (search-wide).")
    q: str = Field("", description="Search words (search-wide).")
    lat: float | None = None
    lng: float | None = None
    km: WholeNumber | None = Field(None, description="Distance from lat/lng (search-wide).")
    date: date
    from_: time = Field(alias="from", description="Wall-clock start of the window.")
    to: time = Field(description="Wall-clock end of the window (same day).")
    timezone: str | None = Field(None, description="IANA zone of the window.")


class WaitlistOfferOut(Schema):
    starts_at: str
    ends_at: str
    expires_at: str
    url: str = Field(description="The offer's page: book the held time or let it go.")


class WaitlistOut(Schema):
    model_config = ConfigDict(populate_by_name=True)

    id: int
    status: str = Field(description="waiting, offered, booked, expired or cancelled")
    pro: str | None
    service: int | None
    category: str | None
    q: str
    km: int | None
    date: str
    from_: str = Field(alias="from")
    to: str
    timezone: str
    offer: WaitlistOfferOut | None = Field(description="The time held for the caller now")


def waitlist_json(entry, *, now: datetime) -> dict:
    """An entry's JSON. Expects the entry from bookings.selectors.waitlist_for_client."""
    from bookings.emails import offer_url

    live = next((o for o in entry.offers.all() if o.is_live(now)), None)
    return {
        "id": entry.pk,
        "status": entry.status,
        "pro": entry.pro.slug if entry.pro_id else None,
        "service": entry.service_id,
        "category": entry.category.slug if entry.category_id else None,
        "q": entry.q,
        "km": entry.km,
        "date": entry.date.isoformat(),
        "from": entry.from_time.strftime("%H:%M"),
        "to": entry.to_time.strftime("%H:%M"),
        "timezone": entry.timezone,
        "offer": {
            "starts_at": iso(live.starts_at),
            "ends_at": iso(live.ends_at),
            "expires_at": iso(live.expires_at),
            "url": offer_url(live),
        }
        if live
        else None,
    }


def iso(value: datetime) -> str:
    return value.isoformat()


def booking_json(booking: Booking, *, user, now: datetime) -> dict:
    """The issue's booking JSON. Expects the booking from a bookings.selectors queryset."""
    return {
        "id": booking.pk,
        "status": booking.status,
        "service": {
            "id": booking.service_id,
            "name": booking.localized_service_name,
            "duration_minutes": booking.duration_minutes,
        },
        "pro": {"slug": booking.pro.slug, "display_name": booking.pro.display_name},
        "client": {"display_name": booking.client.display_name},
        "starts_at": iso(booking.starts_at),
        "ends_at": iso(booking.ends_at),
        "price": {"amount": booking.price_amount, "currency": booking.currency},
        "allowed_actions": lifecycle.allowed_actions(booking=booking, user=user, now=now),
        "events": [
            {
                "at": iso(event.at),
                "actor": event.actor_role,
                "from": event.from_status,
                "to": event.to_status,
                "reason": event.reason,
            }
            for event in booking.events.all()
        ],
        "payment": payment_summary_for(booking=booking, viewer=user),
        "tip": tip_summary_for(booking=booking, viewer=user),
        "card": card_summary_for(booking=booking),
        "no_show_fee": no_show_fee_summary_for(booking=booking, viewer=user),
    }


def review_json(review) -> dict:
    return {
        "id": review.pk,
        "booking": review.booking_id,
        "rating": review.rating,
        "text": review.text,
        "reply": review.reply,
        "created_at": iso(review.created_at),
    }


# A pro's clients and reviews (GET/PATCH /me/clients, GET /me/reviews) ----------------------------


class ClientVisitOut(Schema):
    id: int
    service: str
    starts_at: str
    status: str
    price: Money


class ClientOut(Schema):
    id: int = Field(description="The client's user id")
    display_name: str
    bookings: int = Field(description="Bookings with you, any status")
    visits: int = Field(description="Completed bookings")
    no_shows: int
    last_visit: str | None = Field(description="Start of the latest booking already begun")
    next_visit: str | None = Field(description="Start of the next active booking")
    spend: list[Money] = Field(description="Completed bookings' prices, per currency")
    notes: str = Field(description="Your private note (only you see it)")
    nudged_at: str | None = Field(description="When you last invited them to book again")


class ClientDetailOut(ClientOut):
    history: list[ClientVisitOut] = Field(description="Newest first, at most 100")


class ClientPage(Schema):
    count: int
    results: list[ClientOut]


class ClientNotesIn(Schema):
    notes: str = Field(max_length=2000)


class ProReviewOut(ReviewOut):
    author: str
    service: str
    visit_starts_at: str
    replied_at: str | None


class ProReviewPage(Schema):
    count: int
    average: float | None
    unanswered: int
    results: list[ProReviewOut]


def _iso_or_none(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def client_json(client, *, spend: list[tuple[str, int]], history=None) -> dict:
    """A client from bookings.selectors.clients_for_pro (with its figures), its spend from
    client_spend and, for the detail, its history from client_history."""
    data = {
        "id": client.pk,
        "display_name": client.display_name,
        "bookings": client.bookings_count,
        "visits": client.visits,
        "no_shows": client.no_shows,
        "last_visit": _iso_or_none(client.last_visit),
        "next_visit": _iso_or_none(client.next_visit),
        "spend": [{"amount": amount, "currency": currency} for currency, amount in spend],
        "notes": client.note_text,
        "nudged_at": _iso_or_none(client.nudged_at),
    }
    if history is not None:
        data["history"] = [
            {
                "id": b.pk,
                "service": b.localized_service_name,
                "starts_at": iso(b.starts_at),
                "status": b.status,
                "price": {"amount": b.price_amount, "currency": b.currency},
            }
            for b in history
        ]
    return data


def pro_review_json(review) -> dict:
    """A review from bookings.selectors.reviews_for_pro."""
    return {
        **review_json(review),
        "author": review.author.display_name if review.author else _("A client"),
        "service": review.booking.localized_service_name,
        "visit_starts_at": iso(review.booking.starts_at),
        "replied_at": _iso_or_none(review.replied_at),
    }


class CalendarIn(Schema):
    """A secret ICS link (``url``), or a CalDAV address with a user and an app password."""

    name: str = Field(max_length=100)
    url: str = Field("", max_length=2000, description="A secret iCalendar (.ics) link")
    caldav_url: str = Field("", max_length=2000, description="A CalDAV calendar or account URL")
    username: str = Field("", max_length=200)
    password: str = Field("", max_length=500, description="An app password; stored encrypted")


class CalendarOut(Schema):
    id: int
    name: str
    kind: str = Field(description="ics or caldav")
    last_synced_at: str | None = Field(description="The last successful sync (ISO 8601, UTC)")
    status: str = Field(description="pending, ok, stale or error")
    last_error: str


def calendar_json(calendar, *, now) -> dict:
    from bookings.services.calendars import stale_after

    return {
        "id": calendar.pk,
        "name": calendar.name,
        "kind": calendar.kind,
        "last_synced_at": _iso_or_none(calendar.last_synced_at),
        "status": calendar.freshness(now, stale_after=stale_after()),
        "last_error": calendar.last_error,
    }


class ServiceTextsOut(Schema):
    id: int
    name: str
    description: str
    translations: dict[str, dict[str, str]] = Field(
        description=VERSIONS_DESCRIPTION + " Fields: name, description. The main texts are in "
        "your content_language (GET /api/v1/me/pro)."
    )
    is_active: bool


class ServiceTextsIn(Schema):
    """Only the fields sent change."""

    name: str | None = Field(None, min_length=1, max_length=120)
    description: str | None = Field(None, max_length=2000)
    translations: dict[str, dict[str, str | None]] | None = Field(
        None, description="Replaces every version. " + VERSIONS_DESCRIPTION
    )


def service_texts_json(service) -> dict:
    """A pro's own service's texts as written (not localized)."""
    return {
        "id": service.pk,
        "name": service.name,
        "description": service.description,
        "translations": service.translations,
        "is_active": service.is_active,
    }
