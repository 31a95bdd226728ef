"""Versions: which one is in force on a date, and publishing a new one."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from postgov.audit.models import AuditEvent
from postgov.catalog.actions import VersionOrderError, publish_version
from postgov.catalog.models import ProcedureVersion
from postgov.catalog.queries import version_in_force, with_version_in_force
from postgov.catalog.tests.conftest import content, make_procedure


def test_version_in_force_follows_the_dates(procedure):
    v1, v2 = procedure.versions.order_by("version")
    assert version_in_force(procedure, date(2015, 12, 31)) is None
    assert version_in_force(procedure, date(2016, 1, 1)) == v1
    assert version_in_force(procedure, date(2025, 6, 30)) == v1
    assert version_in_force(procedure, date(2025, 7, 1)) == v2
    assert version_in_force(procedure, date(2040, 1, 1)) == v2
    assert version_in_force(procedure.pk, date(2020, 5, 5)) == v1


def test_version_in_force_takes_the_local_day_of_a_datetime(procedure):
    v1, v2 = procedure.versions.order_by("version")
    # Received just after midnight on 1 July in Vietnam: still 30 June in UTC, yet the
    # new version applies.
    hanoi = ZoneInfo("Asia/Ho_Chi_Minh")
    assert version_in_force(procedure, datetime(2025, 6, 30, 23, 30, tzinfo=hanoi)) == v1
    assert version_in_force(procedure, datetime(2025, 7, 1, 0, 30, tzinfo=hanoi)) == v2


def test_publishing_closes_the_previous_version_the_day_before(procedure):
    v1, v2 = procedure.versions.order_by("version")
    assert (v1.version, v1.effective_to) == (1, date(2025, 6, 30))
    assert (v2.version, v2.effective_to) == (2, None)
    assert [d.name for d in v2.documents.all()] == ["Tờ khai (theo mẫu)"]
    assert v2.processing_time == Decimal("5")


def test_a_new_version_leaves_the_old_one_untouched_for_dossiers_that_point_at_it(procedure):
    v2 = procedure.versions.get(version=2)
    before = (v2.processing_time, list(v2.documents.values_list("name", "form")))
    publish_version(
        procedure,
        content(documents=()),
        effective_from=date(2026, 1, 1),
    )
    v2.refresh_from_db()
    assert (v2.processing_time, list(v2.documents.values_list("name", "form"))) == before
    assert v2.effective_to == date(2025, 12, 31)
    assert version_in_force(procedure, date(2025, 12, 31)) == v2


def test_a_same_day_correction_supersedes_the_version_of_that_day(db):
    procedure = make_procedure()
    first = publish_version(procedure, content(), effective_from=date(2026, 3, 2))
    second = publish_version(
        procedure, content(result_type="Giấy xác nhận (sửa)"), effective_from=date(2026, 3, 2)
    )
    first.refresh_from_db()
    assert first.effective_to == date(2026, 3, 2)
    assert version_in_force(procedure, date(2026, 3, 2)) == second


def test_history_is_not_rewritten(procedure):
    with pytest.raises(VersionOrderError) as raised:
        publish_version(procedure, content(), effective_from=date(2020, 1, 1))
    assert "sớm hơn phiên bản mới nhất" in str(raised.value)
    assert "before the latest version" in str(raised.value)
    assert procedure.versions.count() == 2


def test_publishing_is_audited(procedure):
    events = AuditEvent.objects.filter(action="catalog.version_published").order_by("seq")
    assert [e.details["version"] for e in events] == [1, 2]
    assert events.last().details["previous_effective_to"] == "2025-06-30"
    assert events.last().object_type == "catalog.procedureversion"


def test_lists_get_the_version_in_force_in_one_query(procedure, django_assert_num_queries):
    other = make_procedure(code="1.999002", name="Thủ tục chưa có hiệu lực")
    publish_version(other, content(), effective_from=date(2099, 1, 1))
    with django_assert_num_queries(1):
        rows = {
            p.code: (p.current_version_id, p.current_postal_allowed)
            for p in with_version_in_force(type(procedure).objects.all(), on_date=date(2025, 7, 1))
        }
    assert rows["1.999001"] == (ProcedureVersion.objects.get(version=2).pk, True)
    assert rows["1.999002"] == (None, None)
