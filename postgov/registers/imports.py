"""Spreadsheet import: records from an XLSX or CSV file whose columns are mapped to the
project's schema fields, either as the first keying's proposal ("pre-fill") or as data that
was already typed and checked elsewhere ("already typed", settled at once).

The whole file is checked by the same rules as keying (`fields.check_value`) before anything
is written; one bad cell refuses the file with row- and column-numbered messages, and the
rows are then written in one transaction, so an import is all or nothing. The check runs
outside that transaction, so its progress shows. On PostgreSQL the write is one COPY; on
SQLite the rows are first staged outside the transaction, which then copies them in one
statement (`_staged`), so that the one writer SQLite allows is held for seconds, not
minutes.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import itertools
import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from postgov.audit.actions import record as audit
from postgov.identity.models import User
from postgov.lib.locking import lock_one
from postgov.lib.text import fold
from postgov.registers import jobs
from postgov.registers.fields import Checked, check_value
from postgov.registers.models import Batch, Job, Project, Record, SchemaVersion, localised

SUFFIXES = (".csv", ".xlsx")
# Records per INSERT: large enough that a big file is a few hundred statements.
CHUNK = 5000
# Row messages kept and shown when a file is refused; the count says how many more.
SHOWN_ERRORS = 20


class Mode:
    PREFILL = "prefill"
    TYPED = "typed"
    CHOICES = (
        (PREFILL, gettext_lazy("Pre-fill: the values are proposed to the first operator")),
        (TYPED, gettext_lazy("Already typed: the records are settled as they are")),
    )


class ImportRefused(jobs.JobFailed):
    """A file that cannot be imported; the message says why, in the reader's language."""


def column_letter(index: int) -> str:
    """0 -> 'A', 27 -> 'AB', as a spreadsheet names its columns."""
    return get_column_letter(index + 1)


# -- reading ------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _csv_rows(handle: IO[bytes]) -> Iterator[list[str]]:
    text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
    try:
        sample = text.read(64 * 1024)
        yield from csv.reader(
            _chain(sample, text), delimiter=_delimiter(sample.partition("\n")[0]), strict=False
        )
    except UnicodeDecodeError:
        raise ImportRefused(
            gettext_lazy(
                "The file is not UTF-8 text. Save it from the spreadsheet as “CSV UTF-8” "
                "or as an Excel workbook (.xlsx)."
            )
        ) from None
    except csv.Error as exc:
        raise ImportRefused(
            gettext_lazy("The CSV file cannot be read: %(reason)s"), reason=str(exc)
        ) from None


def _delimiter(header_line: str) -> str:
    """A comma, or the semicolon or tab a spreadsheet saved in some languages puts: the
    one that cuts the header into the most columns (a label may hold a comma itself)."""
    line = header_line.strip("\r\n")
    return max(
        (";", "\t", ","), key=lambda d: (len(next(csv.reader([line], delimiter=d), [])), d == ",")
    )


def _chain(sample: str, rest: IO[str]) -> Iterator[str]:
    yield from io.StringIO(sample + rest.readline())
    yield from rest


