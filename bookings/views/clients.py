"""The pro's clients: the list (search, last visit first) and a card per client with visit
history, spend, no-shows, the pro's private note and the "book again" email.

A client is fetched through bookings.selectors.client_get_for_pro: someone who never booked
this pro is a 404, whoever asks.
"""

from __future__ import annotations

from http import HTTPStatus

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.access import pro_required
from accounts.timezones import zone_of
from bookings import selectors, series, services
from bookings.forms import ClientNoteForm, ClientSearchForm, RebookNudgeForm
from bookings.views.common import first_message
from timz.ratelimit import RateLimited

CLIENTS_PAGE_SIZE = 25


@pro_required
@require_GET
def client_list(request, *, pro):
    form = ClientSearchForm(request.GET or None)
    q = form.cleaned_data["q"] if form.is_valid() else ""
    page = Paginator(selectors.clients_for_pro(pro=pro, q=q), CLIENTS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    spend = selectors.client_spend(pro=pro, client_ids=[c.pk for c in page])
    rows = [(client, spend.get(client.pk, [])) for client in page]
    return render(
        request,
        "bookings/clients.html",
        {
            "pro": pro,
            "form": form,
            "q": q,
            "page_obj": page,
            "rows": rows,
            "zone": zone_of(pro.timezone),
        },
        status=HTTPStatus.OK if not form.is_bound or form.is_valid() else HTTPStatus.BAD_REQUEST,
    )


def _render_card(request, pro, client, *, note_form=None, nudge_form=None, status=HTTPStatus.OK):
    return render(
        request,
        "bookings/client_detail.html",
        {
            "pro": pro,
            "client": client,
            "history": selectors.client_history(pro=pro, client=client),
            "history_max": selectors.CLIENT_HISTORY_MAX,
            "spend": selectors.client_spend(pro=pro, client_ids=[client.pk]).get(client.pk, []),
            "nudges": selectors.client_nudges(pro=pro, client=client),
            "note_form": note_form or ClientNoteForm(initial={"text": client.note_text}),
            "nudge_form": nudge_form or RebookNudgeForm(),
            "zone": zone_of(pro.timezone),
            "services": [
                s
                for s in selectors.services_for_pro(pro=pro)
                if not selectors.service_pays_online(s)
            ],
            "every_choices": series.EVERY_CHOICES,
        },
        status=status,
    )


@pro_required
@require_GET
def client_detail(request, client_id, *, pro):
    client = selectors.client_get_for_pro(pro=pro, client_id=client_id)
    return _render_card(request, pro, client)


@pro_required
@require_POST
def client_note(request, client_id, *, pro):
    client = selectors.client_get_for_pro(pro=pro, client_id=client_id)
    form = ClientNoteForm(request.POST)
    if form.is_valid():
        try:
            services.client_note_set(pro=pro, client=client, text=form.cleaned_data["text"])
        except ValidationError as exc:
            form.add_error("text", exc)
        else:
            messages.success(request, _("Your note was saved."))
            return redirect(reverse("bookings:client_detail", args=[client.pk]) + "#note")
    return _render_card(request, pro, client, note_form=form, status=HTTPStatus.BAD_REQUEST)


@pro_required
@require_POST
def client_nudge(request, client_id, *, pro):
    client = selectors.client_get_for_pro(pro=pro, client_id=client_id)
    form = RebookNudgeForm(request.POST)
    if form.is_valid():
        try:
            nudge = services.client_rebook_nudge(
                pro=pro, client=client, weeks=form.cleaned_data["weeks"]
            )
        except RateLimited as exc:
            form.add_error("weeks", first_message(exc))
            return _render_card(
                request, pro, client, nudge_form=form, status=HTTPStatus.TOO_MANY_REQUESTS
            )
        except ValidationError as exc:
            form.add_error("weeks", exc)
        else:
            messages.success(
                request,
                _("%(name)s was invited to book again around %(date)s.")
                % {
                    "name": client.display_name,
                    "date": formats.date_format(nudge.suggested_date, "MONTH_DAY_FORMAT"),
                },
            )
            return redirect(reverse("bookings:client_detail", args=[client.pk]) + "#rebook")
    return _render_card(request, pro, client, nudge_form=form, status=HTTPStatus.BAD_REQUEST)
