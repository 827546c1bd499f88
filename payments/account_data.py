"""The payments app's answer to accounts about one user (the hooks of ``accounts.signals``).

- Export (``user_exporting``): ``payments_as_client`` and ``payments_as_pro``, every payment
  attempt of the user's bookings with its refunds, each naming its ``booking_id`` (the bookings
  sections list the same ids), ordered like the bookings; the pro's side adds what the platform
  kept. ``payout_account``: a pro's Stripe (or simulated) account, or None. ``payouts``: the
  payouts Timz recorded for a pro (the offline backend's; Stripe's own are in Stripe).
  ``saved_cards``: the cards the client saved for bookings, by brand and last four digits only.
- Deletion (``forget_saved_cards``): the client's saved cards are forgotten (their payment
  method and customer ids cleared) and their Stripe customer deleted on commit
  (``payments.card_on_file.saved_cards_forget``). Payments, refunds and payouts are kept for the
  other party and for accounting; refunds of the bookings that the deletion cancels follow the
  booking lifecycle (``payments.services.booking_payment_follow``).

Connected in ``PaymentsConfig.ready()``.
"""

from __future__ import annotations

from django.db.models import Q

from accounts.data_export import iso
from accounts.models import ProProfile, User
from payments.models import ConnectedAccount, Payment, Payout, SavedCard


def export_user_data(sender, *, user: User, **kwargs) -> dict:
    """The payment sections of `user`'s export; `user` comes with its profiles loaded."""
    pro = getattr(user, "pro_profile", None)
    return {
        "payments_as_client": [
            _payment(p, side="client") for p in _payments(Q(booking__client=user))
        ],
        "payments_as_pro": (
            [_payment(p, side="pro") for p in _payments(Q(booking__pro=pro))] if pro else []
        ),
        "payout_account": _payout_account(pro) if pro else None,
        "payouts": [_payout(p) for p in Payout.objects.filter(pro=pro)] if pro else [],
        "saved_cards": [
            {
                "booking_id": card.booking_id,
                "card": card.label,
                "status": card.status,
                "saved_at": iso(card.saved_at),
            }
            for card in SavedCard.objects.filter(booking__client=user).order_by("created_at", "pk")
        ],
    }


def _payout(payout: Payout) -> dict:
    return {
        "amount": payout.amount,
        "currency": payout.currency,
        "arrival_date": payout.arrival_date.isoformat(),
        "status": payout.status,
        "stripe_payout_id": payout.stripe_payout_id,
        "created_at": iso(payout.created_at),
    }


def forget_saved_cards(sender, *, user: User, **kwargs) -> dict:
    """Receiver of ``user_deleting``: the client's saved cards are forgotten."""
    from payments.card_on_file import saved_cards_forget

    return {"saved_cards_forgotten": saved_cards_forget(user=user)}


def _payments(where: Q) -> list[Payment]:
    return list(
        Payment.objects.filter(where)
        .prefetch_related("refunds")
        .order_by("booking__starts_at", "booking_id", "attempt", "pk")
    )


def _payment(payment: Payment, *, side: str) -> dict:
    data = {
        "id": payment.pk,
        "booking_id": payment.booking_id,
        "kind": payment.kind,
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
    account = ConnectedAccount.objects.filter(pro=pro).first()
    if account is None:
        return None
    return {
        "stripe_account_id": account.stripe_account_id,
        "charges_enabled": account.charges_enabled,
        "payouts_enabled": account.payouts_enabled,
        "is_simulated": account.is_simulated,
        "created_at": iso(account.created_at),
    }