def _xlsx_rows(handle: IO[bytes]) -> Iterator[list[str]]:
    try:
        book = load_workbook(handle, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged or foreign file
        raise ImportRefused(
            gettext_lazy("The file is not an Excel workbook (.xlsx) that can be read.")
        ) from None
    try:
        sheet = book.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield [_cell(v) for v in row]
    finally:
        book.close()


def rows(handle: IO[bytes], name: str) -> Iterator[list[str]]:
    """The file's rows as text cells, header first; ImportRefused for a file it cannot read."""
    suffix = Path(name).suffix.lower()
    if suffix == ".xlsx":
        return _xlsx_rows(handle)
    if suffix == ".csv":
        return _csv_rows(handle)
    raise ImportRefused(gettext_lazy("Upload a .csv or .xlsx file."))


def _trimmed(header: list[str]) -> list[str]:
    """A header without the empty cells a spreadsheet leaves at its right end."""
    cells = [" ".join(h.split()) for h in header]
    while cells and not cells[-1]:
        cells.pop()
    return cells


def read_header(handle: IO[bytes], name: str) -> list[str]:
    """The header row, checked: there is one, no column is unnamed or named twice, and a
    CSV file is UTF-8 throughout (checked here, so the job does not fail on it later)."""
    suffix = Path(name).suffix.lower()
    if suffix == ".csv":
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := handle.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise ImportRefused(
                gettext_lazy(
                    "The file is not UTF-8 text. Save it from the spreadsheet as “CSV UTF-8” "
                    "or as an Excel workbook (.xlsx)."
                )
            ) from None
        handle.seek(0)
        # Read here without a text wrapper, which would close the upload when dropped.
        first = handle.readline().decode("utf-8-sig")
        handle.seek(0)
        header = _trimmed(next(csv.reader([first], delimiter=_delimiter(first)), []))
    else:
        header = _trimmed(next(iter(rows(handle, name)), []))
    if not header:
        raise ImportRefused(gettext_lazy("The file is empty: its first row must name the columns."))
    unnamed = [column_letter(i) for i, h in enumerate(header) if not h]
    if unnamed:
        raise ImportRefused(
            gettext_lazy("These columns have no name in the first row: %(columns)s."),
            columns=", ".join(unnamed),
        )
    seen: dict[str, str] = {}
    for index, title in enumerate(header):
        if fold(title) in seen:
            raise ImportRefused(
                gettext_lazy("Columns %(first)s and %(second)s have the same name “%(name)s”."),
                first=seen[fold(title)],
                second=column_letter(index),
                name=title,
            )
        seen[fold(title)] = column_letter(index)
    return header


# -- mapping ------------------------------------------------------------------------------


def _names(field: dict) -> set[str]:
    label = field.get("label", {})
    labels = label.values() if isinstance(label, dict) else [label]
    # "Nơi thường trú" names the field labelled "Nơi thường trú (xã, phường)".
    return {fold(field["key"]), fold(field["key"].replace("_", " "))} | {
        fold(text) for v in labels for text in (str(v), str(v).partition("(")[0])
    }


def guess_mapping(fields: list[dict], header: list[str]) -> dict[str, int | None]:
    """Each field's column: the one whose name is the field's key or label, read without
    case or diacritics (“Ngay sinh” is “Ngày sinh”)."""
    folded = [fold(h) for h in header]
    out: dict[str, int | None] = {}
    for field in fields:
        names = _names(field)
        out[field["key"]] = next((i for i, h in enumerate(folded) if h in names), None)
    return out


@dataclass(frozen=True)
class MappingProblems:
    missing: list[str]  # labels of required fields without a column
    extra: list[str]  # columns mapped to no field, "D (Ghi chú)"
    twice: list[str]  # columns mapped to two fields

    def __bool__(self) -> bool:
        return bool(self.missing or self.extra or self.twice)

    def messages(self) -> list[str]:
        out = []
        if self.missing:
            out.append(
                _("No column gives these required fields: %(fields)s.")
                % {"fields": ", ".join(self.missing)}
            )
        if self.extra:
            out.append(
                _(
                    "These columns match no field of the schema: %(columns)s. Map them, or "
                    "remove them from the file and upload it again."
                )
                % {"columns": ", ".join(self.extra)}
            )
        if self.twice:
            out.append(
                _("These columns are given to two fields: %(columns)s.")
                % {"columns": ", ".join(self.twice)}
            )
        return out


def check_mapping(
    fields: list[dict], header: list[str], mapping: dict[str, int | None], mode: str
) -> MappingProblems:
    """What is wrong with a mapping: a required field left without a column (pre-fill
    leaves gaps to the operators, so only an already-typed import needs them all), a column
    of the file that no field takes, a column taken twice."""
    used = [i for i in mapping.values() if i is not None]
    missing = [
        localised(f["label"])
        for f in fields
        if mode == Mode.TYPED and f.get("required") and mapping.get(f["key"]) is None
    ]
    extra = [
        f"{column_letter(i)} ({title})" for i, title in enumerate(header) if i not in set(used)
    ]
    twice = sorted(
        {f"{column_letter(i)} ({header[i]})" for i in used if used.count(i) > 1 and i < len(header)}
    )
    return MappingProblems(missing, extra, twice)


# -- starting -----------------------------------------------------------------------------


def keep_upload(uploaded: UploadedFile[bytes]) -> tuple[str, list[str]]:
    """Keep an uploaded spreadsheet until its import runs: (stored path, header)."""
    name = uploaded.name or ""
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise ImportRefused(gettext_lazy("Upload a .csv or .xlsx file."))
    if uploaded.file is None:
        raise ImportRefused(gettext_lazy("The file is empty: its first row must name the columns."))
    header = read_header(uploaded.file, name)
    uploaded.seek(0)
    path = default_storage.save(f"registers/incoming/{secrets.token_hex(12)}{suffix}", uploaded)
    return path, header


def drop_upload(path: str) -> None:
    default_storage.delete(path)


def start_import(
    project: Project,
    *,
    path: str,
    name: str,
    schema: SchemaVersion,
    mapping: dict[str, int | None],
    mode: str,
    label: str,
    by: User,
    request: HttpRequest | None = None,
) -> Job:
    """Queue the import of a kept file under the schema version its columns were mapped to."""
    return jobs.start(
        Job.Kind.IMPORT,
        project,
        by=by,
        request=request,
        params={
            "path": path,
            "name": name[:255],
            "schema": schema.pk,
            "fields": fields_digest(schema.fields),
            "mapping": mapping,
            "mode": mode,
            "label": label[:200],
        },
    )


# -- checking and writing -----------------------------------------------------------------


@dataclass(frozen=True)
class CellError:
    row: int  # in the file, the header being row 1
    column: int | None  # 0-based; None for a row that has too many cells
    field: dict
    values: dict[str, str]  # the row's values by field key, to say it again in any language


class Invalid(ImportRefused):
    """A file with bad cells; its text, in the reader's language, lists the first of them
    as “Row 12, column D (Ngày sinh): …”, checked again in that language."""

    def __init__(self, errors: list[CellError], total: int, province_id: int | None) -> None:
        super().__init__("")
        self.errors = errors
        self.total = total
        self.province_id = province_id

    def __str__(self) -> str:
        lines = [
            _(
                "%(n)s cells are wrong, so nothing was imported. Correct the file and import "
                "it again. The first ones:"
            )
            % {"n": self.total}
        ]
        for error in self.errors:
            field, label = error.field, localised(error.field["label"])
            if error.column is None:
                lines.append(
                    _("Row %(row)s has more cells than the header has columns.")
                    % {"row": error.row}
                )
                continue
            raw = error.values.get(field["key"], "")
            checked = check_value(field, raw, error.values, self.province_id)
            lines.append(
                _("Row %(row)s, column %(column)s (%(label)s): %(error)s")
                % {
                    "row": error.row,
                    "column": column_letter(error.column),
                    "label": label,
                    "error": checked.error,
                }
            )
        if self.total > len(self.errors):
            lines.append(_("… and %(n)s more.") % {"n": self.total - len(self.errors)})
        return "\n".join(lines)


# Types whose check reads nothing but the text (not an ID number, checked against the birth
# date and gender): a register repeats the same communes, choices and dates thousands of
# times, and a commune's name is looked up in the database.
SAME_TEXT_SAME_ANSWER = frozenset({"commune", "choice", "date", "number", "si_code"})


class Checker:
    """The field checks over many rows, remembering the answer for a text it has already
    checked when the answer depends on the text alone."""

    def __init__(self, fields: list[dict], province_id: int | None, *, prefill: bool) -> None:
        self.fields = [dict(f, required=False) if prefill else f for f in fields]
        self.province_id = province_id
        self._known: dict[tuple[str, str], Checked] = {}

    def check(self, raw: dict[str, str]) -> tuple[list[str], list[dict], dict[str, str]]:
        """(clean values in field order, fields in error, the values the checks across
        fields read)."""
        clean: list[str] = []
        wrong: list[dict] = []
        known = dict(raw)
        for field in self.fields:
            key = field["key"]
            text = raw.get(key, "")
            if text and field["type"] in SAME_TEXT_SAME_ANSWER:
                checked = self._known.get((key, text))
                if checked is None:
                    checked = check_value(field, text, known, self.province_id)
                    self._known[(key, text)] = checked
            else:
                checked = check_value(field, text, known, self.province_id)
            if checked.error:
                wrong.append(field)
            else:
                # The checks across fields (an ID number against the birth date and
                # gender) then read the normalised values.
                known[key] = checked.value
            clean.append(checked.value)
        return clean, wrong, known


def fields_digest(fields: list[dict]) -> str:
    """A version whose records are none yet is changed in place, so its number alone does
    not say that the fields are still those the columns were mapped to."""
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


def _current_schema_or_fail(project: Project, schema_pk: int, digest: str) -> SchemaVersion:
    current = project.current_schema()
    if current is None or current.pk != schema_pk or fields_digest(current.fields) != digest:
        raise ImportRefused(
            gettext_lazy(
                "The project's schema changed after the columns were mapped (it is now "
                "version %(new)s), so nothing was imported. Upload the file again and map "
                "its columns to the new schema."
            ),
            new=current.number if current else "—",
        )
    return current


# The columns the import writes, in the order of the rows it makes (the others are null).
WRITTEN = (
    "project_id",
    "batch_id",
    "number",
    "schema_id",
    "status",
    "in_sample",
    "values",
    "settled_at",
)


STAGING = "registers_import_staging"


@contextmanager
def _staged(rows: Iterator[tuple[int, dict]], progress: jobs.Progress) -> Iterator[str]:
    """SQLite: the rows (number, values) written, a chunk at a time, to a table of this
    connection's own temporary database, before the import's transaction; yields the
    table's name. SQLite has one writer at a time, and writing 630,000 records through the
    ORM in the import's transaction held the lock for most of a minute, while every
    operator's field save, page view (audited) and session touch waited for it. A write to
    the temporary database takes no lock of the main one, so the transaction that follows
    copies the staged rows in one statement, inside SQLite, and holds the lock for that
    copy alone. Nothing reaches the register before it commits: the staging table is seen
    by no other connection and goes when the import ends, or with the connection."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS temp.{quote(STAGING)}")
        cursor.execute(
            f"CREATE TEMP TABLE {quote(STAGING)} (number INTEGER NOT NULL, body TEXT NOT NULL)"
        )
        try:
            while chunk := [
                (number, json.dumps(values)) for number, values in itertools.islice(rows, CHUNK)
            ]:
                # the table's name is ours, the values are parameters
                cursor.executemany(f"INSERT INTO temp.{quote(STAGING)} VALUES (%s, %s)", chunk)  # noqa: S608
                progress.advance(len(chunk))
            yield STAGING
        finally:
            cursor.execute(f"DROP TABLE IF EXISTS temp.{quote(STAGING)}")


def _insert_staged(staging: str, head: tuple, settled_at: datetime | None) -> None:
    """The staged rows into the register, in one statement (inside the caller's
    transaction); `head` is (project, batch) and (schema, status, in_sample) in the order
    of WRITTEN around the number."""
    quote = connection.ops.quote_name
    column = {f.attname: str(f.column) for f in Record._meta.concrete_fields}
    columns = ", ".join(quote(column[name]) for name in WRITTEN)
    project_id, batch_id, schema_id, status, in_sample = head
    # names from the model and this module, the values as parameters
    table, source = quote(Record._meta.db_table), f"temp.{quote(staging)}"
    select = f"SELECT %s, %s, number, %s, %s, %s, body, %s FROM {source} ORDER BY number"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) {select}",
            [
                project_id,
                batch_id,
                schema_id,
                status,
                in_sample,
                connection.ops.adapt_datetimefield_value(settled_at),
            ],
        )


def _copy_records(rows: Iterator[tuple], progress: jobs.Progress) -> None:
    """The same rows through PostgreSQL's COPY (psycopg's public `Cursor.copy`), inside the
    caller's transaction. `bulk_create` spent most of the write building a model instance
    and adapting a JSON parameter per record; these records are plain rows whose values
    were all checked already, and no signal or save() runs on either path."""
    quote = connection.ops.quote_name
    column = {f.attname: str(f.column) for f in Record._meta.concrete_fields}
    columns = ", ".join(quote(column[name]) for name in WRITTEN)
    statement = f"COPY {quote(Record._meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for *head, values, settled_at in rows:
            copy.write_row((*head, json.dumps(values), settled_at))
            progress.advance()


def _open_batch(job: Job, params: dict[str, Any]) -> tuple[Batch, datetime]:
    """In the import's transaction: the project locked, its schema checked again (it may
    have changed while the rows were checked), the batch the records go in."""
    project = job.project
    lock_one(Project, project.pk)
    _current_schema_or_fail(project, params["schema"], params["fields"])
    batch = Batch.objects.create(
        project=project,
        label=params["label"] or params["name"][:200],
        source_name=params["name"],
        pages=0,
        pages_per_record=1,
        created_by=job.created_by,
    )
    return batch, timezone.now()


def _audit_import(job: Job, batch: Batch, records: int, schema: SchemaVersion) -> None:
    audit(
        "registers.records_imported",
        actor=job.created_by,
        obj=job.project,
        details={
            "job": job.pk,
            "batch": batch.pk,
            "records": records,
            "mode": job.params["mode"],
            "schema": schema.number,
            "file": job.params["name"],
        },
    )


def run_import(job: Job, progress: jobs.Progress) -> dict[str, Any]:
    """The import job: check every row, then write them all in one transaction. The kept
    file is dropped once the job ends either way."""
    params = job.params
    try:
        return _import(job, params, progress)
    finally:
        drop_upload(params["path"])


def _count_rows(path: str, name: str, progress: jobs.Progress) -> int:
    """The rows under the header (the reading phase, counted as it goes)."""
    counted = 0
    with default_storage.open(path, "rb") as handle:
        for _row in rows(handle, name):
            counted += 1
            progress.advance()
    return max(0, counted - 1)


def _import(job: Job, params: dict[str, Any], progress: jobs.Progress) -> dict[str, Any]:
    project = job.project
    schema = _current_schema_or_fail(project, params["schema"], params["fields"])
    fields = schema.fields
    mapping: dict[str, int | None] = params["mapping"]
    prefill = params["mode"] == Mode.PREFILL
    checker = Checker(fields, project.province_id, prefill=prefill)
    progress.phase(Job.Phase.READING)
    progress.phase(Job.Phase.CHECKING, _count_rows(params["path"], params["name"], progress))
    columns = [(f["key"], mapping.get(f["key"])) for f in fields]
    checked: list[list[str]] = []
    errors: list[CellError] = []
    total_errors = 0
    with default_storage.open(params["path"], "rb") as handle:
        reader = rows(handle, params["name"])
        header = _trimmed(next(reader, []))
        for number, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                progress.advance()
                continue
            if len(_trimmed(cells)) > len(header):
                total_errors += 1
                if len(errors) < SHOWN_ERRORS:
                    errors.append(CellError(number, None, fields[0], {}))
            raw = {
                key: (cells[i] if i is not None and i < len(cells) else "") for key, i in columns
            }
            clean, wrong, known = checker.check(raw)
            for field in wrong:
                total_errors += 1
                if len(errors) < SHOWN_ERRORS:
                    errors.append(CellError(number, mapping.get(field["key"]), field, known))
            if not total_errors:
                checked.append(clean)
            progress.advance()
    if total_errors:
        raise Invalid(errors, total_errors, project.province_id)
    if not checked:
        raise ImportRefused(gettext_lazy("The file has no rows under its header."))
    keys = [key for key, _i in columns]
    progress.phase(Job.Phase.WRITING, len(checked))
    numbered = (
        (index + 1, dict(zip(keys, values, strict=True))) for index, values in enumerate(checked)
    )
    status = Record.Status.KEYING if prefill else Record.Status.SETTLED
    if connection.vendor == "postgresql":
        with progress.reporting_aside(), transaction.atomic():
            batch, now = _open_batch(job, params)
            settled_at = None if prefill else now
            _copy_records(
                (
                    (project.pk, batch.pk, number, schema.pk, status, False, values, settled_at)
                    for number, values in numbered
                ),
                progress,
            )
            _audit_import(job, batch, len(checked), schema)
    else:
        with _staged(numbered, progress) as staging, transaction.atomic():
            batch, now = _open_batch(job, params)
            _insert_staged(
                staging,
                (project.pk, batch.pk, schema.pk, status, False),
                None if prefill else now,
            )
            _audit_import(job, batch, len(checked), schema)
    return {"batch": batch.pk, "records": len(checked), "mode": params["mode"]}
