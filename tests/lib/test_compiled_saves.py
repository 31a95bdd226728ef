"""Saves with their SQL kept (`postgov.lib.compiled_saves`) write exactly what Django's
own saves write, for inserts and updates, with None values and expressions."""

from __future__ import annotations

import pytest
from django.db import DatabaseError
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.utils import timezone

from postgov.lib import compiled_saves
from postgov.notify.models import Message

pytestmark = pytest.mark.django_db

COLUMNS = [f.attname for f in Message._meta.concrete_fields if f.attname != "id"]


@pytest.fixture(autouse=True)
def no_kept_statements(monkeypatch):
    monkeypatch.setattr(compiled_saves, "_statements", {})


def stored(message: Message) -> dict:
    return Message.objects.filter(pk=message.pk).values(*COLUMNS).get()


def new_message(n: int, **extra) -> Message:
    return Message(
        channel="sms",
        recipient=f"+8491200000{n}",
        template="dossier_sealed",
        body=f"Hồ sơ số {n} đã được niêm phong — Bưu điện Đông Hà",
        **extra,
    )


def django_only(monkeypatch):
    class Nothing(dict):
        def get(self, key, default=None):
            return None

    monkeypatch.setattr(compiled_saves, "_statements", Nothing())


def test_rows_inserted_with_the_kept_statement_are_those_django_writes(monkeypatch):
    first, second = new_message(1), new_message(2, sent_at=timezone.now())
    first.save()
    second.save()  # with the statement kept at the first save
    assert [v for k, v in compiled_saves._statements.items() if k[0] == "insert"] != [None]
    assert first.pk and second.pk and first.pk != second.pk
    assert not second._state.adding
    django_only(monkeypatch)
    third = new_message(2, sent_at=second.sent_at)
    third.save()
    expected = stored(third)
    got = stored(second)
    assert got.pop("created_at") <= expected.pop("created_at")
    assert got == expected


@pytest.mark.parametrize("sent", [None, "now"])
def test_updates_with_the_kept_statement_are_those_django_writes(monkeypatch, sent):
    rows = [new_message(n) for n in range(3)]
    for row in rows:
        row.save()
    when = timezone.now() if sent else None
    for n, row in enumerate(rows[:2]):  # the second one reuses the first one's statement
        row.status, row.attempts, row.sent_at = "sent", n + 1, when
        row.save(update_fields=["status", "attempts", "sent_at"])
    django_only(monkeypatch)
    rows[2].status, rows[2].attempts, rows[2].sent_at = "sent", 2, when
    rows[2].save(update_fields=["status", "attempts", "sent_at"])
    for column in ("status", "attempts", "sent_at"):
        assert stored(rows[1])[column] == stored(rows[2])[column]
    assert stored(rows[0])["attempts"] == 1


def test_none_and_a_value_in_the_same_column_are_two_statements():
    row = new_message(5)
    row.save()
    for value in (timezone.now(), None, timezone.now(), None):
        row.sent_at = value
        row.save(update_fields=["sent_at"])
        assert stored(row)["sent_at"] == value
    updates = [k for k in compiled_saves._statements if k[0] == "update"]
    assert len(updates) == 2 and all(compiled_saves._statements[k] for k in updates)


def test_an_expression_goes_through_django():
    row = new_message(7)
    row.save()
    row.save()  # the statement is kept
    row.attempts = F("attempts") + 3
    row.body = Concat(Value("[1] "), F("body"))
    row.save(update_fields=["attempts", "body"])
    row.refresh_from_db()
    assert row.attempts == 3 and row.body.startswith("[1] Hồ sơ số 7")


def test_a_save_of_a_missing_row_updates_nothing():
    row = new_message(8)
    row.save()
    row.save(update_fields=["status"])  # keeps the statement
    Message.objects.filter(pk=row.pk).delete()
    with pytest.raises(DatabaseError, match="did not affect any rows"):
        row.save(update_fields=["status"])


def test_a_library_model_gets_the_same_saves():
    from django_tasks_db.models import DBTaskResult

    from postgov.notify.tasks import send_message

    first = send_message.enqueue(1)
    second = send_message.enqueue(2)  # with the statement kept at the first save
    assert any(k[0] == "insert" and k[1] is DBTaskResult for k in compiled_saves._statements)
    rows = {str(r.id): r for r in DBTaskResult.objects.filter(id__in=[first.id, second.id])}
    assert [rows[first.id].args_kwargs, rows[second.id].args_kwargs] == [
        {"args": [1], "kwargs": {}},
        {"args": [2], "kwargs": {}},
    ]
    assert rows[second.id].status == rows[first.id].status == "READY"


def test_a_model_with_its_own_insert_is_refused():
    class Own(Message):
        class Meta:
            proxy = True
            app_label = "notify"

        def _do_insert(self, *args, **kwargs):
            return super()._do_insert(*args, **kwargs)

    with pytest.raises(TypeError, match="its own _do_insert"):
        compiled_saves.use_for(Own)


@pytest.mark.parametrize("count", [1, 3])
def test_a_few_rows_at_once_are_those_bulk_create_writes(count):
    ours = compiled_saves.insert_all([new_message(n) for n in range(count)])
    theirs = Message.objects.bulk_create([new_message(n) for n in range(count)])
    assert all(m.pk and not m._state.adding for m in ours)
    # In order: each object holds the id of its own row.
    assert [stored(m)["recipient"] for m in ours] == [m.recipient for m in ours]
    for mine, django in zip(ours, theirs, strict=True):
        got, expected = stored(mine), stored(django)
        assert got.pop("created_at") <= expected.pop("created_at")
        assert got == expected


def test_rows_that_already_have_a_key_go_through_bulk_create():
    row = new_message(9)
    row.pk = 424242
    assert compiled_saves.insert_all([row]) == [row]
    assert Message.objects.filter(pk=424242).exists()
    assert not any(k[0] == "insert_all" for k in compiled_saves._statements)
