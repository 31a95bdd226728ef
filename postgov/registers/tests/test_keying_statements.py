"""How many statements the keying screen's hot requests make. A field save and the page of
the next record are asked for all day by every operator of a room at once, so each makes a
fixed, small number of statements of this app's tables, whatever the schema's length or
the project's size. Counted, not timed (bench/registers/keying_load.py times them)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from postgov.registers import actions, dedup_actions, schemas
from postgov.registers.models import Keying
from postgov.registers.tests.conftest import GOOD, run_duplicate_checks

pytestmark = pytest.mark.clock


def _ours(captured) -> list[str]:
    """This app's statements (the sign-in's and the menu's are the same on every page)."""
    return [q["sql"] for q in captured.captured_queries if '"registers_' in q["sql"]]


def _audited(captured) -> int:
    return sum('INSERT INTO "audit_auditevent"' in q["sql"] for q in captured.captured_queries)


def test_a_field_save_writes_the_value_in_one_statement_without_an_audit_event(
    client, project, world, batch
):
    client.force_login(world.clerk_a)
    keying = actions.next_keying(project, world.clerk_a)
    url = reverse("registers:keying_field", args=[keying.pk])
    client.post(url, {"key": "full_name", "value": "Lê", "keystrokes": "2"})
    with CaptureQueriesContext(connection) as saved:
        answer = client.post(url, {"key": "birth_date", "value": "12/5/1985", "keystrokes": "9"})
    assert answer.json()["saved"] is True
    # read the keying with its record and project (and the access), write the value,
    # add the effort; the schema comes from memory
    assert len(_ours(saved)) == 3, _ours(saved)
    assert not any("registers_schemaversion" in sql for sql in _ours(saved))
    assert not any("FOR UPDATE" in sql or "FOR NO KEY" in sql for sql in _ours(saved))
    # a draft's field is not a view of the record: only the page's view is audited
    assert _audited(saved) == 0
    keying.refresh_from_db()
    assert keying.values == {"full_name": "Lê", "birth_date": "12/5/1985"}


def test_the_next_records_page_reads_a_fixed_number_of_statements(client, project, world, batch):
    client.force_login(world.clerk_a)
    answer = client.post(reverse("registers:keying_next", args=[project.pk]))
    client.get(answer.url)  # the schema version is read once, then kept
    with CaptureQueriesContext(connection) as page:
        shown = client.get(answer.url)
    assert shown.status_code == 200
    # the keying with its record and project (and the access), then the pages
    assert len(_ours(page)) == 2, _ours(page)
    assert _audited(page) == 1  # every view of a record is audited


def test_taking_the_next_record_reads_and_locks_it_in_one_statement(project, world, batch):
    with CaptureQueriesContext(connection) as taken:
        keying = actions.next_keying(project, world.clerk_a)
    assert keying is not None
    # the operator's open keying (none), the first free record of the first group that
    # has one, locked (none have an entry yet: the untouched ones), its slots, the new slot
    assert len(_ours(taken)) == 5, _ours(taken)


def test_two_fields_saved_at_once_both_stay(project, world, batch):
    keying = actions.next_keying(project, world.clerk_a)
    read_before = Keying.objects.select_related("record__project").get(pk=keying.pk)
    actions.save_value(keying.pk, "full_name", "Lê Thị Hoa", operator=world.clerk_a)
    # the second save started from the row as it was before the first was written
    actions.save_value(read_before, "gender", "female", operator=world.clerk_a)
    keying.refresh_from_db()
    assert keying.values == {"full_name": "Lê Thị Hoa", "gender": "female"}


def test_a_schema_version_saved_again_is_read_again(project, world):
    version = project.current_schema()
    assert schemas.fields_of(version.pk) == version.fields
    version.fields = version.fields[:2]
    version.save(update_fields=["fields"])
    assert schemas.fields_of(version.pk) == version.fields


def _checks_queued() -> int:
    from django_tasks_db.models import DBTaskResult

    path = dedup_actions.check_settled_later.module_path
    return DBTaskResult.objects.filter(task_path=path).count()


def _submitted(client, keying, values) -> tuple[list[str], int]:
    client.get(reverse("registers:keying", args=[keying.pk]))  # as the operator does
    url = reverse("registers:keying_submit", args=[keying.pk])
    with CaptureQueriesContext(connection) as sent:
        answer = client.post(url, values)
    assert answer.status_code == 302, answer.content[:500]
    ours = _ours(sent)
    # the keying is read once: locked, with its access checked by the same statement
    by_key = f'"registers_keying"."id" = {keying.pk} '
    reads = [sql for sql in ours if sql.startswith("SELECT") and by_key in sql]
    assert len(reads) == 1, reads
    return ours, _audited(sent)


def test_a_submission_makes_a_fixed_number_of_statements(client, project, world, batch):
    client.force_login(world.clerk_a)
    first = actions.next_keying(project, world.clerk_a)
    ours, audited = _submitted(client, first, GOOD)
    # the keying with its record and project and the access, locked, in one statement;
    # the values written; the effort read and the operator's day (made, then added to); the record
    # locked; its entries (one: nothing settles, no duplicate check); then, for the next
    # record: the operator's open keying (none), the first free record of the groups (one
    # with an entry: none; an untouched one), its slots, the new slot
    assert len(ours) == 13, "\n".join(ours)
    assert audited == 1
    assert _checks_queued() == 0
    client.force_login(world.clerk_b)
    second = actions.next_keying(project, world.clerk_b)
    assert second.record_id == first.record_id
    ours, audited = _submitted(client, second, GOOD)
    # as above, and the agreement settles the record: the field counters, the record, its
    # search index and blocking keys, and the duplicate check is queued for the worker
    # (not scored while the operator waits: no read of the clean records' blocks); the
    # schema's fields come from memory, never from the record's version row
    assert len(ours) == 22, "\n".join(ours)
    assert audited == 1
    assert _checks_queued() == 1
    assert not any('FROM "registers_blockingkey" U0' in sql for sql in ours)
    assert run_duplicate_checks() == ["none"]  # the worker's check: alone in the register
    assert not any(
        'FROM "registers_schemaversion" WHERE "registers_schemaversion"."id" =' in sql
        for sql in ours
    )


def test_the_keying_page_escapes_what_the_operator_typed(client, project, world, batch):
    client.force_login(world.clerk_a)
    keying = actions.next_keying(project, world.clerk_a)
    actions.save_value(keying.pk, "full_name", '<b>"Lê"</b>', operator=world.clerk_a)
    actions.save_value(keying.pk, "gender", "female", operator=world.clerk_a)
    page = client.get(reverse("registers:keying", args=[keying.pk])).content.decode()
    assert "&lt;b&gt;&quot;Lê&quot;&lt;/b&gt;" in page and "<b>" not in page
    assert '<option value="female" selected>' in page
    assert 'id="f-full_name"' in page and 'aria-describedby="e-birth_date"' in page
