"""One Redis connection pool per process for Django's Redis cache.

Under ASGI, Django builds a new cache object for every request (its cache handler is
context-local), and each object opens its own connection pool, so every request paid a fresh
TCP connection to Redis before its first cache read. `SharedConnectionPool` is the
`pool_class` of the cache (timz/settings.py): all those objects get the one pool of their URL
and options, and its connections are reused. redis-py's pools are thread-safe and reset
themselves in a forked child.
"""

import threading

from redis import ConnectionPool

_lock = threading.Lock()
_pools: dict[tuple, ConnectionPool] = {}


class SharedConnectionPool(ConnectionPool):
    @classmethod
    def from_url(cls, url, **kwargs):
        key = (url, tuple(sorted((k, repr(v)) for k, v in kwargs.items())))
        with _lock:
            pool = _pools.get(key)
            if pool is None:
                pool = _pools[key] = super().from_url(url, **kwargs)
            return pool
