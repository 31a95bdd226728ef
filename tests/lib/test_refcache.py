"""Reference data kept per process: loaded once, dropped on change here or elsewhere."""

from __future__ import annotations

import os

import pytest
from django.core.cache import cache

from postgov.lib import refcache

pytestmark = pytest.mark.django_db


def counting_loader(values):
    calls = []

    def load():
        calls.append(1)
        return values[len(calls) - 1]

    return load, calls


def test_a_value_is_loaded_once_then_kept():
    load, calls = counting_loader(["first", "second"])
    assert refcache.get("test.kind", 1, load) == "first"
    assert refcache.get("test.kind", 1, load) == "first"
    assert len(calls) == 1


def test_a_change_in_another_process_is_followed_within_a_second(monkeypatch):
    load, calls = counting_loader(["old", "new"])
    assert refcache.get("test.kind", 2, load) == "old"
    # Another process saved a watched row: it moved the shared generation.
    cache.set(refcache.SHARED_KEY, (cache.get(refcache.SHARED_KEY) or 0) + 1, timeout=None)
    assert refcache.get("test.kind", 2, load) == "old"  # not checked again yet
    monkeypatch.setitem(refcache._shared, "checked_at", 0.0)
    assert refcache.get("test.kind", 2, load) == "new"
    assert len(calls) == 2


def test_values_age_out(monkeypatch):
    load, calls = counting_loader(["old", "new"])
    assert refcache.get("test.kind", 3, load) == "old"
    monkeypatch.setattr(refcache, "TTL", -1.0)
    assert refcache.get("test.kind", 3, load) == "new"


def test_saving_a_watched_model_drops_the_values(world):
    from postgov.places.models import Commune

    load, calls = counting_loader(["before", "after"])
    assert refcache.get("test.kind", 4, load) == "before"
    commune = Commune.objects.first()
    commune.short_name = commune.short_name + " "
    commune.save()
    assert refcache.get("test.kind", 4, load) == "after"


def test_the_command_for_changes_made_outside_postgov(monkeypatch):
    from django.core.management import call_command

    load, calls = counting_loader(["old", "new"])
    assert refcache.get("test.kind", 5, load) == "old"
    call_command("reference_data_changed", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert refcache.get("test.kind", 5, load) == "new"


def test_reads_inside_a_changing_transaction_are_not_kept(world):
    """A rolled-back change must not stay behind in the cache."""
    from django.db import transaction

    from postgov.places.models import Commune

    class Rollback(Exception):
        pass

    load, calls = counting_loader(["uncommitted", "committed"])
    with pytest.raises(Rollback), transaction.atomic():
        commune = Commune.objects.first()
        commune.short_name = "Tên chưa lưu"
        commune.save()
        assert refcache.get("test.kind", 6, load) == "uncommitted"
        raise Rollback
    assert refcache.get("test.kind", 6, load) == "committed"
    assert len(calls) == 2
