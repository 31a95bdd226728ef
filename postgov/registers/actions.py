"""Every change to a digitisation project: projects, members and schemas, uploads, serving
and saving keyings, and the verifier's decisions. Each runs in one transaction with its
audit event; rows are locked through `postgov.lib.locking`."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import NotSupportedError, transaction
from django.db.models import Exists, F, Func, JSONField, OuterRef, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from postgov.audit.actions import record as audit
from postgov.identity.models import User
from postgov.lib.locking import lock_one, lock_row
from postgov.places.models import Commune, Province
from postgov.registers import (
    comparison,
    dedup_actions,
    jobs,
    keying_modes,
    schemas,
    settled,
    sources,
    stats,
)
from postgov.registers.fields import Checked, check_record, check_schema, check_value
from postgov.registers.models import (
    Batch,
    Decision,
    Job,
    Keying,
    Membership,
    Page,
    Project,
    Record,
    SchemaVersion,
)

# How long a record stays with the operator (or verifier) it was served to without a
# keystroke; then another may take it.
CLAIM = timedelta(minutes=30)
# Candidates looked at per request when serving: another operator may lock the first.
CANDIDATES = 20


class KeyingClosed(Exception):
    """This keying can no longer change; the message says why, in the active language.
    `keying` is the row as read (so a page can go back to its project without reading it
    again)."""

    def __init__(self, message: str, keying: Keying) -> None:
        super().__init__(message)
        self.keying = keying


# -- projects, members, schemas ------------------------------------------------------------


def create_project(
    *,
    by: User,
    name: str,
    kind: str,
    province: Province,
    fields: list[dict[str, Any]],
    commune: Commune | None = None,
    keying_mode: str = Project.KeyingMode.BLIND_DOUBLE,
    sample_percent: int = 5,
    request: HttpRequest | None = None,
) -> Project:
    check_schema(fields)
    with transaction.atomic():
        project = Project.objects.create(
            name=name,
            kind=kind,
            province=province,
            commune=commune,
            keying_mode=keying_mode,
            sample_percent=sample_percent,
            created_by=by,
        )
        SchemaVersion.objects.create(project=project, number=1, fields=fields, created_by=by)
        Membership.objects.create(
            project=project, user=by, role=Membership.Role.MANAGER, added_by=by
        )
        audit(
            "registers.project_created",
            request=request,
            actor=by,
            obj=project,
            details={"name": name, "kind": kind},
        )
    return project


def add_member(
    project: Project, *, user: User, role: str, by: User, request: HttpRequest | None = None
) -> Membership:
    with transaction.atomic():
        lock_one(Project, project.pk)
        membership, created = Membership.objects.get_or_create(
            project=project, user=user, role=role, defaults={"added_by": by}
        )
        if created:
            audit(
                "registers.member_added",
                request=request,
                actor=by,
                obj=project,
                details={"user": user.username, "role": role},
            )
    return membership


def save_schema(
    project: Project,
    fields: list[dict[str, Any]],
    *,
    by: User,
    request: HttpRequest | None = None,
) -> SchemaVersion:
    """The project's schema becomes `fields`: the current version is changed in place while
    no record uses it, otherwise a new version is made (records keep theirs)."""
    check_schema(fields)
    with transaction.atomic():
        lock_one(Project, project.pk)
        current = project.current_schema()
        if current is not None and not current.records.exists():
            current.fields = fields
            current.save(update_fields=["fields"])
            version = current
        else:
            number = current.number + 1 if current is not None else 1
            version = SchemaVersion.objects.create(
                project=project, number=number, fields=fields, created_by=by
            )
        audit(
            "registers.schema_saved",
            request=request,
            actor=by,
            obj=project,
            details={"version": version.number, "fields": len(fields)},
        )
    return version


# -- sources ------------------------------------------------------------------------------


def receive_upload(
    project: Project,
    *,
    uploaded: UploadedFile[bytes],
    label: str,
    pages_per_record: int,
    by: User,
    request: HttpRequest | None = None,
) -> Job:
    """Keep an uploaded scan and queue the job that cuts it into records (`run_upload`).
    What can be told at once (an empty file, a file that is no scan, a project without a
    schema) raises sources.SourceError here and keeps nothing."""
    sources.sniff(uploaded)
    if project.current_schema() is None:
        raise sources.SourceError(gettext_lazy("This project has no schema yet."))
    suffix = Path(uploaded.name or "").suffix.lower()[:6]
    path = default_storage.save(f"registers/incoming/{secrets.token_hex(12)}{suffix}", uploaded)
    try:
        return jobs.start(
            Job.Kind.UPLOAD,
            project,
            by=by,
            request=request,
            params={
                "path": path,
                "name": (uploaded.name or "")[:255],
                "label": label[:200],
                "pages_per_record": pages_per_record,
            },
        )
    except BaseException:
        default_storage.delete(path)
        raise


def run_upload(job: Job, progress: jobs.Progress) -> dict[str, int]:
    """The upload job: the kept file becomes a batch of records; the file is dropped once
    the job ends either way."""
    params = job.params
    try:
        with default_storage.open(params["path"], "rb") as kept:
            batch = add_batch(
                job.project,
                uploaded=File(kept, name=params["name"]),
                label=params["label"],
                pages_per_record=params["pages_per_record"],
                by=job.created_by,
                progress=progress,
            )
    finally:
        default_storage.delete(params["path"])
    if job.project.read_text:
        jobs.start(Job.Kind.OCR, job.project, by=job.created_by, params={"batch": batch.pk})
    return {"batch": batch.pk, "pages": batch.pages, "records": batch.records.count()}


def add_batch(
    project: Project,
    *,
    uploaded: File[bytes],
    label: str,
    pages_per_record: int,
    by: User,
    request: HttpRequest | None = None,
    progress: jobs.Progress | None = None,
) -> Batch:
    """Records from an uploaded PDF or image; sources.SourceError (nothing created) when the
    file gives no pages. The page images are stored first, one by one (that is what takes
    time, and what `progress` counts), then every row in one short transaction; a failure
    removes the stored images."""
    pages = sources.render(uploaded)  # before any write: a bad file leaves nothing behind
    if progress is not None:
        progress.set_total(len(pages))
    stamp = secrets.token_hex(6)
    stored: list[tuple[str, str]] = []
    try:
        for index, rendered in enumerate(pages, 1):
            stored.append(
                (
                    default_storage.save(
                        f"registers/pages/{stamp}-{index}.png", ContentFile(rendered.png)
                    ),
                    default_storage.save(
                        f"registers/thumbs/{stamp}-{index}.png", ContentFile(rendered.thumbnail)
                    ),
                )
            )
            if progress is not None:
                progress.advance()
        with transaction.atomic():
            lock_one(Project, project.pk)
            schema = project.current_schema()
            if schema is None:
                raise sources.SourceError(gettext_lazy("This project has no schema yet."))
            batch = Batch.objects.create(
                project=project,
                label=label or (uploaded.name or "")[:200],
                source_name=(uploaded.name or "")[:255],
                pages=len(pages),
                pages_per_record=pages_per_record,
                created_by=by,
            )
            spans = sources.page_ranges(len(pages), pages_per_record)
            records = Record.objects.bulk_create(
                Record(project=project, batch=batch, number=number, schema=schema)
                for number in range(1, len(spans) + 1)
            )
            Page.objects.bulk_create(
                Page(
                    record=row,
                    number=position,
                    image=stored[index - 1][0],
                    thumbnail=stored[index - 1][1],
                )
                for row, span in zip(records, spans, strict=True)
                for position, index in enumerate(span, 1)
            )
            audit(
                "registers.batch_uploaded",
                request=request,
                actor=by,
                obj=project,
                details={"batch": batch.pk, "pages": len(pages), "records": len(records)},
            )
    except BaseException:
        for image, thumbnail in stored:
            default_storage.delete(image)
            default_storage.delete(thumbnail)
        raise
    return batch


# -- keying -------------------------------------------------------------------------------


def _active() -> Q:
    return ~Q(status=Keying.Status.ABANDONED)


def next_keying(
    project: Project, operator: User, *, request: HttpRequest | None = None
) -> Keying | None:
    """The keying this operator should do now: the one they left open, else a slot of a
    record that nobody else holds and that they have not keyed (a record is keyed by two
    different operators). None when there is nothing to key."""
    now = timezone.now()
    with transaction.atomic():
        # The keying's row alone: locking its record too would hold up whoever takes the
        # record's other slot.
        mine = lock_row(
            Keying.objects.filter(
                record__project=project, operator=operator, status=Keying.Status.OPEN
            ).order_by("pk"),
            of=("self",),
        )
        if mine is not None:
            mine.claimed_until = now + CLAIM
            mine.save(update_fields=["claimed_until"])
            return mine
        # Each group's first free record is found and locked in one statement; a record
        # another operator is taking at this moment is skipped, not waited for (twenty
        # operators asking at once would otherwise queue on the same first record).
        passed: list[int] = []
        for group in _queue(project, operator, now):
            while len(passed) < CANDIDATES:
                row = lock_row(group.exclude(pk__in=passed), skip_locked=True)
                if row is None:
                    break
                row.project = project
                keying = _take_slot(row, operator, now, request)
                if keying is not None:
                    return keying
                passed.append(row.pk)  # taken in the meantime: the next one
    return None


def _queue(project: Project, operator: User, now: datetime) -> list[QuerySet[Record]]:
    """Records this operator might key, in groups best first: those with one entry (so
    records finish), then untouched ones, then those whose slot was left past its claim.
    Each group is read on the queue's index, however large the project."""
    live = Keying.objects.filter(record=OuterRef("pk")).filter(_active())
    waiting = (
        Record.objects.filter(project=project, status=Record.Status.KEYING)
        .exclude(Exists(live.filter(operator=operator)))
        .order_by("pk")
    )
    one_entry = waiting.filter(Exists(live)).exclude(
        Exists(live.filter(slot=1)) & Exists(live.filter(slot=2))
    )
    if project.keying_mode != Project.KeyingMode.BLIND_DOUBLE:
        # the second slot waits for the first entry (keying_modes.second_waits)
        one_entry = one_entry.filter(Exists(live.filter(slot=1, status=Keying.Status.SUBMITTED)))
    untouched = waiting.exclude(Exists(live))
    stale = waiting.filter(Exists(live.filter(status=Keying.Status.OPEN, claimed_until__lt=now)))
    return [one_entry, untouched, stale]


