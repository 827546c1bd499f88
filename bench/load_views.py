"""The ceiling for `make bench-load`: a view that does as little as a Django view can.

Mounted at /bench/hello by timz/urls.py only when DEBUG is on or BENCH_HELLO=1. It goes through
the same middleware stack as every page (sessions, CSRF, CSP, ...) but touches no database and
renders no template, so each page's throughput divided by this one's is the share of the
framework's ceiling that the page reaches.
"""

from django.http import HttpResponse
from django.views.decorators.http import require_GET


@require_GET
def hello(request):
    return HttpResponse("hello", content_type="text/plain")
