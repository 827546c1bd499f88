"""The pro's services: list, create, edit, delete, reorder."""

from __future__ import annotations

from http import HTTPStatus

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import pro_required
from bookings import selectors, services
from bookings.forms import (
    ServiceForm,
)
from bookings.models import Service


@pro_required
@require_GET
def service_list(request, *, pro):
    items = list(selectors.services_for_pro(pro=pro, include_inactive=True))
    return render(
        request,
        "bookings/services.html",
        {"pro": pro, "services": items, "currency": pro.currency},
    )


def _own_service(pro, pk) -> Service:
    return selectors.service_get_for_pro(pro=pro, pk=pk)


@pro_required
@require_http_methods(["GET", "POST"])
def service_create(request, *, pro):
    # Services are priced in the pro's currency (chosen on the profile page), never per form.
    currency = pro.currency
    form = ServiceForm(request.POST or None, request.FILES or None, pro=pro, currency=currency)
    if request.method == "POST" and form.is_valid():
        try:
            service = services.service_create(pro=pro, **form.service_fields())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("“%(name)s” was added.") % {"name": service.name})
            return redirect("bookings:services")
    status = HTTPStatus.BAD_REQUEST if form.is_bound else HTTPStatus.OK
    return render(
        request,
        "bookings/service_form.html",
        {"form": form, "pro": pro, "service": None},
        status=status,
    )


@pro_required
@require_http_methods(["GET", "POST"])
def service_edit(request, pk, *, pro):
    service = _own_service(pro, pk)
    form = ServiceForm(
        request.POST or None,
        request.FILES or None,
        pro=pro,
        currency=pro.currency,
        initial=ServiceForm.initial_for(service),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.service_update(service=service, currency=pro.currency, **form.service_fields())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("“%(name)s” was saved.") % {"name": service.name})
            return redirect("bookings:services")
    status = HTTPStatus.BAD_REQUEST if form.is_bound else HTTPStatus.OK
    return render(
        request,
        "bookings/service_form.html",
        {"form": form, "pro": pro, "service": service},
        status=status,
    )


@pro_required
@require_POST
def service_delete(request, pk, *, pro):
    service = _own_service(pro, pk)
    name = service.name
    services.service_delete(service=service)
    if Service.objects.filter(pk=pk).exists():
        messages.info(
            request,
            _("“%(name)s” has bookings, so it was hidden instead of deleted.") % {"name": name},
        )
    else:
        messages.success(request, _("“%(name)s” was deleted.") % {"name": name})
    return redirect("bookings:services")


@pro_required
@require_POST
def service_move(request, pk, direction, *, pro):
    if direction not in services.SERVICE_MOVES:
        raise Http404("Services move up or down.")
    services.service_move(service=_own_service(pro, pk), direction=direction)
    return redirect(reverse("bookings:services") + f"#service-{pk}")
