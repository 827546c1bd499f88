"""Payment pages: get paid (onboarding), checkout, the offline test payment page, the webhook,
the pro's money page.

Thin views: fetch with permission (``payments.selectors``), call one service, render or
redirect. Only the webhook is CSRF-exempt: it is authenticated by its Stripe signature instead.
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus

import stripe
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import pro_required
from accounts.timezones import viewer_zone, zone_of
from bookings.models import Booking
from bookings.views.common import bad_request
from payments import card_on_file, receipts, selectors, services, webhooks
from payments.forms import TipForm
from payments.gateways import is_offline
from payments.models import Payment
from payments.reports import CSV_NUMERIC, csv_header, earnings_csv_rows
from timz.csv_export import csv_response, csv_text

logger = logging.getLogger(__name__)


def booking_url(booking: Booking) -> str:
    return reverse("bookings:detail", kwargs={"pk": booking.pk})


# -- Get paid (pros) ---------------------------------------------------------------------------


@pro_required
@require_http_methods(["GET", "POST"])
def get_paid(request, *, pro):
    if request.method == "POST":
        try:
            url = services.connected_account_onboard(pro=pro)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("payments:get_paid")
        return HttpResponseRedirect(url)
    account = selectors.connected_account_for(pro)
    return render(
        request,
        "payments/get_paid.html",
        {
            "account": account,
            "can_charge": selectors.account_can_charge(account),
            "offline": is_offline(),
            "fee_percent": settings.PLATFORM_FEE_PERCENT,
        },
    )


@pro_required
@require_GET
def onboarding_return(request, *, pro):
    account = services.connected_account_sync(pro=pro)
    return render(
        request,
        "payments/onboarding_return.html",
        {
            "account": account,
            "can_charge": selectors.account_can_charge(account),
            "offline": is_offline(),
        },
    )


@pro_required
@require_GET
def onboarding_refresh(request, *, pro):
    """Stripe's refresh_url: Stripe sends the pro here, with a GET, when a setup link expired.

    The GET only shows a page whose CSRF-protected button POSTs to get_paid, which makes the
    fresh link (and the account if needed): a link followed from another site writes nothing.
    """
    return render(request, "payments/onboarding_refresh.html", {"offline": is_offline()})


# -- Checkout (clients) ------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def checkout(request, pk):
    booking = selectors.booking_for_payment(user=request.user, pk=pk)
    if selectors.booking_saves_card(booking):
        return redirect("payments:card_setup", pk=booking.pk)
    if request.method == "POST":
        try:
            started = services.checkout_start(booking=booking, user=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            if booking.status != Booking.Status.PENDING_PAYMENT:
                return redirect(booking_url(booking))  # the balance is paid from there
            return redirect("payments:checkout", pk=booking.pk)
        return HttpResponseRedirect(started.checkout_url, status=HTTPStatus.SEE_OTHER)
    payment = selectors.current_payment_for(booking)
    return render(
        request,
        "payments/checkout.html",
        {
            "booking": booking,
            "payment": payment,
            "due_now": booking.deposit_amount or booking.price_amount,
            "balance_amount": booking.price_amount - booking.deposit_amount,
            "hold": selectors.payment_hold(booking, now=timezone.now()),
            "cancelled": request.GET.get("cancelled") == "1",
            "zone": viewer_zone(request.user, fallback=booking.pro.timezone),
            "booking_url": booking_url(booking),
            "offline": is_offline(),
        },
    )


def _status_payload(booking: Booking) -> dict:
    payment = selectors.current_payment_for(booking)
    status = payment.status if payment is not None else None
    return {
        "payment_status": status,
        "booking_status": booking.status,
        "done": status != Payment.Status.PENDING,
    }


@login_required
@require_GET
def checkout_return(request, pk):
    """Stripe's success_url: says "processing" until the webhook has marked the payment."""
    booking = selectors.booking_for_payment(user=request.user, pk=pk)
    payment = selectors.current_payment_for(booking)
    return render(
        request,
        "payments/checkout_return.html",
        {
            "booking": booking,
            "payment": payment,
            "state": _status_payload(booking),
            "booking_url": booking_url(booking),
        },
    )


