"""The audit trail is a hash chain: any edit, insertion or deletion is reported."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from postgov.audit.actions import chained_at_end, record, verify_chain
from postgov.audit.models import AppendOnlyError, AuditEvent


def _three_events(actor=None):
    return [record(f"test.step{i}", actor=actor, details={"n": i, "tên": "Đăng"}) for i in range(3)]


def _raw(sql: str, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql.replace("{t}", AuditEvent._meta.db_table), params)


@pytest.mark.django_db
def test_an_untouched_chain_verifies(capsys):
    _three_events()
    checked, problems = verify_chain()
    assert checked == 3 and problems == []
    call_command("audit_verify")
    assert "intact" in capsys.readouterr().out


@pytest.mark.django_db
def test_events_cannot_be_changed_or_deleted_through_the_orm():
    event = _three_events()[0]
    event.action = "forged"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()


@pytest.mark.django_db
def test_an_edited_row_is_reported():
    events = _three_events()
    _raw("UPDATE {t} SET action = %s WHERE seq = %s", ["test.forged", events[1].seq])
    _, problems = verify_chain()
    assert [p.seq for p in problems] == [events[1].seq]
    with pytest.raises(CommandError):
        call_command("audit_verify")


@pytest.mark.django_db
def test_a_deleted_row_is_reported():
    events = _three_events()
    _raw("DELETE FROM {t} WHERE seq = %s", [events[1].seq])
    _, problems = verify_chain()
    assert problems and problems[0].seq == events[2].seq


@pytest.mark.django_db
def test_deleting_the_newest_rows_is_reported():
    events = _three_events()
    _raw("DELETE FROM {t} WHERE seq = %s", [events[2].seq])
    _, problems = verify_chain()
    assert any("ends early" in str(p) for p in problems)


@pytest.mark.django_db
def test_an_inserted_row_is_reported():
    events = _three_events()
    # Make room and slip a forged event in the middle, re-numbering what follows.
    _raw("UPDATE {t} SET seq = seq + 100 WHERE seq >= %s", [events[1].seq])
    _raw("UPDATE {t} SET seq = seq - 99 WHERE seq >= 100")
    forged = AuditEvent(
        seq=events[1].seq,
        at=events[1].at,
        action="test.forged",
        prev_hash=events[0].hash,
        hash="f" * 64,
    )
    forged.save()
    _, problems = verify_chain()
    assert any(p.seq == events[1].seq for p in problems)


@pytest.mark.django_db
def test_admin_changes_are_audited(client, provincial_admin, world):
    client.force_login(provincial_admin)
    response = client.post(
        f"/admin/places/servicepoint/{world.point_a.pk}/change/",
        {
            "code": world.point_a.code,
            "name": "Bưu điện Đông Hà (mới)",
            "kind": "po1",
            "address": world.point_a.address,
            "commune": world.commune_a.pk,
            "opening_hours": "",
            "postal_code": "48100",
            "phone": "",
            "active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert AuditEvent.objects.filter(action="admin.change", actor_id=provincial_admin.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_events_chained_at_the_end_of_a_block_keep_their_order_and_verify():
    record("test.before")
    with transaction.atomic(), chained_at_end():
        first = record("test.one")
        assert AuditEvent.objects.count() == 1  # not linked yet: the head stays free
        record("test.two")
    assert first.seq == 2
    assert list(AuditEvent.objects.order_by("seq").values_list("action", flat=True)) == [
        "test.before",
        "test.one",
        "test.two",
    ]
    assert verify_chain() == (3, [])


@pytest.mark.django_db(transaction=True)
def test_events_of_a_rolled_back_savepoint_are_dropped_with_it():
    with transaction.atomic(), chained_at_end():
        record("test.kept")
        with pytest.raises(ValueError), transaction.atomic(), chained_at_end():
            record("test.undone")
            raise ValueError
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["test.kept"]
    assert verify_chain() == (1, [])


@pytest.mark.django_db(transaction=True)
def test_a_failed_block_writes_nothing():
    with pytest.raises(ValueError), transaction.atomic(), chained_at_end():
        record("test.never")
        raise ValueError
    assert not AuditEvent.objects.exists()
    record("test.after")
    assert verify_chain() == (1, [])


@pytest.mark.django_db
def test_the_first_event_starts_the_chain_from_the_genesis_hash():
    from postgov.audit.actions import GENESIS_HASH
    from postgov.audit.models import AuditChainHead

    AuditChainHead.objects.all().delete()
    _raw("DELETE FROM {t}")
    with transaction.atomic():
        first = record("test.first", object_type="x", object_id=1)
    assert (first.seq, first.prev_hash) == (1, GENESIS_HASH)
    head = AuditChainHead.objects.get()
    assert (head.last_seq, head.last_hash) == (1, first.hash)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_writers_at_once_keep_one_unbroken_chain():
    """Six writers appending at the same moment, some rolling back: every committed
    event follows the one before it, with no gap in the sequence."""
    import threading

    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def writer(worker: int) -> None:
        try:
            start.wait()
            for n in range(15):
                try:
                    with transaction.atomic(), chained_at_end():
                        record("test.concurrent", object_type="w", object_id=worker)
                        record("test.concurrent", object_type="w", object_id=n)
                        if (worker + n) % 4 == 0:
                            raise ValueError("rolled back")
                except ValueError:
                    pass
        except BaseException as exc:  # noqa: BLE001 — reported to the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    checked, problems = verify_chain()
    assert problems == []
    rolled_back = sum(1 for w in range(6) for n in range(15) if (w + n) % 4 == 0)
    assert AuditEvent.objects.filter(action="test.concurrent").count() == 2 * (90 - rolled_back)
    assert checked == AuditEvent.objects.count()


@pytest.mark.django_db
def test_an_append_takes_two_statements_on_postgresql():
    """The head's move, then the events and the head's new hash together: every writer
    waits on the head's row meanwhile, so each round trip counts. SQLite keeps three."""
    from django.test.utils import CaptureQueriesContext

    record("test.warm")
    with CaptureQueriesContext(connection) as captured, transaction.atomic(), chained_at_end():
        events = _three_events()
    expected = 2 if connection.vendor == "postgresql" else 3
    assert len([q for q in captured.captured_queries if "audit_" in q["sql"]]) == expected
    assert [e.pk for e in events] == sorted(e.pk for e in events)
    assert AuditEvent.objects.filter(pk__in=[e.pk for e in events]).count() == 3
    checked, problems = verify_chain()
    assert checked == 4 and problems == []
