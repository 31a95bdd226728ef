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


def _require_transaction(what: str) -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{what}() must be called inside transaction.atomic()")


def lock_rows(queryset: models.QuerySet[M], *, of: tuple[str, ...] = ()) -> list[M]:
    """The rows of `queryset`, locked for this transaction and read fresh, in primary-key
    order. `of` names the tables to lock when the query follows relations (the related
    rows stay unlocked). On SQLite the write transaction itself serialises writers.

    On PostgreSQL the lock is FOR NO KEY UPDATE: lockers still wait for each other, but
    a transaction that merely inserts a row referring to a locked one (a ticket's event
    referring to its post office) is not held up. With FOR UPDATE that insert's foreign-key
    check, deferred to its COMMIT, waited for the locker while holding the audit chain's
    head the locker was waiting for: a deadlock (bench/queues). Keys never change and rows
    are never deleted here, which is all FOR UPDATE would add."""
    _require_transaction("lock_rows")
    return list(queryset.select_for_update(of=of, no_key=True).order_by("pk"))


def lock_row(
    queryset: models.QuerySet[M],
    *,
    of: tuple[str, ...] = (),
    skip_locked: bool = False,
) -> M | None:
    """The one row of `queryset` locked for this transaction, or None if there is none.
    With `skip_locked`, a row another transaction holds counts as none: for a queue where
    any free row will do (taking the next record to key), so that people asking at once
    neither wait for each other nor deadlock. The lock is FOR NO KEY UPDATE, as in
    `lock_rows`: it excludes other lockers of the row but not transactions that insert
    rows referring to it (their foreign-key check takes a KEY SHARE lock)."""
    _require_transaction("lock_row")
    return queryset.select_for_update(of=of, skip_locked=skip_locked, no_key=True).first()


def lock(model: type[M], pks: Iterable[int]) -> list[M]:
    """Lock the rows with these primary keys (inside a transaction) and return them fresh,
    in primary-key order."""
    _require_transaction("lock")
    return lock_rows(_objects(model).filter(pk__in=set(pks)))


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
    _require_transaction("locked_get_or_create")
    row = lock_row(_objects(model).filter(**lookup))
    if row is not None:
        return row
    try:
        with transaction.atomic():
            _objects(model).create(**lookup)
    except IntegrityError:
        pass
    created = lock_row(_objects(model).filter(**lookup))
    assert created is not None  # created above, or by the transaction that won the race
    return created
