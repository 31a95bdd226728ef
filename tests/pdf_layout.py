"""Where the text of a PDF lands, read back with pypdf: for tests that check a printed form's
layout (rows that grow with their text, nothing printed over anything else)."""

from __future__ import annotations

import io
from dataclasses import dataclass

from pypdf import PdfReader


@dataclass(frozen=True)
class Line:
    page: int
    x: float  # points from the left edge
    baseline: float  # points from the bottom edge
    size: float  # font size in points
    text: str


def lines_of(data: bytes) -> list[Line]:
    """Every piece of text drawn, with its position: fpdf2 draws each line of a cell with
    its own text-positioning operator, so a piece is one line of one cell."""
    found: list[Line] = []
    for number, page in enumerate(PdfReader(io.BytesIO(data)).pages, start=1):

        def visit(text, cm, tm, font, size, number=number):
            if text.strip():
                x = tm[4] * cm[0] + cm[4]
                y = tm[5] * cm[3] + cm[5]
                scale = abs(tm[3] * cm[3]) or 1
                found.append(Line(number, round(x, 1), round(y, 1), size * scale, text.strip()))

        page.extract_text(visitor_text=visit)
    return found


def crowded_lines(data: bytes, *, leading: float = 1.0) -> list[tuple[Line, Line]]:
    """Pairs of lines that start at the same place across the page (the same column of a
    table, the same field) and sit closer than `leading` times their font size: one is
    printed over the other."""
    by_column: dict[tuple[int, float], list[Line]] = {}
    for line in lines_of(data):
        by_column.setdefault((line.page, line.x), []).append(line)
    crowded = []
    for column in by_column.values():
        column.sort(key=lambda line: -line.baseline)
        for upper, lower in zip(column, column[1:], strict=False):
            gap = upper.baseline - lower.baseline
            if 0 < gap < leading * max(upper.size, lower.size) or (
                gap == 0 and upper.text != lower.text
            ):
                crowded.append((upper, lower))
    return crowded
