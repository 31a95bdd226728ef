"""Saves of a model row with their SQL built once, not on every save.

`Model.save()` has Django's compiler build its INSERT or UPDATE statement each time: for
a dossier's fifty columns that is most of a millisecond, a tenth of a counter intake. The
statement depends only on the model, the columns written and the database, so
`CompiledSaves` (a mixin for the rows written on every intake) lets Django's compiler
build it at the first save, keeps its text, and from then on only prepares the values as
the compiler would (`Field.pre_save`, `Field.get_db_prep_save`). Everything else in
`Model.save` (signals, related objects, state) is Django's, and anything unusual (raw
saves, an expression or a model as a value, a filtering base manager, a custom
placeholder, returned values needing converters) goes the usual way. `use_for` gives
the same saves to a library's model (django-tasks' task rows, one per queued message).
"""

from __future__ import annotations

import threading

from django.db import connections, models, router
from django.db.models import sql

_statements: dict[tuple, str | None] = {}  # None: this save is left to Django
_lock = threading.Lock()


def _plain(value) -> bool:
    return not hasattr(value, "resolve_expression") and not hasattr(value, "prepare_database_save")


def _keep(key: tuple, statement: str | None) -> None:
    with _lock:
        _statements[key] = statement


def _insert(self, manager, using, fields, returning_fields, raw):
    connection = connections[using]
    key = ("insert", type(self), using, tuple(f.attname for f in fields))
    key += (tuple(f.attname for f in returning_fields or ()),)
    statement = _statements.get(key, "")
    if raw or statement is None:
        return models.Model._do_insert(self, manager, using, fields, returning_fields, raw)
    if statement == "":
        return _first_insert(self, key, manager, using, fields, returning_fields)
    params = []
    for field in fields:
        value = field.pre_save(self, add=True)
        if not _plain(value):
            return models.Model._do_insert(self, manager, using, fields, returning_fields, raw)
        params.append(field.get_db_prep_save(value, connection=connection))
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        if not returning_fields:
            return []
        return [connection.ops.fetch_returned_insert_columns(cursor, None)]


def _first_insert(self, key, manager, using, fields, returning_fields):
    """Django's own insert, its statement kept when the later ones can reuse it."""
    connection = connections[using]
    query = sql.InsertQuery(type(self))
    query.insert_values(fields, [self])
    compiler = query.get_compiler(using=using)
    compiler.returning_fields = returning_fields
    statements = compiler.as_sql()
    table = self._meta.db_table
    reusable = (
        len(statements) == 1
        and len(statements[0][1]) == len(fields)
        and all(_plain(value) for value in statements[0][1])
        and not any(hasattr(field, "get_placeholder") for field in fields)
        and (not returning_fields or connection.features.can_return_columns_from_insert)
        and not compiler.get_converters([f.get_col(table) for f in returning_fields or ()])
    )
    _keep(key, statements[0][0] if reusable else None)
    # This first row goes through Django as any other save would.
    return manager._insert([self], fields=fields, returning_fields=returning_fields, using=using)


def _update(self, base_qs, using, pk_val, values, update_fields, forced_update):
    if not values or self._meta.select_on_save:
        return models.Model._do_update(
            self, base_qs, using, pk_val, values, update_fields, forced_update
        )
    connection = connections[using]
    prepared = [
        field.get_db_prep_save(value, connection=connection) if _plain(value) else value
        for field, _model, value in values
    ]
    # Django writes `= NULL` into the text for a None: which values are None is part
    # of the statement.
    key = ("update", type(self), using)
    key += tuple((f.attname, p is None) for (f, _m, _v), p in zip(values, prepared, strict=True))
    statement = _statements.get(key, "")
    if statement is None or not all(_plain(p) and not hasattr(p, "as_sql") for p in prepared):
        return models.Model._do_update(
            self, base_qs, using, pk_val, values, update_fields, forced_update
        )
    params = [p for p in prepared if p is not None]
    params.append(self._meta.pk.get_db_prep_value(pk_val, connection))
    if statement == "":
        query = base_qs.filter(pk=pk_val).query.chain(sql.UpdateQuery)
        query.add_update_fields(values)
        query.annotations = {}
        text, expected = query.get_compiler(using).as_sql()
        # Kept only when the values the compiler prepared are exactly these.
        _keep(key, text if list(expected) == params else None)
        return models.Model._do_update(
            self, base_qs, using, pk_val, values, update_fields, forced_update
        )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount > 0


class CompiledSaves(models.Model):
    """The mixin for our own models."""

    class Meta:
        abstract = True

    _do_insert = _insert
    _do_update = _update


def use_for(*model_classes) -> None:
    """The same saves for models we do not own (a library's, from an app's `ready`)."""
    for model in model_classes:
        for name, ours in (("_do_insert", _insert), ("_do_update", _update)):
            if getattr(model, name) is not getattr(models.Model, name):
                raise TypeError(f"{model.__name__} has its own {name}")
            setattr(model, name, ours)


def insert_all(objs: list[models.Model]) -> list[models.Model]:
    """`bulk_create` for the few rows an intake writes at once (its checklist, its postal
    items, its audit events): one multi-row INSERT whose text is kept per model and row
    count, with scalar values. Django's bulk insert on PostgreSQL sends each column as an
    array to UNNEST, which psycopg builds in Python; for two or three rows that costs more
    than the rows. Rows with a primary key already, or models this does not fit, go
    through `bulk_create`."""
    if not objs:
        return objs
    model = type(objs[0])
    meta = model._meta
    using = router.db_for_write(model)
    connection = connections[using]
    fields = [f for f in meta.concrete_fields if not f.generated and f is not meta.auto_field]
    usual = (
        meta.auto_field is None
        or meta.parents
        or any(type(obj) is not model or obj.pk is not None for obj in objs)
        or any(hasattr(field, "get_placeholder") for field in fields)
        or not connection.features.can_return_rows_from_bulk_insert
    )
    if usual:
        return model._base_manager.using(using).bulk_create(objs)
    params = []
    for obj in objs:
        for field in fields:
            value = field.pre_save(obj, add=True)
            if not _plain(value):
                return model._base_manager.using(using).bulk_create(objs)
            params.append(field.get_db_prep_save(value, connection=connection))
    key = ("insert_all", model, using, len(objs))
    statement = _statements.get(key)
    if statement is None:
        quote = connection.ops.quote_name
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        statement = (
            f"INSERT INTO {quote(meta.db_table)} "  # noqa: S608 — names from the model
            f"({', '.join(quote(f.column) for f in fields)}) "
            f"VALUES {', '.join([row] * len(objs))} "
            f"RETURNING {quote(meta.auto_field.column)}"
        )
        _keep(key, statement)
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        ids = [row[0] for row in cursor.fetchall()]
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding, obj._state.db = False, using
    return objs
