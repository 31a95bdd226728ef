"""Dossier codes: `<receiving unit code>-YYMMDD-XXXX` (Circular 01/2018 Art. 19), and the
post's own receipt and seal numbers.

Each sequence is per unit (or point) and day, kept in a `DailySequence` row moved on by
one upsert inside the sealing transaction (`postgov.lib.counters`): concurrent intakes
wait for each other on that row only, and a rolled-back intake gives its number back, so
there are no duplicates and no gaps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from postgov.dossiers.models import DailySequence
from postgov.dossiers.practice import CODE_PREFIX
from postgov.lib.counters import bump_many

KEY = ("unit_code", "day")


def _code(unit_code: str, day: date, value: int) -> str:
    # Four digits as the circular says; a unit receiving more than 9,999 dossiers a day
    # keeps counting with more digits rather than failing.
    return f"{unit_code}-{day:%y%m%d}-{value:04d}"


def _receipt(point_code: str, day: date, value: int) -> str:
    """The post's fee receipt (biên lai): per service point and day, like dossier codes."""
    return f"BL-{point_code}-{day:%y%m%d}-{value:04d}"


def _seal(point_code: str, day: date, value: int) -> str:
    """Printed on the seal sticker when the bag has no pre-numbered seal."""
    return f"NP-{point_code}-{day:%y%m%d}-{value:04d}"


def _series(kind: str, point_code: str) -> str:
    return f"{kind}:{point_code}"[:30]


def next_dossier_code(unit_code: str, day: date) -> str:
    key = (unit_code, day)
    return _code(unit_code, day, bump_many(DailySequence, [key], KEY)[key])


def next_receipt_number(point_code: str, day: date) -> str:
    key = (_series("receipt", point_code), day)
    return _receipt(point_code, day, bump_many(DailySequence, [key], KEY)[key])


def next_seal_number(point_code: str, day: date) -> str:
    key = (_series("seal", point_code), day)
    return _seal(point_code, day, bump_many(DailySequence, [key], KEY)[key])


def next_manifest_code(point_code: str, day: date, *, outbound: bool) -> str:
    """A manifest's number (bảng kê): `BK-<point>-YYMMDD-NNNN` for a trip to an agency,
    `TK-<point>-YYMMDD-NNNN` for a trip bringing results back, counted per point, direction
    and day like the dossier codes."""
    series = f"{'BK' if outbound else 'TK'}-{point_code}"
    key = (series, day)
    return _code(series, day, bump_many(DailySequence, [key], KEY)[key])


@dataclass(frozen=True)
class SealNumbers:
    code: str
    seal_number: str
    receipt_number: str


def seal_numbers(
    *, unit_code: str, point_code: str, day: date, seal: bool, receipt: bool
) -> SealNumbers:
    """The numbers a seal takes, in one statement: the point's own counters (seal sticker,
    receipt) first, the agency's dossier code last, so the row that many points share is
    locked last and for the shortest time."""
    keys = []
    if seal:
        keys.append((_series("seal", point_code), day))
    if receipt:
        keys.append((_series("receipt", point_code), day))
    keys.append((unit_code, day))
    values = bump_many(DailySequence, keys, KEY)
    return SealNumbers(
        code=_code(unit_code, day, values[(unit_code, day)]),
        seal_number=_seal(point_code, day, values[keys[0]]) if seal else "",
        receipt_number=_receipt(point_code, day, values[keys[int(seal)]]) if receipt else "",
    )


def practice_numbers(*, point_code: str, day: date) -> SealNumbers:
    """A practice seal's numbers (decision 0019): `TR-<point>-YYMMDD-NNNN` from the
    point's own training series, the seal and receipt numbers prefixed alike, so no
    agency's daily sequence or the point's real receipts move and no practice code can be
    taken for a real one."""
    series = f"{CODE_PREFIX}-{point_code}"[:30]
    key = (series, day)
    value = bump_many(DailySequence, [key], KEY)[key]
    code = _code(series, day, value)
    return SealNumbers(code=code, seal_number=f"{code}-S", receipt_number=f"{code}-B")
