"""The pro's share link, ``/go/<slug>/``: remembers who brought the visitor, then shows the
pro's page (``bookings.attribution``)."""

from django.shortcuts import redirect
from django.views.decorators.http import require_GET

from accounts import selectors as directory
from bookings import attribution


@require_GET
def go(request, slug):
    """Set the share-link cookie for this listed pro and land on their page (404 otherwise).
    Only a cookie is written: the booking decides its source when it is made."""
    pro = directory.pro_get_public(slug=slug)
    response = redirect("accounts:pro_detail", slug=pro.slug)
    attribution.mark_arrival(response, pro_id=pro.pk)
    return response