@login_required
@require_GET
def checkout_status(request, pk):
    """Polled by static/js/payments.js on the processing page."""
    booking = selectors.booking_for_payment(user=request.user, pk=pk)
    return JsonResponse(_status_payload(booking))


# -- Offline test payment page -----------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def test_checkout(request, session_id):
    """Pay or Decline a pending offline payment: a booking's (back to its checkout page) or a
    tip's (back to the booking)."""
    payment = selectors.payment_for_test_checkout(user=request.user, session_id=session_id)
    booking = payment.booking
    is_tip = payment.kind == Payment.Kind.TIP
    to_booking = is_tip or payment.kind == Payment.Kind.NO_SHOW_FEE
    back = booking_url(booking) if to_booking else reverse("payments:checkout", args=[booking.pk])
    if request.method == "POST":
        outcome = request.POST.get("outcome")
        if outcome not in ("pay", "decline"):
            messages.error(request, _("Choose Pay or Decline."))
            return redirect("payments:test_checkout", session_id=session_id)
        if payment.status != Payment.Status.PENDING:
            messages.error(request, _("This test payment is already closed."))
            return redirect(back)
        if payment.kind == Payment.Kind.NO_SHOW_FEE:
            return _test_fee_payment(request, payment, outcome)
        if outcome == "decline":
            services.payment_failed(payment=payment)
            if payment.kind == Payment.Kind.BALANCE:
                messages.warning(
                    request, _("The test card was declined. The balance is still due at the visit.")
                )
                return redirect(booking_url(booking))
            messages.warning(
                request,
                _("The test card was declined. Your tip was not paid.")
                if is_tip
                else _("The test card was declined. You can try again while the time is held."),
            )
            return redirect(back)
        is_balance = payment.kind == Payment.Kind.BALANCE
        lapsed = booking.expires_at is not None and booking.expires_at <= timezone.now()
        if is_balance and booking.status != Booking.Status.CONFIRMED:
            messages.error(request, _("This booking no longer takes its balance online."))
            return redirect(booking_url(booking))
        if (
            not is_balance
            and not is_tip
            and (booking.status != Booking.Status.PENDING_PAYMENT or lapsed)
        ):
            messages.error(request, _("The hold on this time has expired. Please book again."))
            return redirect(back)
        try:
            services.payment_succeeded(
                payment=payment,
                payment_intent_id=f"offline_pi_{payment.pk}",
                amount=payment.amount,
                currency=payment.currency,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(back)
        if is_balance:
            messages.success(
                request, _("The balance is paid: nothing is left to pay at the visit.")
            )
            return redirect(booking_url(booking))
        if is_tip:
            return redirect(back + "?tip=thanks")
        return redirect("payments:checkout_return", pk=booking.pk)
    return render(request, "payments/test_checkout.html", {"payment": payment, "booking": booking})


# -- Tips (clients) ----------------------------------------------------------------------------


@login_required
@require_POST
def tip(request, pk):
    """The booking page's "Add a tip" form: a preset percentage or a typed amount."""
    booking = selectors.booking_for_payment(user=request.user, pk=pk)
    form = TipForm(request.POST, booking=booking)
    if form.is_valid():
        try:
            payment = services.tip_start(
                booking=booking, user=request.user, amount=form.cleaned_data["amount"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return HttpResponseRedirect(payment.checkout_url, status=HTTPStatus.SEE_OTHER)
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, str(error))
    return redirect(booking_url(booking) + "#tip")


# -- Receipts ----------------------------------------------------------------------------------


@login_required
@require_GET
def receipt(request, pk):
    """A payment's receipt (the booking's client, its pro, staff; 404 for anyone else)."""
    payment = selectors.payment_for_receipt(user=request.user, pk=pk)
    return render(
        request,
        "payments/receipt.html",
        {
            "receipt": receipts.receipt_for(payment, viewer=request.user),
            "payment": payment,
            "booking_url": booking_url(payment.booking),
        },
    )


@login_required
@require_GET
def receipt_pdf(request, pk):
    """The same receipt as a PDF download."""
    payment = selectors.payment_for_receipt(user=request.user, pk=pk)
    receipt = receipts.receipt_for(payment, viewer=request.user)
    response = HttpResponse(receipts.receipt_pdf(receipt), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="timz-receipt-{receipt.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


# -- Card on file (payments.card_on_file) -----------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def card_setup(request, pk):
    """The client saves a card for a card-protected booking: a page, then Checkout (setup)."""
    booking = selectors.booking_for_payment(user=request.user, pk=pk)
    card = selectors.saved_card_of(booking)
    if card is not None and card.is_saved:
        return redirect("bookings:done", pk=booking.pk)
    if request.method == "POST":
        try:
            card = card_on_file.card_setup_start(booking=booking, user=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("payments:card_setup", pk=booking.pk)
        return HttpResponseRedirect(card.checkout_url, status=HTTPStatus.SEE_OTHER)
    return render(
        request,
        "payments/card_setup.html",
        {
            "booking": booking,
            "card": card,
            "needs_card": selectors.booking_saves_card(booking),
            "fee": card_on_file.no_show_fee_amount(booking),
            "hold": selectors.payment_hold(booking, now=timezone.now()),
            "cancelled": request.GET.get("cancelled") == "1",
            "zone": viewer_zone(request.user, fallback=booking.pro.timezone),
            "booking_url": booking_url(booking),
            "offline": is_offline(),
        },
    )


@login_required
@require_GET
def card_setup_return(request, pk):
    """Checkout's success_url: asks the gateway whether the card was saved (the webhook may
    come later; either one records it, once), then the flow's Done step."""
    booking = selectors.booking_for_payment(user=request.user, pk=pk)
    card = selectors.saved_card_of(booking)
    if card is not None:
        card = card_on_file.card_setup_sync(saved_card=card)
    if card is not None and card.is_saved:
        return redirect("bookings:done", pk=booking.pk)
    return render(
        request,
        "payments/card_setup_return.html",
        {"booking": booking, "card": card, "booking_url": booking_url(booking)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def test_card_setup(request, session_id):
    """The offline backend's stand-in for Checkout in setup mode (clearly a test page)."""
    card = selectors.saved_card_for_test_setup(user=request.user, session_id=session_id)
    booking = card.booking
    if request.method == "POST":
        outcome = request.POST.get("outcome")
        if outcome not in ("save", "cancel"):
            messages.error(request, _("Choose Save the test card or Cancel."))
            return redirect("payments:test_card_setup", session_id=session_id)
        if outcome == "cancel" or card.status != card.Status.PENDING:
            return redirect(reverse("payments:card_setup", args=[booking.pk]) + "?cancelled=1")
        try:
            card_on_file.card_setup_complete(
                saved_card=card, setup_intent_id=f"offline_seti_{card.pk}"
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("payments:card_setup", pk=booking.pk)
        return redirect("payments:card_setup_return", pk=booking.pk)
    return render(request, "payments/test_card_setup.html", {"card": card, "booking": booking})


@login_required
@require_http_methods(["GET", "POST"])
def fee_charge(request, pk):
    """The pro charges the no-show or late-cancellation fee: a confirm step, then the POST."""
    booking = selectors.booking_for_fee(user=request.user, pk=pk)
    if request.method == "POST":
        try:
            payment = card_on_file.no_show_fee_charge(booking=booking, by=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("bookings:detail", pk=booking.pk)
        if payment.is_paid:
            messages.success(request, _("The fee was charged. The client gets a receipt."))
        elif payment.status == Payment.Status.PENDING:
            messages.warning(
                request,
                _(
                    "The client’s bank wants the client to confirm this payment. We sent them a "
                    "link to pay; you will see here when they have."
                ),
            )
        else:
            messages.error(
                request,
                _("The card was declined: %(why)s You may try once more later.")
                % {"why": payment.failure_text},
            )
        return redirect("bookings:detail", pk=booking.pk)
    fee_payments = selectors.fee_payments_of(booking)
    return render(
        request,
        "payments/fee_charge.html",
        {
            "booking": booking,
            "card": selectors.saved_card_of(booking),
            "fee": card_on_file.no_show_fee_amount(booking),
            "occasion": card_on_file.fee_occasion(booking),
            "refusal": card_on_file.fee_refusal(booking=booking, fee_payments=fee_payments),
            "booking_url": booking_url(booking),
        },
    )


@login_required
@require_POST
def fee_pay(request, pk):
    """The client pays a fee their bank wanted them to confirm: to Checkout (payment mode)."""
    booking = selectors.booking_for_payment(user=request.user, pk=pk)
    try:
        payment = card_on_file.no_show_fee_pay_start(booking=booking, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("bookings:detail", pk=booking.pk)
    return HttpResponseRedirect(payment.checkout_url, status=HTTPStatus.SEE_OTHER)


def _test_fee_payment(request, payment: Payment, outcome: str):
    """The offline test page paying a no-show fee's link: Decline leaves the fee waiting."""
    detail = booking_url(payment.booking)
    if outcome == "decline":
        messages.warning(request, _("The test card was declined. The fee is still to pay."))
        return redirect(detail)
    services.payment_succeeded(
        payment=payment,
        payment_intent_id=f"offline_pi_{payment.pk}",
        amount=payment.amount,
        currency=payment.currency,
    )
    messages.success(request, _("Thank you: the fee is paid."))
    return redirect(detail)


# -- Stripe webhook ----------------------------------------------------------------------------


def _bad_request(detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=HTTPStatus.BAD_REQUEST)


@csrf_exempt  # The ONLY csrf-exempt view: the Stripe signature authenticates it.
@require_POST
def stripe_webhook(request):
    """Stripe's events. The platform endpoint and the Connect endpoint (account.updated) may
    both point here, each signed with its own secret."""
    secrets = [
        s for s in (settings.STRIPE_WEBHOOK_SECRET, settings.STRIPE_CONNECT_WEBHOOK_SECRET) if s
    ]
    if not secrets:
        return _bad_request("Webhooks are not configured (STRIPE_WEBHOOK_SECRET is empty).")
    signature = request.headers.get("Stripe-Signature", "")
    payload = request.body.decode("utf-8", errors="replace")
    for secret in secrets:
        try:
            stripe.WebhookSignature.verify_header(
                payload, signature, secret, stripe.Webhook.DEFAULT_TOLERANCE
            )
            break
        except stripe.SignatureVerificationError:
            continue
    else:
        return _bad_request("Invalid or expired signature.")
    try:
        decoded = json.loads(payload)
    except ValueError:
        return _bad_request("Invalid payload.")
    try:
        data = webhooks.validate_event(decoded)
    except webhooks.EventMalformed as exc:
        return _bad_request(str(exc))
    try:
        record, created = webhooks.process_event(data)
    except webhooks.EventNotReady as exc:
        logger.info("Stripe event %s not ready: %s", data["id"], exc)
        return JsonResponse({"detail": str(exc)}, status=HTTPStatus.CONFLICT)
    return JsonResponse({"received": True, "duplicate": not created})


# -- The pro's money page ----------------------------------------------------------------------


@pro_required
@require_GET
def money(request, *, pro):
    """A month of the pro's money (their own calendar month): the figures per currency, the
    lines they add up from, the payouts, and the same lines as a CSV (``?format=csv``)."""
    try:
        month = selectors.pro_month(pro=pro, month=request.GET.get("month") or None)
    except ValueError as exc:
        return bad_request(request, str(exc), back=reverse("payments:money"))
    export = request.GET.get("format", "")
    if export not in ("", "html", "csv"):
        return bad_request(request, _("Choose format=csv or leave it out."), back=request.path)
    earnings = selectors.earnings_for_month(pro=pro, month=month)
    zone = zone_of(pro.timezone)
    if export == "csv":
        text = csv_text(csv_header(), earnings_csv_rows(earnings.lines, zone), numeric=CSV_NUMERIC)
        return csv_response(text, filename=f"timz-{pro.slug}-{month.key}.csv")
    this_month = selectors.pro_month(pro=pro)
    return render(
        request,
        "payments/money.html",
        {
            "pro": pro,
            "zone": zone,
            "month": month,
            "earnings": earnings,
            "payouts": selectors.payouts_for_month(pro=pro, month=month),
            "is_future": month.start > this_month.start,
            "is_current": month.key == this_month.key,
        },
    )
