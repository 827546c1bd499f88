"""Receipts: one for every payment taken (a booking, a deposit, its balance, a fee, a tip), as a
page and as a PDF made with fpdf2.

``receipt_for`` gathers what a receipt says for one viewer (the client, the pro or staff: the
pro and staff also see the platform fee); ``receipt_pdf`` lays it out. The PDF embeds DejaVu Sans
(``payments/fonts``), so names and currency signs print, € included. The font files are DejaVu
Sans cut down to Latin, Greek, Cyrillic, Armenian, Hebrew, Arabic, general punctuation, currency
signs and arrows (``pyftsubset --unicodes="U+0000-06FF,U+1E00-1FFF,U+2000-20CF,U+2100-21FF,U+2212"
--layout-features='*'``): reading the whole font took two thirds of a receipt's ~1.6 s on the
loaded test machine, the cut one ~0.5 s. A letter outside those ranges prints as a blank box. Dates
are in the viewer's zone; amounts go through ``timz.money``. The platform's legal name and,
when configured, its VAT number (``PLATFORM_LEGAL_NAME``, ``PLATFORM_VAT_ID``) close it.

A receipt is written in the active language: the viewer's, on a page or a download (to attach
one to an email, build it inside ``accounts.languages.speaking(recipient)``). ``receipt_for``
formats its amounts and labels then, and ``receipt_pdf`` its words and dates
(``timz.formats.pattern``), so call both in that language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.dateformat import format as date_format
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _
from fpdf import FPDF

from accounts.timezones import viewer_zone
from payments import selectors
from payments.models import Payment, Refund
from timz.formats import pattern
from timz.money import format_money

FONTS = Path(__file__).resolve().parent / "fonts"


@dataclass(frozen=True)
class RefundLine:
    date: datetime
    amount: str
    reason: str


@dataclass(frozen=True)
class Receipt:
    number: str
    issued: datetime  # the payment's time, in the viewer's zone
    zone: str
    seller_name: str
    seller_address: list[str]
    client_name: str
    service: str
    visit: datetime  # the booking's start, in the viewer's zone
    kind: str
    amount: str
    refunds: list[RefundLine]
    refunded: str | None
    kept: str | None  # what remains paid after refunds (None without refunds)
    fee: str | None  # the platform fee as deducted ("−€5.00"), and the pro's net: for the
    # pro and staff only
    net: str | None
    status: str
    platform_name: str
    platform_vat_id: str
    booking_id: int


def receipt_number(payment: Payment) -> str:
    """ "TZ-2026-000123": the payment's year and id (unique, never reused)."""
    assert payment.paid_at is not None
    return f"TZ-{payment.paid_at:%Y}-{payment.pk:06d}"


def seller_name(pro) -> str:
    return pro.business_name or pro.display_name


def receipt_for(payment: Payment, *, viewer) -> Receipt:
    booking = payment.booking
    pro = booking.pro
    zone: ZoneInfo = viewer_zone(viewer, fallback=pro.timezone)
    currency = payment.currency
    refunds = [r for r in selectors.refunds_for(payment) if r.status == Refund.Status.SUCCEEDED]
    sees_fee = selectors.viewer_sees_fee(booking=booking, viewer=viewer)
    assert payment.paid_at is not None
    return Receipt(
        number=receipt_number(payment),
        issued=payment.paid_at.astimezone(zone),
        zone=zone.key,
        seller_name=seller_name(pro),
        seller_address=[line for line in (pro.address_line, pro.city) if line],
        client_name=booking.client.display_name,
        service=booking.localized_service_name,
        visit=booking.starts_at.astimezone(zone),
        kind=payment.get_kind_display(),
        amount=format_money(payment.amount, currency),
        refunds=[
            RefundLine(
                date=(r.completed_at or r.created_at).astimezone(zone),
                amount=format_money(r.amount, currency),
                reason=r.reason_text,
            )
            for r in refunds
        ],
        refunded=format_money(payment.amount_refunded, currency) if refunds else None,
        kept=format_money(payment.amount - payment.amount_refunded, currency) if refunds else None,
        fee=format_money(payment.fee_refunded - payment.fee, currency) if sees_fee else None,
        net=format_money(payment.net_after_refunds, currency) if sees_fee else None,
        status=payment.get_status_display(),
        platform_name=settings.PLATFORM_LEGAL_NAME,
        platform_vat_id=settings.PLATFORM_VAT_ID,
        booking_id=booking.pk,
    )


class _ReceiptPDF(FPDF):
    def __init__(self):
        super().__init__(format="A4", unit="mm")
        self.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.set_margins(20, 20, 20)
        self.set_auto_page_break(auto=True, margin=20)


def _when(value: datetime) -> str:
    """A date and time as the active language writes it ("5 Dec 2026, 14:00")."""
    return date_format(value, pattern("DAY_MONTH_YEAR_TIME"))


