#!/usr/bin/env python
"""Run the benchmarks: every `bench/<area>/run.py` (or the areas named on the command line).

Benchmarks are not tests: they measure, and report each figure as a ratio to a baseline
measured in the same run on the same machine (a raw database insert, a bare SELECT, a
peer library), never as absolute pass/fail timings. Results are printed and written to
`bench/results/<area>.json` (git-ignored).

Usage: make bench                 # all areas
       make bench BENCH_ARGS=intake
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# Without POSTGOV_ENV PostGov runs as production; this is a developer's tool.
os.environ.setdefault("POSTGOV_ENV", "development")
BENCH = Path(__file__).resolve().parent


def areas(selected: list[str]) -> list[Path]:
    found = sorted(p.parent for p in BENCH.glob("*/run.py"))
    if selected:
        found = [p for p in found if p.name in selected]
    return found


def main(argv: list[str]) -> int:
    (BENCH / "results").mkdir(exist_ok=True)
    failures = 0
    for area in areas(argv):
        print(f"\n=== bench/{area.name} ===", flush=True)
        result = subprocess.run([sys.executable, str(area / "run.py")], cwd=BENCH.parent)
        failures += result.returncode != 0
    if not areas(argv):
        print("no benchmark found", file=sys.stderr)
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
