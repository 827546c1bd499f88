"""The booking domain's answers to accounts about one user (the hooks of ``accounts.signals``).

- Export (``user_exporting``): a pro's ``services``, ``weekly_hours`` and ``time_off``;
  ``bookings_as_client`` and ``bookings_as_pro`` with their events; ``reviews_written`` and
  ``reviews_received``; a pro's private ``client_notes``; the ``waitlist`` entries the user
  joined; a pro's ``calendars`` (name, kind, address, user; never the password). The other
  party of a booking, a review or a note appears by display name only. The payments of these
  bookings are the payments app's own sections. ``booking_series``: the standing appointments
  the user is the client or the pro of (each booking names its series).
- Deletion page (``user_deletion_previewing``): ``upcoming_as_client`` and ``upcoming_as_pro``,
  the active bookings that deleting the account will end.
- Deletion (``user_deleting``): the user's future bookings are ended and a pro's offer withdrawn
  by ``bookings.services`` (see ``bookings.services.account_deletion``), the pros' private
  notes about the user deleted, the user leaves every waitlist, and a pro's own calendars are
  deleted with their passwords and busy times; returns ``bookings_ended``. A series row holds
  nothing personal besides its link to the (anonymised) user: it stays, and the future bookings
  of the series are ended with the others.

Connected in ``BookingsConfig.ready()``.
"""

from __future__ import annotations

from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.data_export import file_url, iso
from accounts.models import ProProfile, User
from bookings import services
from bookings.models import Booking, BookingEvent, BookingSeries, ClientNote, Review, WaitlistEntry
from timz import crypto


def export_user_data(sender, *, user: User, **kwargs) -> dict:
    """The booking sections of `user`'s export; `user` comes with its profiles loaded."""
    pro = getattr(user, "pro_profile", None)
    return {
        "services": _services(pro) if pro else [],
        "weekly_hours": _weekly_hours(pro) if pro else [],
        "time_off": _time_off(pro) if pro else [],
        "bookings_as_client": [_booking(b, side="client") for b in _bookings(Q(client=user))],
        "bookings_as_pro": (
            [_booking(b, side="pro") for b in _bookings(Q(pro=pro))] if pro else []
        ),
        "reviews_written": _reviews_written(user),
        "reviews_received": _reviews_received(pro) if pro else [],
        "client_notes": _client_notes(pro) if pro else [],
        "waitlist": _waitlist(user),
        "booking_series": _series(user, pro),
        "calendars": _calendars(pro) if pro else [],
    }


def _series(user: User, pro: ProProfile | None) -> list[dict]:
    where = Q(client=user) | Q(pro=pro) if pro else Q(client=user)
    rows = (
        BookingSeries.objects.filter(where)
        .select_related("pro", "client__client_profile", "client__pro_profile")
        .prefetch_related(Prefetch("bookings", queryset=Booking.objects.order_by("starts_at")))
        .order_by("created_at", "pk")
    )
    return [
        {
            "id": row.pk,
            "side": "client" if row.client_id == user.pk else "pro",
            "pro": {"display_name": row.pro.display_name, "slug": row.pro.slug},
            "client": {"display_name": row.client.display_name},
            "every_weeks": row.every_weeks,
            "count": row.count,
            "first_date": row.first_date.isoformat(),
            "local_time": row.local_time.strftime("%H:%M"),
            "timezone": row.timezone,
            "created_at": iso(row.created_at),
            "booking_ids": [b.pk for b in row.bookings.all()],
        }
        for row in rows
    ]


def _readable(token: str) -> str:
    """A stored secret decrypted for its owner's export ("" if the key has changed since)."""
    try:
        return crypto.decrypt(token)
    except crypto.SecretUnreadable:
        return ""


def _calendars(pro: ProProfile) -> list[dict]:
    """The pro's connected calendars: name, kind, address and user, never the password (nor the
    busy times, which are copies of the pro's own calendar)."""
    return [
        {
            "name": c.name,
            "kind": c.kind,
            "url": _readable(c.url_encrypted),
            "username": c.username,
            "last_synced_at": iso(c.last_synced_at),
            "created_at": iso(c.created_at),
        }
        for c in pro.calendars.order_by("name", "pk")
    ]


def _waitlist(user: User) -> list[dict]:
    return [
        {
            "pro": entry.pro.display_name if entry.pro_id else None,
            "service": entry.service.name if entry.service_id else None,
            "category": entry.category.name if entry.category_id else None,
            "q": entry.q,
            "date": entry.date.isoformat(),
            "from": entry.from_time.strftime("%H:%M"),
            "to": entry.to_time.strftime("%H:%M"),
            "timezone": entry.timezone,
            "status": entry.status,
            "created_at": iso(entry.created_at),
        }
        for entry in WaitlistEntry.objects.filter(client=user)
        .select_related("pro", "service", "category")
        .order_by("created_at", "pk")
    ]


