"""Long work for a project runs in the worker as a Job: rendering an upload, an import, OCR,
deduplication, an export. The page that started it polls the job's row, so its progress
bar survives a reload, and a failure is kept in every language for whoever opens it later.

A runner is a function `runner(job, progress) -> dict` named in RUNNERS (by path, so this
module imports none of them); it reports with `progress.set_total()` / `progress.advance()`
(or, in phases, `progress.phase()` and `advance()` counting each phase from zero) and
raises JobFailed with a message for people. It must leave nothing half-done when it
fails (one transaction, or work that can be repeated), because a job stopped by a dead
worker may be started again."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, NotSupportedError, connection, connections, transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from postgov.audit.actions import record as audit
from postgov.identity.models import User
from postgov.lib.locking import lock_one
from postgov.registers.models import Job, Project

logger = logging.getLogger(__name__)

RUNNERS: dict[str, str] = {
    Job.Kind.UPLOAD: "postgov.registers.actions.run_upload",
    Job.Kind.IMPORT: "postgov.registers.imports.run_import",
    Job.Kind.EXPORT: "postgov.registers.exports.run_export",
    Job.Kind.OCR: "postgov.registers.ocr_jobs.run_reading",
    Job.Kind.ARCHIVE: "postgov.registers.archive.run_archive",
    Job.Kind.DEDUP: "postgov.registers.dedup_actions.run_dedup",
}
# A running job that has not reported for this long lost its worker.
STALLED_AFTER = timedelta(minutes=10)
# Progress is written at most this often (seconds), and always at the end.
REPORT_EVERY = 0.5


class JobFailed(Exception):
    """A reason for people: a lazy message and its parameters, so it can be shown in the
    language of whoever reads it (`str()` gives the active language)."""

    def __init__(self, message: Any, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params

    def __str__(self) -> str:
        text = str(self.message)
        return text % self.params if self.params else text

    def texts(self) -> dict[str, str]:
        """The message in every language the site speaks."""
        out = {}
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                out[code] = str(self)
        return out


class Progress:
    """Counts a runner's steps and writes them to the job's row now and then.

    Inside a transaction the row's new counts would show only at the commit (a bar that
    sits still while the records are written, then jumps): within `reporting_aside()`, on
    PostgreSQL, they go through a second connection of their own, in autocommit. SQLite has
    one writer at a time (a second connection could not write the row until the commit),
    so nothing there reports from inside a transaction: the import stages its rows outside
    it and writes the row as it goes (decision 0032); `reporting_aside()` is for PostgreSQL
    alone."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self._written = 0.0
        self._aside: Any = None

    def _counts(self) -> dict[str, Any]:
        return {
            "phase": self.job.phase,
            "done": self.job.done,
            "total": self.job.total,
            "heartbeat_at": timezone.now(),
        }

    def set_total(self, total: int) -> None:
        self.job.total = total
        self._write(force=True)

    def phase(self, phase: str, total: int = 0) -> None:
        """A new phase (Job.Phase), counted from zero; total 0 while it is not known."""
        self.job.phase = phase
        self.job.done = 0
        self.job.total = total
        self._write(force=True)

    def advance(self, steps: int = 1) -> None:
        self.job.done += steps
        self._write(force=bool(self.job.total) and self.job.done >= self.job.total)

    @contextmanager
    def reporting_aside(self) -> Iterator[None]:
        if connection.vendor != "postgresql":
            raise NotSupportedError("Progress is reported aside on PostgreSQL only.")
        # A new connection to the same database, not registered with Django's handler.
        aside = connections.create_connection(DEFAULT_DB_ALIAS)
        self._aside = aside
        try:
            yield
        finally:
            self._aside = None
            aside.close()

    def _write(self, *, force: bool) -> None:
        now = time.monotonic()
        if not force and now - self._written < REPORT_EVERY:
            return
        self._written = now
        counts = self._counts()
        if self._aside is None:
            Job.objects.filter(pk=self.job.pk).update(**counts)
            return
        table = self._aside.ops.quote_name(Job._meta.db_table)
        with self._aside.cursor() as cursor:
            cursor.execute(  # the table's own name, quoted; every value is a parameter
                f"UPDATE {table} SET phase = %s, done = %s, total = %s, heartbeat_at = %s "  # noqa: S608
                "WHERE id = %s",
                [*counts.values(), self.job.pk],
            )


def stalled(job: Job, now=None) -> bool:
    if job.state != Job.State.RUNNING:
        return False
    seen = job.heartbeat_at or job.started_at or job.created_at
    return (now or timezone.now()) - seen > STALLED_AFTER


@transaction.atomic
def start(
    kind: str,
    project: Project,
    *,
    by: User,
    params: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> Job:
    """A new job, queued for the worker in the same transaction (the task row commits
    with the job or not at all)."""
    job = Job.objects.create(project=project, kind=kind, params=params or {}, created_by=by)
    run_job.enqueue(job.pk)
    audit(
        "registers.job_started",
        request=request,
        actor=by,
        obj=project,
        details={"job": job.pk, "kind": kind},
    )
    return job


@transaction.atomic
def restart(job_pk: int, *, by: User, request: HttpRequest | None = None) -> Job:
    """Queue again a job whose worker died; its runner leaves nothing half-done."""
    job = lock_one(Job, job_pk)
    if not stalled(job):
        raise JobFailed(_("Only a job that stopped answering can be started again."))
    job.state = Job.State.QUEUED
    job.done = 0
    job.save(update_fields=["state", "done"])
    run_job.enqueue(job.pk)
    audit(
        "registers.job_restarted",
        request=request,
        actor=by,
        obj=job.project,
        details={"job": job.pk, "kind": job.kind},
    )
    return job


def _take(job_pk: int) -> Job | None:
    """The job, marked running, unless another worker already has it."""
    with transaction.atomic():
        job = Job.objects.filter(pk=job_pk).first()
        if job is None:
            return None
        job = lock_one(Job, job_pk)
        if job.state != Job.State.QUEUED:
            return None
        now = timezone.now()
        job.state = Job.State.RUNNING
        job.started_at = job.heartbeat_at = now
        job.save(update_fields=["state", "started_at", "heartbeat_at"])
    return job


def _finish(job: Job, state: str, **fields: Any) -> None:
    Job.objects.filter(pk=job.pk).update(state=state, finished_at=timezone.now(), **fields)


def run(job_pk: int) -> str:
    """Run a queued job to its end; what happened, for the task's result."""
    job = _take(job_pk)
    if job is None:
        return "not queued"
    runner = import_string(RUNNERS[job.kind])
    try:
        result = runner(job, Progress(job))
    except JobFailed as exc:
        _finish(job, Job.State.FAILED, failure=exc.texts())
        return "failed"
    except Exception:
        logger.exception("registers job %s (%s) failed", job.pk, job.kind)
        reason = JobFailed(
            _(
                "Something went wrong on the server and the job stopped. Nothing was kept; "
                "try again, or tell the administrator."
            )
        )
        _finish(job, Job.State.FAILED, failure=reason.texts())
        return "failed"
    _finish(job, Job.State.DONE, result=result or {}, done=job.total)
    return "done"


@task()
def run_job(job_pk: int) -> str:
    return run(job_pk)
