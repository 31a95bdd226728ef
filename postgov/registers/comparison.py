"""What the two entries of a record say, side by side, and how well operators and fields
agree: read-only, for the verifier's page and the project's table."""

from __future__ import annotations

from dataclasses import dataclass

from postgov.registers.models import FieldCounter, Keying, Record


def entries(record: Record) -> tuple[Keying | None, Keying | None]:
    submitted = {
        k.slot: k
        for k in record.keyings.filter(status=Keying.Status.SUBMITTED)
        .select_related("operator")
        .order_by("pk")
    }
    return submitted.get(1), submitted.get(2)


def differing_keys(fields: list[dict], first: dict, second: dict) -> list[str]:
    return [f["key"] for f in fields if first.get(f["key"], "") != second.get(f["key"], "")]


def keys_to_decide(record: Record) -> list[str]:
    """The differing fields; every field of a record in the quality sample."""
    first, second = entries(record)
    if first is None or second is None:
        return []
    fields = record.schema.fields
    if record.in_sample:
        return [f["key"] for f in fields]
    return differing_keys(fields, first.values, second.values)


@dataclass
class Tally:
    name: str
    fields: int = 0
    agreed: int = 0
    errors: int = 0
    records: int = 0

    @property
    def agreement(self) -> float | None:
        return 100 * self.agreed / self.fields if self.fields else None


def agreement_tables(project) -> tuple[list[Tally], list[Tally]]:
    """(per operator, per field): fields compared, how many the two entries agreed on, and
    errors attributed (by verifiers' decisions and immediate re-keys), read from the
    stored counters (`registers.stats`). A field's pair counts once per operator in the
    counters, so per field the comparisons are halved."""
    operators: dict[int, Tally] = {}
    by_field: dict[str, Tally] = {}
    order = [
        f["key"] for f in (project.current_schema().fields if project.current_schema() else [])
    ]
    for counter in FieldCounter.objects.filter(project=project).select_related("operator"):
        who = operators.setdefault(
            counter.operator_id, Tally(counter.operator.full_name or counter.operator.username)
        )
        if not counter.field_key:
            who.records += counter.compared
            continue
        who.fields += counter.compared
        who.agreed += counter.agreed
        who.errors += counter.errors
        tally = by_field.setdefault(counter.field_key, Tally(counter.field_key))
        tally.fields += counter.compared
        tally.agreed += counter.agreed
        tally.errors += counter.errors
    for tally in by_field.values():
        tally.fields //= 2
        tally.agreed //= 2
    rank = {key: i for i, key in enumerate(order)}
    return (
        sorted(operators.values(), key=lambda t: t.name),
        sorted(by_field.values(), key=lambda t: (rank.get(t.name, len(rank)), t.name)),
    )
