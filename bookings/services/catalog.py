"""Writes of the pro's catalog: services offered, with duration, price and list position."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.images import stored_delete
from accounts.models import ProProfile
from bookings.models import (
    Booking,
    Service,
)

SERVICE_FIELDS = (
    "name",
    "description",
    "duration_minutes",
    "price_amount",
    "currency",
    "image",
    "is_active",
    "payment_mode",
    "position",
)


def _pro_currency(pro: ProProfile, currency: str | None) -> str:
    """The pro's currency, which `currency` (when given) must be: services are priced in it."""
    if currency and currency.upper() != pro.currency:
        raise ValidationError(
            {
                "currency": f"Services are priced in your currency, {pro.currency}; "
                "change it on your profile page."
            }
        )
    return pro.currency


def service_create(
    *,
    pro: ProProfile,
    name: str,
    description: str = "",
    duration_minutes: int,
    price_amount: int,
    currency: str | None = None,
    image=None,
    is_active: bool = True,
    payment_mode: str = Service.PaymentMode.AT_APPOINTMENT,
    position: int | None = None,
) -> Service:
    """A new service of `pro`, last in the list, priced in the pro's currency (`currency`, if
    given, must be that one: ValidationError otherwise)."""
    currency = _pro_currency(pro, currency)
    with transaction.atomic():
        if position is None:
            top = Service.objects.filter(pro=pro).aggregate(top=Max("position"))["top"]
            position = 0 if top is None else top + 1
        service = Service(
            pro=pro,
            name=(name or "").strip(),
            description=description or "",
            duration_minutes=duration_minutes,
            price_amount=price_amount,
            currency=currency,
            is_active=is_active,
            payment_mode=payment_mode,
            position=position,
        )
        if image:
            service.image = image
        service.full_clean()
        service.save()
    return service


def service_update(*, service: Service, **fields) -> Service:
    unknown = set(fields) - set(SERVICE_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown service field(s): {', '.join(sorted(unknown))}.")
    if "currency" in fields:
        fields["currency"] = _pro_currency(service.pro, fields["currency"])
    if "name" in fields and fields["name"]:
        fields["name"] = fields["name"].strip()
    old_image = service.image.name if service.image else ""
    with transaction.atomic():
        for key, value in fields.items():
            setattr(service, key, value)
        service.full_clean()
        service.save()
        if old_image and old_image != service.image.name:
            # A replaced or removed picture goes, with its sizes, once the change is kept.
            storage = service.image.storage
            transaction.on_commit(lambda: stored_delete(storage, old_image))
    return service


SERVICE_MOVES = ("up", "down")


def service_move(*, service: Service, direction: str) -> None:
    """Swap `service` with its neighbour in its pro's list: "up" (earlier) or "down" (later).

    One transaction over the pro's service rows, locked: the list is read in its order
    (position, then id), the two swap, and every row whose place changed gets its index, so
    positions end up 0..n-1, unique, whatever they were before. At either end nothing moves.
    Raises ValidationError for another direction or a service deleted meanwhile.
    """
    if direction not in SERVICE_MOVES:
        raise ValidationError("Services move up or down.")
    with transaction.atomic():
        items = list(
            Service.objects.select_for_update()
            .filter(pro_id=service.pro_id)
            .order_by("position", "id")
        )
        index = next((i for i, item in enumerate(items) if item.pk == service.pk), None)
        if index is None:
            raise ValidationError("This service no longer exists.")
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(items):
            items[index], items[other] = items[other], items[index]
        moved = []
        for position, item in enumerate(items):
            if item.position != position:
                item.position = position
                moved.append(item)
        Service.objects.bulk_update(moved, ["position"])


def service_delete(*, service: Service) -> None:
    """Delete a service; one that has bookings is deactivated instead (history keeps it)."""
    with transaction.atomic():
        if service.bookings.exists():
            service.is_active = False
            service.save(update_fields=["is_active"])
        else:
            service.delete()


def services_relabel_currency(*, pro: ProProfile, old: str, new: str) -> int:
    """Price every service of `pro` in `new` (the amounts stay as typed); returns how many.

    Refused (ValidationError) while the pro has an upcoming booking that is still active: its
    price was agreed in `old`, and the client would meet two currencies for one pro. Called by
    accounts.services.pro_currency_change (through accounts.signals.pro_currency_changing).
    """
    upcoming = Booking.objects.filter(
        pro=pro, status__in=Booking.ACTIVE_STATUSES, ends_at__gt=timezone.now()
    ).count()
    if upcoming:
        raise ValidationError(
            f"You have {upcoming} upcoming booking{'s' if upcoming != 1 else ''} priced in "
            f"{old}. Your currency can change once {'they are' if upcoming != 1 else 'it is'} "
            "over or cancelled.",
            code="currency_upcoming_bookings",
        )
    services = list(Service.objects.select_for_update().filter(pro=pro).exclude(currency=new))
    for service in services:
        service.currency = new
    Service.objects.bulk_update(services, ["currency"])
    if services:
        from timz import pagecache

        pagecache.bump(pro_id=pro.pk)  # bulk_update sends no post_save
    return len(services)
