"""Every change deduplication makes: the project-wide run (a background job), the
threshold, a person's merge or separation of a candidate and its undoing, and the check
of a record against the clean register when it is settled. The linkage itself is in
`registers.dedup`."""

from __future__ import annotations

import logging
import time
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import task

from postgov.audit.actions import record as audit
from postgov.identity.models import User
from postgov.lib.locking import lock, lock_one, lock_row, locked_get_or_create
from postgov.registers import dedup, jobs
from postgov.registers.models import (
    BlockingKey,
    DuplicateCandidate,
    DuplicateDecision,
    Job,
    LinkageModel,
    Project,
    Record,
)

logger = logging.getLogger(__name__)

# Candidates read for the check at settling: the blocks are small; this bounds a bad one.
MAX_CANDIDATES = 50
INDEX_BATCH = 2000


class DedupError(Exception):
    """A decision that cannot be made; the message says why, in the active language."""


def clean_records(project: Project) -> QuerySet[Record]:
    """The project's clean register: settled records not merged into another."""
    merged = DuplicateDecision.objects.filter(
        absorbed=OuterRef("pk"), kind=DuplicateDecision.Kind.MERGE, undone_at__isnull=True
    )
    return Record.objects.filter(project=project, status=Record.Status.SETTLED).exclude(
        Exists(merged)
    )


def keys_for(project: Project) -> dedup.Keys:
    schema = project.current_schema()
    return dedup.keys_of(schema.fields if schema else [])


def _row(record: Record, keys: dedup.Keys) -> dict[str, Any]:
    return dedup.person_row(record.pk, record.values, keys)


def index_record(record: Record, keys: dedup.Keys | None = None) -> None:
    """Write the record's blocking keys (none once it is no longer clean)."""
    BlockingKey.objects.filter(record=record).delete()
    if record.status != Record.Status.SETTLED:
        return
    keys = keys or keys_for(record.project)
    if not keys.usable:
        return
    BlockingKey.objects.bulk_create(
        BlockingKey(record=record, project_id=record.project_id, key=key)
        for key in sorted(dedup.blocking_keys(_row(record, keys)))
    )


def linkage(project: Project) -> LinkageModel:
    found = LinkageModel.objects.filter(project=project).first()
    return found or LinkageModel(project=project, threshold=dedup.DEFAULT_THRESHOLD)


def set_threshold(
    project: Project, threshold: float, *, by: User, request: HttpRequest | None = None
) -> LinkageModel:
    with transaction.atomic():
        model = locked_get_or_create(LinkageModel, project=project)
        old = model.threshold
        model.threshold = threshold
        model.save(update_fields=["threshold"])
        audit(
            "registers.dedup_threshold_set",
            request=request,
            actor=by,
            obj=project,
            details={"from": old, "to": threshold},
        )
    return model


# -- the project-wide run -----------------------------------------------------------------


def start(project: Project, *, by: User, request: HttpRequest | None = None) -> Job:
    if not keys_for(project).usable:
        raise DedupError(_("This project's schema has no full-name field to compare."))
    return jobs.start(Job.Kind.DEDUP, project, by=by, request=request)


def _separated(project: Project) -> set[frozenset[int]]:
    pairs: set[frozenset[int]] = set()
    for decision in DuplicateDecision.objects.filter(
        candidate__project=project,
        kind=DuplicateDecision.Kind.SEPARATE,
        undone_at__isnull=True,
    ).prefetch_related("candidate__records"):
        ids = [r.pk for r in decision.candidate.records.all()]
        pairs |= {frozenset((a, b)) for a in ids for b in ids if a < b}
    return pairs


