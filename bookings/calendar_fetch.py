"""Fetching a pro's calendar over the network, safely: the I/O half of calendar sync.

A calendar URL is typed by a user and fetched by the server, so every request here:
- goes only to http/https (``webcal://`` is https), on a host whose every address is public
  (``calendar_import.address_refusal``) unless ``settings.CALENDAR_ALLOW_PRIVATE_HOSTS`` (tests);
- connects to the very address that was checked (the host is resolved once, then the socket is
  opened to that IP with the name only in the Host header and TLS's SNI and certificate check),
  so a DNS answer that changes between the check and the connection gains nothing;
- follows at most MAX_REDIRECTS redirects, each checked like the first URL (credentials are not
  sent to another host, nor over plain http after https);
- sends a password over plain http only to a private or loopback address (``password_may_travel``),
  which only tests allow: a CalDAV address on the internet must be https;
- has connect and read timeouts, an overall deadline, and stops reading past
  ``settings.CALENDAR_MAX_BYTES``.

ICS feeds are fetched with If-None-Match / If-Modified-Since; CalDAV is asked with PROPFIND
(finding the calendars under the URL, with their sync-token or ctag) and, unless none of them
changed, one calendar-query REPORT per calendar, without server-side expansion (see
calendar_import).

Refusals and failures are for the pro, in the active language (calendar sync runs in the pro's).
"""

from __future__ import annotations

import socket
import time
from base64 import b64encode
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin, urlsplit

import urllib3
from django.conf import settings
from django.utils.translation import gettext as _

from bookings import calendar_import
from bookings.calendar_import import CalendarError

MAX_REDIRECTS = 5
CONNECT_TIMEOUT = 5
READ_TIMEOUT = 15
# Whatever the server's pace, one request ends after this many seconds.
DEADLINE_SECONDS = 30
USER_AGENT = "Timz calendar sync (+https://timz.example/help/calendars)"


class FetchError(CalendarError):
    """The calendar could not be fetched; the message is for the pro."""


class URLRefused(FetchError):
    """The URL is not one Timz will fetch (scheme, host, address)."""


def normalise_url(url: str) -> str:
    """The URL as Timz fetches it (``webcal://`` -> ``https://``), or URLRefused."""
    url = (url or "").strip()
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in ("webcal", "webcals"):
        url = "https" + url[len(parts.scheme) :]
        parts = urlsplit(url)
        scheme = "https"
    if scheme not in ("http", "https"):
        raise URLRefused(_("Use an address starting with https:// (or webcal://)."))
    if not parts.hostname:
        raise URLRefused(_("This address has no host name."))
    if parts.username or parts.password:
        raise URLRefused(
            _("Put the user name and password in their own boxes, not in the address.")
        )
    try:
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError as exc:
        raise URLRefused(_("This address has an invalid port.")) from exc
    return url


