"""Fixed-window rate limits on public lookups (tracking, booking, registration), counted
in the shared cache so every web process sees the same counts.

Keys are whatever the caller counts by: a client's `netkeys.network_key` (so an IPv6 /64
is one client), a dossier code, a phone number. They reach the cache only as a keyed
hash: a plain hash of a phone number is undone by trying the billion numbers there are.
"""

from __future__ import annotations

import time

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache

from postgov.lib import shared_redis
from postgov.lib.sealing import keyed_hash

KEY_PURPOSE = "rate-limit-key"


def cache_key(scope: str, key: str, window_seconds: int, windows_ago: int = 0) -> str:
    """The shared cache's key of (scope, key)'s counter in this window (or one
    `windows_ago`): the key only as a keyed hash."""
    window = int(time.time() // window_seconds) - windows_ago
    digest = keyed_hash(key, KEY_PURPOSE)[:32]
    return f"rl:{scope}:{digest}:{window}"


def incr(scope: str, key: str, window_seconds: int) -> int:
    """Count one event for (scope, key) in the current window; the count so far."""
    counter = cache_key(scope, key, window_seconds)
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        return _incr_redis(backend, counter, window_seconds + 5)
    cache.add(counter, 0, timeout=window_seconds + 5)
    try:
        return cache.incr(counter)
    except ValueError:  # expired between add and incr
        cache.set(counter, 1, timeout=window_seconds + 5)
        return 1


def hit(scope: str, key: str, limit: int, window_seconds: int) -> bool:
    """Count one request for (scope, key); False once `limit` is exceeded in the window."""
    return incr(scope, key, window_seconds) <= limit


def count(scope: str, key: str, window_seconds: int, *, windows_ago: int = 0) -> int:
    """How many were counted for (scope, key) in this window (or one `windows_ago`),
    without counting one more."""
    return int(cache.get(cache_key(scope, key, window_seconds, windows_ago)) or 0)


def seconds_left(window_seconds: int) -> int:
    """Seconds until the current window closes (at least 1): a Retry-After."""
    return max(1, int(window_seconds - time.time() % window_seconds))


def _incr_redis(backend: RedisCache, counter: str, timeout: int) -> int:
    """One round trip instead of Django's three (add, exists, incr): INCR creates the
    counter, EXPIRE NX gives it its window only once. Sent to the server the cache
    writes to, the first of its LOCATION, with the cache's own key."""
    key = backend.make_and_validate_key(counter)
    server = shared_redis.server()
    assert server is not None  # the backend is Redis
    pipe = server.pipeline(transaction=False)
    pipe.incr(key)
    pipe.expire(key, timeout, nx=True)
    count: int = pipe.execute()[0]
    return count
