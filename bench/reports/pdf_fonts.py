#!/usr/bin/env python
"""What the monthly PDF's font fallback costs: the report drawn on the Vietnamese cut of
Noto Sans as before (the check skipped), the same with the check of its names against the
cut's character map (an ordinary report: the cut alone), and with one name outside the
cut (the full fonts added as fpdf2's fallback). Rounds alternate the three kinds, so
the machine's load weighs on each alike. No database: the figures are made up, the size
of a national report (`--points` provinces, `--agencies` agencies, a month of days).

Prints, per kind, the process CPU per PDF (median and mean, milliseconds), the check's
own CPU, the PDF's size and the load average. No SQL: the report's figures are read
before drawing (bench/reports/run.py times the whole request).

Usage: python bench/reports/pdf_fonts.py [--rounds 15] [--points 34] [--agencies 300]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("POSTGOV_ENV", "development")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "postgov.settings")

FOREIGN_NAME = "Bưu cục Kʼho Ωμέγα Жёлтый"


def main(argv) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--points", type=int, default=34)
    parser.add_argument("--agencies", type=int, default=300)
    args = parser.parse_args(argv)

    import django

    django.setup()
    from postgov.lib.pdf import Form
    from postgov.reports import monthly_pdf
    from postgov.reports.volumes import Breakdown, Bucket, VolumeReport

    figures = {
        "sealed": 120,
        "handed_over": 118,
        "results_ready": 90,
        "delivered": 80,
        "refused": 2,
        "procedure_fees": 960_000,
        "postage": 7_200_000,
    }
    start = date(2026, 11, 1)
    buckets = [
        Bucket(f"{start + timedelta(days=i):%d/%m}", start + timedelta(days=i), dict(figures))
        for i in range(30)
    ]
    report = VolumeReport(start, date(2026, 11, 30), False, buckets, Bucket("", start, figures), [])
    points = [Breakdown(f"Tỉnh Quảng Trị số {i}", figures) for i in range(args.points)]
    agencies = [
        Breakdown(f"Sở Tư pháp tỉnh Đắk Lắk, bộ phận một cửa số {i}", figures)
        for i in range(args.agencies)
    ]
    foreign_points = [Breakdown(FOREIGN_NAME, figures), *points[1:]]

    checked = Form.fall_back_for

    def unchecked(self, texts) -> bool:
        return False

    def draw(kind: str) -> tuple[float, int]:
        Form.fall_back_for = unchecked if kind == "before" else checked  # type: ignore[method-assign]
        lines = foreign_points if kind == "foreign" else points
        started = time.process_time()
        pdf = monthly_pdf.render(report, lines, agencies, province_name="Toàn quốc")
        return time.process_time() - started, len(pdf)

    kinds = ("before", "ordinary", "foreign")
    for kind in kinds:  # imports, font files in the OS cache
        draw(kind)
    cpu: dict[str, list[float]] = {kind: [] for kind in kinds}
    size: dict[str, int] = {}
    for _ in range(args.rounds):
        for kind in kinds:
            seconds, size[kind] = draw(kind)
            cpu[kind].append(seconds)
    Form.fall_back_for = checked  # type: ignore[method-assign]

    texts = [
        "Toàn quốc",
        *(line.name for line in points),
        *(line.name for line in agencies),
    ]
    form = Form(fonts=monthly_pdf.VIETNAMESE_FONTS)
    started = time.process_time()
    for _ in range(100):
        form.fall_back_for(texts)
    check_ms = (time.process_time() - started) * 1000 / 100

    print(f"load average {os.getloadavg()}")
    print(f"{args.points} places, {args.agencies} agencies, {args.rounds} rounds")
    for kind in kinds:
        ms = [s * 1000 for s in cpu[kind]]
        print(
            f"{kind:9} {statistics.median(ms):7.1f} ms CPU median  "
            f"{statistics.mean(ms):7.1f} mean  {size[kind] / 1024:6.1f} KiB"
        )
    print(f"the check alone: {check_ms:.3f} ms CPU over {len(texts)} names")
    before = statistics.median(cpu["before"])
    print(
        f"ordinary / before: {statistics.median(cpu['ordinary']) / before:.3f}"
        f"  foreign / before: {statistics.median(cpu['foreign']) / before:.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