def _take_slot(
    row: Record, operator: User, now: datetime, request: HttpRequest | None
) -> Keying | None:
    """A slot of the locked record `row` for this operator, or None if it has none for
    them (another operator's entry went in between the queue's read and the lock)."""
    held = list(row.keyings.filter(_active()).order_by("slot", "pk"))
    if any(k.operator_id == operator.pk for k in held):
        return None
    used = {k.slot for k in held}
    free = [slot for slot in (1, 2) if slot not in used]
    if free == [2] and keying_modes.second_waits(row, held):
        return None
    if not free:
        stale = [k for k in held if k.status == Keying.Status.OPEN and k.claimed_until < now]
        if not stale:
            return None
        old = stale[0]
        old.status = Keying.Status.ABANDONED
        old.save(update_fields=["status"])
        audit(
            "registers.keying_taken_over",
            request=request,
            actor=operator,
            obj=row,
            details={"slot": old.slot, "from": old.operator.username},
        )
        free = [old.slot]
    # A record imported to pre-fill carries its proposed values; the first entry starts
    # from them, the second stays blind, so the comparison still catches the file's errors.
    proposed = dict(row.values) if free[0] == 1 else {}
    return Keying.objects.create(
        record=row, slot=free[0], operator=operator, claimed_until=now + CLAIM, values=proposed
    )


