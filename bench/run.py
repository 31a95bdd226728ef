#!/usr/bin/env python
"""Run every benchmark: each `bench/<area>/run_*.py` script, one after the other.

Usage: bench/run.py [substring]   (only scripts whose path contains the substring)
Each script prints its own report; results as ratios against baselines measured in the
same run (DESIGN §5). Benchmarks are not part of `make test`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def main() -> int:
    wanted = sys.argv[1] if len(sys.argv) > 1 else ""
    scripts = sorted(p for p in ROOT.glob("*/run_*.py") if wanted in str(p))
    if not scripts:
        print("no benchmark matches", wanted or "(all)")
        return 1
    failures = 0
    for script in scripts:
        print(f"\n=== {script.relative_to(ROOT.parent)}", flush=True)
        failures += subprocess.run([sys.executable, str(script)], cwd=ROOT.parent).returncode != 0  # noqa: S603
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
