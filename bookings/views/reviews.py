"""Reviews: the client writes one after a completed visit, the pro replies once, from the
booking's page or from their reviews page (which sends `next` back to itself)."""

from __future__ import annotations

from http import HTTPStatus

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import pro_required
from accounts.timezones import zone_of
from bookings import selectors, services
from bookings.forms import (
    ReplyForm,
    ReviewForm,
)
from bookings.views.common import first_message, next_url, review_of
from bookings.views.detail import render_detail


@login_required
@require_http_methods(["GET", "POST"])
def review(request, pk):
    booking = selectors.booking_get_for_user(user=request.user, pk=pk)
    refusal = services.review_refusal(booking=booking, by=request.user, now=timezone.now())
    if refusal is not None:
        messages.error(request, refusal)
        return redirect("bookings:detail", pk=booking.pk)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.review_create(
                booking=booking,
                by=request.user,
                rating=form.cleaned_data["rating"],
                text=form.cleaned_data["text"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Thank you for your review!"))
            return redirect(reverse("bookings:detail", kwargs={"pk": booking.pk}) + "#review")
    status = HTTPStatus.BAD_REQUEST if form.is_bound else HTTPStatus.OK
    return render(
        request, "bookings/review.html", {"booking": booking, "form": form}, status=status
    )


@login_required
@require_POST
def review_reply(request, pk):
    booking = selectors.booking_get_for_user(user=request.user, pk=pk)
    existing = review_of(booking)
    if existing is None:
        raise Http404("This booking has no review.")
    form = ReplyForm(request.POST)
    back = next_url(request, reverse("bookings:detail", kwargs={"pk": booking.pk}) + "#review")
    if form.is_valid():
        try:
            services.review_reply(review=existing, by=request.user, text=form.cleaned_data["text"])
        except ValidationError as exc:
            messages.error(request, first_message(exc))
            return redirect(back)
        messages.success(request, _("Your reply was published."))
        return redirect(back)
    return render_detail(request, booking, reply_form=form, status=HTTPStatus.BAD_REQUEST)


REVIEWS_PAGE_SIZE = 20


@pro_required
@require_GET
def review_list(request, *, pro):
    """The pro's reviews with their average, each answerable inline (the form posts to
    review_reply with `next` pointing back here)."""
    unanswered = request.GET.get("show") == "unanswered"
    page = Paginator(
        selectors.reviews_for_pro(pro=pro, unanswered=unanswered), REVIEWS_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "bookings/reviews.html",
        {
            "pro": pro,
            "page_obj": page,
            "counts": selectors.review_counts_for_pro(pro=pro),
            "unanswered": unanswered,
            "reply_form": ReplyForm(),
            "zone": zone_of(pro.timezone),
        },
    )