def _refuse(keying: Keying, operator: User) -> None:
    """Raise why `keying` cannot change for this operator, if it cannot."""
    if keying.operator_id != operator.pk:
        raise PermissionDenied
    if keying.status == Keying.Status.ABANDONED:
        raise KeyingClosed(
            _(
                "Your time on this record ran out and another operator took it over; what "
                "you keyed is kept. Ask for the next record."
            ),
            keying,
        )
    if keying.status == Keying.Status.SUBMITTED:
        raise KeyingClosed(_("This record is already saved. Ask for the next record."), keying)


def _locked_open_keying(keying_pk: int, operator: User, *, own_only: bool = False) -> Keying:
    """The keying locked (its row alone), read with its record and project in the same
    statement; DoesNotExist if there is none. With `own_only`, one of the operator's own
    in a project where they are still an operator, else DoesNotExist: the page's access
    check made by the same statement."""
    keyings = Keying.objects.filter(pk=keying_pk)
    if own_only:
        keyings = keyings.filter(
            operator=operator,
            record__project__members__user=operator,
            record__project__members__role=Membership.Role.OPERATOR,
        )
    keying = lock_row(keyings.select_related("record__project").order_by(), of=("self",))
    if keying is None:
        raise Keying.DoesNotExist(f"Keying {keying_pk} does not exist")
    _refuse(keying, operator)
    return keying


