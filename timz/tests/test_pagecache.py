"""Visitors get the directory and pro pages from the cache; a write shows on the next request."""

import threading
from collections import Counter
from datetime import timedelta
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
import redis
from django.conf import settings as django_settings
from django.core.cache import caches
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import ProProfile
from bookings.models import Booking
from bookings.services import date_override_set, review_create
from conftest import book, local_at, login, make_booking, make_service, make_user
from timz import pagecache
from timz.pagecache import LocalStore

pytestmark = pytest.mark.django_db


def pro_page(http, pro):
    return http.get(reverse("accounts:pro_detail", kwargs={"slug": pro.slug}))


def test_a_visitor_gets_a_pro_page_from_the_cache_without_a_query(
    client, pro, service, django_assert_max_num_queries
):
    with django_assert_max_num_queries(3):
        assert "X-Page-Cache" not in pro_page(client, pro)  # which pro the slug names
    with django_assert_max_num_queries(3):
        assert pro_page(client, pro)["X-Page-Cache"] == "miss"
    with django_assert_max_num_queries(0):
        response = pro_page(client, pro)
    assert response["X-Page-Cache"] == "hit"
    assert "Haircut" in response.text
    assert "Cookie" in response["Vary"]  # no shared cache may give it to a signed-in user


def test_a_visitor_gets_the_second_view_of_the_directory_from_the_cache_without_a_query(
    client, pro, service, django_assert_max_num_queries
):
    with django_assert_max_num_queries(6):
        assert client.get(reverse("home"), {"q": "hair"})["X-Page-Cache"] == "miss"
    with django_assert_max_num_queries(0):
        response = client.get(reverse("home"), {"q": "hair"})
    assert response["X-Page-Cache"] == "hit"
    assert "Paula Pro" in response.text


def test_the_query_string_is_part_of_the_key(client, pro, service):
    client.get(reverse("home"), {"q": "hair"})
    response = client.get(reverse("home"), {"q": "nothing-like-it"})
    assert response["X-Page-Cache"] == "miss"
    assert "Paula Pro" not in response.text


def test_a_profile_edit_shows_on_the_next_request(client, pro, service, commit):
    pro_page(client, pro)
    assert pro_page(client, pro)["X-Page-Cache"] == "miss"
    client.get(reverse("home"))
    with commit():
        account_services.pro_profile_update(pro=pro, display_name="Paula Renamed")
    assert "Paula Renamed" in pro_page(client, pro).text
    assert "Paula Renamed" in client.get(reverse("home")).text


def test_a_review_shows_its_rating_on_the_next_request(client, pro, client_user, commit):
    service = make_service(pro=pro, name="Colour")
    booking = make_booking(
        client=client_user,
        service=service,
        starts_at=timezone.now() - timedelta(days=2),
        status=Booking.Status.COMPLETED,
    )
    pro_page(client, pro)
    assert "4.0" not in pro_page(client, pro).text
    with commit():
        review_create(booking=booking, by=client_user, rating=4, text="Lovely colour")
    body = pro_page(client, pro).text
    assert "Lovely colour" in body
    assert "4.0" in body


def test_a_booking_invalidates_the_pros_page_and_the_directory_but_not_other_pros(
    client, working_pro, service, other_pro, client_user, commit
):
    other_service = make_service(pro=other_pro, name="Massage")
    for _ in range(2):
        pro_page(client, working_pro)
        pro_page(client, other_pro)
    client.get(reverse("home"))
    with commit():
        book(client=client_user, service=service)
    assert pro_page(client, working_pro)["X-Page-Cache"] == "miss"
    assert client.get(reverse("home"))["X-Page-Cache"] == "miss"
    assert pro_page(client, other_pro)["X-Page-Cache"] == "hit"
    assert other_service.name in pro_page(client, other_pro).text


def test_a_service_added_shows_on_the_next_request(client, pro, service, commit):
    pro_page(client, pro)
    pro_page(client, pro)
    with commit():
        make_service(pro=pro, name="Beard trim")
    assert "Beard trim" in pro_page(client, pro).text


def test_a_signed_in_user_is_never_served_from_or_stored_in_the_cache(client, pro, service):
    member = login(make_user(email="member@example.com"))
    response = pro_page(member, pro)
    assert "X-Page-Cache" not in response
    assert "csrfmiddlewaretoken" in response.text  # the Message form posts
    visitor = pro_page(client, pro)
    assert visitor["X-Page-Cache"] == "miss"  # the member's answer was not stored
    assert "csrfmiddlewaretoken" not in visitor.text


