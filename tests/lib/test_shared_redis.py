"""The hot paths' Redis client: one per process, and the same keys and format as the
shared cache's backend, so either reads what the other wrote."""

from __future__ import annotations

import os
import uuid
from unittest import mock

import pytest
import redis
from django.core.cache import cache
from django.test import override_settings

from postgov.lib import shared_redis

MEMORY = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def redis_cache() -> dict:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/13",
            "KEY_PREFIX": f"shared-redis-test-{uuid.uuid4().hex}",
        }
    }


def test_without_redis_it_is_the_cache_api():
    with override_settings(CACHES=MEMORY):
        assert shared_redis.server() is None
        shared_redis.set_many({"a": {"html": "<p>"}, "n": 7}, 60)
        assert cache.get("a") == {"html": "<p>"} and cache.get("n") == 7
        assert shared_redis.get_many(["a", "n", "missing"]) == {"a": {"html": "<p>"}, "n": 7}


def test_with_redis_the_cache_reads_what_it_writes_and_back():
    with override_settings(CACHES=redis_cache()):
        try:
            cache.set("probe", 1, 5)
        except redis.ConnectionError as exc:
            pytest.skip(f"Redis not reachable: {exc}")
        shared_redis.set_many({"a": {"html": "<p>"}, "n": 7, "s": "x"}, 60)
        assert cache.get_many(["a", "n", "s"]) == {"a": {"html": "<p>"}, "n": 7, "s": "x"}
        cache.set("b", [1, "two"], 60)
        assert shared_redis.get_many(["b", "missing"]) == {"b": [1, "two"]}
        # The expiry is the one asked for, on the key the backend uses.
        server = shared_redis.server()
        assert server is not None
        assert 55 <= server.ttl(shared_redis.key("a")) <= 60
        # Its own keys only: other tests count in the same Redis database at once.
        cache.delete_many(["probe", "a", "n", "s", "b"])


def test_one_client_per_process():
    with override_settings(CACHES=redis_cache()):
        first = shared_redis.server()
        with mock.patch.object(redis.Redis, "__init__", side_effect=AssertionError):
            assert shared_redis.server() is first
