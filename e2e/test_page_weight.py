"""Page weight (issue 16): the home page with the demo data downloads under 300 KB on a phone.

Measured as production serves it: a server of its own with DEBUG off, static files collected
(hashed, gzip-compressed by whitenoise) and media served by the app, the demo data seeded
(`seed_demo`: 14 pros with photos). Every response's transferred bytes (headers + encoded body,
Playwright's `request.sizes()`) are summed: first the page as it loads, then again after scrolling
to its end, so that every lazy-loaded photo is counted too.

collectstatic with the production storage (hashing, then gzip and brotli copies of every file)
costs about 3 s of CPU; its output depends only on the static sources, the storage settings and
the Django and whitenoise versions, so it is kept under var/e2e-static/<fingerprint of those>/
and reused until one of them changes (then collected again, and older copies removed)."""

import json
import shutil

import pytest

from e2e.conftest import LAPTOP, PHONE, ROOT, Server, screenshot

BUDGET = 300 * 1024
SHOTS = "page-weight"
STATIC_CACHE = ROOT / "var" / "e2e-static"

# Run in the server's own settings (DEBUG off): a fingerprint of everything collectstatic's
# output depends on, every source file's path and bytes included.
STATIC_FINGERPRINT = """
import hashlib, json
from importlib import metadata
from django.conf import settings
from django.contrib.staticfiles import finders
def version(dist):
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None
h = hashlib.sha256(json.dumps([
    [version(d) for d in ("django", "whitenoise", "brotli")], settings.STATIC_URL,
    settings.STORAGES["staticfiles"], sorted(settings.STATICFILES_DIRS),
    list(settings.INSTALLED_APPS),
    {k: getattr(settings, k) for k in dir(settings) if k.startswith("WHITENOISE_")},
], default=str).encode())
found = {}
for finder in finders.get_finders():
    for path, storage in finder.list(["CVS", ".*", "*~"]):  # collectstatic's own ignores
        found.setdefault(path, storage.path(path))  # the first finder wins, as in collectstatic
for path in sorted(found):
    h.update(path.encode() + b"\\0")
    with open(found[path], "rb") as f:
        h.update(hashlib.sha256(f.read()).digest())
print(h.hexdigest()[:16])
"""


def collected_static(srv: Server) -> str:
    """A STATIC_ROOT holding collectstatic's production output for the current sources: the
    kept one if its fingerprint matches, else collected now (into the server's own STATIC_ROOT,
    then kept)."""
    fingerprint = srv.manage("shell", "--no-imports", "-c", STATIC_FINGERPRINT).strip()
    kept = STATIC_CACHE / fingerprint
    if not (kept / "staticfiles.json").is_file():
        srv.manage("collectstatic", "--no-input", "--verbosity", "0")
        json.loads((srv.workdir / "static" / "staticfiles.json").read_text())  # complete
        STATIC_CACHE.mkdir(parents=True, exist_ok=True)
        for old in STATIC_CACHE.iterdir():
            shutil.rmtree(old, ignore_errors=True)
        # A rename is atomic: another run never sees half a copy under the fingerprint.
        shutil.move(srv.workdir / "static", STATIC_CACHE / f".{fingerprint}.partial")
        (STATIC_CACHE / f".{fingerprint}.partial").rename(kept)
    return str(kept)


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("weight")
    srv = Server(
        workdir,
        extra_env={
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": "e2e-page-weight-" + "x" * 40,
            "STATIC_ROOT": str(workdir / "static"),
            "SERVE_MEDIA": "true",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DJANGO_SECURE_COOKIES": "false",
            "DJANGO_HSTS_SECONDS": "0",
        },
    )
    srv.env["STATIC_ROOT"] = collected_static(srv)  # what daphne, started next, serves
    srv.start()  # migrates first
    srv.manage("seed_demo")
    yield srv
    srv.stop()


def transferred(requests) -> int:
    total = 0
    for request in requests:
        sizes = request.sizes()
        total += sizes["responseHeadersSize"] + sizes["responseBodySize"]
    return total


def weigh_home(browser, server, viewport, name, **device):
    """(bytes as loaded, bytes after scrolling to the end, requests, the srcset images' chosen
    URLs) of the home page in a fresh context."""
    context = browser.new_context(viewport=viewport, base_url=server.url, **device)
    try:
        page = context.new_page()
        finished = []
        page.on("requestfinished", lambda request: finished.append(request))
        page.goto("/", wait_until="networkidle")
        loaded = transferred(finished)
        # A screen at a time, as a person scrolls: lazy photos load as they come near.
        height = page.evaluate("document.documentElement.scrollHeight")
        for top in range(0, height + viewport["height"], viewport["height"] // 2):
            page.evaluate(f"window.scrollTo(0, {top})")
            page.wait_for_timeout(100)
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(300)
        scrolled = transferred(finished)
        chosen = page.eval_on_selector_all(
            "img[srcset]", "imgs => imgs.map(i => [i.currentSrc, i.clientWidth])"
        )
        page.evaluate("window.scrollTo(0, 0)")
        screenshot(page, f"{SHOTS}-{name}")
        return loaded, scrolled, len(finished), chosen
    finally:
        context.close()


def report(label, loaded, scrolled, count):
    print(
        f"\nHome page on a {label}: {loaded / 1024:.1f} KB as loaded, "
        f"{scrolled / 1024:.1f} KB with every photo scrolled into view ({count} requests)"
    )


def test_home_page_on_a_phone_downloads_under_300_kb(browser, production):
    # A phone's screen: three device pixels per CSS pixel, so a 64 px avatar wants 192 pixels.
    loaded, scrolled, count, chosen = weigh_home(
        browser, production, PHONE, "phone", device_scale_factor=3, is_mobile=True, has_touch=True
    )
    report("phone (390x844, 3x)", loaded, scrolled, count)

    assert scrolled < BUDGET, f"{scrolled / 1024:.1f} KB"
    # The photos come from their responsive copies, not the 512 px originals.
    assert len(chosen) >= 10
    assert all(".w" in src and src.endswith(".webp") for src, _width in chosen), chosen
    assert all("w512" not in src for src, _width in chosen), chosen


def test_home_page_on_a_laptop_also_uses_small_copies(browser, production):
    loaded, scrolled, count, chosen = weigh_home(browser, production, LAPTOP, "laptop")
    report("laptop (1366x900)", loaded, scrolled, count)

    assert scrolled < BUDGET, f"{scrolled / 1024:.1f} KB"
    assert chosen and all(src.endswith(".webp") for src, _width in chosen), chosen


def test_pro_page_photo_on_a_phone_is_a_sharp_copy(browser, production):
    context = browser.new_context(
        viewport=PHONE, base_url=production.url, device_scale_factor=3, is_mobile=True
    )
    try:
        page = context.new_page()
        page.goto("/p/karim-benali/", wait_until="networkidle")
        photo = page.locator("img.avatar-xl")
        src, width = photo.evaluate("i => [i.currentSrc, i.clientWidth]")
        screenshot(page, f"{SHOTS}-pro-phone")
    finally:
        context.close()
    # 96 CSS px on this phone at 3x: the 512 px copy, never blurry, still WebP.
    assert width == 96
    assert src.endswith(".w512.webp")
