"""The tracking page around a found dossier is rendered once per language and kept in the
process: a kept page is the page the template renders, with this request's values put in
and escaped; a visitor with a session gets the page rendered for them. Where the shared
cache is Redis, the limits of a lookup take one round trip."""

from __future__ import annotations

import os
import re
import uuid
from unittest import mock

import pytest
import redis
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from redis.connection import Connection

from postgov.dossiers.tracking import page
from postgov.lib.tracking_links import token_for

from .intake_helpers import ready, seal

pytestmark = pytest.mark.clock

MEMORY = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Where each CSRF token goes (masked afresh at each use).
CSRF = re.compile(r'(name="csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+"')


@pytest.fixture(autouse=True)
def _memory_cache(settings):
    settings.CACHES = MEMORY
    cache.clear()
    page._kept.clear()
    yield
    cache.clear()
    page._kept.clear()


@pytest.fixture
def sealed(world, version):
    dossier, _ = seal(ready(world, version, name="Nguyễn Văn An"))
    return dossier


def post(client, code, address="203.0.113.7"):
    return client.post(
        reverse("dossiers:track"), {"code": code, "phone_last4": "5678"}, REMOTE_ADDR=address
    )


def plain(response) -> str:
    return CSRF.sub(r"\1", response.content.decode())


def rendered(client, send):
    """The page as the template renders it: a cookie that is not the CSRF or language
    one (a session's, say) keeps the page from being kept."""
    client.cookies["elsewhere"] = "1"
    try:
        return send()
    finally:
        del client.cookies["elsewhere"]


def test_a_kept_page_is_the_page_the_template_renders(client, sealed):
    typed = f"  {sealed.code.lower()} "  # shown back as typed, escaped
    fresh = rendered(client, lambda: post(client, typed, "203.0.113.20"))
    kept_first = post(client, typed, "203.0.113.21")
    kept_again = post(client, typed, "203.0.113.22")
    assert fresh.status_code == kept_first.status_code == kept_again.status_code == 200
    assert "N***** V** A*" in kept_again.content.decode()
    assert plain(kept_first) == plain(fresh) and plain(kept_again) == plain(fresh)
    assert kept_again["Cache-Control"] == "no-store"
    assert f'value="{typed}"' in kept_again.content.decode()
    # By the QR code's token: no digits typed, the page's address (with its "&") as the
    # language switch's "next".
    query = {"code": sealed.code, "t": token_for(sealed.pk)}
    url = reverse("dossiers:track")
    fresh = rendered(client, lambda: client.get(url, query, REMOTE_ADDR="203.0.113.23"))
    kept = client.get(url, query, REMOTE_ADDR="203.0.113.24")
    assert kept.status_code == 200 and plain(kept) == plain(fresh)
    assert "&amp;t=" in kept.content.decode()


def test_the_tokens_of_a_kept_page_are_this_requests(client, sealed):
    post(client, sealed.code, "203.0.113.25")
    response = post(client, sealed.code, "203.0.113.26")
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())
    assert tokens and all(page.CSRF_SLOT not in t and len(t) == 64 for t in tokens)
    assert len(set(tokens)) == 1  # masked once for the page and its card
    assert not page.SLOTS.search(response.content.decode())
    # The page's tokens are accepted: the language switch posts with them.
    switch = client.post(
        reverse("set_language"),
        {"language": "en", "next": "/track/", "csrfmiddlewaretoken": tokens[0]},
    )
    assert switch.status_code == 302


def test_the_page_is_rendered_once_per_language(client, sealed):
    post(client, sealed.code, "203.0.113.27")
    with mock.patch.object(page, "render", side_effect=AssertionError):
        again = post(client, sealed.code, "203.0.113.28")
    assert again.status_code == 200 and "N***** V** A*" in again.content.decode()
    client.cookies["django_language"] = "en"
    english = post(client, sealed.code, "203.0.113.29")
    assert english.content.decode().startswith('<!doctype html>\n\n<html lang="en">')
    assert len(page._kept) == 2


