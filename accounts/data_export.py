"""A user's own data as one JSON document (issue 6: "a data export of the user's own data").

`account_export(*, user)` returns a plain dict, served by the profile page's download
(`accounts:export_data`) and by `GET /api/v1/me/export`. Contract:

- only data the user owns or took part in: the account, the profiles, a pro's services and hours,
  bookings as client and as pro (with their events and, when the payments app is installed, their
  payments and refunds), reviews written and received, and every message of the user's
  conversations (their own and the ones they received there);
- other people appear by the name Timz shows them (a display name), never by their email;
- times are ISO 8601 in UTC (`2026-11-26T09:30:00Z`), money is integer minor units + currency;
- the number of queries does not grow with the amount of data (tests pin it).
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.apps import apps
from django.db.models import Prefetch, Q
from django.utils import timezone

from accounts.models import ClientProfile, ProProfile, User

EXPORT_FORMAT = "timz-export"
EXPORT_VERSION = 1


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _file_url(field) -> str | None:
    return field.url if field else None


def _payment_model():
    try:
        return apps.get_model("payments", "Payment")
    except LookupError:
        return None


def account_export(*, user: User) -> dict:
    """Everything Timz holds about `user`, as JSON-ready data (see the module docstring)."""
    user = User.objects.select_related("client_profile").get(pk=user.pk)
    pro = ProProfile.objects.select_related("category").filter(user=user).first()
    payment_model = _payment_model()
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": iso(timezone.now()),
        "account": _account(user),
        "client_profile": _client_profile(getattr(user, "client_profile", None)),
        "pro_profile": _pro_profile(pro) if pro else None,
        "services": _services(pro) if pro else [],
        "weekly_hours": _weekly_hours(pro) if pro else [],
        "time_off": _time_off(pro) if pro else [],
        "bookings_as_client": [
            _booking(b, side="client") for b in _bookings(Q(client=user), payment_model)
        ],
        "bookings_as_pro": (
            [_booking(b, side="pro") for b in _bookings(Q(pro=pro), payment_model)] if pro else []
        ),
        "reviews_written": _reviews_written(user),
        "reviews_received": _reviews_received(pro) if pro else [],
        "conversations": _conversations(user),
        "payout_account": _payout_account(pro) if pro else None,
    }


# The account and profiles ----------------------------------------------------------------------


def _account(user: User) -> dict:
    from allauth.account.models import EmailAddress

    return {
        "id": user.pk,
        "email": user.email,
        "role": user.role,
        "date_joined": iso(user.date_joined),
        "last_login": iso(user.last_login),
        "email_addresses": [
            {"email": a.email, "verified": a.verified, "primary": a.primary}
            for a in EmailAddress.objects.filter(user=user).order_by("-primary", "email")
        ],
    }


def _client_profile(profile: ClientProfile | None) -> dict | None:
    if profile is None:
        return None
    return {
        "display_name": profile.display_name,
        "phone": profile.phone,
        "timezone": profile.timezone,
        "avatar_url": _file_url(profile.avatar),
    }


def _pro_profile(pro: ProProfile) -> dict:
    return {
        "display_name": pro.display_name,
        "slug": pro.slug,
        "headline": pro.headline,
        "bio": pro.bio,
        "category": pro.category.name if pro.category else None,
        "city": pro.city,
        "address_line": pro.address_line,
        "timezone": pro.timezone,
        "avatar_url": _file_url(pro.avatar),
        "is_listed": pro.is_listed,
        "rating_avg": float(pro.rating_avg) if pro.rating_avg is not None else None,
        "review_count": pro.review_count,
        "created_at": iso(pro.created_at),
    }


def _services(pro: ProProfile) -> list[dict]:
    return [
        {
            "id": s.pk,
            "name": s.name,
            "description": s.description,
            "duration_minutes": s.duration_minutes,
            "price": {"amount": s.price_amount, "currency": s.currency},
            "payment_mode": s.payment_mode,
            "is_active": s.is_active,
            "image_url": _file_url(s.image),
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


# Bookings, payments --------------------------------------------------------------------------


def _bookings(where: Q, payment_model) -> list:
    from bookings.models import Booking, BookingEvent

    prefetches = [Prefetch("events", queryset=BookingEvent.objects.order_by("at", "pk"))]
    if payment_model is not None:
        prefetches.append(
            Prefetch(
                "payments",
                queryset=payment_model.objects.order_by("attempt", "pk").prefetch_related(
                    "refunds"
                ),
            )
        )
    return list(
        Booking.objects.filter(where)
        .select_related("pro", "client__client_profile", "client__pro_profile")
        .prefetch_related(*prefetches)
        .order_by("starts_at", "pk")
    )


def _booking(booking, *, side: str) -> dict:
    data = {
        "id": booking.pk,
        "service_name": booking.service_name,
        "starts_at": iso(booking.starts_at),
        "ends_at": iso(booking.ends_at),
        "duration_minutes": booking.duration_minutes,
        "status": booking.status,
        "price": {"amount": booking.price_amount, "currency": booking.currency},
        "note": booking.note,
        "is_late_cancellation": booking.is_late_cancellation,
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
    if "payments" in getattr(booking, "_prefetched_objects_cache", {}):
        data["payments"] = [_payment(p, side=side) for p in booking.payments.all()]
    return data


def _payment(payment, *, side: str) -> dict:
    data = {
        "id": payment.pk,
        "attempt": payment.attempt,
        "status": payment.status,
        "amount": payment.amount,
        "currency": payment.currency,
        "amount_refunded": payment.amount_refunded,
        "created_at": iso(payment.created_at),
        "paid_at": iso(payment.paid_at),
        "refunds": [
            {
                "amount": r.amount,
                "status": r.status,
                "reason": r.reason,
                "created_at": iso(r.created_at),
                "completed_at": iso(r.completed_at),
            }
            for r in payment.refunds.all()
        ],
    }
    if side == "pro":
        # The pro's statement: what the platform kept.
        data.update(
            platform_fee=payment.fee,
            platform_fee_refunded=payment.fee_refunded,
            net_after_refunds=payment.net_after_refunds,
        )
    return data


def _payout_account(pro: ProProfile) -> dict | None:
    try:
        model = apps.get_model("payments", "ConnectedAccount")
    except LookupError:
        return None
    account = model.objects.filter(pro=pro).first()
    if account is None:
        return None
    return {
        "stripe_account_id": account.stripe_account_id,
        "charges_enabled": account.charges_enabled,
        "payouts_enabled": account.payouts_enabled,
        "is_simulated": account.is_simulated,
        "created_at": iso(account.created_at),
    }


# Reviews -------------------------------------------------------------------------------------


def _review(review, *, who: dict) -> dict:
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
    from bookings.models import Review

    reviews = Review.objects.filter(author=user).select_related("pro").order_by("created_at")
    return [_review(r, who={"pro": {"display_name": r.pro.display_name}}) for r in reviews]


def _reviews_received(pro: ProProfile) -> list[dict]:
    reviews = pro.reviews.select_related("author__client_profile", "author__pro_profile").order_by(
        "created_at"
    )
    return [
        _review(
            r,
            who={"author": {"display_name": r.author.display_name if r.author else "A client"}},
        )
        for r in reviews
    ]


# Conversations -------------------------------------------------------------------------------


def _conversations(user: User) -> list[dict]:
    try:
        conversation_model = apps.get_model("chat", "Conversation")
        message_model = apps.get_model("chat", "Message")
    except LookupError:
        return []
    conversations = (
        conversation_model.objects.filter(Q(client=user) | Q(pro_user=user))
        .select_related("pro", "client__client_profile")
        .prefetch_related(Prefetch("messages", queryset=message_model.objects.order_by("pk")))
        .order_by("created_at", "pk")
    )
    out = []
    for conversation in conversations:
        as_client = conversation.client_id == user.pk
        other_id = conversation.pro_user_id if as_client else conversation.client_id
        out.append(
            {
                "id": conversation.pk,
                "you_are": "client" if as_client else "pro",
                "with": {"display_name": conversation.name_of(other_id)},
                "created_at": iso(conversation.created_at),
                "messages": [
                    {
                        "id": m.pk,
                        "from": "you" if m.sender_id == user.pk else conversation.name_of(other_id),
                        "body": m.body,
                        "sent_at": iso(m.created_at),
                        "read_at": iso(m.read_at),
                    }
                    for m in conversation.messages.all()
                ],
            }
        )
    return out
