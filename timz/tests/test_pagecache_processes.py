"""Two server processes sharing Redis: a change made through one shows on the very next request
to the other, although each keeps the pages it served in its own memory (timz.pagecache).

Runs in the PostgreSQL/Redis stage of CI only, like test_scale_out.py: the servers are real
daphne processes on this test's database (transactional tests, so they see its committed rows)
with page caching on and one cache key prefix, so that their counters are shared.
"""

import os
import uuid
from datetime import timedelta
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import timezone

from bookings.models import Booking
from chat.tests.conftest import session_cookie
from conftest import local_at, make_booking, make_pro, make_service, make_user, set_every_day
from timz.tests.processes import private_redis_url, running_servers

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(
        not (os.environ.get("REDIS_URL") and ON_POSTGRES),
        reason=(
            "two server processes need a shared database server and Redis: runs in the "
            "PostgreSQL/Redis stage (DATABASE_URL=postgres://..., REDIS_URL)"
        ),
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(scope="module")
def two_servers(django_db_setup, django_db_blocker, tmp_path_factory):
    run = uuid.uuid4().hex[:8]
    options = {
        "redis_url": private_redis_url(),
        "env": {
            "PAGE_CACHE_SECONDS": "60",
            "BOOKING_RATE_LIMIT": "off",
            "CACHE_KEY_PREFIX": f"timz-pages-{run}",
            "CHANNEL_LAYER_PREFIX": f"timz-pages-{run}",
        },
    }
    with running_servers(2, tmp_path_factory.mktemp("daphne"), **options) as servers:
        yield servers


def served_from_memory(server, path):
    """GET `path` until `server` answers it from its cache (the slug, then the page stored)."""
    for _ in range(3):
        answer = server.request("GET", path)
        assert answer.status == HTTPStatus.OK
    assert answer.headers.get("X-Page-Cache") == "hit", path
    return answer


def test_a_profile_change_through_one_process_shows_on_the_next_request_to_the_other(
    two_servers,
):
    server_a, server_b = two_servers
    pro = make_pro()
    make_service(pro=pro, name="Beard trim")
    path = f"/p/{pro.slug}/"
    for server in two_servers:
        assert "Freshly renamed headline" not in served_from_memory(server, path).body.decode()
    cookies = server_a.browser_cookies(session_cookie(pro.user))

    changed = server_a.request(
        "PATCH",
        "/api/v1/me/pro",
        cookies=cookies,
        headers={"X-CSRFToken": cookies[settings.CSRF_COOKIE_NAME]},
        json_body={"headline": "Freshly renamed headline"},
    )

    assert changed.status == HTTPStatus.OK
    for server in (server_b, server_a):
        answer = server.request("GET", path)
        # Rendered afresh (a profile change also makes each process look its slug up again).
        assert answer.headers.get("X-Page-Cache") != "hit"
        assert "Freshly renamed headline" in answer.body.decode()


def test_a_review_through_one_process_shows_on_the_next_request_to_the_other(two_servers):
    server_a, server_b = two_servers
    pro, client = make_pro(), make_user()
    service = make_service(pro=pro, name="Colour")
    booking = make_booking(
        client=client,
        service=service,
        starts_at=timezone.now() - timedelta(days=2),
        status=Booking.Status.COMPLETED,
    )
    path = f"/p/{pro.slug}/"
    served_from_memory(server_b, path)
    cookies = server_a.browser_cookies(session_cookie(client))

    reviewed = server_a.post_json(
        f"/api/v1/bookings/{booking.pk}/review",
        {"rating": 4, "text": "A lovely colour, said through A"},
        cookies=cookies,
    )

    assert reviewed.status == HTTPStatus.CREATED
    answer = server_b.request("GET", path)
    assert answer.headers.get("X-Page-Cache") == "miss"
    assert "A lovely colour, said through A" in answer.body.decode()


def test_a_booking_through_one_process_leaves_the_slots_of_the_other_at_once(two_servers):
    server_a, server_b = two_servers
    pro, client = make_pro(), make_user()
    set_every_day(pro)
    service = make_service(pro=pro, duration_minutes=60)
    starts_at = local_at(3, 10)
    day = starts_at.date().isoformat()
    path = f"/api/v1/pros/{pro.slug}/slots?service={service.pk}&start={day}&days=1"
    taken = starts_at.astimezone(ZoneInfo(pro.timezone)).isoformat()
    for _ in range(3):  # the slug, then the answer is kept in B's memory
        before = server_b.request("GET", path).json()["slots"]
    assert taken in before
    cookies = server_a.browser_cookies(session_cookie(client))

    booked = server_a.post_json(
        "/api/v1/bookings",
        {"service": service.pk, "starts_at": starts_at.isoformat(), "note": ""},
        cookies=cookies,
    )

    assert booked.status == HTTPStatus.CREATED
    after = server_b.request("GET", path).json()["slots"]
    assert taken not in after
    assert set(after) < set(before)