def run_dedup(job: Job, progress: jobs.Progress) -> dict[str, Any]:
    """The deduplication job: train on the project's clean records, score, cluster, and
    replace the candidates nobody has looked at yet by those found now."""
    project = job.project
    keys = keys_for(project)
    if not keys.usable:
        raise jobs.JobFailed(gettext_lazy("This project's schema has no full-name field."))
    progress.set_total(5)
    records = list(clean_records(project).values_list("pk", "values"))
    if len(records) < 2:
        raise jobs.JobFailed(
            gettext_lazy("Only %(n)s clean records: there is nothing to compare yet."),
            n=len(records),
        )
    # Records settled before their keys were kept (or brought in another way) get them
    # now, a batch per transaction, so the check at settling can find them.
    unindexed = list(
        clean_records(project)
        .exclude(Exists(BlockingKey.objects.filter(record=OuterRef("pk"))))
        .values_list("pk", "values")
    )
    for start in range(0, len(unindexed), INDEX_BATCH):
        with transaction.atomic():
            BlockingKey.objects.bulk_create(
                BlockingKey(record_id=pk, project_id=project.pk, key=key)
                for pk, values in unindexed[start : start + INDEX_BATCH]
                for key in sorted(dedup.blocking_keys(dedup.person_row(pk, values, keys)))
            )
    df = dedup.frame(dedup.person_row(pk, values, keys) for pk, values in records)
    progress.advance()
    settings = linkage(project)
    separated = _separated(project)
    linked = dedup.link(
        df,
        threshold=settings.threshold,
        keep_pair=lambda a, b: frozenset((a, b)) not in separated,
        step=progress.advance,
    )
    with transaction.atomic():
        model = locked_get_or_create(LinkageModel, project=project)
        model.model = linked.model
        model.trained = linked.trained
        model.note = linked.note
        model.records = len(records)
        model.trained_at = timezone.now()
        model.save(update_fields=["model", "trained", "note", "records", "trained_at"])
        # What nobody has decided on is replaced; decided candidates stay as they were.
        DuplicateCandidate.objects.filter(
            project=project, status=DuplicateCandidate.Status.OPEN, decisions__isnull=True
        ).delete()
        kept = {
            frozenset(c.records.values_list("pk", flat=True))
            for c in DuplicateCandidate.objects.filter(project=project)
        }
        fresh = [(ids, p) for ids, p in linked.clusters if frozenset(ids) not in kept]
        made = DuplicateCandidate.objects.bulk_create(
            DuplicateCandidate(
                project=project,
                probability=p,
                source=DuplicateCandidate.Source.JOB,
                job=job,
            )
            for _ids, p in fresh
        )
        Through = DuplicateCandidate.records.through
        Through.objects.bulk_create(
            Through(duplicatecandidate_id=candidate.pk, record_id=pk)
            for candidate, (ids, _p) in zip(made, fresh, strict=True)
            for pk in ids
        )
        audit(
            "registers.dedup_run",
            actor=job.created_by,
            obj=project,
            details={
                "job": job.pk,
                "records": len(records),
                "candidates": len(made),
                "trained": linked.trained,
            },
        )
    progress.advance()
    return {
        "records": len(records),
        "candidates": len(made),
        "trained": linked.trained,
        "note": linked.note,
        "seconds": {k: round(v, 1) for k, v in linked.seconds.items()},
    }


# -- the check when a record is settled ---------------------------------------------------


def _model(project: Project, settings: LinkageModel) -> Any:
    if settings.model:
        return settings.model
    return dedup.settings(clean_records(project).count())


def check_settled(
    record_pk: int, *, by: User | None = None, request: HttpRequest | None = None
) -> DuplicateCandidate | None:
    """Compare a record just settled with the clean records that share a blocking key,
    with the project's model (Splink's real-time linkage); a likely duplicate becomes a
    candidate at once. Never fails the settling: a failure is logged and gives None."""
    started = time.monotonic()
    try:
        return _check(record_pk, by=by, request=request)
    except Exception:
        logger.exception("duplicate check of record %s failed", record_pk)
        return None
    finally:
        logger.info("duplicate check of record %s: %.3f s", record_pk, time.monotonic() - started)