def resolve_checked(host: str, port: int) -> str:
    """One address of `host` that Timz may connect to; URLRefused when any is not allowed."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise URLRefused(_("The host “%(host)s” cannot be found.") % {"host": host}) from exc
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise URLRefused(_("The host “%(host)s” cannot be found.") % {"host": host})
    if not settings.CALENDAR_ALLOW_PRIVATE_HOSTS:
        for address in addresses:
            refusal = calendar_import.address_refusal(address)
            if refusal:
                raise URLRefused(_refusal_message(refusal) % {"host": host})
    # IPv4 first: many hosts publish an AAAA record that this server may have no route to.
    return sorted(addresses, key=lambda address: ":" in address)[0]


def _refusal_message(kind: str) -> str:
    """The sentence refusing a host whose address is of `kind` (calendar_import.address_refusal),
    with a ``%(host)s`` placeholder."""
    messages = {
        "loopback": _(
            "Timz does not fetch calendars from “%(host)s”: it points to a loopback address."
        ),
        "link-local": _(
            "Timz does not fetch calendars from “%(host)s”: it points to a link-local address."
        ),
        "multicast": _(
            "Timz does not fetch calendars from “%(host)s”: it points to a multicast address."
        ),
        "unspecified": _(
            "Timz does not fetch calendars from “%(host)s”: it points to an unspecified address."
        ),
        "reserved": _(
            "Timz does not fetch calendars from “%(host)s”: it points to a reserved address."
        ),
        "private": _(
            "Timz does not fetch calendars from “%(host)s”: it points to a private address."
        ),
    }
    return messages.get(
        kind, _("Timz does not fetch calendars from “%(host)s”: it is not an IP address.")
    )


def password_may_travel(scheme: str, address: str) -> bool:
    """Whether a password may be sent to `address` over `scheme`: over https, or to a private or
    loopback address (reachable only where CALENDAR_ALLOW_PRIVATE_HOSTS allows it, in tests).
    Over plain http on the internet anyone on the way could read it."""
    return scheme == "https" or calendar_import.address_refusal(address) is not None


def check_url(url: str, *, with_password: bool = False) -> str:
    """normalise_url, then resolve_checked: the URL as fetched, or URLRefused (no request).
    `with_password`: the URL will be sent a password, so it must be one that may carry it."""
    url = normalise_url(url)
    parts = urlsplit(url)
    address = resolve_checked(
        parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    )
    if with_password and not password_may_travel(parts.scheme, address):
        raise URLRefused(
            _(
                "Use an address starting with https://: over http:// your password "
                "could be read on the way."
            )
        )
    return url


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    url: str


def _pool(parts, address: str):
    timeout = urllib3.Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if parts.scheme == "https":
        return urllib3.HTTPSConnectionPool(
            address,
            port,
            timeout=timeout,
            retries=False,
            maxsize=1,
            cert_reqs="CERT_REQUIRED",
            server_hostname=parts.hostname,
            assert_hostname=parts.hostname,
        )
    return urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=False, maxsize=1)


def _read_capped(response, *, deadline: float) -> bytes:
    limit = settings.CALENDAR_MAX_BYTES
    chunks, size = [], 0
    for chunk in response.stream(64 * 1024, decode_content=True):
        size += len(chunk)
        if size > limit:
            raise FetchError(
                _("The calendar is larger than %(size)s MB.") % {"size": limit // (1024 * 1024)}
            )
        if time.monotonic() > deadline:
            raise FetchError(_("The calendar server is too slow to answer."))
        chunks.append(chunk)
    return b"".join(chunks)


def request(
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    auth: tuple[str, str] | None = None,
) -> Answer:
    """One HTTP request under the rules of this module's docstring; redirects followed."""
    url = normalise_url(url)
    origin = urlsplit(url).hostname
    # Credentials go where the pro pointed, and never in clear once TLS carried them.
    secure = urlsplit(url).scheme == "https"
    deadline = time.monotonic() + DEADLINE_SECONDS
    for _attempt in range(MAX_REDIRECTS + 1):
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = resolve_checked(parts.hostname, port)
        sent = {
            "User-Agent": USER_AGENT,
            "Accept-Encoding": "gzip, deflate",
            "Host": parts.netloc,
            **(headers or {}),
        }
        if auth and (
            (secure and parts.scheme != "https") or not password_may_travel(parts.scheme, address)
        ):
            auth = None  # a redirect down to http, or plain http on the internet: no credentials
        if auth and parts.hostname == origin:
            token = b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            sent["Authorization"] = f"Basic {token}"
        target = parts.path or "/"
        if parts.query:
            target += f"?{parts.query}"
        pool = _pool(parts, address)
        try:
            response = pool.urlopen(
                method,
                target,
                body=body,
                headers=sent,
                redirect=False,
                preload_content=False,
                assert_same_host=False,
            )
            try:
                if response.status in (301, 302, 303, 307, 308) and response.headers.get(
                    "Location"
                ):
                    url = normalise_url(urljoin(url, response.headers["Location"]))
                    if response.status == 303 or (
                        response.status in (301, 302) and method == "POST"
                    ):
                        method, body = "GET", None
                    continue
                content = _read_capped(response, deadline=deadline)
                return Answer(
                    response.status,
                    {k.lower(): v for k, v in response.headers.items()},
                    content,
                    url,
                )
            finally:
                response.release_conn()
        except urllib3.exceptions.NewConnectionError as exc:  # before TimeoutError: a subclass
            raise FetchError(_("The calendar server cannot be reached.")) from exc
        except urllib3.exceptions.SSLError as exc:
            raise FetchError(_("The calendar server's certificate is not valid.")) from exc
        except urllib3.exceptions.TimeoutError as exc:
            raise FetchError(_("The calendar server did not answer in time.")) from exc
        except urllib3.exceptions.HTTPError as exc:
            raise FetchError(_("The calendar server cannot be reached.")) from exc
        finally:
            pool.close()
    raise FetchError(_("The calendar address redirects too many times."))


