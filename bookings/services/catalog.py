"""Writes of the pro's catalog: services offered, with duration, price, list position and
no-show protection.

No-show protection (``check_protection``, the one rule the form and these services apply):
nothing; a deposit, a fixed amount or a percentage of the price, more than 0 and less than the
price (a deposit of the whole price is "pay online"), that Stripe can charge; or a card on file
with a no-show fee of 1-100 % of the price. A deposit or a card needs a pro who can take online
payments, and a service paid at the appointment (one paid online in full is protected already).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts import content
from accounts.images import stored_delete
from accounts.models import ProProfile
from bookings.models import (
    Booking,
    Protection,
    Service,
)
from timz import money

SERVICE_FIELDS = (
    "name",
    "description",
    "translations",
    "duration_minutes",
    "price_amount",
    "currency",
    "image",
    "is_active",
    "payment_mode",
    "position",
    "protection",
    "deposit_amount",
    "deposit_percent",
    "no_show_fee_percent",
)


def _pro_currency(pro: ProProfile, currency: str | None) -> str:
    """The pro's currency, which `currency` (when given) must be: services are priced in it."""
    if currency and currency.upper() != pro.currency:
        raise ValidationError(
            {
                "currency": _(
                    "Services are priced in your currency, %(currency)s; "
                    "change it on your profile page."
                )
                % {"currency": pro.currency}
            }
        )
    return pro.currency


def check_protection(
    *,
    pro: ProProfile,
    price_amount: int,
    currency: str,
    payment_mode: str,
    protection: str,
    deposit_amount: int | None = None,
    deposit_percent: int | None = None,
    no_show_fee_percent: int = 0,
) -> None:
    """Raise ValidationError({field: error}) when this no-show protection cannot be offered
    (see the module docstring). The code ``online_unavailable`` marks the one error whose way
    out is the Payouts page."""
    from payments.fees import percent_of
    from payments.selectors import online_payment_unavailable_reason

    if protection not in Protection.values:
        raise ValidationError({"protection": _("Choose Nothing, a deposit or a card on file.")})
    if protection == Protection.NONE:
        return
    errors: dict[str, ValidationError] = {}
    reason = online_payment_unavailable_reason(pro)
    if reason:
        asking = (
            _("Asking for a deposit needs online payments. %(reason)s")
            if protection == Protection.DEPOSIT
            else _("Asking for a card on file needs online payments. %(reason)s")
        )
        errors["protection"] = ValidationError(
            asking % {"reason": reason}, code="online_unavailable"
        )
    elif payment_mode == Service.PaymentMode.ONLINE:
        errors["protection"] = ValidationError(
            _(
                "A service paid online in full needs no deposit or card: choose Nothing, or "
                "“Pay at the appointment”."
            ),
            code="paid_online",
        )
    if protection == Protection.DEPOSIT:
        if (deposit_amount is None) == (deposit_percent is None):
            errors["deposit_amount"] = ValidationError(
                _("Give the deposit as an amount or as a percentage of the price."),
                code="required",
            )
        else:
            if deposit_percent is not None:
                if not 1 <= deposit_percent <= 99:
                    errors["deposit_percent"] = ValidationError(
                        _("The deposit must be between %(low)s%% and %(high)s%% of the price.")
                        % {"low": 1, "high": 99},
                        code="range",
                    )
                deposit = percent_of(amount=price_amount, percent=min(max(deposit_percent, 0), 100))
                field = "deposit_percent"
            else:
                assert deposit_amount is not None
                deposit, field = deposit_amount, "deposit_amount"
            price = money.format_money(price_amount, currency)
            if field not in errors and not 0 < deposit < price_amount:
                errors[field] = ValidationError(
                    _(
                        "The deposit must be more than 0 and less than the price (%(price)s); "
                        "to take the whole price when booking, choose “Pay online when booking”."
                    )
                    % {"price": price},
                    code="range",
                )
            elif field not in errors:
                chargeable = money.stripe_charge_error(deposit, currency)
                if chargeable:
                    errors[field] = ValidationError(
                        _("The deposit cannot be charged online: %(why)s") % {"why": chargeable},
                        code="not_chargeable",
                    )
    elif protection == Protection.CARD and not 1 <= (no_show_fee_percent or 0) <= 100:
        errors["no_show_fee_percent"] = ValidationError(
            _("The no-show fee must be between %(low)s%% and %(high)s%% of the price.")
            % {"low": 1, "high": 100},
            code="range",
        )
    if errors:
        raise ValidationError(errors)