@task()
def check_settled_later(record_pk: int, by_pk: int | None = None) -> str:
    """The check at settling for a record settled by the keyers' agreement, in the worker:
    nobody has that record's scan on screen to be told (a verifier's settling checks at
    once), and scoring against a block of clean records (Splink builds its linker each
    time) would hold up the operator's next record for tens to hundreds of milliseconds."""
    by = User.objects.filter(pk=by_pk).first() if by_pk is not None else None
    found = check_settled(record_pk, by=by)
    return f"candidate {found.pk}" if found is not None else "none"


def _check(
    record_pk: int, *, by: User | None, request: HttpRequest | None
) -> DuplicateCandidate | None:
    record = Record.objects.select_related("project").filter(pk=record_pk).order_by().first()
    if record is None or record.status != Record.Status.SETTLED:
        return None
    project = record.project
    keys = keys_for(project)
    if not keys.usable:
        return None
    row = _row(record, keys)
    blocks = dedup.blocking_keys(row)
    near = list(
        clean_records(project)
        .exclude(pk=record.pk)
        .filter(Exists(BlockingKey.objects.filter(record=OuterRef("pk"), key__in=blocks)))
        .values_list("pk", "values")[:MAX_CANDIDATES]
    )
    if not near:
        return None
    settings = linkage(project)
    separated = _separated(project)
    scored = [
        (pk, p)
        for pk, p in dedup.score(
            row,
            [dedup.person_row(pk, values, keys) for pk, values in near],
            _model(project, settings),
        )
        if p >= settings.threshold and frozenset((pk, record.pk)) not in separated
    ]
    if not scored:
        return None
    other, probability = scored[0]
    with transaction.atomic():
        # Not FOR UPDATE: a submission holding the audit chain and then writing a row that
        # refers to the project (a counter, a blocking key) would wait for this lock while
        # this waits for the audit chain — a deadlock seen with twenty operators.
        lock_row(Project.objects.filter(pk=project.pk))
        existing = (
            DuplicateCandidate.objects.filter(project=project, records=record)
            .filter(records=other)
            .first()
        )
        if existing is not None:
            return existing if existing.status == DuplicateCandidate.Status.OPEN else None
        candidate = DuplicateCandidate.objects.create(
            project=project,
            probability=probability,
            source=DuplicateCandidate.Source.SETTLED,
        )
        candidate.records.set([min(record.pk, other), max(record.pk, other)])
        audit(
            "registers.duplicate_found",
            request=request,
            actor=by,
            obj=record,
            details={"candidate": candidate.pk, "other": other, "p": round(probability, 4)},
        )
    return candidate


# -- people's decisions -------------------------------------------------------------------


def _open_candidate(candidate_pk: int) -> tuple[DuplicateCandidate, list[Record]]:
    candidate = lock_one(DuplicateCandidate, candidate_pk)
    if candidate.status != DuplicateCandidate.Status.OPEN:
        raise DedupError(_("Someone has already decided on these records."))
    records = lock(Record, candidate.records.values_list("pk", flat=True))
    merged = clean_records(candidate.project).filter(pk__in=[r.pk for r in records])
    if merged.count() != len(records):
        raise DedupError(
            _("One of these records was merged into another meanwhile; review that first.")
        )
    return candidate, records


def differing_keys(fields: list[dict[str, Any]], records: list[Record]) -> list[str]:
    return [f["key"] for f in fields if len({str(r.values.get(f["key"], "")) for r in records}) > 1]


