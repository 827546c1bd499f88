"""Template helpers for payment pages and partials: the payment box of a booking, payouts."""

from django import template
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.timezones import viewer_zone
from payments import selectors
from payments.models import Payment, Payout
from timz.money import format_money

register = template.Library()

PAYMENT_BADGES = {
    "pending": "badge-warn",
    "succeeded": "badge-ok",
    "partially_refunded": "badge-brand",
    "refunded": "badge-brand",
    "failed": "badge-bad",
    "expired": "",
}


@register.filter
def payment_badge(status):
    return PAYMENT_BADGES.get(str(status), "")


@register.simple_tag
def booking_payment(booking, user):
    """What `templates/payments/includes/_booking_payment.html` shows for `user`."""
    by_kind = selectors.booking_payments_by_kind(booking)
    has_deposit = booking.deposit_amount > 0
    payment = by_kind.get(Payment.Kind.DEPOSIT if has_deposit else Payment.Kind.FULL)
    is_client = getattr(user, "pk", None) == booking.client_id
    sees_fee = selectors.viewer_sees_fee(booking=booking, viewer=user)
    refunds = selectors.refunds_for(payment) if payment is not None else []
    can_pay = (
        is_client
        and booking.status == "pending_payment"
        and (payment is None or payment.status != "succeeded")
        and not selectors.booking_saves_card(booking)
    )
    balance = by_kind.get(Payment.Kind.BALANCE)
    return {
        "has_deposit": has_deposit,
        "due_now": booking.deposit_amount if has_deposit else booking.price_amount,
        "balance_amount": booking.price_amount - booking.deposit_amount,
        "balance": balance if balance is not None and balance.is_paid else None,
        "balance_refunds": selectors.refunds_for(balance) if balance is not None else [],
        "can_pay_balance": is_client and selectors.balance_due_online(booking, now=timezone.now()),
        "zone": viewer_zone(user, fallback=booking.pro.timezone),
        "payment": payment,
        "refunds": refunds,
        "is_client": is_client,
        "is_pro": getattr(user, "pk", None) == booking.pro.user_id,
        "sees_fee": sees_fee,
        "can_pay": can_pay,
    }


@register.simple_tag(takes_context=True)
def booking_tip(context, booking, user):
    """What `templates/payments/includes/_booking_tip.html` shows for `user`: the tip given, or
    for the client of a completed visit paid online the form to add one."""
    from payments.forms import TipForm
    from payments.services import tip_max, tip_refusal

    tip = selectors.tip_for(booking)
    is_client = getattr(user, "pk", None) == booking.client_id
    can_tip = is_client and tip_refusal(booking) is None
    request = context.get("request")
    return {
        "tip": tip,
        "is_client": is_client,
        "is_pro": getattr(user, "pk", None) == booking.pro.user_id,
        "can_tip": can_tip,
        "form": TipForm(booking=booking) if can_tip else None,
        "max": tip_max(booking),
        "thanks": request is not None and request.GET.get("tip") == "thanks",
    }


@register.simple_tag
def booking_card(booking, user):
    """What `templates/payments/includes/_booking_card.html` shows for `user`: the saved card,
    the fee, its payment and what the viewer may do about it."""
    from bookings.models import Protection
    from payments import card_on_file

    if booking.protection != Protection.CARD:
        return {"shown": False}
    card = selectors.saved_card_of(booking)
    fee_payments = selectors.fee_payments_of(booking)
    fee_payment = fee_payments[0] if fee_payments else None
    is_client = getattr(user, "pk", None) == booking.client_id
    is_pro = getattr(user, "pk", None) == booking.pro.user_id
    needs_card = selectors.booking_saves_card(booking)
    return {
        "shown": card is not None or needs_card or bool(fee_payments),
        "card": card,
        "needs_card": needs_card,
        "fee": card_on_file.no_show_fee_amount(booking),
        "fee_payment": fee_payment,
        "occasion": card_on_file.fee_occasion(booking),
        "is_client": is_client,
        "is_pro": is_pro,
        "sees_fee": selectors.viewer_sees_fee(booking=booking, viewer=user),
        "can_charge": is_pro
        and not card_on_file.fee_refusal(booking=booking, fee_payments=fee_payments),
        "can_pay": is_client and card_on_file.fee_awaits_client(fee_payment),
    }


@register.simple_tag
def payout_status(user):
    """The connected account of `user`'s pro profile (None if not a pro or not set up)."""
    pro = getattr(user, "pro_profile", None) if getattr(user, "is_pro", False) else None
    if pro is None:
        return {"pro": None, "account": None, "can_charge": False}
    account = selectors.connected_account_for(pro)
    return {
        "pro": pro,
        "account": account,
        "can_charge": selectors.account_can_charge(account),
        "offline": selectors.is_offline(),
    }


_REQUIREMENTS = {
    "business_type": _("Whether you work as an individual or a company"),
    "external_account": _("The bank account for your payouts"),
    "tos_acceptance.date": _("Your acceptance of Stripe’s terms"),
    "tos_acceptance.ip": _("Your acceptance of Stripe’s terms"),
    "individual.verification.document": _("An identity document"),
    "individual.dob.day": _("Your date of birth"),
    "individual.address.line1": _("Your address"),
    "business_profile.url": _("Your website or social profile"),
    "business_profile.mcc": _("Your type of business"),
}


@register.filter
def requirement_label(code):
    """A Stripe requirement code ("external_account") in words (in the active language for
    the codes Timz knows; Stripe's own words, made readable, for the others)."""
    code = str(code)
    if code in _REQUIREMENTS:
        return str(_REQUIREMENTS[code])
    words = code.replace(".", " ").replace("_", " ").strip()
    return words[:1].upper() + words[1:]


@register.filter
def amounts_list(totals):
    """Amounts per currency ({"EUR": 10500, "USD": 2000}) as one text: "€105.00, US$20.00"."""
    return ", ".join(format_money(amount, currency) for currency, amount in totals.items())


@register.filter
def payout_status_label(status):
    """A payout's status ("in_transit", Timz's or Stripe's) in words: "In transit"."""
    status = str(status)
    return Payout.Status(status).label if status in Payout.Status.values else status


@register.simple_tag
def month_earnings(pro):
    """This month's figures of `pro` on their own clock (the money page's computation)."""
    return selectors.figures_for_month(pro=pro, month=selectors.pro_month(pro=pro))
