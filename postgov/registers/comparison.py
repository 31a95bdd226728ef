"""What the two entries of a record say, side by side, and how well operators and fields
agree: read-only, for the verifier's page and the project's table."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from postgov.registers.models import Decision, Keying, Record


def entries(record: Record) -> tuple[Keying | None, Keying | None]:
    submitted = {
        k.slot: k
        for k in record.keyings.filter(status=Keying.Status.SUBMITTED).select_related("operator")
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
    records: set = field(default_factory=set)

    @property
    def agreement(self) -> float | None:
        return 100 * self.agreed / self.fields if self.fields else None


def agreement_tables(project) -> tuple[list[Tally], list[Tally]]:
    """(per operator, per field): fields compared, how many the two entries agreed on, and
    errors the verifier attributed."""
    operators: dict[int, Tally] = {}
    by_field: dict[str, Tally] = {}
    pairs: dict[int, dict[int, Keying]] = defaultdict(dict)
    for keying in Keying.objects.filter(
        record__project=project, status=Keying.Status.SUBMITTED
    ).select_related("operator", "record__schema"):
        pairs[keying.record_id][keying.slot] = keying
    for pair in pairs.values():
        if len(pair) != 2:
            continue
        schema = pair[1].record.schema.fields
        for f in schema:
            key = f["key"]
            same = pair[1].values.get(key, "") == pair[2].values.get(key, "")
            tally = by_field.setdefault(key, Tally(key))
            tally.fields += 1
            tally.agreed += same
            for keying in pair.values():
                who = operators.setdefault(
                    keying.operator_id, Tally(keying.operator.full_name or keying.operator.username)
                )
                who.fields += 1
                who.agreed += same
                who.records.add(keying.record_id)
    for decision in Decision.objects.filter(record__project=project):
        for wrong, operator_id in (
            (decision.wrong_1, decision.operator_1_id),
            (decision.wrong_2, decision.operator_2_id),
        ):
            if wrong and operator_id in operators:
                operators[operator_id].errors += 1
            if wrong and decision.field_key in by_field:
                by_field[decision.field_key].errors += 1
    return sorted(operators.values(), key=lambda t: t.name), list(by_field.values())
