"""Spreadsheet import: a CSV or XLSX file, its columns mapped to the schema, checked whole by
the keying rules and written all at once, or not at all."""

from __future__ import annotations

import io
import re
import threading
from datetime import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from postgov.audit.models import AuditEvent
from postgov.registers import actions, imports, jobs, schemas
from postgov.registers.models import Job, Keying, Record
from postgov.registers.tests.conftest import GOOD
from postgov.registers.tests.test_sources import run_jobs
from tests.clients import PostGovClient

# The population schema's columns, named as a clerk would type them: without diacritics,
# in another case, some by label and some by key.
HEADER = [
    "Ho va ten",
    "NGÀY SINH",
    "Giới tính",
    "id_number",
    "Dân tộc",
    "Nơi thường trú (xã, phường)",
    "Quan hệ với chủ hộ",
    "Số điện thoại",
]
ROWS = [
    ["Nguyễn Văn An", "12/5/1985", "Nam", "045085000123", "Kinh", "Đông Hà", "Chủ hộ", ""],
    ["Trần Thị Bình", "1990", "Nữ", "", "01", "Đông Hà", "head", "0912 345 678"],
    ["Lê Văn Cường", "03/2001", "male", "", "", "Đông Hà", "head", ""],
]


def csv_file(header=HEADER, rows=ROWS, name="so.csv", bom=True) -> SimpleUploadedFile:
    lines = [",".join(f'"{c}"' for c in line) for line in [header, *rows]]
    data = ("\ufeff" if bom else "") + "\r\n".join(lines) + "\r\n"
    return SimpleUploadedFile(name, data.encode("utf-8"), content_type="text/csv")


