#!/usr/bin/env python
"""Deduplication of a province's population register: N synthetic records (Faker
`vi_VN`, seeded; 5 % planted duplicates with slips in the name, missing marks, day and
month swapped, another commune — bench/registers/synthetic.py) run through the project's
own code path (`registers.dedup.frame` and `link`: train, predict, cluster), scored
against the planted truth (precision and recall of the pairs inside the clusters).

Baseline, same frame, same run: DuckDB's exact self-join on name and birth date (what a
spreadsheet's "remove duplicates" would find), its time and its precision and recall. The
ratio reported is Splink's time over the baseline's.

Usage: .venv/bin/python bench/registers/dedup.py [N] [--threshold P]
       (N defaults to 630000, the population register of one province)
No database is needed: the records are generated in memory.
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

import django  # noqa: E402

django.setup()

import duckdb  # noqa: E402

from bench.registers import synthetic  # noqa: E402
from postgov.registers import dedup  # noqa: E402

KEYS = dedup.Keys("full_name", "birth_date", "id_number", "home_commune", "gender")


def pairs_of(clusters: list[tuple[list[int], float]]) -> set[tuple[int, int]]:
    return {
        (ids[i], ids[j])
        for ids, _p in clusters
        for i in range(len(ids))
        for j in range(i + 1, len(ids))
    }


def scores(found: set[tuple[int, int]], truth: set[tuple[int, int]]) -> dict[str, float]:
    hits = len(found & truth)
    return {
        "pairs": len(found),
        "precision": round(hits / len(found), 4) if found else 0.0,
        "recall": round(hits / len(truth), 4) if truth else 0.0,
    }


def baseline(df) -> tuple[float, set[tuple[int, int]]]:
    started = time.monotonic()
    con = duckdb.connect()
    con.register("people", df)
    rows = con.execute(
        "SELECT l.unique_id, r.unique_id FROM people l JOIN people r "
        "ON l.name_exact = r.name_exact AND l.birth_date = r.birth_date "
        "AND l.unique_id < r.unique_id"
    ).fetchall()
    con.close()
    return time.monotonic() - started, {(int(a), int(b)) for a, b in rows}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("records", nargs="?", type=int, default=630_000)
    parser.add_argument("--threshold", type=float, default=dedup.DEFAULT_THRESHOLD)
    args = parser.parse_args()

    started = time.monotonic()
    population = synthetic.population(args.records)
    generated = time.monotonic() - started
    started = time.monotonic()
    df = dedup.frame(dedup.person_row(r["pk"], r, KEYS) for r in population.records)
    framed = time.monotonic() - started

    base_seconds, base_pairs = baseline(df)
    # CPU seconds of the process (DuckDB's threads included): on a machine shared with
    # other work the wall time says more about the neighbours than about the code.
    cpu = time.process_time()
    linked = dedup.link(df, threshold=args.threshold)
    cpu = time.process_time() - cpu
    found = pairs_of(linked.clusters)
    result = {
        "records": args.records,
        "planted_pairs": len(population.truth),
        "threshold": args.threshold,
        "model": linked.note,
        "generate_s": round(generated, 1),
        "frame_s": round(framed, 1),
        "splink_s": {k: round(v, 1) for k, v in linked.seconds.items()},
        "splink_cpu_s": round(cpu, 1),
        "splink": scores(found, population.truth),
        "baseline_s": round(base_seconds, 2),
        "baseline": scores(base_pairs, population.truth),
        "ratio_to_baseline": round(linked.seconds["total"] / max(base_seconds, 1e-6), 1),
        "cpus": os.cpu_count(),
    }
    print(json.dumps(result, indent=1))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / f"registers-dedup-{args.records}.json").write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
