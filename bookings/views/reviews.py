"""Reviews: the client writes one after a completed visit, the pro replies once."""

from __future__ import annotations

from http import HTTPStatus

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from bookings import selectors, services
from bookings.forms import (
    ReplyForm,
    ReviewForm,
)
from bookings.views.common import first_message, review_of
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
            messages.success(request, "Thank you for your review!")
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
    if form.is_valid():
        try:
            services.review_reply(review=existing, by=request.user, text=form.cleaned_data["text"])
        except ValidationError as exc:
            messages.error(request, first_message(exc))
            return redirect(reverse("bookings:detail", kwargs={"pk": booking.pk}) + "#review")
        messages.success(request, "Your reply was published.")
        return redirect(reverse("bookings:detail", kwargs={"pk": booking.pk}) + "#review")
    return render_detail(request, booking, reply_form=form, status=HTTPStatus.BAD_REQUEST)
