#!/usr/bin/env python
"""Spreadsheet import of a population register on PostgreSQL, as a ratio to `COPY`.

Writes N synthetic rows (`population_csv.py`, Faker vi_VN, seeded, 5 % planted duplicates)
as one CSV file, then, in a database of its own:
  (a) PostgreSQL `COPY` of the same file into a plain table with the same eight text
      columns (the floor: no checks, no JSON, one statement);
  (b) the real import: the job runner (`jobs.run`) of an IMPORT job mapped to the
      population schema in "already typed" mode: every row checked by the keying rules
      (dates, ID number against birth date and gender, commune names, phones, choices),
      then the records written in one transaction.
Reported: both times, their ratio, rows/s, the check and write parts of (b), peak memory.

Usage: python bench/registers/import_bench.py [--rows 630000] [--seed 2026] [--keep]
(BENCH_PG to point at another server, BENCH_REGISTERS_DB for another database name).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import resource
import sys
import tempfile
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/")
DB = os.environ.get("BENCH_REGISTERS_DB", "pg_registers_import_bench")
MEDIA = tempfile.mkdtemp(prefix="registers-bench-")
os.environ["DATABASE_URL"] = f"{PG}/{DB}"
os.environ["MEDIA_ROOT"] = MEDIA
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "postgov.settings")
# Without POSTGOV_ENV PostGov runs as production; this is a developer's tool.
os.environ.setdefault("POSTGOV_ENV", "development")

import population_csv  # noqa: E402

COLUMNS = (
    "full_name",
    "birth_date",
    "gender",
    "id_number",
    "ethnicity",
    "home_commune",
    "household_head",
    "phone",
)


def admin(sql: str) -> None:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def copy_seconds(path: Path) -> float:
    """`COPY` of the file into a plain table with the same columns, committed."""
    with psycopg.connect(f"{PG}/{DB}") as conn:
        conn.execute(
            "CREATE TABLE population_copy (" + ", ".join(f"{c} text" for c in COLUMNS) + ")"
        )
        conn.commit()
        start = time.perf_counter()
        statement = "COPY population_copy FROM STDIN (FORMAT csv, HEADER true)"
        with (
            conn.cursor() as cursor,
            open(path, "rb") as handle,
            cursor.copy(statement) as copy,
        ):
            while data := handle.read(1 << 20):
                copy.write(data)
        conn.commit()
        elapsed = time.perf_counter() - start
        count = conn.execute("SELECT count(*) FROM population_copy").fetchone()
        assert count is not None
        print(f"  COPY: {count[0]} rows in {elapsed:.2f} s", flush=True)
        return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--profile", action="store_true", help="print where the import spends")
    args = parser.parse_args()

    admin(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    admin(f"CREATE DATABASE {DB}")
    import django

    django.setup()
    from django.core.files import File
    from django.core.files.storage import default_storage
    from django.core.management import call_command
    from django.db import connections

    from postgov.identity.models import User
    from postgov.places.models import Commune, Province
    from postgov.registers import actions, imports, jobs, schemas
    from postgov.registers.fields import find_commune
    from postgov.registers.models import Job, Record

    print(f"database {DB}: migrating and loading the administrative units…", flush=True)
    call_command("migrate", verbosity=0, interactive=False)
    call_command("load_admin_units", verbosity=0)
    province = Province.objects.get(name__icontains="Quảng Trị")
    names = []
    for commune in Commune.objects.filter(province=province).order_by("code")[:80]:
        found = find_commune(commune.name, province.pk)
        if found is not None and found.pk == commune.pk:
            names.append(commune.name)
        if len(names) == 40:
            break
    manager = User.objects.create(username="bench-manager", full_name="Quản lý dự án")
    ready = schemas.ready_schema("population")
    project = actions.create_project(
        by=manager,
        name="Sổ hộ khẩu (benchmark)",
        kind=ready["kind"],
        province=province,
        fields=ready["fields"],
    )

    work = Path(MEDIA)
    source = work / "population.csv"
    start = time.perf_counter()
    population_csv.write(source, args.rows, seed=args.seed, communes=names)
    size = source.stat().st_size
    print(
        f"  wrote {args.rows} rows ({size / 1e6:.1f} MB, {len(names)} communes) "
        f"in {time.perf_counter() - start:.1f} s",
        flush=True,
    )

    copy_s = copy_seconds(source)

    with open(source, "rb") as handle:
        path = default_storage.save("registers/incoming/bench.csv", File(handle, "bench.csv"))
    schema = project.current_schema()
    assert schema is not None
    header = population_csv.HEADER
    job = imports.start_import(
        project,
        path=path,
        name="population.csv",
        schema=schema,
        mapping=imports.guess_mapping(schema.fields, header),
        mode=imports.Mode.TYPED,
        label="benchmark",
        by=manager,
    )
    connections.close_all()
    # When the write phase starts (the job's row is now updated during the write itself).
    phase_started: dict[str, float] = {}
    real_phase = jobs.Progress.phase

    def phase(self, name, total=0):
        phase_started[name] = time.perf_counter()
        real_phase(self, name, total)

    jobs.Progress.phase = phase  # type: ignore[method-assign]
    profiler = cProfile.Profile() if args.profile else None
    start = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    outcome = jobs.run(job.pk)
    import_s = time.perf_counter() - start
    if profiler is not None:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
    job.refresh_from_db()
    if outcome != "done":
        print(f"import {outcome}: {job.failure.get('en', '')[:3000]}", file=sys.stderr)
        return 1
    jobs.Progress.phase = real_phase  # type: ignore[method-assign]
    writing = phase_started[Job.Phase.WRITING]
    check_s = writing - start
    write_s = start + import_s - writing
    records = Record.objects.filter(project=project).count()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "rows": args.rows,
        "records": records,
        "file_mb": round(size / 1e6, 1),
        "copy_s": round(copy_s, 2),
        "import_s": round(import_s, 2),
        "ratio_to_copy": round(import_s / copy_s, 1),
        "check_s": round(check_s, 1),
        "write_s": round(write_s, 1),
        "rows_per_s": round(args.rows / import_s),
        "goal_s": 60,
        "peak_rss_mb": round(peak_mb),
        "job_state": job.state,
        "jobs_queued": Job.objects.count(),
    }
    print(json.dumps(result, indent=1), flush=True)
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / "registers_import.json").write_text(json.dumps(result))
    connections.close_all()
    if not args.keep:
        admin(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
