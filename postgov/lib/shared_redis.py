"""The shared cache's Redis server, through one redis-py client per process, for hot paths.

Django's Redis cache backend builds a new redis-py client for each operation (cheap in
connections, which are pooled, but not in CPU: a client's set-up is a tenth of a public
tracking lookup). The hot paths (the tracking page's limits script, its kept cards and
timelines) talk to the same server through one client made once per process, which
redis-py allows from any thread, with its own pool. They read and write the keys the
cache backend would (its key function) in the format it would (its serializer), so the
cache's API reads what they write and they read what it writes. Where the shared cache is
not Redis, the same functions go through Django's cache API.

Writes and reads go to the first server of LOCATION, where the backend writes: a
read from the primary is never older than one from a replica.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any

import redis
from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache, RedisSerializer
from django.utils.module_loading import import_string


@functools.cache
def _client(location: str) -> redis.Redis:
    return redis.Redis.from_url(location)


def server() -> redis.Redis | None:
    """The Redis server the shared cache writes to (the first of its LOCATION); None
    when the shared cache is not Redis. One client per process: its connections are
    pooled."""
    if not isinstance(caches["default"], RedisCache):
        return None
    location = settings.CACHES["default"]["LOCATION"]
    servers = location.split(",") if isinstance(location, str) else location
    return _client(servers[0])


def key(name: str) -> str:
    """The key the shared cache stores `name` under (prefix, version, key function)."""
    return caches["default"].make_and_validate_key(name)


@functools.cache
def _serializer(spec: Any) -> Any:
    # As the backend reads its OPTIONS: a class or its dotted path, RedisSerializer if none.
    return (import_string(spec) if isinstance(spec, str) else spec)()


def _serialization() -> Any:
    options: Any = settings.CACHES["default"].get("OPTIONS") or {}
    return _serializer(options.get("serializer", RedisSerializer))


def get_many(names: Iterable[str]) -> dict[str, Any]:
    """The values kept under `names`, as `cache.get_many` gives them: one MGET."""
    names = list(names)
    client = server()
    if client is None:
        return cache.get_many(names)
    serializer = _serialization()
    values = client.mget([key(name) for name in names])
    return {
        name: serializer.loads(value)
        for name, value in zip(names, values, strict=True)
        if value is not None
    }


def set_many(values: Mapping[str, Any], timeout: int) -> None:
    """Keep `values` for `timeout` seconds (> 0), as `cache.set_many` does: one round
    trip, a SET with its expiry per key (each key stands alone: no transaction)."""
    client = server()
    if client is None:
        cache.set_many(dict(values), timeout)
        return
    serializer = _serialization()
    pipe = client.pipeline(transaction=False)
    for name, value in values.items():
        pipe.set(key(name), serializer.dumps(value), ex=timeout)
    pipe.execute()
