#!/usr/bin/env python
"""Make the Vietnamese cut of Noto Sans (postgov/lib/fonts/vi/) from the full fonts.

Long documents whose every word is ours (the monthly report) embed this cut: a third of
the glyphs (Latin with Vietnamese, punctuation, currency, arrows and mathematical signs;
no Greek or Cyrillic), no OpenType layout tables (fpdf2 drops them when it embeds a font)
and no hinting (PDF viewers draw the outlines at any size), so fpdf2 reads and subsets it
in about half the time. Forms that print what citizens type keep the full fonts.

Usage: bin/subset_fonts.py (run again after the full fonts change; the result is committed)
"""

from __future__ import annotations

from pathlib import Path

from fontTools import subset

FONTS = Path(__file__).resolve().parents[1] / "postgov" / "lib" / "fonts"
UNICODES = (
    "U+0020-007E,U+00A0-024F,U+0300-036F,U+1E00-1EFF,U+2000-206F,U+20A0-20CF,"
    "U+2100-214F,U+2190-21FF,U+2200-22FF,U+25A0-25FF"
)


def main() -> None:
    target = FONTS / "vi"
    target.mkdir(exist_ok=True)
    for style in ("Regular", "Bold", "Italic"):
        source = FONTS / f"NotoSans-{style}.ttf"
        subset.main(
            [
                str(source),
                f"--unicodes={UNICODES}",
                "--layout-features=",
                "--drop-tables+=GSUB,GPOS,GDEF,DSIG",
                "--no-hinting",
                f"--output-file={target / source.name}",
            ]
        )
        print(target / source.name, (target / source.name).stat().st_size)


if __name__ == "__main__":
    main()
