"""The versioned JSON API root, mounted at /api/v1/.

Each app contributes a router from its own `api.py`. Authentication is the browser session
(`django_auth`), which is also what enforces CSRF on unsafe methods. Errors are always
`{"detail": "..."}` with a 4xx status, in the request's language (accounts.languages: an
explicit Accept-Language, else the user's choice): our own texts are translated; pydantic's
field-validation texts ("Field required") stay English after their field's name.
"""

import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from timz.input import UNREADABLE_MESSAGE


class SessionSwagger(Swagger):
    """Swagger UI (served from ninja's local static files, no inline script, so it runs under
    our CSP) that always sends the CSRF token: our endpoints opt into `django_auth` one by one,
    so ninja cannot tell from the API's global auth that "Try it out" needs the token."""

    def render_page(self, request, api, **kwargs):
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        context = {
            "swagger_settings": json.dumps(self.settings, indent=1),
            "api": api,
            "add_csrf": True,
        }
        return render(request, self.template, context)


api = NinjaAPI(
    title="Timz API",
    version="1",
    urls_namespace="api-v1",
    description="Book independent professionals. Session authentication with CSRF.",
    docs=SessionSwagger(),
)


def _messages(exc: ValidationError) -> str:
    return " ".join(exc.messages)


@api.exception_handler(ValidationError)
def on_validation_error(request, exc):
    return api.create_response(request, {"detail": _messages(exc)}, status=400)


@api.exception_handler(NinjaValidationError)
def on_schema_error(request, exc):
    parts = []
    for err in exc.errors:
        loc = list(err.get("loc", ()))
        # ninja prefixes the source ("body", "query", "path") and the argument name; a field
        # really named "body" (a chat message) must survive, so strip the source only.
        if loc and loc[0] in ("body", "query", "path", "header", "cookie", "form"):
            loc = loc[2:] if len(loc) > 2 else loc[1:]
        loc = ".".join(str(p) for p in loc)
        parts.append(f"{loc}: {err.get('msg')}" if loc else str(err.get("msg")))
    return api.create_response(
        request, {"detail": "; ".join(parts) or _("Invalid input.")}, status=400
    )


@api.exception_handler(AuthenticationError)
def on_auth_error(request, exc):
    return api.create_response(request, {"detail": _("Authentication required.")}, status=401)


@api.exception_handler(PermissionDenied)
def on_permission_denied(request, exc):
    return api.create_response(request, {"detail": str(exc) or _("Not allowed.")}, status=403)


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return api.create_response(request, {"detail": str(exc) or _("Not found.")}, status=404)


@api.exception_handler(HttpError)
def on_http_error(request, exc):
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


@api.exception_handler(MultiPartParserError)
def on_unreadable_body(request, exc):
    # The session auth's CSRF check reads request.POST: a multipart body without a boundary
    # must get the API's JSON 400, not Django's HTML error page.
    return api.create_response(request, {"detail": str(UNREADABLE_MESSAGE)}, status=400)


def not_found(request, unmatched=""):
    """Any /api/ URL that no operation matches (say /api/v1/bookings/abc, where the id is not
    a number): the API's JSON 404 instead of the site's HTML page. Routed after api.urls."""
    return api.create_response(request, {"detail": _("No such API endpoint.")}, status=404)


# Routers are registered here, one per app, so that the URL layout is visible in one place.
from accounts.api import router as accounts_router  # noqa: E402
from bookings.api import router as bookings_router  # noqa: E402
from chat.api import router as chat_router  # noqa: E402
from payments.api import router as payments_router  # noqa: E402

api.add_router("/", accounts_router)
# Before bookings: its POST /bookings/{id}/{action} would otherwise catch /bookings/{id}/pay.
api.add_router("/", payments_router)
api.add_router("/", bookings_router)
api.add_router("/", chat_router)
