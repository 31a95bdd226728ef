"""Reference data kept in each process: catalog versions, tariffs, competence, calendars.

Every intake reads them and they change a few times a year, so reading them again on
every request was a third of the intake's queries. Values are loaded on first use and
kept for `TTL` seconds at most; any save or delete of a watched model (`watch`) drops
them at once in this process and, through a generation number in the shared cache, in
every other process within `CHECK_EVERY` seconds. Writes that send no signals (bulk
operations, `QuerySet.update`) are covered when the transaction that made them commits
if it also saved a watched row, and otherwise by the TTL; code that bulk-writes reference
data calls `invalidate()` itself.

Cached values are shared by the threads of a process: callers treat them as read-only.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

TTL = 300.0
CHECK_EVERY = 1.0
SHARED_KEY = "refcache:generation"

_lock = threading.Lock()
_values: dict[tuple, tuple[float, Any]] = {}
_shared = {"generation": None, "checked_at": 0.0}


def get(kind: str, key: Any, load: Callable[[], Any]) -> Any:
    """The value of (`kind`, `key`), from `load()` when not held or too old."""
    now = time.monotonic()
    _follow_shared(now)
    held = _values.get((kind, key))
    if held is not None and now - held[0] < TTL:
        return held[1]
    value = load()
    with _lock:
        _values[(kind, key)] = (now, value)
    return value


def forget() -> None:
    """Drop what this process holds (the other processes keep theirs)."""
    with _lock:
        _values.clear()


def invalidate(**_signal_kwargs) -> None:
    """Drop everything held here, and tell the other processes to do the same."""
    forget()
    try:
        cache.incr(SHARED_KEY)
    except ValueError:
        cache.add(SHARED_KEY, 1, timeout=None)
    _shared["generation"] = cache.get(SHARED_KEY)


def _changed(**kwargs) -> None:
    invalidate()
    # Rows written later in the same transaction without signals (bulk_create of a new
    # version's documents) must not stay hidden behind a value read in between.
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(invalidate)


def _follow_shared(now: float) -> None:
    if now - _shared["checked_at"] < CHECK_EVERY:
        return
    _shared["checked_at"] = now
    generation = cache.get(SHARED_KEY)
    if generation != _shared["generation"]:
        forget()
        _shared["generation"] = generation


def watch(*models) -> None:
    """Drop the reference data whenever one of `models` is saved or deleted."""
    for model in models:
        uid = f"refcache:{model._meta.label}"
        post_save.connect(_changed, sender=model, dispatch_uid=uid + ":save")
        post_delete.connect(_changed, sender=model, dispatch_uid=uid + ":delete")
