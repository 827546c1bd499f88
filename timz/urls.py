import os

from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.utils.translation import gettext_lazy as _
from django.views.static import serve

from accounts import mfa
from accounts import views as accounts_views
from bookings.views import share_link
from timz import admin_dashboard, jsi18n, views
from timz.api import api
from timz.api import not_found as api_not_found

# Staff dashboard figures on the admin index; must run before admin.site.urls is read.
admin_dashboard.install(admin.site)
# Staff sign in through allauth, which asks for their second factor (see accounts.mfa), never
# through the admin's own password-only form.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = admin.site.site_title = _("Timz admin")
admin.site.index_title = _("Run the platform")
# The app list stays on the index (and the breadcrumbs lead there): the sidebar's 300 px are
# worth more to the changelists' columns on a 1366 px laptop.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("", accounts_views.home, name="home"),
    path("", include("accounts.urls")),
    # A pro's own link to share: bookings through it by new clients carry no platform fee.
    path("go/<slug:slug>/", share_link.go, name="share_link"),
    path("bookings/", include("bookings.urls")),
    path("messages/", include("chat.urls")),
    path("payments/", include("payments.urls")),
    # allauth's passkey removal, guarded so that staff keep a second factor (accounts.mfa).
    path(
        "accounts/2fa/webauthn/keys/<int:pk>/remove/",
        mfa.remove_webauthn,
        name="mfa_remove_webauthn",
    ),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    # Unmatched API URLs answer JSON like the API, not the HTML 404 page.
    re_path(r"^api/(?P<unmatched>(?s:.*))$", api_not_found),  # (?s): line breaks too
    # The strings of static/js in one language (timz/jsi18n.py), cached for a year per version.
    path("jsi18n/<str:lang>/<str:version>.js", jsi18n.javascript_catalogue, name="jsi18n"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
]

if settings.DEBUG or os.environ.get("BENCH_HELLO") == "1":
    # The ceiling of `make bench-load`: a bare view through the same middleware, no database.
    from bench.load_views import hello as bench_hello

    urlpatterns += [path("bench/hello", bench_hello, name="bench_hello")]

if settings.SERVE_MEDIA:
    # Development only: production serves media from the web server or object storage.
    urlpatterns += [
        re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    ]

handler400 = "timz.views.error_400"
handler403 = "timz.views.error_403"
handler404 = "timz.views.error_404"
handler500 = "timz.views.error_500"
