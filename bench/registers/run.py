#!/usr/bin/env python
"""The registers' benchmarks (`make bench BENCH_ARGS=registers`): deduplication of a
province's population register (bench/registers/dedup.py, 630,000 records)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    sys.exit(subprocess.run([sys.executable, str(HERE / "dedup.py"), *sys.argv[1:]]).returncode)
