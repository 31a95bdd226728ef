"""Public tracking keeps each dossier's timeline in the shared cache, under the dossier's
id and its latest event: a repeat lookup reads the dossier alone, a new event shows at
once, the limits still count every lookup, and no key carries personal data."""

from __future__ import annotations

import re
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from postgov.dossiers.actions import perform
from postgov.dossiers.tracking.card import card
from postgov.dossiers.tracking.lookup import tracked_dossiers
from postgov.identity.access import Access

from .intake_helpers import ready, seal

pytestmark = pytest.mark.clock

# Memory instead of the database cache of the test settings, so that the statements
# counted are the lookup's own.
MEMORY = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture(autouse=True)
def _memory_cache(settings):
    settings.CACHES = MEMORY
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def sealed(world, version):
    dossier, _ = seal(ready(world, version, name="Nguyễn Văn An"))
    return dossier


def look_up(client, dossier, address="203.0.113.7"):
    return client.post(
        reverse("dossiers:track"),
        {"code": dossier.code, "phone_last4": "5678"},
        REMOTE_ADDR=address,
    )


def dossier_statements(queries) -> list[str]:
    return [q["sql"] for q in queries if "dossiers_" in q["sql"] or "delivery_" in q["sql"]]


def test_a_repeat_lookup_reads_the_dossier_alone(client, sealed):
    first = look_up(client, sealed)
    assert first.status_code == 200 and "N***** V** A*" in first.content.decode()
    with CaptureQueriesContext(connection) as queries:
        again = look_up(client, sealed, address="203.0.113.8")
    assert again.content.decode().count("<li><strong>") == first.content.decode().count(
        "<li><strong>"
    )
    read = dossier_statements(queries.captured_queries)
    assert len(read) == 1 and "dossiers_dossierevent" in read[0]  # the version, in one


def test_a_new_event_shows_at_the_next_lookup(client, sealed, clerk_a):
    before = look_up(client, sealed).content.decode()
    perform(sealed.pk, "dispatch", actor=clerk_a, access=Access.for_user(clerk_a))
    after = look_up(client, sealed, address="203.0.113.9").content.decode()
    assert after.count("<li><strong>") == before.count("<li><strong>") + 1


