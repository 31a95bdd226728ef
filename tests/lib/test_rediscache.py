"""The Redis cache as deployed keeps its client object instead of building one per call."""

from __future__ import annotations

import pytest

from postgov.lib.rediscache import RedisCache


@pytest.fixture
def redis_cache():
    backend = RedisCache("redis://127.0.0.1:6379/12", {"KEY_PREFIX": "rediscache-test"})
    try:
        backend.clear()
    except Exception as exc:  # noqa: BLE001 — no Redis on this machine
        pytest.skip(f"Redis not reachable on 127.0.0.1:6379: {exc}")
    yield backend
    backend.clear()


def test_one_client_serves_every_call(redis_cache):
    client = redis_cache._cache.get_client("a")
    assert redis_cache._cache.get_client("b", write=True) is client
    redis_cache.set("k", {"n": 1})
    assert redis_cache.get("k") == {"n": 1}
    assert redis_cache.add("counter", 1)
    assert redis_cache.incr("counter") == 2
    assert redis_cache._cache.get_client("c") is client


def test_replicas_still_get_a_client_per_call():
    backend = RedisCache("redis://127.0.0.1:6379/12,redis://127.0.0.1:6379/12", {})
    assert backend._cache.get_client("a") is not backend._cache.get_client("a")
