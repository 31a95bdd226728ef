"""Operator statistics as data-entry teams keep them, and the stored agreement counters.

The keying page reports, with each field it saves, the keys pressed in that field and the
time since its last report, split into time keying and time paused; they add up on the
keying's `KeyingEffort`. When a keying is submitted, its effort goes to the operator's
`OperatorDay` (the day it was submitted). Comparisons, verifiers' decisions and immediate
re-keys add to `FieldCounter` and to the erring keying's day, in the same transaction, with
F() increments so that concurrent settlements do not lose counts. `recount` works the same
figures out from the rows; the `registers_rebuild_counters` command writes them back."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from postgov.registers.models import (
    Decision,
    FieldCounter,
    Keying,
    KeyingEffort,
    OperatorDay,
    Project,
)

# The keying page counts a gap longer than this without a key as a pause (keying.js keeps
# the same figure in PAUSE_MS).
PAUSE_SECONDS = 30
# A single report covers at most this much: anything longer is a page left open.
MOST_SECONDS = 30 * 60
MOST_KEYSTROKES = 5000


def add_effort(keying: Keying, keystrokes: int, active: float, paused: float) -> None:
    """Add one field's report to the keying's effort (inside the caller's transaction)."""
    keystrokes = max(0, min(int(keystrokes), MOST_KEYSTROKES))
    active = max(0.0, min(float(active), MOST_SECONDS))
    paused = max(0.0, min(float(paused), MOST_SECONDS))
    if not (keystrokes or active or paused):
        return
    amounts = {
        "keystrokes": F("keystrokes") + keystrokes,
        "active_seconds": F("active_seconds") + active,
        "paused_seconds": F("paused_seconds") + paused,
    }
    # One query for every report but a keying's first (the row exists from then on).
    if not KeyingEffort.objects.filter(keying=keying).update(**amounts):
        KeyingEffort.objects.get_or_create(keying=keying)
        KeyingEffort.objects.filter(keying=keying).update(**amounts)


def _day(keying: Keying) -> date:
    return timezone.localdate(keying.submitted_at or timezone.now())


def _bump_day(project_id: int, operator_id: int, day: date, **amounts) -> None:
    OperatorDay.objects.get_or_create(project_id=project_id, operator_id=operator_id, day=day)
    OperatorDay.objects.filter(project_id=project_id, operator_id=operator_id, day=day).update(
        **{name: F(name) + amount for name, amount in amounts.items()}
    )


def _bump_field(project_id: int, operator_id: int, key: str, **amounts) -> None:
    FieldCounter.objects.get_or_create(
        project_id=project_id, operator_id=operator_id, field_key=key
    )
    FieldCounter.objects.filter(
        project_id=project_id, operator_id=operator_id, field_key=key
    ).update(**{name: F(name) + amount for name, amount in amounts.items()})


def keyed(keying: Keying) -> None:
    """A keying was submitted: its record and effort go to the operator's day."""
    effort = KeyingEffort.objects.filter(keying=keying).first()
    _bump_day(
        keying.record.project_id,
        keying.operator_id,
        _day(keying),
        records=1,
        keystrokes=effort.keystrokes if effort else 0,
        active_seconds=effort.active_seconds if effort else 0,
        paused_seconds=effort.paused_seconds if effort else 0,
    )


def compared(project_id: int, fields: list[dict], first: Keying, second: Keying) -> None:
    """Two entries of a record were compared, field by field (the second as first keyed,
    before any re-key)."""
    seconds = _as_first_keyed(second)
    operators = [first.operator_id, second.operator_id]
    keys = ["", *(f["key"] for f in fields)]
    agreed = [k for k in keys[1:] if first.values.get(k, "") == seconds.get(k, "")]
    # Three statements for the whole record, whatever its number of fields: the missing
    # rows (a unique constraint keeps concurrent inserts to one), then F() increments.
    FieldCounter.objects.bulk_create(
        [
            FieldCounter(project_id=project_id, operator_id=op, field_key=key)
            for op in operators
            for key in keys
        ],
        ignore_conflicts=True,
    )
    mine = FieldCounter.objects.filter(project_id=project_id, operator_id__in=operators)
    mine.filter(field_key__in=keys).update(compared=F("compared") + 1)
    if agreed:
        mine.filter(field_key__in=agreed).update(agreed=F("agreed") + 1)


def _as_first_keyed(keying: Keying) -> dict:
    values = dict(keying.values)
    for rekey in keying.rekeys.all():
        values[rekey.field_key] = rekey.first_try
    return values


def erred(project_id: int, keying: Keying, key: str) -> None:
    """The operator of `keying` keyed `key` wrong (a decision or a re-key says so)."""
    _bump_field(project_id, keying.operator_id, key, errors=1)
    _bump_day(project_id, keying.operator_id, _day(keying), errors=1)


# -- working the same figures out from the rows --------------------------------------------


@dataclass
class Figures:
    fields: dict[tuple[int, str], dict[str, int]]
    days: dict[tuple[int, date], dict[str, float]]


def recount(project: Project) -> Figures:
    fields: dict[tuple[int, str], dict[str, int]] = defaultdict(
        lambda: {"compared": 0, "agreed": 0, "errors": 0}
    )
    days: dict[tuple[int, date], dict[str, float]] = defaultdict(
        lambda: {
            "records": 0,
            "keystrokes": 0,
            "active_seconds": 0.0,
            "paused_seconds": 0.0,
            "errors": 0,
        }
    )
    submitted = (
        Keying.objects.filter(record__project=project, status=Keying.Status.SUBMITTED)
        .select_related("record__schema")
        .prefetch_related("rekeys")
    )
    pairs: dict[int, dict[int, Keying]] = defaultdict(dict)
    efforts = {e.keying_id: e for e in KeyingEffort.objects.filter(keying__in=submitted)}
    for keying in submitted:
        pairs[keying.record_id][keying.slot] = keying
        day = days[(keying.operator_id, _day(keying))]
        day["records"] += 1
        effort = efforts.get(keying.pk)
        if effort:
            day["keystrokes"] += effort.keystrokes
            day["active_seconds"] += effort.active_seconds
            day["paused_seconds"] += effort.paused_seconds
    decisions: dict[int, list[Decision]] = defaultdict(list)
    for decision in Decision.objects.filter(record__project=project):
        decisions[decision.record_id].append(decision)
    for pair in pairs.values():
        if len(pair) != 2:
            continue
        first, second = pair[1], pair[2]
        seconds = _as_first_keyed(second)
        for keying in (first, second):
            fields[(keying.operator_id, "")]["compared"] += 1
        for f in first.record.schema.fields:
            same = int(first.values.get(f["key"], "") == seconds.get(f["key"], ""))
            for keying in (first, second):
                fields[(keying.operator_id, f["key"])]["compared"] += 1
                fields[(keying.operator_id, f["key"])]["agreed"] += same
        for rekey in second.rekeys.all():
            for wrong, keying in ((rekey.wrong_1, first), (rekey.wrong_2, second)):
                if wrong:
                    fields[(keying.operator_id, rekey.field_key)]["errors"] += 1
                    days[(keying.operator_id, _day(keying))]["errors"] += 1
        for decision in decisions.get(first.record_id, ()):
            for wrong, keying in ((decision.wrong_1, first), (decision.wrong_2, second)):
                if wrong:
                    fields[(keying.operator_id, decision.field_key)]["errors"] += 1
                    days[(keying.operator_id, _day(keying))]["errors"] += 1
    return Figures(dict(fields), dict(days))


def stored(project: Project) -> Figures:
    fields = {
        (c.operator_id, c.field_key): {
            "compared": c.compared,
            "agreed": c.agreed,
            "errors": c.errors,
        }
        for c in FieldCounter.objects.filter(project=project)
    }
    days = {
        (d.operator_id, d.day): {
            "records": d.records,
            "keystrokes": d.keystrokes,
            "active_seconds": d.active_seconds,
            "paused_seconds": d.paused_seconds,
            "errors": d.errors,
        }
        for d in OperatorDay.objects.filter(project=project)
    }
    return Figures(fields, days)


def rebuild(project: Project) -> Figures:
    """Replace the project's counters by a recount of its rows."""
    figures = recount(project)
    with transaction.atomic():
        FieldCounter.objects.filter(project=project).delete()
        OperatorDay.objects.filter(project=project).delete()
        FieldCounter.objects.bulk_create(
            FieldCounter(project=project, operator_id=op, field_key=key, **counts)
            for (op, key), counts in figures.fields.items()
        )
        OperatorDay.objects.bulk_create(
            OperatorDay(project=project, operator_id=op, day=day, **counts)
            for (op, day), counts in figures.days.items()
        )
    return figures


# -- reading ------------------------------------------------------------------------------


@dataclass
class OperatorFigures:
    name: str
    day: date | None
    records: int
    keystrokes: int
    active_seconds: float
    paused_seconds: float
    errors: int

    @property
    def records_per_hour(self) -> float | None:
        return self.records * 3600 / self.active_seconds if self.active_seconds else None

    @property
    def keystrokes_per_hour(self) -> float | None:
        return self.keystrokes * 3600 / self.active_seconds if self.active_seconds else None

    @property
    def active_hours(self) -> float:
        return self.active_seconds / 3600

    @property
    def paused_minutes(self) -> float:
        return self.paused_seconds / 60

    @property
    def errors_per_1000(self) -> float | None:
        return 1000 * self.errors / self.keystrokes if self.keystrokes else None


def operator_days(
    project: Project, *, days: int = 14, operator_id: int | None = None
) -> list[OperatorFigures]:
    """Per operator and day, the latest `days` days first (one operator's when given)."""
    rows = OperatorDay.objects.filter(project=project).select_related("operator")
    if operator_id is not None:
        rows = rows.filter(operator_id=operator_id)
    since = timezone.localdate() - timedelta(days=days - 1)
    return [
        OperatorFigures(
            d.operator.full_name or d.operator.username,
            d.day,
            d.records,
            d.keystrokes,
            d.active_seconds,
            d.paused_seconds,
            d.errors,
        )
        for d in rows.filter(day__gte=since).order_by("-day", "operator__username")
    ]


def operator_totals(project: Project, *, operator_id: int | None = None) -> list[OperatorFigures]:
    rows = OperatorDay.objects.filter(project=project)
    if operator_id is not None:
        rows = rows.filter(operator_id=operator_id)
    totals = (
        rows.values("operator", "operator__username", "operator__full_name")
        .annotate(
            r=Sum("records"),
            k=Sum("keystrokes"),
            a=Sum("active_seconds"),
            p=Sum("paused_seconds"),
            e=Sum("errors"),
        )
        .order_by("operator__username")
    )
    return [
        OperatorFigures(
            t["operator__full_name"] or t["operator__username"],
            None,
            t["r"],
            t["k"],
            t["a"],
            t["p"],
            t["e"],
        )
        for t in totals
    ]