def _day(value: datetime) -> str:
    return date_format(value, pattern("DAY_MONTH_YEAR"))


def receipt_pdf(receipt: Receipt) -> bytes:
    """The receipt as an A4 PDF (text, not an image: it can be searched and read aloud)."""
    pdf = _ReceiptPDF()
    pdf.set_title(_("Receipt %(number)s") % {"number": receipt.number})
    pdf.set_author(receipt.platform_name)
    pdf.set_creator("Timz")
    pdf.set_lang(get_language() or settings.LANGUAGE_CODE)
    pdf.add_page()
    width = pdf.epw

    pdf.set_font("DejaVu", "B", 20)
    pdf.cell(width, 10, _("Receipt"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.set_text_color(90, 90, 100)
    # Translators: the receipt's number, e.g. "No. TZ-2026-000123".
    number = _("No. %(number)s") % {"number": receipt.number}
    pdf.cell(width, 6, number, new_x="LMARGIN", new_y="NEXT")
    paid = _("Paid %(when)s (%(zone)s)") % {"when": _when(receipt.issued), "zone": receipt.zone}
    pdf.cell(width, 6, paid, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)

    pdf.set_text_color(20, 20, 30)
    half = width / 2
    top = pdf.get_y()
    pdf.set_font("DejaVu", "B", 10)
    # Translators: the seller, on a receipt.
    pdf.cell(half, 6, pgettext("receipt", "From"), new_x="LEFT", new_y="NEXT")
    pdf.set_font("DejaVu", "", 11)
    pdf.multi_cell(half - 4, 6, "\n".join([receipt.seller_name, *receipt.seller_address]))
    left_bottom = pdf.get_y()
    pdf.set_xy(pdf.l_margin + half, top)
    pdf.set_font("DejaVu", "B", 10)
    # Translators: the client, on a receipt.
    pdf.cell(half, 6, pgettext("receipt", "To"), new_x="LEFT", new_y="NEXT")
    pdf.set_font("DejaVu", "", 11)
    pdf.multi_cell(half, 6, receipt.client_name)
    pdf.set_y(max(left_bottom, pdf.get_y()) + 6)

    pdf.set_font("DejaVu", "B", 10)
    pdf.set_fill_color(238, 240, 246)
    pdf.cell(width * 0.7, 8, " " + _("Description"), fill=True)
    pdf.cell(width * 0.3, 8, _("Amount") + " ", fill=True, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 11)
    description = "\n".join(
        [
            _("%(kind)s: %(service)s") % {"kind": receipt.kind, "service": receipt.service},
            _("Visit %(when)s · booking #%(booking)s")
            % {"when": _when(receipt.visit), "booking": receipt.booking_id},
        ]
    )
    y = pdf.get_y()
    pdf.multi_cell(width * 0.7, 6, " " + description.replace("\n", "\n "))
    end = pdf.get_y()
    pdf.set_xy(pdf.l_margin + width * 0.7, y)
    pdf.cell(width * 0.3, 6, receipt.amount + " ", align="R")
    pdf.set_y(end + 2)
    for refund in receipt.refunds:
        line = _("Refund %(date)s: %(reason)s") % {
            "date": _day(refund.date),
            "reason": refund.reason,
        }
        pdf.cell(width * 0.7, 6, f" {line}"[:90])
        pdf.cell(width * 0.3, 6, f"−{refund.amount} ", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.line(pdf.l_margin, pdf.get_y() + 1, pdf.l_margin + width, pdf.get_y() + 1)
    pdf.ln(3)
    pdf.set_font("DejaVu", "B", 12)
    total = receipt.kept if receipt.kept is not None else receipt.amount
    pdf.cell(width * 0.7, 8, " " + _("Total paid"))
    pdf.cell(width * 0.3, 8, total + " ", align="R", new_x="LMARGIN", new_y="NEXT")
    if receipt.fee is not None:
        pdf.set_font("DejaVu", "", 10)
        pdf.cell(width * 0.7, 6, " " + _("Platform fee"))
        pdf.cell(width * 0.3, 6, f"{receipt.fee} ", align="R", new_x="LMARGIN", new_y="NEXT")
        pdf.cell(width * 0.7, 6, " " + _("Net to the professional"))
        pdf.cell(width * 0.3, 6, f"{receipt.net} ", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)

    pdf.set_font("DejaVu", "", 9)
    pdf.set_text_color(90, 90, 100)
    footer = _(
        "Paid online through %(platform)s, which collects payments on behalf of %(seller)s."
    ) % {"platform": receipt.platform_name, "seller": receipt.seller_name}
    if receipt.platform_vat_id:
        vat = _("VAT ID %(vat_id)s") % {"vat_id": receipt.platform_vat_id}
        footer += f"\n{receipt.platform_name} · {vat}"
    pdf.multi_cell(width, 5, footer)
    return bytes(pdf.output())
