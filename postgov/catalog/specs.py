"""What a procedure version says, as plain values, whatever it came from (a JSON or CSV
file, the admin, the database).

Comparing two versions' content is how an import decides between "unchanged" and "new
version"; it must not depend on the order fees happen to be stored in, nor on `1` vs
`1.0` for a processing time.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from postgov.catalog.models import ProcedureVersion

TENTH = Decimal("0.1")
_SPACES_AT_LINE_END = re.compile(r"[ \t]+\n")


def clean_text(value: str, *, multiline: bool = False) -> str:
    """Text as stored: NFC (a file saved on a Mac may come decomposed and would otherwise
    differ from the same words typed on Windows), trimmed, Unix line ends; one line
    unless `multiline`."""
    text = unicodedata.normalize("NFC", value or "").replace("\r\n", "\n").replace("\r", "\n")
    if multiline:
        return _SPACES_AT_LINE_END.sub("\n", text).strip()
    return " ".join(text.split("\n")).strip()


@dataclass(frozen=True)
class DocumentSpec:
    name: str
    form: str
    quantity: int = 1
    mandatory: bool = True
    note: str = ""


@dataclass(frozen=True)
class FeeSpec:
    name: str
    amount: int
    option: str = ""
    is_default: bool = False


@dataclass(frozen=True)
class VersionContent:
    processing_time: Decimal
    time_unit: str
    result_type: str
    next_day_after_15h: bool = False
    postal_allowed: bool = True
    postal_exclusion_reason: str = ""
    postal_check_allowed: bool = True
    online_level: str = ProcedureVersion.OnlineLevel.PARTIAL
    legal_basis: str = ""
    notes: str = ""
    documents: tuple[DocumentSpec, ...] = ()
    fees: tuple[FeeSpec, ...] = ()

    def comparable(self) -> tuple:
        """The content reduced to what matters: documents in their order, fees as a set."""
        fees = tuple(sorted((f.option, f.name, f.amount, f.is_default) for f in self.fees))
        return (
            self.processing_time.quantize(TENTH),
            self.time_unit,
            self.result_type,
            self.next_day_after_15h,
            self.postal_allowed,
            self.postal_exclusion_reason,
            self.postal_check_allowed,
            self.online_level,
            self.legal_basis,
            self.notes,
            self.documents,
            fees,
        )

    def same_as(self, other: VersionContent) -> bool:
        return self.comparable() == other.comparable()

    def version_fields(self) -> dict:
        """Keyword arguments for a `ProcedureVersion` (without documents and fees)."""
        return {
            "processing_time": self.processing_time.quantize(TENTH),
            "time_unit": self.time_unit,
            "next_day_after_15h": self.next_day_after_15h,
            "postal_allowed": self.postal_allowed,
            "postal_exclusion_reason": self.postal_exclusion_reason,
            "postal_check_allowed": self.postal_check_allowed,
            "result_type": self.result_type,
            "online_level": self.online_level,
            "legal_basis": self.legal_basis,
            "notes": self.notes,
        }


def content_of(version: ProcedureVersion) -> VersionContent:
    """The content of a stored version (use `prefetch_related("documents", "fees")` when
    reading many)."""
    return VersionContent(
        processing_time=version.processing_time,
        time_unit=version.time_unit,
        result_type=clean_text(version.result_type),
        next_day_after_15h=version.next_day_after_15h,
        postal_allowed=version.postal_allowed,
        postal_exclusion_reason=clean_text(version.postal_exclusion_reason),
        postal_check_allowed=version.postal_check_allowed,
        online_level=version.online_level,
        legal_basis=clean_text(version.legal_basis, multiline=True),
        notes=clean_text(version.notes, multiline=True),
        documents=tuple(
            DocumentSpec(
                name=clean_text(d.name),
                form=d.form,
                quantity=d.quantity,
                mandatory=d.mandatory,
                note=clean_text(d.note),
            )
            for d in sorted(version.documents.all(), key=lambda d: (d.position, d.pk))
        ),
        fees=tuple(
            FeeSpec(
                name=clean_text(f.name),
                amount=f.amount,
                option=clean_text(f.option),
                is_default=f.is_default,
            )
            for f in version.fees.all()
        ),
    )


@dataclass
class VersionSpec:
    """One version as read from a file; `effective_from=None` means "from the day it is
    imported"."""

    effective_from: date | None
    content: VersionContent
    where: Where


@dataclass
class ProcedureSpec:
    code: str
    name: str
    field: str
    agency_level: str
    where: Where
    # Qualified: inside this class `field` is the procedure's field of activity.
    versions: list[VersionSpec] = dataclasses.field(default_factory=list)


@dataclass(frozen=True)
class Where:
    """Where in a file a problem is: a CSV line, a JSON item path, or the whole file.
    `order` sorts the report in reading order."""

    vi: str
    en: str
    order: tuple = ()

    @classmethod
    def line(cls, number: int) -> Where:
        return cls(f"Dòng {number}", f"Line {number}", (number,))

    @classmethod
    def path(cls, path: str, order: tuple = ()) -> Where:
        return cls(f"Mục {path}", f"Item {path}", order)

    @classmethod
    def file(cls) -> Where:
        return cls("Tệp", "File", (0,))


@dataclass(frozen=True)
class Problem:
    """One problem found in an imported file. The report is stored and read later by
    whoever opens it, in either language, so both texts are written when it is found
    (`texts()`) and the page shows the one it speaks."""

    where: Where
    vi: str
    en: str

    def texts(self) -> dict[str, str]:
        # Messages quote what the file says; a NUL (a JSON "\u0000") would make the
        # stored report unsavable on PostgreSQL.
        return {
            "vi": f"{self.where.vi}: {self.vi}".replace("\x00", "␀"),
            "en": f"{self.where.en}: {self.en}".replace("\x00", "␀"),
        }

    def __str__(self) -> str:
        """Both texts, for a terminal (`manage.py import_catalog`)."""
        texts = self.texts()
        return f"{texts['vi']} / {texts['en']}"