def test_the_limits_count_lookups_of_a_cached_timeline(client, sealed, settings):
    settings.TRACK_LIMIT_PER_MINUTE = 3
    statuses = [look_up(client, sealed).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_wrong_digits_never_reach_the_cached_timeline(client, sealed):
    look_up(client, sealed)
    wrong = client.post(
        reverse("dossiers:track"),
        {"code": sealed.code, "phone_last4": "0000"},
        REMOTE_ADDR="203.0.113.10",
    )
    assert wrong.status_code == 404 and "N***** V** A*" not in wrong.content.decode()


def test_no_personal_data_in_the_cache_keys(client, sealed):
    look_up(client, sealed)
    keys = " ".join(str(key) for key in cache._cache)  # the memory cache's own keys
    assert "track:timeline" in keys
    for secret in (sealed.code, sealed.applicant_phone, "5678", sealed.applicant_name):
        assert secret not in keys


def test_the_written_out_statements_read_what_the_orm_reads(sealed, clerk_a):
    from postgov.dossiers.tracking.lookup import _by_code, _Found, _read_timeline, _timeline

    perform(sealed.pk, "dispatch", actor=clerk_a, access=Access.for_user(clerk_a))
    found = _by_code(sealed.code)
    expected = _Found.of(tracked_dossiers().get(pk=sealed.pk))
    assert found is not None
    assert found.timeline_version == sealed.events.order_by("-id").values_list("id", flat=True)[0]
    for name in ("pk", "code", "status", "applicant_name", "applicant_phone", "procedure"):
        assert getattr(found, name) == getattr(expected, name)
    for name in ("sealed_at", "due_at", "expected_return_at"):
        assert getattr(found, name) == getattr(expected, name)  # aware on both databases
    assert found.agency.name == expected.agency.name
    assert found.agency.office_hours == expected.agency.office_hours
    # By an item number, as the QR code's link may carry it.
    item = sealed.items.first()
    assert _by_code(item.item_id).pk == sealed.pk
    # The timeline: every event in order, aware times, the items.
    timeline = _read_timeline(sealed.pk)
    events = list(sealed.events.order_by("at", "id"))
    assert [step.code for step in timeline.steps] == [event.code for event in events]
    assert [step.at for step in timeline.steps] == [event.at for event in events]
    assert timeline.items == list(sealed.items.values_list("item_id", flat=True))
    assert _timeline(found).steps == timeline.steps


def test_practice_and_cancelled_dossiers_are_not_found(sealed):
    from postgov.dossiers.models import Dossier
    from postgov.dossiers.tracking.lookup import _by_code

    Dossier.objects.filter(pk=sealed.pk).update(practice=True)
    assert _by_code(sealed.code) is None
    Dossier.objects.filter(pk=sealed.pk).update(practice=False, status="cancelled")
    assert _by_code(sealed.code) is None


CSRF_VALUE = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+"')


def test_a_kept_card_is_the_card_the_lookup_would_render(client, sealed, clerk_a):
    from postgov.dossiers.tracking.lookup import _form_token, describe

    perform(sealed.pk, "dispatch", actor=clerk_a, access=Access.for_user(clerk_a))
    result = describe(sealed)
    result.form_token = _form_token(sealed.pk, 1)  # as after a hand-over
    request = RequestFactory().get("/")
    fresh = render_to_string(
        "dossiers/includes/tracking_dossier.html", {"result": result}, request=request
    )
    first = card(request, result)  # rendered and kept
    again = card(request, result)  # from the cache
    # The CSRF token is masked afresh at each use; the rest is the same to the byte.
    assert CSRF_VALUE.sub(r"\1", first) == CSRF_VALUE.sub(r"\1", fresh)
    assert CSRF_VALUE.sub(r"\1", again) == CSRF_VALUE.sub(r"\1", fresh)
    assert result.form_token in again and "csrfmiddlewaretoken" in again
    # Anything shown that changes makes another card, never the kept one.
    result.status_label = "Something else"
    assert "Something else" in card(request, result)


def test_a_repeat_lookup_renders_no_card(client, sealed):
    look_up(client, sealed)
    with (
        CaptureQueriesContext(connection),
        mock.patch("postgov.dossiers.tracking.card.render_to_string", side_effect=AssertionError),
    ):
        again = look_up(client, sealed, address="203.0.113.11")
    assert again.status_code == 200 and "N***** V** A*" in again.content.decode()


def test_a_card_kept_by_the_lookup_is_the_card_a_fresh_render_gives(client, sealed, clerk_a):
    from postgov.dossiers.tracking.card import CARD_SECONDS
    from postgov.dossiers.tracking.lookup import TIMELINE_SECONDS, describe

    assert CARD_SECONDS == TIMELINE_SECONDS
    perform(sealed.pk, "dispatch", actor=clerk_a, access=Access.for_user(clerk_a))
    look_up(client, sealed)  # rendered and kept
    with mock.patch("postgov.dossiers.tracking.card.render_to_string", side_effect=AssertionError):
        again = look_up(client, sealed, address="203.0.113.12").content.decode()
    fresh = render_to_string(
        "dossiers/includes/tracking_dossier.html",
        {"result": describe(tracked_dossiers().get(pk=sealed.pk))},
        request=RequestFactory().get("/"),
    )
    assert "<li><strong>" in fresh and fresh in again


@pytest.mark.parametrize("zone", ["Asia/Ho_Chi_Minh", "Europe/Paris", "UTC"])
def test_a_steps_time_is_shown_as_the_date_filter_shows_it(zone):
    from datetime import UTC, datetime, timedelta

    from django.template.defaultfilters import date
    from django.utils import timezone, translation

    from postgov.dossiers.tracking.lookup import Step

    start = datetime(2026, 3, 28, 21, 5, 9, tzinfo=UTC)  # across a change of summer time
    with timezone.override(zone), translation.override("vi"):
        for hours in range(0, 60, 7):
            at = start + timedelta(hours=hours, minutes=hours)
            step = Step(at=at, code="x", label="x", place="")
            assert step.shown_at == date(timezone.template_localtime(at), "H:i, d/m/Y")


# The card's loop over the steps as the template wrote it before the steps were
# rendered in one string (`card.timeline_html`).
STEPS_LOOP = (
    '{% for s in steps %}<li><strong>{{ s.label }}</strong><div class="text-muted">'
    "{{ s.shown_at }}{% if s.place %} · {{ s.place }}{% endif %}</div></li>{% endfor %}"
)


@pytest.mark.parametrize("zone", ["Asia/Ho_Chi_Minh", "UTC"])
def test_the_timeline_is_what_the_templates_loop_rendered(zone):
    from datetime import UTC, datetime

    from django.template import engines
    from django.utils import timezone, translation

    from postgov.dossiers.tracking.card import timeline_html
    from postgov.dossiers.tracking.lookup import Step

    at = datetime(2026, 3, 28, 21, 5, 9, tzinfo=UTC)
    steps = [
        Step(at=at, code="a", label="Tiếp nhận <hồ sơ> & \"ký\" 'số'", place="Bưu cục <1>"),
        Step(at=at, code="b", label="Đã gửi", place=""),
        Step(at=at, code="c", label="x", place="A & B \"C\" 'D'"),
    ]
    loop = engines["django"].from_string(STEPS_LOOP)
    with timezone.override(zone), translation.override("vi"):
        assert timeline_html(steps) == loop.render({"steps": steps})
        assert timeline_html([]) == ""