def merge(
    candidate_pk: int,
    *,
    survivor_pk: int,
    chosen: dict[str, int],
    by: User,
    request: HttpRequest | None = None,
) -> DuplicateDecision:
    """Merge the candidate's records into `survivor_pk`, taking for each differing field
    the value of the record named in `chosen` ({field key: record pk}; the survivor's
    value by default). The other records leave the clean register; undo restores all."""
    with transaction.atomic():
        candidate, records = _open_candidate(candidate_pk)
        by_pk = {r.pk: r for r in records}
        survivor = by_pk.get(survivor_pk)
        if survivor is None:
            raise DedupError(_("Pick the record that stays."))
        fields = survivor.schema.fields
        values = dict(survivor.values)
        for key in differing_keys(fields, records):
            source = by_pk.get(chosen.get(key, survivor.pk))
            if source is None:
                raise DedupError(_("Pick a value from one of the records."))
            values[key] = source.values.get(key, "")
        now = timezone.now()
        decision = DuplicateDecision.objects.create(
            candidate=candidate,
            kind=DuplicateDecision.Kind.MERGE,
            survivor=survivor,
            values=values,
            before={str(r.pk): r.values for r in records},
            decided_by=by,
            decided_at=now,
        )
        absorbed = [r for r in records if r.pk != survivor.pk]
        before = dict(survivor.values)
        decision.absorbed.set(absorbed)
        survivor.values = values
        survivor.save(update_fields=["values"])
        keys = keys_for(candidate.project)
        index_record(survivor, keys)
        BlockingKey.objects.filter(record__in=absorbed).delete()
        candidate.status = DuplicateCandidate.Status.MERGED
        candidate.save(update_fields=["status"])
        audit(
            "registers.duplicates_merged",
            request=request,
            actor=by,
            obj=survivor,
            details={
                "candidate": candidate.pk,
                "absorbed": [r.pk for r in absorbed],
                "changed": sorted(k for k in values if values[k] != before.get(k)),
            },
        )
    return decision


def separate(
    candidate_pk: int, *, by: User, request: HttpRequest | None = None
) -> DuplicateDecision:
    """These records are different people: the candidate is closed and later runs do not
    propose the pair again."""
    with transaction.atomic():
        candidate, records = _open_candidate(candidate_pk)
        decision = DuplicateDecision.objects.create(
            candidate=candidate,
            kind=DuplicateDecision.Kind.SEPARATE,
            before={str(r.pk): r.values for r in records},
            decided_by=by,
            decided_at=timezone.now(),
        )
        candidate.status = DuplicateCandidate.Status.SEPARATE
        candidate.save(update_fields=["status"])
        audit(
            "registers.duplicates_separated",
            request=request,
            actor=by,
            obj=candidate.project,
            details={"candidate": candidate.pk, "records": [r.pk for r in records]},
        )
    return decision


def undo(candidate_pk: int, *, by: User, request: HttpRequest | None = None) -> DuplicateDecision:
    """Undo the candidate's last decision: a merge gives every record back the values it
    had and puts the merged ones back in the clean register; the candidate is open again."""
    with transaction.atomic():
        candidate = lock_one(DuplicateCandidate, candidate_pk)
        decision = candidate.decisions.filter(undone_at__isnull=True).order_by("-pk").first()
        if decision is None or candidate.status == DuplicateCandidate.Status.OPEN:
            raise DedupError(_("There is no decision to undo."))
        records = lock(Record, candidate.records.values_list("pk", flat=True))
        later = (
            DuplicateDecision.objects.filter(
                kind=DuplicateDecision.Kind.MERGE,
                undone_at__isnull=True,
                candidate__records__in=records,
                pk__gt=decision.pk,
            )
            .exclude(candidate=candidate)
            .exists()
        )
        if later:
            raise DedupError(_("A later merge involves these records; undo that one first."))
        if decision.kind == DuplicateDecision.Kind.MERGE:
            keys = keys_for(candidate.project)
            for record in records:
                before = decision.before.get(str(record.pk))
                if before is not None and record.values != before:
                    record.values = before
                    record.save(update_fields=["values"])
            decision.undone_by = by
            decision.undone_at = timezone.now()
            decision.save(update_fields=["undone_by", "undone_at"])
            for record in records:
                index_record(record, keys)
        else:
            decision.undone_by = by
            decision.undone_at = timezone.now()
            decision.save(update_fields=["undone_by", "undone_at"])
        candidate.status = DuplicateCandidate.Status.OPEN
        candidate.save(update_fields=["status"])
        audit(
            "registers.duplicate_decision_undone",
            request=request,
            actor=by,
            obj=candidate.project,
            details={"candidate": candidate.pk, "decision": decision.pk, "kind": decision.kind},
        )
    return decision