def test_an_unknown_pro_is_not_cached(client, db):
    response = client.get(reverse("accounts:pro_detail", kwargs={"slug": "nobody"}))
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert "X-Page-Cache" not in response


def test_page_caching_can_be_turned_off(client, pro, service, settings):
    settings.PAGE_CACHE_SECONDS = 0
    pro_page(client, pro)
    pro_page(client, pro)
    assert "X-Page-Cache" not in pro_page(client, pro)


# --- API reads ---------------------------------------------------------------------------------


def slots(http, pro, service):
    return http.get(f"/api/v1/pros/{pro.slug}/slots", {"service": service.pk, "days": 7})


def test_the_slots_of_a_pro_are_computed_once_until_a_booking_takes_one(
    client, working_pro, service, client_user, commit, django_assert_max_num_queries
):
    slots(client, working_pro, service)  # which pro the slug names
    slots(client, working_pro, service)
    with django_assert_max_num_queries(0):
        before = slots(client, working_pro, service).json()["slots"]
    with commit():
        booking = book(client=client_user, service=service, days=3, hour=10)
    after = slots(client, working_pro, service).json()["slots"]
    taken = booking.starts_at.astimezone(ZoneInfo(working_pro.timezone)).isoformat()
    assert taken in before
    assert taken not in after


def test_an_api_read_answers_304_to_its_own_etag(client, working_pro, service):
    for url, params in (
        (f"/api/v1/pros/{working_pro.slug}/slots", {"service": service.pk}),
        (f"/api/v1/pros/{working_pro.slug}", {}),
        ("/api/v1/pros", {"q": "paula"}),
    ):
        first = client.get(url, params)
        assert first.status_code == HTTPStatus.OK
        again = client.get(url, params, headers={"if-none-match": first["ETag"]})
        assert again.status_code == HTTPStatus.NOT_MODIFIED
        assert again.content == b""


def test_a_day_closed_by_the_pro_leaves_the_slots_on_the_next_request(
    client, working_pro, service, commit
):
    day = local_at(3, 0).date()
    params = {"service": service.pk, "start": day.isoformat(), "days": 1}
    url = f"/api/v1/pros/{working_pro.slug}/slots"
    for _ in range(2):
        assert client.get(url, params).json()["slots"]
    with commit():
        date_override_set(pro=working_pro, day=day, intervals=[])
    assert client.get(url, params).json()["slots"] == []


# --- What a hit costs --------------------------------------------------------------------------

CACHE_OPERATIONS = ("get", "get_many", "set", "set_many", "add", "incr", "delete", "has_key")


@pytest.fixture
def cache_operations(monkeypatch):
    """Counts the calls this thread makes on the cache (each one a round trip on Redis; the
    calls local memory's get_many makes to its own get are not counted)."""
    counts = Counter()
    backend = caches["default"]
    depth = [0]
    for name in CACHE_OPERATIONS:
        method = getattr(backend, name)

        def counted(*args, _name=name, _method=method, **kwargs):
            if not depth[0]:
                counts[_name] += 1
            depth[0] += 1
            try:
                return _method(*args, **kwargs)
            finally:
                depth[0] -= 1

        monkeypatch.setattr(backend, name, counted)
    return counts


def home_search(http):
    return http.get(reverse("home"), {"q": "hair"})


@pytest.mark.parametrize("page", ["home", "pro page", "slots"])
def test_a_hit_asks_the_cache_once_for_the_counters_only(
    client, working_pro, service, cache_operations, page
):
    fetch = {
        "home": lambda: home_search(client),
        "pro page": lambda: pro_page(client, working_pro),
        "slots": lambda: slots(client, working_pro, service),
    }[page]
    for _ in range(3):  # the slug, then the page or answer is stored
        first = fetch()
    cache_operations.clear()
    again = fetch()
    assert again.content == first.content
    assert cache_operations == {"get_many": 1}


