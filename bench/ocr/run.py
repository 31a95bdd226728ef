#!/usr/bin/env python
"""Character error rate of the workroom's text recognition on pages with known Vietnamese
text (`postgov/registers/tests/pages.py`): clean at 300, 200 and 150 dpi, and degraded
(lower resolution, blur, a page put in askew, JPEG compression, specks), each read through
the real path (`registers.ocr.read_page`: OCRmyPDF and Tesseract, Vietnamese) with and
without the Vietnamese alphabet, and prepared four ways: as scanned, straightened
(deskew), straightened and cleaned by unpaper, and the same without unpaper's noise filter.

CER = Levenshtein distance between the known text and what was read (whitespace collapsed)
divided by the known text's length, summed over the pages. No database is needed.

Usage: python bench/ocr/run.py [--points 11] [--json results.json]
Needs the Debian packages tesseract-ocr, tesseract-ocr-vie, ocrmypdf and unpaper.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
# Without POSTGOV_ENV PostGov runs as production; this is a developer's tool.
os.environ.setdefault("POSTGOV_ENV", "development")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "postgov.settings")


def main(argv: list[str]) -> int:
    import django

    django.setup()
    from postgov.registers import ocr
    from postgov.registers.tests import pages

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=float, default=11, help="type size of the pages")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--only", default="", help="only the settings whose name has this")
    parser.add_argument(
        "--prepare", nargs="*", default=list(ocr.PREPARATIONS), help="preparations to compare"
    )
    args = parser.parse_args(argv)
    if ocr.problem() is not None:
        print(str(ocr.problem()), file=sys.stderr)
        return 2
    rows = []
    print(f"type {args.points:g} pt, {len(pages.TEXTS)} pages per setting")
    print(f"{'setting':52} {'prepared':>15} {'alphabet':>8} {'CER %':>7} {'s/page':>7}")
    for setting in [s for s in pages.SETTINGS if args.only in s.name]:
        scans = [
            pages.page(text, setting, points=args.points, seed=n)
            for n, text in enumerate(pages.TEXTS)
        ]
        for prepare in args.prepare:
            for alphabet in (True, False):
                errors = length = 0
                started = time.monotonic()
                for text, scan in zip(pages.TEXTS, scans, strict=True):
                    read = ocr.read_page(scan, prepare=prepare, alphabet=alphabet)
                    truth = " ".join(text.split())
                    errors += round(ocr.cer(text, read.text) * len(truth))
                    length += len(truth)
                seconds = (time.monotonic() - started) / len(scans)
                rate = 100 * errors / length
                rows.append(
                    {
                        "setting": setting.name,
                        "alphabet": alphabet,
                        "prepared": prepare,
                        "cer_percent": round(rate, 2),
                        "seconds_per_page": round(seconds, 1),
                    }
                )
                print(
                    f"{setting.name:52} {prepare:>15} {'yes' if alphabet else 'no':>8} "
                    f"{rate:7.2f} {seconds:7.1f}",
                    flush=True,
                )
    if args.json:
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
