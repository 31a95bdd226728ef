"""Printable forms: A5/A4 PDFs with an embedded font that covers Vietnamese, Code 128
barcodes and QR codes drawn as vectors (crisp on any printer, no image files).

Noto Sans (SIL Open Font License, see fonts/OFL.txt) is embedded and subset by fpdf2,
so the text of every form is extractable and searchable.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import cast

import segno
from barcode import Code128
from fpdf import FPDF

FONTS = Path(__file__).resolve().parent / "fonts"
# Noto Sans cut to Latin with Vietnamese (bin/subset_fonts.py): read and subset by fpdf2 in
# about half the time, for documents whose every word is PostGov's own (reports), not for
# forms that print what a citizen typed.
VIETNAMESE_FONTS = FONTS / "vi"
FAMILY = "NotoSans"
# The full fonts under another name, for a form on the cut that must print a character
# outside it (`Form.fall_back_for`).
FALLBACK_FAMILY = "NotoSansFull"
STYLES = {"": "NotoSans-Regular.ttf", "B": "NotoSans-Bold.ttf", "I": "NotoSans-Italic.ttf"}
# Paper sizes in mm, given as numbers: fpdf2 warns about its own A5 name since 2.8.5.
PAPER = {"A5": (148, 210), "A4": (210, 297), "A6": (105, 148)}


class Form(FPDF):
    """A PostGov form: A5 portrait by default, Noto Sans, millimetres."""

    def __init__(
        self,
        *,
        format: str = "A5",
        orientation: str = "portrait",
        title: str = "",
        fonts: Path = FONTS,
    ):
        super().__init__(orientation=orientation, unit="mm", format=PAPER.get(format, format))
        for style, file in STYLES.items():
            self.add_font(FAMILY, style, fonts / file)
        self.font_files = fonts
        # The characters drawn from the full fonts (`fall_back_for`): a text with one must
        # go through fpdf2's text layout (cell, multi_cell), which picks the fallback, not
        # through `text`, which does not.
        self.outside_cut: frozenset[str] = frozenset()
        self.set_font(FAMILY, size=9)
        self.set_margins(10, 10, 10)
        self.set_auto_page_break(auto=True, margin=10)
        self.set_title(title)
        self.set_creator("PostGov")
        self.set_author("PostGov")
        self.add_page()

    def fall_back_for(self, texts: Iterable[str]) -> bool:
        """Give a form on a cut of the fonts the full fonts as fallback when one of `texts`
        (what it will print beside its own words) has a character the cut lacks, so that
        fpdf2 draws it from them rather than as an empty box; True when it does. The texts'
        characters are looked up once in the cut's character maps, read with the cut; a
        form that needs no fallback never reads the full fonts."""
        if self.outside_cut or self.font_files == FONTS:
            return bool(self.outside_cut)
        cut = [self.fonts[FAMILY.lower() + style] for style in STYLES]
        printed = set().union(*(set(text) for text in texts))
        self.outside_cut = frozenset(
            char
            for char in printed
            if char >= " "  # line breaks are layout, not glyphs
            and not all(ord(char) in font.cmap for font in cut)  # type: ignore[union-attr]
        )
        if not self.outside_cut:
            return False
        for style, file in STYLES.items():
            self.add_font(FALLBACK_FAMILY, style, FONTS / file)
        self.set_fallback_fonts([FALLBACK_FAMILY])
        return True

    def outside_the_cut(self, text: str) -> bool:
        """Whether `text` has a character `fall_back_for` found outside the cut."""
        return bool(self.outside_cut) and not self.outside_cut.isdisjoint(text)

    def heading(self, text: str, size: float = 12) -> None:
        self.set_font(FAMILY, "B", size)
        self.multi_cell(0, size * 0.5, text, align="C", new_x="LMARGIN", new_y="NEXT")
        self.set_font(FAMILY, "", 9)
        self.ln(1)

    def field(self, label: str, value: str, label_width: float = 40) -> None:
        """A "label: value" line; long values wrap under themselves."""
        self.set_font(FAMILY, "", 9)
        x = self.get_x()
        self.cell(label_width, 5, label)
        self.set_font(FAMILY, "B", 9)
        self.multi_cell(0, 5, value or "—", new_x="LMARGIN", new_y="NEXT")
        self.set_x(x)
        self.set_font(FAMILY, "", 9)

    def wrapped_height(
        self,
        text: str,
        width: float,
        line_height: float,
        style: str | None = None,
        size: float | None = None,
    ) -> float:
        """How tall `text` is when written by `multi_cell` in `width` mm at `line_height`,
        in the current font or the `style` and `size` given (the font is put back)."""
        family, current_style, current_size = self.font_family, self.font_style, self.font_size_pt
        if style is not None or size is not None:
            self.set_font(
                family,
                current_style if style is None else style,
                current_size if size is None else size,
            )
        # With output="LINES" fpdf2 returns the list of lines.
        lines = cast(
            list[str],
            self.multi_cell(width, line_height, text or " ", dry_run=True, output="LINES"),
        )
        self.set_font(family, current_style, current_size)
        return max(1, len(lines)) * line_height

    def code128(self, text: str, x: float, y: float, width: float, height: float) -> None:
        """Draw `text` as a Code 128 barcode filling `width` (quiet zones included)."""
        modules = Code128(text).build()[0]  # "1101001..." : 1 = bar, 0 = space
        quiet = 10
        unit = width / (len(modules) + 2 * quiet)
        self.set_fill_color(0, 0, 0)
        run_start = None
        for index, bit in enumerate(modules + "0"):
            if bit == "1" and run_start is None:
                run_start = index
            elif bit == "0" and run_start is not None:
                self.rect(
                    x + (quiet + run_start) * unit, y, (index - run_start) * unit, height, style="F"
                )
                run_start = None

    def qr(self, data: str, x: float, y: float, size: float) -> None:
        """Draw a QR code of `data`, `size` mm wide (quiet zone included)."""
        code = segno.make(data, error="m", micro=False)
        matrix = list(code.matrix_iter(border=2))
        unit = size / len(matrix)
        self.set_fill_color(0, 0, 0)
        for row_index, row in enumerate(matrix):
            for col_index, dark in enumerate(row):
                if dark:
                    self.rect(x + col_index * unit, y + row_index * unit, unit, unit, style="F")

    def signature_boxes(self, left: str, right: str, height: float = 22) -> None:
        """Two signature places side by side, e.g. the citizen and the clerk."""
        width = (self.w - self.l_margin - self.r_margin) / 2
        y = self.get_y() + 2
        self.set_font(FAMILY, "B", 9)
        self.set_xy(self.l_margin, y)
        self.cell(width, 5, left, align="C")
        self.cell(width, 5, right, align="C", new_x="LMARGIN", new_y="NEXT")
        self.set_font(FAMILY, "I", 7)
        self.cell(width, 4, "(Ký, ghi rõ họ tên)", align="C")
        self.cell(width, 4, "(Ký, ghi rõ họ tên)", align="C", new_x="LMARGIN", new_y="NEXT")
        self.set_font(FAMILY, "", 9)
        self.ln(height)

    def render(self) -> bytes:
        return bytes(self.output())


def vnd(amount: int) -> str:
    """26000 -> '26.000 ₫' (Vietnamese groups thousands with dots)."""
    return f"{amount:,}".replace(",", ".") + " ₫"
