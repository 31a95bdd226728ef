"""Fixed-window rate limits on public lookups (tracking, booking), counted in the shared
cache so every web process sees the same counts."""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache


def hit(scope: str, key: str, limit: int, window_seconds: int) -> bool:
    """Count one request for (scope, key); False once `limit` is exceeded in the window."""
    window = int(time.time() // window_seconds)
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]  # no address in cache keys
    cache_key = f"rl:{scope}:{digest}:{window}"
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        return _hit_redis(backend, cache_key, window_seconds + 5) <= limit
    cache.add(cache_key, 0, timeout=window_seconds + 5)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=window_seconds + 5)
        count = 1
    return count <= limit


def _hit_redis(backend: RedisCache, cache_key: str, timeout: int) -> int:
    """One round trip instead of Django's three (add, exists, incr): INCR creates the
    counter, EXPIRE NX gives it its window only once."""
    key = backend.make_and_validate_key(cache_key)
    pipe = backend._cache.get_client(key, write=True).pipeline(transaction=False)
    pipe.incr(key)
    pipe.expire(key, timeout, nx=True)
    return pipe.execute()[0]
