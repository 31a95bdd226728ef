"""Dossier codes: `<receiving unit code>-YYMMDD-XXXX` (Circular 01/2018 Art. 19).

The sequence is per receiving unit and day, allocated inside the sealing transaction on a
locked counter row: concurrent intakes wait for each other on that row only, and a
rolled-back intake gives its number back, so there are no duplicates and no gaps.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction

from postgov.dossiers.models import DailySequence
from postgov.lib.locking import locked_get_or_create


def next_dossier_code(unit_code: str, day: date) -> str:
    with transaction.atomic():
        counter = locked_get_or_create(DailySequence, unit_code=unit_code, day=day)
        counter.last_value += 1
        counter.save(update_fields=["last_value"])
    # Four digits as the circular says; a unit receiving more than 9,999 dossiers a day
    # keeps counting with more digits rather than failing.
    return f"{unit_code}-{day:%y%m%d}-{counter.last_value:04d}"