def _normalise_protection(service: Service) -> None:
    """Keep only the fields of the chosen kind, then apply check_protection."""
    if service.protection != Protection.DEPOSIT:
        service.deposit_amount = service.deposit_percent = None
    if service.protection != Protection.CARD:
        service.no_show_fee_percent = 0
    check_protection(
        pro=service.pro,
        price_amount=service.price_amount,
        currency=service.currency,
        payment_mode=service.payment_mode,
        protection=service.protection,
        deposit_amount=service.deposit_amount,
        deposit_percent=service.deposit_percent,
        no_show_fee_percent=service.no_show_fee_percent,
    )


def service_create(
    *,
    pro: ProProfile,
    name: str,
    description: str = "",
    translations: dict | None = None,
    duration_minutes: int,
    price_amount: int,
    currency: str | None = None,
    image=None,
    is_active: bool = True,
    payment_mode: str = Service.PaymentMode.AT_APPOINTMENT,
    position: int | None = None,
    protection: str = Protection.NONE,
    deposit_amount: int | None = None,
    deposit_percent: int | None = None,
    no_show_fee_percent: int = 0,
) -> Service:
    """A new service of `pro`, last in the list unless `position`, priced in the pro's currency
    (`currency`, if given, must be that one: ValidationError otherwise); the no-show protection
    must pass ``check_protection``; `translations`, the versions of name and description in
    other languages, ``accounts.content.clean_translations``."""
    currency = _pro_currency(pro, currency)
    with transaction.atomic():
        if position is None:
            top = Service.objects.filter(pro=pro).aggregate(top=Max("position"))["top"]
            position = 0 if top is None else top + 1
        service = Service(
            pro=pro,
            name=(name or "").strip(),
            description=description or "",
            translations=translations or {},
            duration_minutes=duration_minutes,
            price_amount=price_amount,
            currency=currency,
            is_active=is_active,
            payment_mode=payment_mode,
            position=position,
            protection=protection,
            deposit_amount=deposit_amount,
            deposit_percent=deposit_percent,
            no_show_fee_percent=no_show_fee_percent or 0,
        )
        if image:
            service.image = image
        _normalise_protection(service)
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
        if fields.keys() & {
            "protection",
            "deposit_amount",
            "deposit_percent",
            "no_show_fee_percent",
            "price_amount",
            "payment_mode",
        }:
            _normalise_protection(service)
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
        raise ValidationError(_("Services move up or down."))
    with transaction.atomic():
        items = list(
            Service.objects.select_for_update()
            .filter(pro_id=service.pro_id)
            .order_by("position", "id")
        )
        index = next((i for i, item in enumerate(items) if item.pk == service.pk), None)
        if index is None:
            raise ValidationError(_("This service no longer exists."))
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
            ngettext(
                "You have %(count)s upcoming booking priced in %(currency)s. Your currency can "
                "change once it is over or cancelled.",
                "You have %(count)s upcoming bookings priced in %(currency)s. Your currency can "
                "change once they are over or cancelled.",
                upcoming,
            )
            % {"count": upcoming, "currency": old},
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


def services_relabel_language(*, pro: ProProfile, old: str, new: str) -> int:
    """The pro's content language went from `old` to `new`: each service with a version in
    `new` takes it as its name and description, its old texts becoming the `old` version
    (`accounts.content.relabel`); returns how many changed. Called through
    accounts.signals.pro_content_language_changed."""
    changed = []
    for service in Service.objects.select_for_update().filter(pro=pro).exclude(translations={}):
        if content.relabel(service, Service.TRANSLATED_FIELDS, old=old, new=new):
            changed.append(service)
    for service in changed:
        service.save(update_fields=["name", "description", "translations"])
    return len(changed)