def _http_error(status: int) -> FetchError:
    if status in (401, 403):
        return FetchError(_("The calendar server refused the user name or password."))
    if status == 404:
        return FetchError(_("There is no calendar at this address (404)."))
    return FetchError(
        _("The calendar server answered with an error (%(status)s).") % {"status": status}
    )


@dataclass(frozen=True, slots=True)
class Fetched:
    """What one sync fetched: the iCalendar texts, or `not_modified` (HTTP 304)."""

    calendars: list[bytes | str]
    not_modified: bool = False
    etag: str = ""
    last_modified: str = ""


def fetch_ics(url: str, *, etag: str = "", last_modified: str = "") -> Fetched:
    """GET an ICS feed, conditionally when `etag` or `last_modified` (from the last fetch)."""
    headers = {"Accept": "text/calendar, */*;q=0.5"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    answer = request("GET", url, headers=headers)
    if answer.status == 304:
        return Fetched([], not_modified=True, etag=etag, last_modified=last_modified)
    if answer.status != 200:
        raise _http_error(answer.status)
    return Fetched(
        [answer.body],
        etag=answer.headers.get("etag", "")[:200],
        last_modified=answer.headers.get("last-modified", "")[:100],
    )


def _dav(method: str, url: str, *, body: bytes, depth: str, auth) -> Answer:
    answer = request(
        method,
        url,
        body=body,
        auth=auth,
        headers={"Depth": depth, "Content-Type": "application/xml; charset=utf-8"},
    )
    if answer.status != 207:
        raise _http_error(answer.status)
    return answer


def fetch_caldav(
    url: str,
    *,
    username: str,
    password: str,
    window_start: datetime,
    window_end: datetime,
    etag: str = "",
) -> Fetched:
    """The events touching the window from the calendar at `url`, or from every calendar under
    it (a calendar home, or a principal whose home is found). With `etag` (the version this
    returned last time): `not_modified` and no REPORT when no calendar changed since."""
    auth = (username, password)
    found = _dav("PROPFIND", url, body=calendar_import.PROPFIND_DISCOVERY, depth="0", auth=auth)
    discovery = calendar_import.read_discovery(found.body, base=found.url)
    if discovery.is_calendar:
        calendars = [(found.url, discovery.version)]
    else:
        home = discovery.home
        if home is None and discovery.principal:
            principal = _dav(
                "PROPFIND",
                discovery.principal,
                body=calendar_import.PROPFIND_DISCOVERY,
                depth="0",
                auth=auth,
            )
            home = calendar_import.read_discovery(principal.body, base=principal.url).home
        listing = _dav(
            "PROPFIND",
            home or found.url,
            body=calendar_import.PROPFIND_CALENDARS,
            depth="1",
            auth=auth,
        )
        calendars = calendar_import.read_calendar_urls(listing.body, base=listing.url)
        if not calendars:
            raise FetchError(_("No calendar was found at this CalDAV address."))
    version = calendar_import.collection_version(calendars)
    if etag and version == etag:
        return Fetched([], not_modified=True, etag=etag)
    query = calendar_import.calendar_query(window_start=window_start, window_end=window_end)
    texts: list[bytes | str] = []
    for calendar_url, _version in calendars:
        report = _dav("REPORT", calendar_url, body=query, depth="1", auth=auth)
        texts.extend(calendar_import.read_calendar_data(report.body))
    return Fetched(texts, etag=version)