@pytest.mark.skipif(not django_settings.REDIS_URL, reason="counts Redis commands: needs REDIS_URL")
@pytest.mark.parametrize("page", ["home", "pro page", "slots"])
def test_on_redis_a_hit_is_one_mget(client, working_pro, service, monkeypatch, page):
    fetch = {
        "home": lambda: home_search(client),
        "pro page": lambda: pro_page(client, working_pro),
        "slots": lambda: slots(client, working_pro, service),
    }[page]
    for _ in range(3):
        fetch()
    commands = []
    execute = redis.Redis.execute_command

    def counted(self, *args, **options):
        commands.append(args[0])
        return execute(self, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", counted)
    assert fetch().status_code == HTTPStatus.OK
    assert commands == ["MGET"]


@pytest.mark.skipif(
    not django_settings.REDIS_URL, reason="counts Redis round trips: needs REDIS_URL"
)
def test_on_redis_a_write_bumps_its_counters_in_one_round_trip(
    client, working_pro, service, client_user, commit, monkeypatch
):
    for _ in range(2):
        pro_page(client, working_pro)
    assert pro_page(client, working_pro)["X-Page-Cache"] == "hit"
    single, pipelined = [], []
    execute = redis.Redis.execute_command
    execute_pipeline = redis.client.Pipeline.execute

    def counted(self, *args, **options):
        single.append(args[0])
        return execute(self, *args, **options)

    def counted_pipeline(self, *args, **options):
        pipelined.append([command[0][0] for command in self.command_stack])
        return execute_pipeline(self, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", counted)
    monkeypatch.setattr(redis.client.Pipeline, "execute", counted_pipeline)
    with commit():
        pagecache.bump(pro_id=working_pro.pk)
    assert single == []
    assert pipelined == [["SET", "INCRBY", "SET", "INCRBY"]]
    monkeypatch.undo()
    assert pro_page(client, working_pro)["X-Page-Cache"] == "miss"


def test_a_page_another_process_rendered_is_served_from_the_shared_cache(
    client, pro, service, cache_operations
):
    for _ in range(2):
        pro_page(client, pro)
    pagecache.forget_local()  # as if this were another process: only the shared cache has it
    cache_operations.clear()
    with_fresh_memory = pro_page(client, pro)
    assert with_fresh_memory["X-Page-Cache"] == "hit"
    assert "Haircut" in with_fresh_memory.text
    # The slug, the counters, the page: then this process has it too.
    assert sum(cache_operations.values()) == 4
    cache_operations.clear()
    assert pro_page(client, pro)["X-Page-Cache"] == "hit"
    assert cache_operations == {"get_many": 1}


def test_counters_lost_from_the_cache_never_bring_back_an_old_page(client, pro, service):
    for _ in range(2):
        pro_page(client, pro)
    assert pro_page(client, pro)["X-Page-Cache"] == "hit"
    # A change the signals do not see, and the shared cache emptied (evicted, flushed) while
    # this process still holds the page in memory.
    ProProfile.objects.filter(pk=pro.pk).update(headline="Now with beard trims")
    caches["default"].clear()
    for _ in range(2):
        response = pro_page(client, pro)
    assert response["X-Page-Cache"] == "miss"
    assert "Now with beard trims" in response.text


def test_the_hit_carries_the_etag_of_the_page(client, pro, service):
    for _ in range(2):
        missed = pro_page(client, pro)
    hit = pro_page(client, pro)
    assert hit["X-Page-Cache"] == "hit"
    assert hit["ETag"] == missed["ETag"]
    again = client.get(
        reverse("accounts:pro_detail", kwargs={"slug": pro.slug}),
        headers={"if-none-match": hit["ETag"]},
    )
    assert again.status_code == HTTPStatus.NOT_MODIFIED


# --- The memory of one process -----------------------------------------------------------------


def test_the_local_store_drops_the_least_recently_used_entries_past_its_size():
    store = LocalStore(max_bytes=100)
    far = 4102444800.0  # 2100
    for key in "abc":
        store.set(key, key.upper(), size=25, expires=far)
    assert store.get("a") == "A"  # now the most recently used
    store.set("d", "D", size=25, expires=far)  # 100 bytes: full
    store.set("e", "E", size=25, expires=far)
    assert store.get("b") is None
    assert [store.get(key) for key in "acde"] == ["A", "C", "D", "E"]
    assert store.size == 100


def test_the_local_store_forgets_expired_entries_and_skips_huge_ones():
    store = LocalStore(max_bytes=100)
    store.set("old", 1, size=10, expires=0.0)
    store.set("huge", 2, size=26, expires=4102444800.0)  # over a quarter of the store
    assert store.get("old") is None
    assert store.get("huge") is None
    assert store.size == 0


def test_the_local_store_keeps_its_bound_under_threads():
    store = LocalStore(max_bytes=1000)
    far = 4102444800.0

    def fill(n):
        for i in range(2000):
            store.set((n, i % 300), i, size=7, expires=far)
            store.get((n, (i * 7) % 300))

    threads = [threading.Thread(target=fill, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.size <= 1000
    assert store.size == 7 * len(store)