def xlsx_file(header=HEADER, rows=ROWS) -> SimpleUploadedFile:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        cells = list(row)
        if "/" in cells[1] and cells[1].count("/") == 2:
            day, month, year = (int(p) for p in cells[1].split("/"))
            cells[1] = datetime(year, month, day)  # a real date cell, as Excel keeps it
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile(
        "so.xlsx",
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def upload(client, project, file, mode=imports.Mode.TYPED, language="en"):
    return client.post(
        reverse("registers:import_upload", args=[project.pk]),
        {"file": file, "mode": mode, "label": "Sổ 2020"},
        HTTP_ACCEPT_LANGUAGE=language,
    )


def map_columns(client, project, changes=None, language="en"):
    """Post the mapping the page proposes, with `changes` (field key -> column or "")."""
    page = client.get(reverse("registers:import_map", args=[project.pk]))
    form = page.context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(changes or {})
    return client.post(
        reverse("registers:import_map", args=[project.pk]), data, HTTP_ACCEPT_LANGUAGE=language
    )


def import_file(client, project, file, mode=imports.Mode.TYPED) -> Job:
    response = upload(client, project, file, mode)
    assert response.status_code == 302, response.content.decode()[-2000:]
    response = map_columns(client, project)
    assert response.status_code == 302, response.content.decode()[-3000:]
    job = Job.objects.get(kind=Job.Kind.IMPORT, state=Job.State.QUEUED)
    run_jobs()
    job.refresh_from_db()
    return job


def test_a_csv_of_typed_records_is_settled_as_it_is(client, project, world):
    client.force_login(world.provincial_admin)
    job = import_file(client, project, csv_file())
    assert job.state == Job.State.DONE, job.failure
    assert job.result["records"] == 3
    first, second, third = Record.objects.order_by("number")
    assert {r.status for r in (first, second, third)} == {Record.Status.SETTLED}
    assert all(r.settled_at is not None for r in (first, second, third))
    assert first.schema == project.current_schema()
    # Normalised by the keying rules: labels become values, the commune its code.
    assert first.values["full_name"] == "Nguyễn Văn An"
    assert first.values["birth_date"] == "12/05/1985"
    assert first.values["gender"] == "male"
    assert first.values["ethnicity"] == "01"
    assert first.values["household_head"] == "head"
    assert (
        first.values["home_commune"]
        == actions.check_value(
            project.current_schema().fields[5], "Đông Hà", {}, project.province_id
        ).value
    )
    assert second.values["phone"] != "0912 345 678"  # normalised
    assert third.values["birth_date"] == "03/2001"
    assert first.batch.label == "Sổ 2020" and first.batch.pages == 0
    assert AuditEvent.objects.filter(action="registers.records_imported").count() == 1
    page = client.get(reverse("registers:job", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "3 records imported" in page.content.decode()


def test_an_xlsx_prefills_the_first_entry_and_the_second_stays_blind(client, project, world):
    client.force_login(world.provincial_admin)
    job = import_file(client, project, xlsx_file(), mode=imports.Mode.PREFILL)
    assert job.state == Job.State.DONE, job.failure
    records = list(Record.objects.order_by("number"))
    assert len(records) == 3
    assert {r.status for r in records} == {Record.Status.KEYING}
    assert records[0].values["birth_date"] == "12/05/1985"  # read from a date cell
    first = actions.next_keying(project, world.clerk_a)
    assert first.slot == 1 and first.values["full_name"] == records[0].values["full_name"]
    second = actions.next_keying(project, world.clerk_b)
    assert second.record_id == first.record_id and second.slot == 2
    assert second.values == {}


def test_an_xlsx_of_typed_records(client, project, world):
    client.force_login(world.provincial_admin)
    job = import_file(client, project, xlsx_file())
    assert job.state == Job.State.DONE, job.failure
    assert Record.objects.filter(status=Record.Status.SETTLED).count() == 3


def test_a_csv_prefill_may_leave_required_fields_to_the_operators(client, project, world):
    client.force_login(world.provincial_admin)
    rows = [["Nguyễn Văn An", ""], ["", "1990"]]
    job = import_file(
        client, project, csv_file(["Họ và tên", "Ngày sinh"], rows), mode=imports.Mode.PREFILL
    )
    assert job.state == Job.State.DONE, job.failure
    assert Record.objects.count() == 2
    assert not Keying.objects.exists()


def test_missing_and_extra_columns_are_refused_and_named(client, project, world):
    client.force_login(world.provincial_admin)
    header = [h for h in HEADER if not h.startswith("Nơi")] + ["Ghi chú"]
    rows = [[*row[:5], *row[6:], "x"] for row in ROWS]
    assert upload(client, project, csv_file(header, rows), language="vi").status_code == 302
    page = client.get(reverse("registers:import_map", args=[project.pk]), HTTP_ACCEPT_LANGUAGE="vi")
    text = page.content.decode()
    assert "Nơi thường trú (xã, phường)" in text and "H (Ghi chú)" in text
    response = map_columns(client, project, language="en")
    assert response.status_code == 422
    text = response.content.decode()
    assert "No column gives these required fields" in text
    assert "These columns match no field of the schema: H (Ghi chú)" in text
    assert not Job.objects.filter(kind=Job.Kind.IMPORT).exists()
    assert not Record.objects.exists()


def test_a_bad_row_writes_nothing_and_names_its_row_and_column(client, project, world):
    client.force_login(world.provincial_admin)
    rows = [*ROWS, ["Phạm Thị Dung", "31/02/1985", "Nữ", "", "", "Đông Hà", "head", ""]]
    rows.append(["Võ Văn Em", "1980", "Nam", "045090000123", "", "Đông Hà", "head", ""])
    job = import_file(client, project, csv_file(rows=rows))
    assert job.state == Job.State.FAILED
    assert not Record.objects.exists()
    assert not project.batches.exists()
    assert "Row 5, column B (Date of birth): Enter a date as" in job.failure["en"]
    assert "Row 6, column D (Personal ID number):" in job.failure["en"]
    assert "2 cells are wrong, so nothing was imported" in job.failure["en"]
    assert "Dòng 5, cột B (Ngày sinh):" in job.failure["vi"]
    assert "nhập ngày theo dạng" in job.failure["vi"].casefold()
    page = client.get(reverse("registers:job", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="vi")
    assert "Dòng 6, cột D (Số định danh cá nhân)" in page.content.decode()


def test_a_schema_changed_after_the_mapping_fails_the_job_clearly(client, project, world):
    client.force_login(world.provincial_admin)
    assert upload(client, project, csv_file()).status_code == 302
    assert map_columns(client, project).status_code == 302
    fields = [*schemas.ready_schema("population")["fields"]]
    fields[0] = {**fields[0], "label": {"vi": "Họ tên", "en": "Name"}}
    actions.save_schema(project, fields, by=world.provincial_admin)
    run_jobs()
    job = Job.objects.get(kind=Job.Kind.IMPORT)
    assert job.state == Job.State.FAILED
    assert "schema changed after the columns were mapped" in job.failure["en"]
    assert not Record.objects.exists()


def test_a_csv_that_is_not_utf8_is_refused_at_once(client, project, world):
    client.force_login(world.provincial_admin)
    data = "Họ và tên,Ngày sinh\r\nNguyễn,1990\r\n".encode("cp1258", errors="replace")
    data = data.replace(b"?", b"\xe0")
    response = upload(client, project, SimpleUploadedFile("so.csv", data), language="en")
    assert response.status_code == 200
    assert "is not UTF-8 text" in response.content.decode()
    response = upload(client, project, SimpleUploadedFile("so.txt", b"a,b\n"), language="en")
    assert "Upload a .csv or .xlsx file." in response.content.decode()
    assert not Job.objects.exists()


def test_only_the_project_manager_imports(client, project, world):
    client.force_login(world.clerk_a)  # an operator of the project
    assert upload(client, project, csv_file()).status_code == 404
    assert client.get(reverse("registers:import_map", args=[project.pk])).status_code == 404
    client.force_login(world.auditor)  # staff, not a member
    assert upload(client, project, csv_file()).status_code == 404
    assert not Job.objects.exists()


def test_good_values_of_the_fixture_import_unchanged(client, project, world):
    """The same values keyed by hand and imported end the same."""
    client.force_login(world.provincial_admin)
    job = import_file(client, project, csv_file(list(GOOD), [list(GOOD.values())]))
    assert job.state == Job.State.DONE, job.failure
    record = Record.objects.get()
    keyed_clean, errors = actions.check_record(project.current_schema().fields, GOOD, None)
    assert not errors
    assert record.values == keyed_clean


def test_a_damaged_workbook_is_refused_and_a_semicolon_csv_is_read(client, project, world):
    client.force_login(world.provincial_admin)
    damaged = SimpleUploadedFile("so.xlsx", b"PK\x03\x04 not really a workbook")
    response = upload(client, project, damaged)
    assert response.status_code == 200
    assert "is not an Excel workbook (.xlsx) that can be read" in response.content.decode()
    # Excel set to a language whose decimal mark is a comma saves CSV with semicolons.
    lines = [";".join(HEADER), *(";".join(row) for row in ROWS)]
    data = ("\r\n".join(lines) + "\r\n").encode("utf-8")
    job = import_file(client, project, SimpleUploadedFile("so.csv", data))
    assert job.state == Job.State.DONE, job.failure
    assert Record.objects.count() == 3


def test_rows_beyond_one_chunk_are_all_written_in_order(client, project, world, monkeypatch):
    """On SQLite the records are staged a chunk at a time and then copied in one statement,
    on PostgreSQL they go through one COPY; either way every row is one record numbered as
    in the file."""
    monkeypatch.setattr(imports, "CHUNK", 2)
    client.force_login(world.provincial_admin)
    names = ["An", "Bình", "Cường", "Dung", "Em"]
    rows = [[f"Nguyễn Văn {n}", "1990", "Nam", "", "Kinh", "Đông Hà", "head", ""] for n in names]
    rows[3][7] = "0912345678"
    job = import_file(client, project, csv_file(rows=rows))
    assert job.state == Job.State.DONE, job.failure
    records = list(Record.objects.order_by("number"))
    assert [r.number for r in records] == [1, 2, 3, 4, 5]
    assert [r.values["full_name"] for r in records] == [f"Nguyễn Văn {n}" for n in names]
    assert records[3].values["phone"] == "0912345678"
    assert len({r.batch_id for r in records}) == 1
    assert all(r.status == Record.Status.SETTLED and r.settled_at for r in records)
    assert not any(r.in_sample or r.verifier_id for r in records)
    assert {r.schema_id for r in records} == {project.current_schema().pk}


def test_the_progress_reports_reading_checking_and_writing_each_with_its_counts(
    client, project, world, monkeypatch
):
    """The bar does not sit at 100 % while the rows are written: each phase is counted from
    zero against its own total."""
    monkeypatch.setattr(imports, "CHUNK", 2)
    monkeypatch.setattr(jobs, "REPORT_EVERY", 0)
    seen: list[tuple[str, int, int]] = []
    write = jobs.Progress._write

    def spy(self, *, force):
        seen.append((self.job.phase, self.job.done, self.job.total))
        write(self, force=force)

    monkeypatch.setattr(jobs.Progress, "_write", spy)
    client.force_login(world.provincial_admin)
    rows = [[f"Nguyễn Văn {n}", "1990", "Nam", "", "Kinh", "Đông Hà", "head", ""] for n in "ABCDE"]
    job = import_file(client, project, csv_file(rows=rows))
    assert job.state == Job.State.DONE, job.failure
    phases = [phase for phase, _done, _total in seen]
    assert phases == sorted(phases, key=[Job.Phase.READING, Job.Phase.CHECKING, "writing"].index)
    assert max(d for p, d, _t in seen if p == Job.Phase.READING) == 6  # the header and 5 rows
    assert {t for p, _d, t in seen if p == Job.Phase.CHECKING} == {5}
    writing = [(d, t) for p, d, t in seen if p == Job.Phase.WRITING]
    assert writing[0] == (0, 5) and writing[-1] == (5, 5)
    assert len(writing) > 2  # counted while the rows go in, not only at the end
    assert (job.phase, job.done, job.total, job.percent) == (Job.Phase.WRITING, 5, 5, 100)
    page = client.get(reverse("registers:job", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "5 of 5" in page.content.decode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_the_write_counts_show_while_its_transaction_is_open(
    client, project, world, monkeypatch
):
    """Another connection (the page polling the job) sees the write phase advance before
    the import's transaction commits."""
    monkeypatch.setattr(jobs, "REPORT_EVERY", 0)
    seen: list[tuple[int, int]] = []
    copy_records = imports._copy_records

    def watched(rows, progress):
        def rows_watched():
            for row in rows:
                yield row
                reader = connections.create_connection(DEFAULT_DB_ALIAS)
                try:
                    with reader.cursor() as cursor:
                        cursor.execute(
                            "SELECT done FROM registers_job WHERE id = %s", [progress.job.pk]
                        )
                        done = cursor.fetchone()[0]
                        cursor.execute("SELECT count(*) FROM registers_record")
                        seen.append((done, cursor.fetchone()[0]))
                finally:
                    reader.close()

        copy_records(rows_watched(), progress)

    monkeypatch.setattr(imports, "_copy_records", watched)
    client.force_login(world.provincial_admin)
    rows = [[f"Nguyễn Văn {n}", "1990", "Nam", "", "Kinh", "Đông Hà", "head", ""] for n in "ABCD"]
    job = import_file(client, project, csv_file(rows=rows))
    assert job.state == Job.State.DONE, job.failure
    assert Record.objects.count() == 4
    # after each row went into COPY: counted, while no record is committed yet
    assert seen == [(1, 0), (2, 0), (3, 0), (4, 0)]


@pytest.mark.django_db(transaction=True)
def test_the_progress_page_shows_the_write_moving_while_its_transaction_is_open(
    project, world, monkeypatch
):
    """On SQLite as on PostgreSQL: the page polling the job, in another thread with its own
    connection, sees the count of records written go up before any record is committed."""
    monkeypatch.setattr(imports, "CHUNK", 1)
    monkeypatch.setattr(jobs, "REPORT_EVERY", 0)
    manager = PostGovClient()
    manager.force_login(world.provincial_admin)
    # the session's first request writes it (then once a minute): before the import
    manager.get(reverse("registers:project", args=[project.pk]))
    seen: list[tuple[str, int]] = []
    advance = jobs.Progress.advance

    def look(job_pk: int) -> None:
        try:
            page = manager.get(
                reverse("registers:job", args=[job_pk]),
                HTTP_HX_REQUEST="true",
                HTTP_ACCEPT_LANGUAGE="en",
            ).content.decode()
            shown = re.search(r"(\d+) of (\d+)", page)
            # SQLite's test database (in memory, shared) refuses to read a table another
            # connection is writing; in a file, as on PostgreSQL, none is committed yet
            committed = Record.objects.count() if connection.vendor == "postgresql" else 0
            seen.append((shown.group(0) if shown else page[-300:], committed))
        finally:
            connections.close_all()

    def watched(self, steps=1):
        advance(self, steps)
        if self.job.phase == Job.Phase.WRITING:
            reader = threading.Thread(target=look, args=(self.job.pk,))
            reader.start()
            reader.join()

    monkeypatch.setattr(jobs.Progress, "advance", watched)
    client = PostGovClient()
    client.force_login(world.provincial_admin)
    rows = [[f"Nguyễn Văn {n}", "1990", "Nam", "", "Kinh", "Đông Hà", "head", ""] for n in "ABC"]
    job = import_file(client, project, csv_file(rows=rows))
    assert job.state == Job.State.DONE, job.failure
    assert seen == [("1 of 3", 0), ("2 of 3", 0), ("3 of 3", 0)]
    assert Record.objects.count() == 3
    assert (job.done, job.total) == (3, 3)


@pytest.mark.django_db(transaction=True)
def test_on_sqlite_others_write_while_the_rows_are_staged_and_the_copy_is_one_statement(
    client, project, world, monkeypatch
):
    """SQLite has one writer at a time: the rows are staged outside the import's
    transaction, so an operator's write (a field save, an audited page view, the session's
    touch) goes through meanwhile instead of waiting for the whole file; the transaction
    then copies them in one statement, and nothing is in the register before it commits."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL writes with COPY; its writers do not wait for each other")
    monkeypatch.setattr(imports, "CHUNK", 2)
    seen: list[tuple[bool, int]] = []
    advance = jobs.Progress.advance

    def write_elsewhere(job_pk: int) -> None:
        try:
            with transaction.atomic():  # BEGIN IMMEDIATE: the database's one write lock
                wrote = Job.objects.filter(pk=job_pk).update(heartbeat_at=timezone.now())
            seen.append((wrote == 1, Record.objects.count()))
        finally:
            connections.close_all()

    def watched(self, steps=1):
        advance(self, steps)
        if self.job.phase == Job.Phase.WRITING:
            other = threading.Thread(target=write_elsewhere, args=(self.job.pk,))
            other.start()
            other.join(timeout=10)

    monkeypatch.setattr(jobs.Progress, "advance", watched)
    client.force_login(world.provincial_admin)
    names = ["An", "Bình", "Cường", "Dung", "Em"]
    rows = [[f"Nguyễn Văn {n}", "1990", "Nam", "", "Kinh", "Đông Hà", "head", ""] for n in names]
    response = upload(client, project, csv_file(rows=rows), imports.Mode.TYPED)
    assert response.status_code == 302
    assert map_columns(client, project).status_code == 302
    with CaptureQueriesContext(connection) as run:
        run_jobs()
    job = Job.objects.get(kind=Job.Kind.IMPORT)
    assert job.state == Job.State.DONE, job.failure
    # each chunk staged (2, 4, 5 rows), and each time another connection wrote at once
    assert seen == [(True, 0), (True, 0), (True, 0)]
    assert sum('INSERT INTO "registers_record"' in q["sql"] for q in run.captured_queries) == 1
    assert [r.values["full_name"] for r in Record.objects.order_by("number")] == [
        f"Nguyễn Văn {n}" for n in names
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_temp_master WHERE name = %s", [imports.STAGING])
        assert cursor.fetchone()[0] == 0  # the staging table went with the import