def test_a_visitor_with_a_session_gets_the_page_rendered(client, sealed):
    post(client, sealed.code, "203.0.113.30")
    client.cookies["__Host-postgov_session"] = "x" * 32
    client.cookies["sessionid"] = "x" * 32
    with mock.patch.object(page, "dossier_page", side_effect=AssertionError):
        response = post(client, sealed.code, "203.0.113.31")
    assert response.status_code == 200 and "N***** V** A*" in response.content.decode()


def test_wrong_digits_get_no_kept_page(client, sealed):
    post(client, sealed.code, "203.0.113.32")
    with mock.patch.object(page, "dossier_page", side_effect=AssertionError):
        wrong = client.post(
            reverse("dossiers:track"),
            {"code": sealed.code, "phone_last4": "0000"},
            REMOTE_ADDR="203.0.113.33",
        )
    assert wrong.status_code == 404 and "N***** V** A*" not in wrong.content.decode()


def redis_cache():
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            # The run's Redis when it names one (REDIS_URL), its keys under a new prefix.
            "LOCATION": os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/11",
            "KEY_PREFIX": f"tracking-test-{uuid.uuid4().hex}",
        }
    }


def test_with_redis_the_limits_take_one_round_trip(client, sealed, settings, time_machine):
    # The limits count in windows of a minute: all of this in one.
    time_machine.move_to(timezone.now().replace(second=5, microsecond=0), tick=False)
    settings.TRACK_LIMIT_PER_MINUTE = 3
    sent = []
    original = Connection.send_packed_command

    def counting(self, command, check_health=True):
        sent.append(command)
        return original(self, command, check_health)

    with override_settings(CACHES=redis_cache()):
        post(client, sealed.code, "203.0.113.40")  # the timeline and the card kept
        with (
            mock.patch.object(Connection, "send_packed_command", counting),
            mock.patch(
                "postgov.dossiers.tracking.card.render_to_string", side_effect=AssertionError
            ),
            # The process's client (`shared_redis`), not a new one per cache operation.
            mock.patch.object(redis.Redis, "__init__", side_effect=AssertionError),
        ):
            again = post(client, sealed.code, "203.0.113.40")
        assert again.status_code == 200 and "N***** V** A*" in again.content.decode()
        # The limits (one script), then the card and the timeline asked for together:
        # two round trips, and the kept card needs no timeline.
        assert len(sent) == 2
        first, second = (part if isinstance(part, bytes) else b"".join(part) for part in sent)
        assert b"EVALSHA" in first and b"MGET" in second
        # The limits still hold: the client's third lookup passes, the fourth does not.
        assert post(client, sealed.code, "203.0.113.40").status_code == 200
        assert post(client, sealed.code, "203.0.113.40").status_code == 429
        # And the digit guesses per code, from any address.
        statuses = [
            client.post(
                reverse("dossiers:track"),
                {"code": sealed.code, "phone_last4": "0000"},
                REMOTE_ADDR=f"198.51.100.{n}",
            ).status_code
            for n in range(10)
        ]
        assert statuses[-1] == 429 and 404 in statuses
    # A dossier looked up for the first time (a fresh namespace: nothing kept, nothing
    # flushed): the limits, the card and the timeline asked for, then both kept at once.
    sent.clear()
    with (
        override_settings(CACHES=redis_cache()),
        mock.patch.object(Connection, "send_packed_command", counting),
    ):
        assert post(client, sealed.code, "203.0.113.41").status_code == 200
    # The lookup's own round trips: the limits' script and the tracking keys (a new
    # cache's connections first say who they are, and the reference data asks now and
    # then whether it changed: neither is the lookup's).
    commands = [part if isinstance(part, bytes) else b"".join(part) for part in sent]
    assert len([c for c in commands if b"EVALSHA" in c[:40] or b":track:" in c]) == 3


def test_a_kept_page_varies_as_a_rendered_one(client, sealed):
    # No shared cache may keep either (no-store), but one that ignores it must still tell
    # the language and the CSRF cookie apart, as for the rendered page.
    fresh = rendered(client, lambda: post(client, sealed.code, "203.0.113.50"))
    kept = post(client, sealed.code, "203.0.113.51")
    vary = {part.strip() for part in kept["Vary"].split(",")}
    assert {"Cookie", "Accept-Language"} <= vary
    assert vary == {part.strip() for part in fresh["Vary"].split(",")}
    assert kept["Cache-Control"] == fresh["Cache-Control"] == "no-store"
