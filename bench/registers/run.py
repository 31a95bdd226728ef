#!/usr/bin/env python
"""The registers' benchmarks (`make bench BENCH_ARGS=registers`): deduplication of a
province's population register (bench/registers/dedup.py, 630,000 records, no database)
and keying under load (bench/registers/keying_load.py, 20 operators at once on
PostgreSQL). Arguments are passed to the deduplication benchmark."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    failures = 0
    for script, args in (("dedup.py", argv), ("keying_load.py", [])):
        print(f"--- bench/registers/{script}", flush=True)
        failures += subprocess.run([sys.executable, str(HERE / script), *args]).returncode != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
