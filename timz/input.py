"""The one input layer: what every HTTP request must satisfy before any view reads it.

- **Size.** A body larger than ``settings.MAX_REQUEST_BYTES`` is never handed to Django:
  ``BodySizeLimit`` (ASGI, around the whole HTTP app) stops reading at the limit, by the
  declared Content-Length or by counting a streamed body, and marks the scope; the middleware
  then answers 413. A non-file body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (Django's own limit,
  raised while the body is parsed) gets the same 413 through ``timz.views.error_400``.
- **NUL characters.** PostgreSQL text cannot hold U+0000 (SQLite can, which hides the bug), so
  a NUL anywhere in the path, the query string, a form field, an uploaded file's name or a
  JSON body is refused with 400 before it can reach a query.

Refusals are JSON ``{"detail": ...}`` under ``/api/`` (like every API error) and the branded
error page elsewhere, both through ``refuse``, in the request's language (the messages below are
lazy: read them where the language is known; ``str(NUL_MESSAGE)`` for a websocket frame).
Websocket frames are text the consumers decode themselves; they use ``has_nul`` on the decoded
value.
"""

from __future__ import annotations

import re
from http import HTTPStatus

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils import formats
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

SCOPE_TOO_LARGE = "timz.body_too_large"
NUL_MESSAGE = gettext_lazy(
    "The request contains a NUL character (U+0000), which Timz does not accept."
)
UNREADABLE_MESSAGE = gettext_lazy("The request body could not be read.")
# The refusal page's title per status (HTTP's own reason phrase for any other status).
TITLES = {
    HTTPStatus.BAD_REQUEST: gettext_lazy("Bad Request"),
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: gettext_lazy("Content Too Large"),
}

# A JSON string escape for U+0000 that is not itself an escaped backslash followed by "u0000".
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def _readable_size(size: int) -> str:
    """ "64 KB", "2.5 MB" in the active language's notation ("2,5 MB" in French)."""
    if size < 1024 * 1024:
        return _("%(size)s KB") % {"size": size // 1024}
    megabytes = round(size / (1024 * 1024), 1)
    shown = formats.number_format(megabytes, 0 if megabytes == int(megabytes) else 1)
    return _("%(size)s MB") % {"size": shown}


def too_large_message(limit: int) -> str:
    return _("The request is too large: at most %(size)s.") % {"size": _readable_size(limit)}


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def refuse(request: HttpRequest, status: HTTPStatus, message: str | Promise) -> HttpResponse:
    """The answer to input Timz will not take: JSON under /api/, the error page elsewhere."""
    if is_api(request):
        # The content type of every other API answer (ninja's renderer).
        return JsonResponse(
            {"detail": message}, status=status, content_type="application/json; charset=utf-8"
        )
    title = TITLES.get(status, status.phrase)
    return render(
        request,
        "input_refused.html",
        {"status": status, "title": title, "message": message},
        status=status,
    )


def has_nul(value) -> bool:
    """True when a NUL character is anywhere in `value` (strings, and inside lists and dicts,
    keys included)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(v) for v in value)
    return False


def _query_has_nul(querydict) -> bool:
    return any(has_nul(key) or has_nul(values) for key, values in querydict.lists())


def request_has_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path or _query_has_nul(request.GET):
        return True
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return False
    content_type = request.content_type or ""
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        if _query_has_nul(request.POST):
            return True
        return any(has_nul(f.name) for f in request.FILES.values())
    body = request.body
    return b"\x00" in body or _JSON_NUL.search(body) is not None


class InputGuardMiddleware:
    """Refuses oversized bodies (413) and NUL characters (400) before any view runs.

    Placed after the session and authentication middleware (so a refusal page shows who is
    logged in) and before any view runs; CSRF's form check runs with the view, after it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        scope = getattr(request, "scope", None) or {}
        if scope.get(SCOPE_TOO_LARGE):
            return refuse(
                request,
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                too_large_message(settings.MAX_REQUEST_BYTES),
            )
        try:
            nul = request_has_nul(request)
        except MultiPartParserError:
            return refuse(request, HTTPStatus.BAD_REQUEST, UNREADABLE_MESSAGE)
        if nul:
            return refuse(request, HTTPStatus.BAD_REQUEST, NUL_MESSAGE)
        return self.get_response(request)


class BodySizeLimit:
    """ASGI middleware: HTTP request bodies of at most `settings.MAX_REQUEST_BYTES`.

    Over the limit, Django receives an empty body and ``scope[SCOPE_TOO_LARGE]``; the rest of
    the body is never read (nor buffered), and InputGuardMiddleware answers 413."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = settings.MAX_REQUEST_BYTES
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            return await self.app(_marked(scope), _empty_body(receive), send)
        received = 0
        truncated = False

        async def counting_receive():
            nonlocal received, truncated
            if truncated:
                return await _after_body(receive)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    truncated = True
                    scope[SCOPE_TOO_LARGE] = True
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        return await self.app(scope, counting_receive, send)


def _content_length(scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _marked(scope) -> dict:
    return {**scope, SCOPE_TOO_LARGE: True}


def _empty_body(receive):
    sent = False

    async def wrapped():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        return await _after_body(receive)

    return wrapped


async def _after_body(receive):
    """The next message after the body Django was given: the rest of the real body is
    dropped unread, and only the disconnect goes through."""
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return message
