"""Reference data kept in each process: catalog versions, tariffs, competence, calendars.

Every intake reads them and they change a few times a year, so reading them again on
every request was a third of the intake's queries. Values are loaded on first use and
kept for `TTL` seconds at most; any save or delete of a watched model (`watch`) drops
them at once in this process and, when its transaction commits, in every other process
within `CHECK_EVERY` seconds (through a generation number in the shared cache). While a
transaction holds uncommitted changes to watched rows, what it reads is not kept: a
rollback must not leave them behind. Writes that send no signals (bulk operations,
`QuerySet.update`) are covered when their transaction also saved a watched row, and
otherwise by the TTL; `manage.py reference_data_changed` tells every process at once.

Cached values are shared by the threads of a process: callers treat them as read-only.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import Model
from django.db.models.signals import post_delete, post_save

TTL = 300.0
CHECK_EVERY = 1.0
SHARED_KEY = "refcache:generation"

_lock = threading.Lock()
_values: dict[tuple[str, Any], tuple[float, Any]] = {}
_shared: dict[str, Any] = {"generation": None, "checked_at": 0.0}


def get(kind: str, key: Any, load: Callable[[], Any]) -> Any:
    """The value of (`kind`, `key`), from `load()` when not held or too old."""
    now = time.monotonic()
    _follow_shared(now)
    if _changes_pending():
        return load()
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


def invalidate(**_signal_kwargs: Any) -> None:
    """Drop everything held here, and tell the other processes to do the same."""
    forget()
    try:
        cache.incr(SHARED_KEY)
    except ValueError:
        cache.add(SHARED_KEY, 1, timeout=None)
    _shared["generation"] = cache.get(SHARED_KEY)


def _changed(**kwargs: Any) -> None:
    if not transaction.get_connection().in_atomic_block:
        invalidate()
        return
    forget()
    # The other processes cannot see the change before it commits; tell them then, once
    # per transaction however many rows it saves (an import saves thousands).
    if not _changes_pending():
        transaction.on_commit(invalidate)


def _changes_pending() -> bool:
    """This thread's transaction changed watched rows and has not committed yet."""
    connection = transaction.get_connection()
    return connection.in_atomic_block and any(
        entry[1] is invalidate for entry in connection.run_on_commit
    )


def _follow_shared(now: float) -> None:
    if now - _shared["checked_at"] < CHECK_EVERY:
        return
    _shared["checked_at"] = now
    generation = cache.get(SHARED_KEY)
    if generation != _shared["generation"]:
        forget()
        _shared["generation"] = generation


def watch(*models: type[Model]) -> None:
    """Drop the reference data whenever one of `models` is saved or deleted."""
    for model in models:
        uid = f"refcache:{model._meta.label}"
        post_save.connect(_changed, sender=model, dispatch_uid=uid + ":save")
        post_delete.connect(_changed, sender=model, dispatch_uid=uid + ":delete")
