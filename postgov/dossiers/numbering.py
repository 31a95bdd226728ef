"""Dossier codes: `<receiving unit code>-YYMMDD-XXXX` (Circular 01/2018 Art. 19).

The sequence is per receiving unit and day, allocated inside the sealing transaction on a
locked counter row: concurrent intakes wait for each other on that row only, and a
rolled-back intake gives its number back, so there are no duplicates and no gaps. No
savepoint of their own: a counter that fails fails the seal around it.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction

from postgov.dossiers.models import DailySequence
from postgov.lib.locking import locked_get_or_create


def next_dossier_code(unit_code: str, day: date) -> str:
    with transaction.atomic(savepoint=False):
        counter = locked_get_or_create(DailySequence, unit_code=unit_code, day=day)
        counter.last_value += 1
        counter.save(update_fields=["last_value"])
    # Four digits as the circular says; a unit receiving more than 9,999 dossiers a day
    # keeps counting with more digits rather than failing.
    return f"{unit_code}-{day:%y%m%d}-{counter.last_value:04d}"


def _next_in_series(series: str, day: date) -> int:
    with transaction.atomic(savepoint=False):
        counter = locked_get_or_create(DailySequence, unit_code=series[:30], day=day)
        counter.last_value += 1
        counter.save(update_fields=["last_value"])
    return counter.last_value


def next_receipt_number(point_code: str, day: date) -> str:
    """The post's fee receipt (biên lai): per service point and day, like dossier codes."""
    return f"BL-{point_code}-{day:%y%m%d}-{_next_in_series(f'receipt:{point_code}', day):04d}"


def next_seal_number(point_code: str, day: date) -> str:
    """Printed on the seal sticker when the bag has no pre-numbered seal."""
    return f"NP-{point_code}-{day:%y%m%d}-{_next_in_series(f'seal:{point_code}', day):04d}"
