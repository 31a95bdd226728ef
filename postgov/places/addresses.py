"""An address, kept as its parts and printed once.

Records keep the street/house line apart from the commune (a current unit, which gives
the province). `one_line` is the only way an address is printed, on pages, slips, labels
and PDFs: the street line, then the commune and the province, each once, in the units
since 1 July 2025.

People type (and ID-card QR codes carry) whole addresses, so `split_address` keeps only the
street line when a record is saved: it reads an address still written in the old units with
the offline converter, and `street_line` takes off the trailing parts that name the record's
commune or province.
"""

from __future__ import annotations

from postgov.lib.text import fold
from postgov.places.conversion import convert_old_address
from postgov.places.models import Commune, Province

# Words that may stand before a unit's short name ("tp Đông Hà", "tỉnh Quảng Trị").
_UNIT_WORDS = ("", "xa ", "phuong ", "dac khu ", "tinh ", "thanh pho ", "tp ", "tp. ")


def _unit_forms(unit: Commune | Province | None) -> set[str]:
    if unit is None:
        return set()
    forms = {fold(unit.name)}
    if unit.short_name:
        forms |= {word + fold(unit.short_name) for word in _UNIT_WORDS}
    return forms


def _parts(text: str) -> list[str]:
    return [part.strip(" .") for part in (text or "").replace("\x00", " ").split(",")]


def street_line(text: str, commune: Commune | None) -> str:
    """`text` without the trailing parts that name `commune` or its province."""
    parts = _parts(text)
    if commune is not None:
        names = _unit_forms(commune) | _unit_forms(commune.province)
        while parts and (not parts[-1] or fold(parts[-1]) in names):
            parts.pop()
    return ", ".join(" ".join(part.split()) for part in parts if part)


def split_old_address(text: str, commune: Commune | None) -> str | None:
    """The street line of an address written in the old units, when the converter reads
    them as `commune` (or one of the parts a split old commune became); None when it
    cannot say so."""
    if commune is None or not (text or "").strip():
        return None
    result = convert_old_address(text)
    if result.commune is None:
        return None
    if commune.pk not in {result.commune.pk, *(c.pk for c in result.alternatives)}:
        return None
    return street_line(result.street, commune)


def split_address(text: str, commune: Commune | None) -> str:
    """What a record keeps of a typed address: its street line. The old units are read
    first: an old district may share its name with the new commune ("Phường 1, Đông Hà"
    lies in "Phường Đông Hà"), and taking that name off would leave the old ward behind."""
    old = split_old_address(text, commune)
    return street_line(text, commune) if old is None else old


def one_line(street: str, commune: Commune | None, province: Province | None = None) -> str:
    """'Khu phố 3, Phường Đông Hà, Tỉnh Quảng Trị': the street line, the commune and its
    province, each once."""
    line = street_line(street, commune)
    units = []
    if commune is not None:
        units = [commune.name, commune.province.name]
    elif province is not None:
        parts = _parts(line)
        if not parts or fold(parts[-1]) not in _unit_forms(province):
            units = [province.name]
    return ", ".join(part for part in (line, *units) if part)


def split_saved_addresses(queryset, street_field: str, commune_field: str) -> int:
    """Keep only the street line of rows saved with whole addresses (a data migration);
    a row whose units cannot be told apart from its street stays as it was."""
    rows = (
        queryset.exclude(**{street_field: ""})
        .exclude(**{commune_field: None})
        .select_related(f"{commune_field}__province")
    )
    changes = {}
    for row in rows.iterator():
        text = getattr(row, street_field)
        street = split_address(text, getattr(row, commune_field))
        if street != text:
            changes[row.pk] = street
    # Written once the reading is done: no row is updated under an open cursor.
    for pk, street in changes.items():
        queryset.filter(pk=pk).update(**{street_field: street})
    return len(changes)
