"""What importing a set of procedure specs would change, decided before anything is
written.

For each version in the file, in date order:
- the same content already stored with the same start date → unchanged (so re-importing
  an export, history included, changes nothing);
- the same content as the version in force on that date → unchanged (a spreadsheet
  re-imported another day, with the date left blank, changes nothing);
- otherwise a new version starting that day (blank = the day of the import), which closes
  the one before. History is never rewritten: a changed version may not start before the
  latest stored one, nor on the same past day (that would silently re-date it — the
  person probably forgot to change the date).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Prefetch

from postgov.catalog.models import Procedure, ProcedureVersion
from postgov.catalog.specs import (
    Problem,
    ProcedureSpec,
    VersionContent,
    VersionSpec,
    Where,
    content_of,
)


@dataclass
class _KnownVersion:
    effective_from: date
    effective_to: date | None
    number: int
    content: VersionContent
    from_this_file: bool = False


@dataclass
class PlannedVersion:
    effective_from: date
    content: VersionContent
    where: Where


@dataclass
class ProcedurePlan:
    spec: ProcedureSpec
    procedure: Procedure | None
    changed_fields: list[str] = field(default_factory=list)
    new_versions: list[PlannedVersion] = field(default_factory=list)
    unchanged_versions: int = 0

    @property
    def status(self) -> str:
        if self.procedure is None:
            return "new"
        return "changed" if self.changed_fields or self.new_versions else "unchanged"


@dataclass
class ImportPlan:
    procedures: list[ProcedurePlan]
    problems: list[Problem]
    problem_total: int = 0

    def counts(self) -> dict[str, int]:
        statuses = [plan.status for plan in self.procedures]
        return {
            "procedures": len(self.procedures),
            "new": statuses.count("new"),
            "changed": statuses.count("changed"),
            "unchanged": statuses.count("unchanged"),
            "new_versions": sum(len(plan.new_versions) for plan in self.procedures),
        }

    def report(self) -> dict:
        """A JSON-able summary, stored with an upload and shown on the import page."""
        return {
            "problems": [problem.texts() for problem in self.problems],
            "problem_total": max(self.problem_total, len(self.problems)),
            "counts": self.counts(),
            "procedures": [
                {
                    "code": plan.spec.code,
                    "name": plan.spec.name,
                    "status": plan.status,
                    "changed_fields": plan.changed_fields,
                    "new_versions": [v.effective_from.isoformat() for v in plan.new_versions],
                }
                for plan in self.procedures
            ],
        }


def _stored(procedures: list[Procedure]) -> dict[str, list[_KnownVersion]]:
    return {
        procedure.code: [
            _KnownVersion(v.effective_from, v.effective_to, v.version, content_of(v))
            for v in procedure.versions.all()
        ]
        for procedure in procedures
    }


def _in_force(history: list[_KnownVersion], on: date) -> _KnownVersion | None:
    candidates = [
        v
        for v in history
        if v.effective_from <= on and (v.effective_to is None or v.effective_to >= on)
    ]
    return max(candidates, key=lambda v: (v.effective_from, v.number), default=None)


def _plan_version(
    spec: VersionSpec, history: list[_KnownVersion], today: date
) -> tuple[PlannedVersion | None, Problem | None]:
    """Whether `spec` is a new version of `history` (which it then joins), or a problem."""
    start = spec.effective_from or today
    for known in history:
        if known.effective_from == start and known.content.same_as(spec.content):
            known.from_this_file = True
            return None, None
    current = _in_force(history, start)
    if current is not None and current.content.same_as(spec.content):
        return None, None
    latest = max(history, key=lambda v: (v.effective_from, v.number), default=None)
    if latest is not None and start < latest.effective_from:
        return None, Problem(
            spec.where,
            f"ngày hiệu lực {start:%d/%m/%Y} sớm hơn phiên bản mới nhất (v{latest.number}, từ "
            f"{latest.effective_from:%d/%m/%Y}); không thể sửa lịch sử, hãy ghi ngày mới",
            f"effective date {start:%Y-%m-%d} is before the latest version (v{latest.number}, "
            f"from {latest.effective_from:%Y-%m-%d}); history cannot be rewritten, give a new "
            "date",
        )
    if (
        latest is not None
        and start == latest.effective_from
        and start < today
        and not latest.from_this_file
    ):
        return None, Problem(
            spec.where,
            f"nội dung đã thay đổi nhưng ngày hiệu lực {start:%d/%m/%Y} trùng phiên bản hiện có "
            f"(v{latest.number}); hãy ghi ngày hiệu lực mới hoặc để trống để áp dụng từ hôm nay",
            f"the content changed but the effective date {start:%Y-%m-%d} is that of the "
            f"stored version v{latest.number}; give a new date, or leave it blank for today",
        )
    if latest is not None and (latest.effective_to is None or latest.effective_to >= start):
        latest.effective_to = max(latest.effective_from, start - timedelta(days=1))
    number = latest.number + 1 if latest else 1
    history.append(_KnownVersion(start, None, number, spec.content, from_this_file=True))
    return PlannedVersion(start, spec.content, spec.where), None


def plan_import(specs: list[ProcedureSpec], today: date) -> ImportPlan:
    versions = ProcedureVersion.objects.prefetch_related("documents", "fees")
    existing = {
        procedure.code: procedure
        for procedure in Procedure.objects.filter(code__in=[s.code for s in specs])
        .prefetch_related(Prefetch("versions", queryset=versions))
        .order_by()
    }
    histories = _stored(list(existing.values()))
    plans: list[ProcedurePlan] = []
    problems: list[Problem] = []
    for spec in specs:
        procedure = existing.get(spec.code)
        plan = ProcedurePlan(spec, procedure)
        if procedure is not None:
            plan.changed_fields = [
                name
                for name in ("name", "field", "agency_level")
                if getattr(procedure, name) != getattr(spec, name)
            ]
        history = histories.setdefault(spec.code, [])
        starts: dict[date, VersionSpec] = {}
        ordered = sorted(spec.versions, key=lambda v: v.effective_from or today)
        for version in ordered:
            start = version.effective_from or today
            if start in starts and starts[start].content.same_as(version.content):
                problems.append(
                    Problem(
                        version.where,
                        f"phiên bản từ {start:%d/%m/%Y} bị lặp lại",
                        f"the version from {start:%Y-%m-%d} is repeated",
                    )
                )
                continue
            starts[start] = version
            planned, problem = _plan_version(version, history, today)
            if problem is not None:
                problems.append(problem)
            elif planned is not None:
                plan.new_versions.append(planned)
            else:
                plan.unchanged_versions += 1
        plans.append(plan)
    problems.sort(key=lambda problem: problem.where.order)
    return ImportPlan(plans, problems, len(problems))
