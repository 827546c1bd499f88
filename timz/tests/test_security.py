"""Site-wide security baseline: CSP on every page and no inline code it would block, CSRF on
every form, security headers, and a clean `check --deploy` with production settings."""

import os
import re
import subprocess
import sys
from http import HTTPStatus
from pathlib import Path

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.template import RequestContext, Template
from django.test import Client
from django.urls import path, reverse

from conftest import make_service

pytestmark = [pytest.mark.django_db, pytest.mark.waits]  # `check --deploy` subprocesses

ROOT = Path(settings.BASE_DIR)
TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates")]
TEMPLATES = sorted(
    p for d in TEMPLATE_DIRS if d.is_dir() for p in d.rglob("*.html") if ".venv" not in p.parts
)

SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.IGNORECASE)
FORM_POST = re.compile(r"<form\b[^>]*method=[\"']?post[\"']?[^>]*>(.*?)</form>", re.I | re.S)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=\s*[\"']", re.IGNORECASE)


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def script_allowed(tag: str) -> bool:
    """External scripts, JSON data blocks and nonce-carrying inline scripts pass the CSP."""
    return (
        " src=" in tag
        or "nonce=" in tag
        or re.search(r"type=[\"']application/(ld\+)?json[\"']", tag) is not None
    )


def test_templates_were_found():
    assert any(p.name == "base.html" for p in TEMPLATES)
    assert any(p.name == "home.html" for p in TEMPLATES)


def test_no_template_has_inline_style_attributes_or_style_blocks():
    # Email bodies are not pages: mail clients need inline styles and no CSP applies. They live
    # under <app>/emails/, emails/, and allauth's account/email/.
    offenders = [
        rel(p)
        for p in TEMPLATES
        if not {"emails", "email"} & set(p.parts)
        and any(mark in p.read_text() for mark in ('style="', "style='", "<style"))
    ]

    assert offenders == [], "inline styles are blocked by the CSP (style-src 'self')"


def test_no_template_has_an_inline_script_without_the_nonce():
    offenders = [
        f"{rel(p)}: {tag}"
        for p in TEMPLATES
        for tag in SCRIPT_TAG.findall(p.read_text())
        if not script_allowed(tag)
    ]

    assert offenders == [], 'inline <script> needs nonce="{{ csp_nonce }}" or a src'


def test_no_template_has_inline_event_handlers():
    offenders = [rel(p) for p in TEMPLATES if INLINE_HANDLER.search(p.read_text())]

    assert offenders == [], "onclick= and friends are inline script: use static/js instead"


def test_every_post_form_in_the_templates_carries_the_csrf_token():
    offenders = [
        rel(p)
        for p in TEMPLATES
        for body in FORM_POST.findall(p.read_text())
        if "csrf_token" not in body
    ]

    assert offenders == []


def test_csp_allows_only_own_scripts_and_styles():
    csp = settings.SECURE_CSP

    assert "'unsafe-inline'" not in [str(v) for v in csp["script-src"]]
    assert "'unsafe-inline'" not in [str(v) for v in csp["style-src"]]
    assert [str(v) for v in csp["style-src"]] == ["'self'"]
    assert [str(v) for v in csp["frame-ancestors"]] == ["'none'"]


@pytest.fixture
def pages(pro, db):
    make_service(pro=pro, name="Haircut")
    return [
        reverse("home"),
        reverse("home") + "?q=hair&max_price=40",
        reverse("home") + "?max_price=oops",
        reverse("accounts:pro_detail", kwargs={"slug": pro.slug}),
        reverse("account_login"),
        reverse("account_signup"),
        "/api/v1/docs",
    ]


def test_pages_send_the_csp_and_security_headers(client, pages):
    for url in pages:
        response = client.get(url)

        assert response.status_code == HTTPStatus.OK, url
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp, url
        # The nonce is only added when the page used it (Django renders it lazily).
        assert re.search(r"script-src 'self'( 'nonce-[^']+')?;", csp), url
        assert "style-src 'self'" in csp and "unsafe-inline" not in csp, url
        assert "frame-ancestors 'none'" in csp, url
        assert response.headers["X-Frame-Options"] == "DENY", url
        assert response.headers["X-Content-Type-Options"] == "nosniff", url
        assert response.headers["Referrer-Policy"] == "same-origin", url


def test_rendered_pages_contain_no_inline_styles_or_unnonced_scripts(client, pages):
    for url in pages:
        body = client.get(url).content.decode()

        assert 'style="' not in body, url
        assert "<style" not in body, url
        bad = [tag for tag in SCRIPT_TAG.findall(body) if not script_allowed(tag)]
        assert bad == [], url


def nonce_page(request):
    template = Template('<script nonce="{{ csp_nonce }}">document.title = "ok";</script>')
    return HttpResponse(template.render(RequestContext(request)))


urlpatterns = [path("nonce/", nonce_page)]


@pytest.mark.urls(__name__)
def test_an_inline_script_with_the_nonce_is_allowed_by_the_header(client):
    response = client.get("/nonce/")

    nonce = re.search(r"script-src 'self' 'nonce-([^']+)'", response["Content-Security-Policy"])
    assert nonce, response["Content-Security-Policy"]
    assert f'<script nonce="{nonce[1]}">' in response.content.decode()


def test_forms_are_rejected_without_a_csrf_token(client_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(client_user)

    response = client.post(reverse("account_logout"))

    assert response.status_code == HTTPStatus.FORBIDDEN


def production_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="timz.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="prod-check-" + "x9" * 30,
        DJANGO_ALLOWED_HOSTS="timz.example",
        EMAIL_URL="smtp+tls://mailer@smtp.timz.example:587",
    )
    return env


# One process with production settings answers every question below: starting Django there costs
# seconds of CPU, paid once for the module instead of once per test. It prints the cookie
# settings on its first line, then runs what `make prod-check` runs (`check --deploy
# --fail-level WARNING`, which exits non-zero on any warning).
PRODUCTION_PROBE = """
import django
django.setup()
from django.conf import settings as s
from django.core.management import execute_from_command_line
print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY,
      s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS > 0, flush=True)
execute_from_command_line(["manage.py", "check", "--deploy", "--fail-level", "WARNING"])
"""


@pytest.fixture(scope="module")
def production() -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", PRODUCTION_PROBE],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_session_and_csrf_cookies_are_http_only_and_secure_in_production(production):
    first_line = production.stdout.partition("\n")[0]

    assert first_line.split() == ["True"] * 5, production.stdout + production.stderr


def test_check_deploy_is_clean_with_production_settings(production):
    """What `make prod-check` runs: no warning at all with DEBUG off and production variables."""
    assert production.returncode == 0, production.stdout + production.stderr
    assert "no issues" in production.stdout


def test_debug_off_requires_a_secret_key():
    env = production_env()
    del env["DJANGO_SECRET_KEY"]

    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_session_authenticated_api_writes_require_the_csrf_token(client_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(client_user)
    schema = client.get("/api/v1/openapi.json").json()
    writes = [
        (method, re.sub(r"\{[^}]+\}", "1", url))
        for url, operations in schema["paths"].items()
        for method, operation in operations.items()
        if method in ("post", "put", "patch", "delete") and operation.get("security")
    ]
    assert writes, "expected session-authenticated write endpoints in the API"

    for method, url in writes:
        response = getattr(client, method)(url, data="{}", content_type="application/json")

        assert response.status_code == HTTPStatus.FORBIDDEN, (method, url)
        assert "CSRF" in response.json()["detail"], (method, url)
