"""A row read by its primary key with its SELECT built once, not on every read.

Every signed-in request reads its user by primary key (`ModelBackend.get_user`), and
Django's compiler builds that thirty-column SELECT again each time. `by_pk` has the
compiler build it once per model and database, keeps the text and the converters the
compiler chose for each column (dates on SQLite, JSON, UUIDs...), and from then on only
runs it and makes the instance as a queryset would (`Model.from_db`).
"""

from __future__ import annotations

import threading

from django.db import connections, models

_kept: dict[tuple, tuple[str, list[str], dict]] = {}
_lock = threading.Lock()


def by_pk(model: type[models.Model], pk, using: str = "default") -> models.Model | None:
    """`model._default_manager.get(pk=pk)`, or None when there is no such row."""
    connection = connections[using]
    kept = _kept.get((model, using))
    if kept is None:
        kept = _compile(model, using, pk)
    text, attnames, converters = kept
    with connection.cursor() as cursor:
        cursor.execute(text, [model._meta.pk.get_db_prep_value(pk, connection)])
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for position, (functions, expression) in converters.items():
        for convert in functions:
            values[position] = convert(values[position], expression, connection)
    return model.from_db(using, attnames, values)


def _compile(model, using: str, pk) -> tuple[str, list[str], dict]:
    queryset = model._default_manager.using(using).filter(pk=pk)
    compiler = queryset.query.get_compiler(using)
    text, params = compiler.as_sql()
    if len(params) != 1:
        raise TypeError(f"{model.__name__}: its default manager filters the rows")
    columns = [column for column, _sql, _alias in compiler.select]
    fields = [column.target for column in columns]
    if fields != list(model._meta.concrete_fields):
        raise TypeError(f"{model.__name__}: its default manager does not select the plain row")
    kept = (text, [f.attname for f in fields], compiler.get_converters(columns))
    with _lock:
        _kept[(model, using)] = kept
    return kept
