"""Find a free time: pros free in a window, with their free start times (bookings.search).

GET only; invalid fields are shown on the form with a 400 and nothing is searched. Each time is
a link to the booking flow's confirm step with that start."""

from __future__ import annotations

from http import HTTPStatus

from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts import selectors as directory
from accounts.search import viewer_currency
from bookings import selectors
from bookings.forms import FreeTimeSearchForm

PAGE_SIZE = 20
TIMES_SHOWN = 8  # per result; the rest are a link away, on the pro's booking page


@require_GET
def find(request):
    categories = list(directory.categories_all())
    form = FreeTimeSearchForm(request.GET or None, categories=categories, user=request.user)
    page = rows = None
    status = HTTPStatus.OK
    if form.is_bound:
        if form.is_valid():
            offers = selectors.availability_search(
                **form.search, currency=viewer_currency(request, city=request.GET.get("near"))
            )
            page = Paginator(offers, PAGE_SIZE).get_page(request.GET.get("page"))
            rows = [
                {
                    "offer": offer,
                    "times": offer.slots[:TIMES_SHOWN],
                    "more": max(0, len(offer.slots) - TIMES_SHOWN),
                }
                for offer in page.object_list
            ]
        else:
            status = HTTPStatus.BAD_REQUEST
    return render(
        request,
        "bookings/search.html",
        {
            "form": form,
            "categories": categories,
            "page_obj": page,
            "rows": rows,
            "zone": form.zone,
            "window": form.search.get("window"),
        },
        status=status,
    )
