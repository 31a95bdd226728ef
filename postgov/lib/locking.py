"""Row locks, taken through one helper and always in primary-key order (docs/domain.md §4), so
two transactions that lock the same rows cannot deadlock each other."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction

M = TypeVar("M", bound=models.Model)


def _objects(model: type[M]) -> models.Manager[M]:
    # Every model locked here reads through its `objects` manager, which the stubs cannot
    # know a generic model has.
    manager: models.Manager[M] = model.objects  # type: ignore[attr-defined]
    return manager


def lock(model: type[M], pks: Iterable[int]) -> list[M]:
    """Lock the rows with these primary keys (inside a transaction) and return them fresh,
    in primary-key order. On SQLite the write transaction itself serialises writers."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock() must be called inside transaction.atomic()")
    return list(_objects(model).select_for_update().filter(pk__in=set(pks)).order_by("pk"))


def lock_one(model: type[M], pk: int) -> M:
    rows = lock(model, [pk])
    if not rows:
        raise model.DoesNotExist(  # type: ignore[attr-defined]
            f"{model.__name__} {pk} does not exist"
        )
    return rows[0]


def locked_get_or_create(model: type[M], **lookup: Any) -> M:
    """The row matching `lookup`, created if missing, locked for this transaction.

    Creating happens in a savepoint, so losing the race to another transaction that
    creates the same row does not spoil the caller's transaction; the winner's row is then
    locked like any other."""
    queryset = _objects(model).select_for_update()
    row = queryset.filter(**lookup).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            _objects(model).create(**lookup)
    except IntegrityError:
        pass
    return queryset.get(**lookup)
