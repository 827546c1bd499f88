"""One Redis connection pool, and one client on it, per process for Django's Redis cache.

Under ASGI, Django builds a new cache object for every request (its cache handler is
context-local), and each object opens its own connection pool, so every request paid a fresh
TCP connection to Redis before its first cache read. `SharedConnectionPool` is the
`pool_class` of the cache (timz/settings.py): all those objects get the one pool of their URL
and options, and its connections are reused. redis-py's pools are thread-safe and reset
themselves in a forked child.

Page-cache counters (timz.pagecache) are bumped through `RedisCache.bump_counters`: every
counter of a write in one round trip (a MULTI of SET NX and INCRBY per counter) instead of two
round trips per counter through add() and incr().

Two more costs came with each request's new cache object, paid only by the requests that use
the cache (a bare view does not), and `RedisCache` (the cache's BACKEND) removes both:
- its new Django client describes itself to Redis (`DriverInfo`), which asks
  `importlib.metadata` for redis-py's version: a scan of the installed distributions, about
  0.3 ms of CPU per request under load. `RedisCache` shares one Django client per process (per
  servers and options); it holds no per-request state.
- Django's client builds a new `redis.Redis` for every single command, and that constructor
  fills a table of ~170 reply callbacks each time: about 170 us of CPU per command, more than
  the round trip itself. The shared client keeps one `redis.Redis` per pool instead; redis-py
  documents its clients as safe to share between threads when each command takes its
  connection from the pool, as here.
"""

import threading

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from django.utils.functional import cached_property
from redis import ConnectionPool

_lock = threading.Lock()
_pools: dict[tuple, ConnectionPool] = {}
_clients_lock = threading.Lock()
_clients: dict[tuple, RedisCacheClient] = {}


class SharedConnectionPool(ConnectionPool):
    @classmethod
    def from_url(cls, url, **kwargs):
        key = (url, tuple(sorted((k, repr(v)) for k, v in kwargs.items())))
        with _lock:
            pool = _pools.get(key)
            if pool is None:
                pool = _pools[key] = super().from_url(url, **kwargs)
            return pool


class SharedClientRedisCacheClient(RedisCacheClient):
    """Django's client, with one `redis.Redis` per connection pool instead of one per command."""

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = getattr(pool, "timz_client", None)
        if client is None:
            # Two threads may both build one: either is fine, they share the pool.
            client = pool.timz_client = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    """Django's Redis cache, every object of a process on one `SharedClientRedisCacheClient`
    (see the module docstring)."""

    @cached_property
    def _cache(self):
        key = (tuple(self._servers), repr(sorted(self._options.items())))
        with _clients_lock:
            client = _clients.get(key)
            if client is None:
                client = _clients[key] = SharedClientRedisCacheClient(
                    self._servers, **self._options
                )
            return client

    def bump_counters(self, keys: list[str], start) -> None:
        """Add 1 to each counter of `keys`, first creating a missing one at `start()` with no
        expiry (what add() then incr() do per key), all in one round trip: a MULTI, so no
        counter can be evicted between its SET NX and its INCR."""
        client = self._cache.get_client(write=True)
        with client.pipeline(transaction=True) as pipe:
            for key in keys:
                key = self.make_and_validate_key(key)
                pipe.set(key, self._cache._serializer.dumps(start()), nx=True)
                pipe.incr(key)
            pipe.execute()
