"""timz.redis_pool: every cache object of a process shares one Redis pool per URL."""

import pytest
from django.conf import settings
from django.core.cache import caches

from timz.redis_pool import SharedConnectionPool


def test_one_pool_per_url_and_options():
    first = SharedConnectionPool.from_url("redis://127.0.0.1:6379/10", socket_timeout=5)
    again = SharedConnectionPool.from_url("redis://127.0.0.1:6379/10", socket_timeout=5)
    other_db = SharedConnectionPool.from_url("redis://127.0.0.1:6379/11", socket_timeout=5)
    assert first is again
    assert other_db is not first


@pytest.mark.skipif(not settings.REDIS_URL, reason="the Redis cache exists only with REDIS_URL")
def test_two_cache_objects_of_one_process_share_the_connection_pool():
    # What each ASGI request gets: a cache object of its own, built from the same settings.
    one, two = caches.create_connection("default"), caches.create_connection("default")
    one.set("timz-pool-probe", 1)
    assert two.get("timz-pool-probe") == 1
    assert one._cache._get_connection_pool(True) is two._cache._get_connection_pool(True)


@pytest.mark.skipif(not settings.REDIS_URL, reason="the Redis cache exists only with REDIS_URL")
def test_every_cache_object_of_a_process_sends_through_one_client():
    # What each ASGI request gets: a cache object of its own. Django's would build a client
    # per object (asking importlib.metadata for redis-py's version) and a redis.Redis (with its
    # table of reply callbacks) per command.
    one, two = caches.create_connection("default"), caches.create_connection("default")
    assert one._cache is two._cache
    client = one._cache.get_client()
    assert one._cache.get_client(write=True) is client
    assert two._cache.get_client("any-key") is client
