"""Old address → new administrative units (the 2025 reform).

The old units are recognised by the offline LEGACY parser of `vietnamadminunits`
(`parse_address`, which reads names with or without diacritics); the old → new step uses
our own `CommuneSuccession` table. We never call the package's `convert_address`: for an
address with a street it geocodes through the network (geopy), and a post-office counter
must neither wait for nor leak addresses to a third-party service.

`convert_old_address` never raises on what a person typed; when it cannot recognise
enough, the result carries a message in the active language.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from postgov.lib.text import fold
from postgov.places.models import (
    Commune,
    CommuneSuccession,
    LegacyCommune,
    LegacyDistrict,
    LegacyProvince,
    Province,
)

logger = logging.getLogger(__name__)

MAX_ADDRESS_LENGTH = 300

EMPTY = _("Please enter the old address.")
TOO_LONG = _("The address is too long (at most %(limit)d characters).")
NOTHING_RECOGNISED = _(
    "No province was recognised in the address. Write the address as it was before "
    "1 July 2025: street, commune/ward, district, province, e.g. "
    "“Phường 1, thành phố Đông Hà, tỉnh Quảng Trị”."
)
PROVINCE_ONLY = _("Only the province was recognised, not the district nor the commune.")
DISTRICT_ONLY = _(
    "The commune was not recognised; the old district now lies in the new communes below."
)
NOT_LOADED = _("The administrative units are not loaded (command load_admin_units).")
UNREADABLE = _("This address could not be read. Please check the spelling.")


@dataclass
class ConversionResult:
    """What an old address became.

    `commune` is the new commune (the default one when the old commune was split) and
    `alternatives` the other new communes the address may belong to: the other parts of a
    split commune, or, when only the old district was recognised, every new commune that
    took over part of it (then `commune` is None). `message` says, in the active
    language, what could not be recognised; it is empty when the commune was found.
    """

    text: str
    street: str = ""
    old_province: LegacyProvince | None = None
    old_district: LegacyDistrict | None = None
    old_commune: LegacyCommune | None = None
    province: Province | None = None
    commune: Commune | None = None
    alternatives: list[Commune] = field(default_factory=list)
    message: str = ""

    @property
    def found(self) -> bool:
        return self.commune is not None

    @property
    def recognised_anything(self) -> bool:
        return self.old_province is not None

    @property
    def is_split(self) -> bool:
        return self.commune is not None and bool(self.alternatives)

    @property
    def old_address(self) -> str:
        units = [self.old_commune, self.old_district, self.old_province]
        return ", ".join([self.street] * bool(self.street) + [u.name for u in units if u])

    @property
    def new_address(self) -> str:
        if self.province is None:
            return ""
        units = [u.name for u in (self.commune, self.province) if u]
        return ", ".join([self.street] * bool(self.street) + units)


def _parse(text: str):
    # Imported here: the package loads its JSON tables and geopy at import, which costs
    # half a second that commands and pages not converting anything should not pay.
    from vietnamadminunits import ParseMode, parse_address

    return parse_address(text, mode=ParseMode.LEGACY, keep_street=True, level=3)


def _street_as_typed(text: str, parsed_street: str | None) -> str:
    """The parser title-cases the street ('So 5 Duong Hung Vuong'); give back the person's
    own writing when it is the same text."""
    if not parsed_street:
        return ""
    typed = " ".join(unicodedata.normalize("NFC", text).replace("-", " - ").split())
    prefix = typed[: len(parsed_street)]
    if fold(prefix) == fold(parsed_street):
        return prefix.strip(" ,.")
    return parsed_street.strip(" ,.")


def convert_old_address(text: str) -> ConversionResult:
    """Recognise the old units of `text` and return their successors."""
    text = text if isinstance(text, str) else ""
    result = ConversionResult(text=text)
    cleaned = " ".join(text.replace("\x00", " ").split())
    if not cleaned:
        result.message = str(EMPTY)
        return result
    if len(cleaned) > MAX_ADDRESS_LENGTH:
        result.message = str(TOO_LONG) % {"limit": MAX_ADDRESS_LENGTH}
        return result
    try:
        unit = _parse(cleaned)
    except Exception as exc:  # a third-party parser on untrusted text must not cause a 500
        # The exception type only: the text is a person's address and stays out of logs.
        logger.warning("old-address parser failed: %s", type(exc).__name__)
        result.message = str(UNREADABLE)
        return result

    if not unit.province_code:
        result.message = str(NOTHING_RECOGNISED)
        return result
    result.street = _street_as_typed(cleaned, unit.street)

    result.old_province = (
        LegacyProvince.objects.select_related("successor").filter(code=unit.province_code).first()
    )
    if result.old_province is None:
        result.message = str(NOT_LOADED)
        return result
    result.province = result.old_province.successor
    if unit.district_code:
        result.old_district = LegacyDistrict.objects.filter(code=unit.district_code).first()
    if unit.ward_code:
        result.old_commune = LegacyCommune.objects.filter(code=unit.ward_code).first()

    if result.old_commune is not None:
        successions = CommuneSuccession.objects.filter(legacy_commune=result.old_commune)
    elif result.old_district is not None:
        # A ward-less island district maps as a whole; any other district maps only
        # through its communes, which we list as candidates.
        successions = CommuneSuccession.objects.filter(
            legacy_district=result.old_district, legacy_commune=None
        )
        if not successions.exists():
            successions = CommuneSuccession.objects.filter(legacy_district=result.old_district)
            result.alternatives = sorted(_communes(successions), key=lambda c: c.name_folded)
            result.message = str(DISTRICT_ONLY)
            return result
    else:
        result.message = str(PROVINCE_ONLY)
        return result

    communes = _communes(successions)
    if not communes:
        result.message = str(NOT_LOADED)
        return result
    result.commune, result.alternatives = communes[0], communes[1:]
    result.province = result.commune.province
    return result


def _communes(successions) -> list[Commune]:
    """The distinct new communes of `successions`: the default one first, then by name."""
    seen: dict[int, Commune] = {}
    ordered = successions.select_related("commune__province").order_by(
        "-is_default", "commune__name_folded"
    )
    for row in ordered:
        seen.setdefault(row.commune_id, row.commune)
    return list(seen.values())