class _WithKey(Func):
    """A JSON object column with one key set to a text, computed by the database (so two
    fields saved at once both stay, without a lock): jsonb_set on PostgreSQL, json_set on
    SQLite. The key is a schema field's key (small letters, digits and _)."""

    output_field = JSONField()

    def __init__(self, column: str, key: str, text: str) -> None:
        super().__init__(F(column))
        self.key, self.text = key, text

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:  # type: ignore[override]
        raise NotSupportedError("Only PostgreSQL and SQLite are supported.")

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        column, params = compiler.compile(self.source_expressions[0])
        sql = f"jsonb_set({column}, ARRAY[%s]::text[], to_jsonb(%s::text), true)"
        return sql, (*params, self.key, self.text)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        column, params = compiler.compile(self.source_expressions[0])
        return f"json_set({column}, %s, %s)", (*params, f'$."{self.key}"', self.text)


def save_value(
    keying: Keying | int,
    key: str,
    raw: str,
    *,
    operator: User,
    keystrokes: int = 0,
    active: float = 0,
    paused: float = 0,
) -> Checked:
    """Keep what the operator typed in one field (as typed, so a reload shows it again) and
    say whether it is valid; KeyingClosed if the keying can no longer change. The keys and
    seconds the page counted since its last report add to the keying's effort. Under
    immediate verification a value that differs from the first entry comes back with that
    as its error, to be keyed again.

    Saved as the operator leaves each field, all day long: the value is written into the
    keying's values by the database in one statement, without reading or locking the row
    first; `keying` may be the row the caller has just read (with its record and project),
    whose other values serve the checks across fields."""
    if not isinstance(keying, Keying):
        keying = Keying.objects.select_related("record__project").get(pk=keying)
    fields = schemas.fields_of(keying.record.schema_id)
    field = next((f for f in fields if f["key"] == key), None)
    if field is None:
        raise KeyError(key)
    text = str(raw)[: 2 * 500]
    with transaction.atomic():
        written = Keying.objects.filter(
            pk=keying.pk, operator=operator, status=Keying.Status.OPEN
        ).update(values=_WithKey("values", key, text), claimed_until=timezone.now() + CLAIM)
        if not written:
            _refuse(Keying.objects.get(pk=keying.pk), operator)
        stats.add_effort(keying, keystrokes, active, paused)
        values = {**keying.values, key: text}
        checked = check_value(field, text, values, keying.record.project.province_id)
        first = keying_modes.first_entry(keying)
        if (
            first is not None
            and not checked.error
            and keying_modes.rekey_step(keying, key, checked.value, first)
        ):
            return Checked(checked.value, keying_modes.differs_message())
        return checked


