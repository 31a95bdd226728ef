"""As deployed with REDIS_URL: sessions are read from Redis and written through to the
database. Ending a session must end it in both, or a copy in Redis would live on."""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.urls import reverse

from postgov.identity import authn
from postgov.identity.models import UserSession
from tests.clients import PostGovClient

pytestmark = pytest.mark.django_db

REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/12",
        "KEY_PREFIX": "session-test",
    }
}


@pytest.fixture
def redis_sessions(settings):
    settings.CACHES = REDIS
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    try:
        caches["default"].clear()
    except Exception as exc:  # noqa: BLE001 — no Redis on this machine
        pytest.skip(f"Redis not reachable on 127.0.0.1:6379: {exc}")
    yield
    caches["default"].clear()


def test_signing_out_elsewhere_ends_a_session_held_in_redis(redis_sessions, clerk_a):
    elsewhere = PostGovClient()
    elsewhere.force_login(clerk_a)
    assert elsewhere.get(reverse("home")).status_code == 200
    key = elsewhere.session.session_key
    assert caches["default"].get(f"django.contrib.sessions.cached_db{key}") is not None
    UserSession.objects.create(user=clerk_a, session_key=key)

    assert authn.end_session_rows(clerk_a) == 1

    assert caches["default"].get(f"django.contrib.sessions.cached_db{key}") is None
    response = elsewhere.get(reverse("dossiers:today"))
    assert response.status_code == 302 and reverse("identity:login") in response.url
