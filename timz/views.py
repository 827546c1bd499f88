"""Site-wide views: health check and error pages. The home page lives in accounts.views."""

import asyncio
import uuid
from http import HTTPStatus

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import connection
from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from timz.input import is_api, refuse, too_large_message


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


async def _layer_roundtrip() -> bool:
    layer = get_channel_layer()
    channel = await layer.new_channel("healthz.")
    token = uuid.uuid4().hex
    await layer.send(channel, {"type": "healthz.ping", "token": token})
    message = await asyncio.wait_for(layer.receive(channel), timeout=2)
    return message.get("token") == token


def _channel_layer_ok() -> bool:
    try:
        return async_to_sync(_layer_roundtrip)()
    except Exception:
        return False


def favicon(request):
    """Browsers (and the admin) ask for /favicon.ico; the icon is an SVG among static files."""
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))


@never_cache
def healthz(request):
    """200 when the database and the channel layer answer, else 503 naming what failed."""
    checks = {"database": _database_ok(), "channel_layer": _channel_layer_ok()}
    body = {"status": "ok" if all(checks.values()) else "error"}
    body.update({name: "ok" if ok else "error" for name, ok in checks.items()})
    return JsonResponse(body, status=200 if all(checks.values()) else 503)


def csrf_failure(request, reason=""):
    """CSRF refusals: JSON under /api/ (clients read `detail`), the branded page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {
                "detail": _(
                    "CSRF check failed: send the csrftoken cookie's value in the "
                    "X-CSRFToken header."
                )
            },
            status=403,
        )
    return render(request, "403_csrf.html", status=403)


def error_400(request, exception=None):
    """Django's 400s: a body over DATA_UPLOAD_MAX_MEMORY_SIZE is a 413; JSON under /api/."""
    if isinstance(exception, RequestDataTooBig):
        return refuse(
            request,
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            too_large_message(settings.DATA_UPLOAD_MAX_MEMORY_SIZE),
        )
    if is_api(request):
        return refuse(request, HTTPStatus.BAD_REQUEST, _("The request could not be read."))
    return render(request, "400.html", status=400)


def error_403(request, exception=None):
    return render(request, "403.html", status=403)


def error_404(request, exception=None):
    return render(request, "404.html", status=404)


def error_500(request):
    return render(request, "500.html", status=500)