class Submitted(NamedTuple):
    keying: Keying  # with its record and project
    errors: dict[str, str]


def submit_keying(
    keying_pk: int,
    values: Mapping[str, Any] | None,
    *,
    operator: User,
    request: HttpRequest | None = None,
    effort: tuple[int, float, float] = (0, 0.0, 0.0),
) -> dict[str, str]:
    """Save the keying (with `values` typed in the form, if given) when every field is valid;
    returns the errors by field key, empty when it was saved. The record's second entry
    compares the two; a record that settles has its duplicate check queued for the worker
    (`dedup_actions.check_settled_later`), not scored while the operator waits."""
    return _submit(keying_pk, values, operator, request, effort, own_only=False).errors


def submit_own_keying(
    keying_pk: int,
    values: Mapping[str, Any],
    *,
    operator: User,
    request: HttpRequest | None = None,
    effort: tuple[int, float, float] = (0, 0.0, 0.0),
) -> Submitted:
    """`submit_keying` for the keying page: Keying.DoesNotExist unless the keying is the
    operator's own, in a project where they are still an operator. The one locked read of
    the keying checks that too (the submission is asked for all day by every operator), and
    the keying comes back with its record and project for the page's answer."""
    return _submit(keying_pk, values, operator, request, effort, own_only=True)


def _submit(
    keying_pk: int,
    values: Mapping[str, Any] | None,
    operator: User,
    request: HttpRequest | None,
    effort: tuple[int, float, float],
    *,
    own_only: bool,
) -> Submitted:
    with transaction.atomic():
        keying = _locked_open_keying(keying_pk, operator, own_only=own_only)
        stats.add_effort(keying, *effort)
        record_ = keying.record
        fields = schemas.fields_of(record_.schema_id)
        typed = dict(keying.values)
        if values is not None:
            typed.update({f["key"]: str(values.get(f["key"], ""))[:1000] for f in fields})
        clean, errors = check_record(fields, typed, record_.project.province_id)
        if not errors:
            errors = keying_modes.unconfirmed(keying, clean, fields)
        if errors:
            keying.values = typed
            keying.save(update_fields=["values"])
            return Submitted(keying, errors)
        keying.values = clean
        keying.status = Keying.Status.SUBMITTED
        keying.submitted_at = timezone.now()
        keying.save(update_fields=["values", "status", "submitted_at"])
        stats.keyed(keying)
        locked = lock_one(Record, record_.pk)
        locked.project = record_.project  # read with the keying; a project's row is not locked
        was = locked.status
        keying_modes.after_submit(locked, keying, _compare)
        if locked.status == Record.Status.SETTLED != was:
            # Agreement (or a single entry) settled it: checked against the clean register
            # by the worker, queued with the settling (nobody waits on this screen for it).
            dedup_actions.check_settled_later.enqueue(locked.pk, operator.pk)
        # Last: the audit chain's head stays locked until the commit, and every page view
        # of every operator writes to the chain too.
        audit(
            "registers.keying_submitted",
            request=request,
            actor=operator,
            obj=record_,
            details={"slot": keying.slot},
        )
    return Submitted(keying, {})


def _compare(row: Record) -> None:
    first, second = comparison.entries(row)
    if first is None or second is None:
        return
    fields = schemas.fields_of(row.schema_id)
    differ = comparison.differing_keys(fields, first.values, second.values)
    stats.compared(row.project_id, fields, first, second)
    if not differ and secrets.randbelow(100) >= row.project.sample_percent:
        row.values = dict(first.values)
        row.status = Record.Status.SETTLED
        row.settled_at = timezone.now()
        row.save(update_fields=["values", "status", "settled_at"])
        settled.index(row)
        return
    row.in_sample = not differ
    row.status = Record.Status.ADJUDICATION
    row.save(update_fields=["in_sample", "status"])


# -- adjudication -------------------------------------------------------------------------


