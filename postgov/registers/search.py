"""Finding records by what was read on their pages and what was keyed, without diacritics:
the query is folded like the stored copies (`lib.text.fold`: lower case, no marks, đ as d),
so one `contains` on a plain column works the same on SQLite and PostgreSQL. Lists show ID
numbers by their last four digits only."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q, QuerySet

from postgov.lib.text import fold, search_terms
from postgov.registers.fields import parse_partial_date, shown
from postgov.registers.models import PageText, Project, Record, RecordIndex, localised

LIMIT = 50
SNIPPET_LINES = 3
# Keyed values a result shows, by field type; ID numbers only by their last four digits.
LISTED_TYPES = ("si_code", "text", "date", "id_number")
LISTED_FIELDS = 5


def masked(number: str) -> str:
    """'045085000123' -> '••••••••0123'."""
    return "•" * max(0, len(number) - 4) + number[-4:]


@dataclass
class Query:
    text: str = ""
    code: str = ""
    name: str = ""
    birth_date: str = ""
    box: str = ""

    @property
    def empty(self) -> bool:
        return not any((self.text, self.code, self.name, self.birth_date, self.box))


@dataclass
class Found:
    record: Record
    thumbnail: int | None  # the first page's pk
    lines: list[str] = field(default_factory=list)
    values: list[tuple[str, str]] = field(default_factory=list)
    index: RecordIndex | None = None


def birth_filter(text: str) -> Q:
    """A birth date as typed ('12/5/1985', '5/1985', '1985') against the stored form
    (dd/mm/yyyy, mm/yyyy or yyyy as the register has it): a year finds every date of that
    year, a month every date of that month. ValueError when it is not a date."""
    value, _first = parse_partial_date(text)
    if len(value) == 10:
        return Q(index__birth_date=value)
    return Q(index__birth_date=value) | Q(index__birth_date__endswith="/" + value)


def records(project: Project, query: Query) -> QuerySet[Record]:
    """The project's records matching every part of the query."""
    found = Record.objects.filter(project=project)
    for term in search_terms(query.text):
        on_page = PageText.objects.filter(page__record=OuterRef("pk"), folded__contains=term)
        keyed = RecordIndex.objects.filter(record=OuterRef("pk"), values_folded__contains=term)
        found = found.filter(Exists(on_page) | Exists(keyed))
    code = re.sub(r"[\s.-]", "", query.code)
    if code:
        found = found.filter(index__si_code__startswith=code)
    for term in search_terms(query.name):
        found = found.filter(index__name_folded__contains=term)
    if query.birth_date.strip():
        found = found.filter(birth_filter(query.birth_date))
    if query.box.strip():
        found = found.filter(index__box=fold(query.box))
    return found.select_related("batch", "schema").order_by("pk")


def _lines(texts: list[str], terms: list[str]) -> list[str]:
    """The lines that show best why a record was found: most query words matched as whole
    words first, then as parts of words ('ha' is in 'hanh'), in their page order."""
    scored: list[tuple[int, int, int, str]] = []
    for text in texts:
        for line in text.split("\n"):
            folded = fold(line)
            words = set(folded.split())
            parts = sum(term in folded for term in terms)
            if line.strip() and parts:
                whole = sum(term in words for term in terms)
                scored.append((-whole, -parts, len(scored), line.strip()))
    best = sorted(scored)[:SNIPPET_LINES]
    return [line for *_rank, order, line in sorted(best, key=lambda row: row[2])]


def listed_values(row: Record) -> list[tuple[str, str]]:
    """Up to five keyed values of a settled record for a list, ID numbers masked."""
    out = []
    for spec in row.schema.fields:
        value = str((row.values or {}).get(spec["key"], ""))
        if not value or spec["type"] not in LISTED_TYPES:
            continue
        text = masked(value) if spec["type"] == "id_number" else shown(spec, value)
        out.append((localised(spec["label"]), text))
        if len(out) >= LISTED_FIELDS:
            break
    return out


def results(project: Project, query: Query) -> list[Found]:
    rows = list(records(project, query)[:LIMIT])
    terms = search_terms(query.text)
    texts: dict[int, list[str]] = {}
    first_page: dict[int, int] = {}
    for text in PageText.objects.filter(page__record__in=rows).order_by(
        "page__record", "page__number"
    ):
        texts.setdefault(text.page.record_id, []).append(text.text)
    for row in rows:
        page = row.pages.order_by("number").first()
        if page is not None:
            first_page[row.pk] = page.pk
    indexes = {i.record_id: i for i in RecordIndex.objects.filter(record__in=rows)}
    return [
        Found(
            record=row,
            thumbnail=first_page.get(row.pk),
            lines=_lines(texts.get(row.pk, []), terms) if terms else [],
            values=listed_values(row) if row.status == Record.Status.SETTLED else [],
            index=indexes.get(row.pk),
        )
        for row in rows
    ]


def prefill(row: Record) -> list[tuple[int, str]]:
    """The text read on the record's pages, for the keying page, only when the project lets
    operators see it; otherwise nothing (operators key from the scan alone)."""
    if not row.project.ocr_prefill:
        return []
    return [
        (text.page.number, text.text)
        for text in PageText.objects.filter(page__record=row)
        .select_related("page")
        .order_by("page__number")
    ]