def preview_user_deletion(sender, *, user: User, **kwargs) -> dict:
    """How many active bookings deleting `user`'s account would end (2 queries)."""
    upcoming = Booking.objects.filter(
        status__in=Booking.ACTIVE_STATUSES, starts_at__gt=timezone.now()
    )
    return {
        "upcoming_as_client": upcoming.filter(client=user).count(),
        "upcoming_as_pro": upcoming.filter(pro__user=user).count() if user.is_pro else 0,
    }


def end_user_bookings(sender, *, user: User, **kwargs) -> dict:
    """End `user`'s future bookings, withdraw a pro's offer and delete the pros' private notes
    about the user, inside the deletion."""
    ended = services.user_bookings_end(user=user)
    services.client_notes_forget(client=user)
    services.waitlist_entries_end(user=user)
    pro = ProProfile.objects.filter(user=user).first()
    if pro is not None:
        services.pro_offer_withdraw(pro=pro)
        services.calendars_forget(pro=pro)
    return {"bookings_ended": ended}


# Export sections -----------------------------------------------------------------------------


def _services(pro: ProProfile) -> list[dict]:
    return [
        {
            "id": s.pk,
            "name": s.name,
            "description": s.description,
            "translations": s.translations,
            "duration_minutes": s.duration_minutes,
            "price": {"amount": s.price_amount, "currency": s.currency},
            "payment_mode": s.payment_mode,
            "is_active": s.is_active,
            "image_url": file_url(s.image),
            "created_at": iso(s.created_at),
        }
        for s in pro.services.order_by("position", "pk")
    ]


def _weekly_hours(pro: ProProfile) -> list[dict]:
    return [
        {"weekday": h.weekday, "start": h.start.isoformat(), "end": h.end.isoformat()}
        for h in pro.weekly_hours.all()
    ]


def _time_off(pro: ProProfile) -> list[dict]:
    return [
        {"starts_at": iso(t.starts_at), "ends_at": iso(t.ends_at), "reason": t.reason}
        for t in pro.time_off.all()
    ]


def _bookings(where: Q) -> list[Booking]:
    return list(
        Booking.objects.filter(where)
        .select_related("pro", "client__client_profile", "client__pro_profile")
        .prefetch_related(
            Prefetch("events", queryset=BookingEvent.objects.order_by("at", "pk")),
        )
        .order_by("starts_at", "pk")
    )


def _booking(booking: Booking, *, side: str) -> dict:
    data = {
        "id": booking.pk,
        "service_name": booking.service_name,
        "starts_at": iso(booking.starts_at),
        "ends_at": iso(booking.ends_at),
        "duration_minutes": booking.duration_minutes,
        "status": booking.status,
        "price": {"amount": booking.price_amount, "currency": booking.currency},
        "source": booking.source,
        "note": booking.note,
        "is_late_cancellation": booking.is_late_cancellation,
        "series_id": booking.series_id,
        "created_at": iso(booking.created_at),
        "events": [
            {
                "at": iso(e.at),
                "from_status": e.from_status,
                "to_status": e.to_status,
                "by": e.actor_role,
                "reason": e.reason,
            }
            for e in booking.events.all()
        ],
    }
    if side == "client":
        data["pro"] = {"display_name": booking.pro.display_name, "slug": booking.pro.slug}
    else:
        data["client"] = {"display_name": booking.client.display_name}
    return data


def _review(review: Review, *, who: dict) -> dict:
    return {
        "booking_id": review.booking_id,
        **who,
        "rating": review.rating,
        "text": review.text,
        "reply": review.reply,
        "replied_at": iso(review.replied_at),
        "created_at": iso(review.created_at),
    }


def _reviews_written(user: User) -> list[dict]:
    reviews = Review.objects.filter(author=user).select_related("pro").order_by("created_at")
    return [_review(r, who={"pro": {"display_name": r.pro.display_name}}) for r in reviews]


def _reviews_received(pro: ProProfile) -> list[dict]:
    reviews = pro.reviews.select_related("author__client_profile", "author__pro_profile").order_by(
        "created_at"
    )
    return [
        _review(
            r,
            who={"author": {"display_name": r.author.display_name if r.author else _("A client")}},
        )
        for r in reviews
    ]


def _client_notes(pro: ProProfile) -> list[dict]:
    notes = (
        ClientNote.objects.filter(pro=pro)
        .exclude(text="")
        .select_related("client__client_profile", "client__pro_profile")
        .order_by("updated_at", "pk")
    )
    return [
        {
            "client": {"display_name": n.client.display_name},
            "text": n.text,
            "updated_at": iso(n.updated_at),
        }
        for n in notes
    ]