def next_adjudication(project: Project, verifier: User) -> Record | None:
    """The record this verifier should settle: one they hold, else the oldest nobody holds
    that they did not key themselves."""
    now = timezone.now()
    with transaction.atomic():
        keyed = Keying.objects.filter(record=OuterRef("pk"), operator=verifier)
        waiting = Record.objects.filter(project=project, status=Record.Status.ADJUDICATION).exclude(
            Exists(keyed)
        )
        held = waiting.filter(verifier=verifier).order_by("pk").first()
        pks = [held.pk] if held else []
        pks += list(
            waiting.filter(Q(verifier__isnull=True) | Q(verifier_claimed_until__lt=now))
            .order_by("pk")
            .values_list("pk", flat=True)[:CANDIDATES]
        )
        for pk in pks:
            row = lock_row(Record.objects.filter(pk=pk, status=Record.Status.ADJUDICATION))
            if row is None:
                continue
            if (
                row.verifier_id not in (None, verifier.pk)
                and row.verifier_claimed_until
                and row.verifier_claimed_until >= now
            ):
                continue
            row.verifier = verifier
            row.verifier_claimed_until = now + CLAIM
            row.save(update_fields=["verifier", "verifier_claimed_until"])
            return row
    return None


def may_adjudicate(row: Record, verifier: User) -> bool:
    return not row.keyings.filter(operator=verifier).exists()


def settle(
    record_pk: int,
    answers: dict[str, tuple[str, str]],
    *,
    verifier: User,
    request: HttpRequest | None = None,
) -> dict[str, str]:
    """Settle a record from the verifier's answers, {field key: (choice, typed value)}:
    each differing field (every field of a sampled record) becomes entry 1, entry 2 or the
    verifier's value, kept as a Decision. Returns errors by key, empty when settled."""
    with transaction.atomic():
        row = lock_one(Record, record_pk)
        if row.status != Record.Status.ADJUDICATION:
            return {"": _("This record is already settled.")}
        if not may_adjudicate(row, verifier):
            raise PermissionDenied
        first, second = comparison.entries(row)
        assert first is not None and second is not None  # in adjudication: both submitted
        fields = {f["key"]: f for f in row.schema.fields}
        decided, errors = {}, {}
        for key in comparison.keys_to_decide(row):
            choice, typed = answers.get(key, ("", ""))
            if choice == Decision.Choice.ENTRY_1:
                decided[key] = (choice, first.values.get(key, ""))
            elif choice == Decision.Choice.ENTRY_2:
                decided[key] = (choice, second.values.get(key, ""))
            elif choice == Decision.Choice.TYPED:
                checked = check_value(fields[key], typed, first.values, row.project.province_id)
                if checked.error:
                    errors[key] = checked.error
                decided[key] = (choice, checked.value)
            else:
                errors[key] = _("Pick entry 1, entry 2 or type the right value.")
        if errors:
            return errors
        now = timezone.now()
        values = dict(first.values)
        for key, (choice, value) in decided.items():
            values[key] = value
            Decision.objects.create(
                record=row,
                field_key=key,
                entry_1=first.values.get(key, ""),
                entry_2=second.values.get(key, ""),
                choice=choice,
                value=value,
                operator_1=first.operator,
                operator_2=second.operator,
                wrong_1=first.values.get(key, "") != value,
                wrong_2=second.values.get(key, "") != value,
                decided_by=verifier,
                decided_at=now,
            )
            for wrong, keying in (
                (first.values.get(key, "") != value, first),
                (second.values.get(key, "") != value, second),
            ):
                if wrong:
                    stats.erred(row.project_id, keying, key)
        row.values = values
        row.status = Record.Status.SETTLED
        row.settled_at = now
        row.verifier = verifier
        row.save(update_fields=["values", "status", "settled_at", "verifier"])
        settled.index(row)
        audit(
            "registers.record_settled",
            request=request,
            actor=verifier,
            obj=row,
            details={"decisions": len(decided)},
        )
    # A duplicate is caught while the scan is still on the verifier's screen.
    dedup_actions.check_settled(record_pk, by=verifier, request=request)
    return {}
