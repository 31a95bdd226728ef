"""The keying modes other than blind double keying (docs/decisions/0012).

Immediate verification (dependent verification): the second operator keys blind, and a
field they leave with a value other than the first entry's is flagged, without showing
the first entry, to be keyed again from the scan; that second try is their decision and
the record settles when they submit (a verifier sees only the quality sample).

Double keying of a sample: one entry per record; when it is submitted a share of the
records (`sample_percent`) is drawn for a second blind entry and the comparison, the
rest settle on the single entry.

In both, the second slot is served only once the first entry is in."""

from __future__ import annotations

import random

from django.utils import timezone
from django.utils.translation import gettext as _

from postgov.registers import schemas, settled, stats
from postgov.registers.models import Keying, Project, Record, Rekey

Mode = Project.KeyingMode

# Which records are drawn; tests seed it. Not a secret: a sample for quality, not access.
chance = random.Random()


def second_waits(row: Record, held: list[Keying]) -> bool:
    """Whether the record's second slot must wait for its first entry."""
    if row.project.keying_mode == Mode.BLIND_DOUBLE:
        return False
    return not any(k.slot == 1 and k.status == Keying.Status.SUBMITTED for k in held)


def drawn(percent: int) -> bool:
    return chance.randrange(100) < percent


def first_entry(keying: Keying) -> Keying | None:
    """The submitted first entry when `keying` is checked against it as it is keyed."""
    if keying.slot != 2 or keying.record.project.keying_mode != Mode.IMMEDIATE:
        return None
    return keying.record.keyings.filter(slot=1, status=Keying.Status.SUBMITTED).first()


def differs_message() -> str:
    return _("This differs from the first entry: key it again from the scan.")


def rekey_step(keying: Keying, key: str, value: str, first: Keying) -> bool:
    """One clean value of the second operator for `key`; True when it is flagged to be
    keyed again. A flagged field's next value is the operator's decision."""
    expected = first.values.get(key, "")
    rekey = Rekey.objects.filter(keying=keying, field_key=key).first()
    if rekey is None:
        if value == expected:
            return False
        Rekey.objects.create(keying=keying, field_key=key, first_entry=expected, first_try=value)
        return True
    rekey.second_try = value
    rekey.save(update_fields=["second_try"])
    return False


def unconfirmed(keying: Keying, clean: dict, fields: list[dict]) -> dict[str, str]:
    """On submitting a second entry under immediate verification: the fields that differ
    from the first entry and were not keyed again, flagged now."""
    first = first_entry(keying)
    if first is None:
        return {}
    return {
        f["key"]: differs_message()
        for f in fields
        if rekey_step(keying, f["key"], clean.get(f["key"], ""), first)
    }


def pending_keys(keying: Keying) -> set[str]:
    # only a second entry under immediate verification is ever asked to key a value again
    if keying.slot != 2 or keying.record.project.keying_mode != Mode.IMMEDIATE:
        return set()
    return set(keying.rekeys.filter(second_try__isnull=True).values_list("field_key", flat=True))


def after_submit(row: Record, keying: Keying, compare) -> None:
    """What a submitted entry does to its (locked) record in the project's mode;
    `compare` is blind double keying's comparison."""
    mode = row.project.keying_mode
    if mode == Mode.SAMPLE_DOUBLE and keying.slot == 1:
        if not drawn(row.project.sample_percent):
            _settle_on(row, keying)
        return
    first = (
        row.keyings.filter(slot=1, status=Keying.Status.SUBMITTED).first()
        if mode == Mode.IMMEDIATE and keying.slot == 2
        else None
    )
    # A project switched to immediate verification may hold a second entry keyed before
    # the first was in: it is compared the blind way when the first arrives.
    if first is not None:
        stats.compared(row.project_id, schemas.fields_of(row.schema_id), first, keying)
        if drawn(row.project.sample_percent):
            row.in_sample = True
            row.status = Record.Status.ADJUDICATION
            row.save(update_fields=["in_sample", "status"])
            return
        for rekey in keying.rekeys.exclude(second_try__isnull=True):
            final = keying.values.get(rekey.field_key, "")
            rekey.wrong_1 = rekey.first_entry != final
            rekey.wrong_2 = rekey.first_try != final
            rekey.save(update_fields=["wrong_1", "wrong_2"])
            if rekey.wrong_1:
                stats.erred(row.project_id, first, rekey.field_key)
            if rekey.wrong_2:
                stats.erred(row.project_id, keying, rekey.field_key)
        _settle_on(row, keying)
        return
    compare(row)


def _settle_on(row: Record, keying: Keying) -> None:
    row.values = dict(keying.values)
    row.status = Record.Status.SETTLED
    row.settled_at = timezone.now()
    row.save(update_fields=["values", "status", "settled_at"])
    settled.index(row)
