"""Export then import changes nothing; a changed file makes new versions and keeps the old
ones; importing the same changed file again changes nothing more."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

import pytest
from django.utils import timezone

from postgov.audit.models import AuditEvent
from postgov.catalog.actions import import_catalog_file, publish_version
from postgov.catalog.exchange import CSV_COLUMNS, export_csv, export_json
from postgov.catalog.models import Procedure, ProcedureVersion
from postgov.catalog.queries import version_in_force
from postgov.catalog.tests.conftest import content, make_procedure

# Deadlines, bookings, reports by day or rate-limit windows: on a pinned clock.
pytestmark = pytest.mark.clock


def catalog_state() -> list[tuple]:
    return sorted(
        ProcedureVersion.objects.values_list(
            "procedure__code", "version", "effective_from", "effective_to", "processing_time"
        )
    )


def test_json_round_trip_changes_nothing(demo_catalog):
    before, events = catalog_state(), AuditEvent.objects.count()
    plan = import_catalog_file(export_json(), "json")
    assert plan.counts()["unchanged"] == Procedure.objects.count() >= 25
    assert plan.counts()["new_versions"] == 0
    assert catalog_state() == before
    # Only the import itself is recorded.
    assert list(AuditEvent.objects.filter(seq__gt=events).values_list("action", flat=True)) == [
        "catalog.imported"
    ]


def test_csv_round_trip_changes_nothing(demo_catalog):
    before = catalog_state()
    plan = import_catalog_file(export_csv(), "csv")
    assert plan.counts()["changed"] == plan.counts()["new"] == 0
    assert catalog_state() == before


def edit_csv(data: bytes, code: str, **changes: str) -> bytes:
    """What a provincial admin does in a spreadsheet: change cells of one procedure."""
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for row in reader:
        if row["code"] == code:
            row.update(changes)
        writer.writerow(row)
    return out.getvalue().encode()


def test_a_changed_procedure_gets_a_new_version_and_keeps_the_old_one(demo_catalog):
    birth = Procedure.objects.get(code="1.001193")
    old = version_in_force(birth)
    edited = edit_csv(export_csv(), "1.001193", processing_time="2", effective_from="")

    plan = import_catalog_file(edited, "csv")

    assert plan.counts() == {
        "procedures": Procedure.objects.count(),
        "new": 0,
        "changed": 1,
        "unchanged": Procedure.objects.count() - 1,
        "new_versions": 1,
    }
    today = timezone.localdate()
    new = version_in_force(birth)
    assert (new.version, new.effective_from, new.processing_time) == (old.version + 1, today, 2)
    old.refresh_from_db()
    assert old.effective_to == today - timedelta(days=1)
    assert old.processing_time == 1
    assert new.documents.count() == old.documents.count()
    assert AuditEvent.objects.filter(
        action="catalog.version_published", details__code="1.001193"
    ).exists()

    # The same file again: nothing more.
    again = import_catalog_file(edited, "csv")
    assert again.counts()["new_versions"] == 0
    assert birth.versions.count() == old.version + 1


def test_a_future_version_is_planned_and_the_current_one_stays_in_force(demo_catalog):
    edited = edit_csv(export_csv(), "1.000656", processing_time="3", effective_from="2099-01-01")
    import_catalog_file(edited, "csv")
    death = Procedure.objects.get(code="1.000656")
    assert version_in_force(death).processing_time == 1
    assert version_in_force(death, date(2099, 1, 1)).processing_time == 3
    # A spreadsheet export keeps the future version, so it round-trips too.
    before = catalog_state()
    import_catalog_file(export_csv(), "csv")
    assert catalog_state() == before


def test_a_renamed_procedure_is_updated_in_place(demo_catalog):
    edited = edit_csv(export_csv(), "2.000635", name="Cấp bản sao trích lục hộ tịch (sửa tên)")
    plan = import_catalog_file(edited, "csv")
    assert plan.counts()["new_versions"] == 0
    procedure = Procedure.objects.get(code="2.000635")
    assert procedure.name == "Cấp bản sao trích lục hộ tịch (sửa tên)"
    assert "sua ten" in procedure.name_folded
    event = AuditEvent.objects.get(action="catalog.procedure_changed")
    assert event.details["before"] == {"name": "Cấp bản sao Trích lục hộ tịch"}


def test_a_history_with_a_same_day_correction_round_trips_and_copies(db):
    procedure = make_procedure()
    publish_version(procedure, content(), effective_from=date(2025, 7, 1))
    publish_version(procedure, content(result_type="Sửa"), effective_from=date(2025, 7, 1))
    exported = export_json()

    assert import_catalog_file(exported, "json").counts()["new_versions"] == 0

    # Into another catalog (here: under another code), the history comes across whole.
    copied = json.loads(exported)
    copied["procedures"][0]["code"] = "1.999009"
    import_catalog_file(json.dumps(copied).encode(), "json")
    copy = Procedure.objects.get(code="1.999009")
    assert list(copy.versions.order_by("version").values_list("effective_to", "result_type")) == [
        (date(2025, 7, 1), "Giấy xác nhận"),
        (None, "Sửa"),
    ]


def test_an_import_is_audited_with_its_counts(db):
    data = json.dumps(
        [
            {
                "code": "1.999001",
                "name": "Thủ tục mới",
                "field": "Cư trú",
                "agency_level": "commune",
                "versions": [
                    {
                        "processing_time": 2,
                        "result_type": "Kết quả",
                        "documents": [{"name": "Tờ khai", "form": "original"}],
                    }
                ],
            }
        ]
    ).encode()
    import_catalog_file(data, "json", source="test")
    event = AuditEvent.objects.get(action="catalog.imported")
    assert event.details["new"] == 1 and event.details["source"] == "test"
    # No date in the file: in force from the day of the import.
    version = Procedure.objects.get(code="1.999001").versions.get()
    assert version.effective_from == timezone.localdate()


def test_cells_that_look_like_formulas_are_defused_and_round_trip(db):
    procedure = make_procedure(name='=HYPERLINK("http://evil")')
    publish_version(
        procedure,
        content(notes="- ghi chú\n+ thêm", result_type="@kết quả"),
        effective_from=date(2025, 7, 1),
    )
    exported = export_csv()
    text = exported.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and ",'@kết quả," in text and "\"'- ghi chú" in text
    assert ",=" not in text and '"=' not in text
    assert import_catalog_file(exported, "csv").counts()["new_versions"] == 0
    assert Procedure.objects.get().name == '=HYPERLINK("http://evil")'
