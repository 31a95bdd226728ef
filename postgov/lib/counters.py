"""Counters kept in a row (dossier codes, receipt and seal numbers, S10 serials), moved on
by one statement each: an upsert that creates the row at its first use, adds to it and
returns the new value.

Inside the caller's transaction the row stays locked until commit, so concurrent callers
wait for each other on that row only, and a rolled-back transaction gives its numbers
back: no duplicates, no gaps. One statement instead of a locked read, a savepoint for
the first use and an update; the same SQL on PostgreSQL and SQLite (3.35 or newer).
Several counters moved together are locked in the order given, so callers that always
name the less shared counters first cannot deadlock each other.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django.db import connection, models

Key = tuple[Any, ...]


def bump_many(
    model: type[models.Model],
    keys: list[Key],
    key_fields: tuple[str, ...],
    by: int = 1,
    value_field: str = "last_value",
) -> dict[Key, int]:
    """Add `by` to each counter row of `model` named by `keys` (tuples of `key_fields`
    values), creating missing rows; returns {key: new value}."""
    if not keys:
        return {}
    if len(set(keys)) != len(keys):
        raise ValueError("the same counter twice in one statement")
    meta = model._meta
    quote = connection.ops.quote_name
    # Counter keys are concrete columns, never relations seen from the other side.
    fields = [cast(models.Field[Any, Any], meta.get_field(name)) for name in key_fields]
    table = quote(meta.db_table)
    columns = [quote(cast(str, f.column)) for f in fields]
    value = quote(cast(str, cast(models.Field[Any, Any], meta.get_field(value_field)).column))
    row = "(" + ", ".join(["%s"] * (len(columns) + 1)) + ")"
    # Only quoted names from the model's meta go into the text; values are parameters.
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}, {value}) "  # noqa: S608
        f"VALUES {', '.join([row] * len(keys))} "
        f"ON CONFLICT ({', '.join(columns)}) "
        f"DO UPDATE SET {value} = {table}.{value} + EXCLUDED.{value} "
        f"RETURNING {', '.join(columns)}, {value}"
    )
    params: list[Any] = []
    for key in keys:
        params += [*(_db_value(f, v) for f, v in zip(fields, key, strict=True)), by]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    # RETURNING gives no order guarantee: match the rows back by their key.
    by_key = {_python(fields, returned[:-1]): returned[-1] for returned in rows}
    return {key: by_key[_python(fields, key)] for key in keys}


def bump(model: type[models.Model], by: int = 1, **key: Any) -> int:
    """Add `by` to one counter row (created at 0 if missing) and return its new value."""
    fields = tuple(key)
    values = tuple(key.values())
    return bump_many(model, [values], fields, by)[values]


def _db_value(field: models.Field[Any, Any], value: Any) -> Any:
    return field.get_db_prep_value(value, connection, prepared=False)


def _python(fields: list[models.Field[Any, Any]], values: Iterable[Any]) -> Key:
    return tuple(f.to_python(v) for f, v in zip(fields, values, strict=True))
