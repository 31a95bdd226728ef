#!/usr/bin/env python
"""How long an operator's write waits while a spreadsheet import runs on SQLite (the
embedded default of `make run`, one writer at a time).

In a SQLite file of its own: a population file of N rows (`population_csv.py`) imported
twice by the real job (`jobs.run`), while a thread stands for the operators of the room,
each 20 ms writing one row in a transaction of its own (as a field save, an audited page
view or the session's touch once a minute does) and timing how long that write took:
  (a) baseline: the import's write as it was, every record through `bulk_create` inside
      the import's one transaction (this script puts that path back for the run);
  (b) the import as it is: the rows staged outside the transaction in a temporary table,
      then copied in one statement inside it (`imports._staged`).
Reported for each: the import's time, the longest and the p99 wait of the operator's
writes during it, writes that failed ("database is locked" after the 20 s busy timeout),
and the ratio of the longest waits.

Usage: .venv/bin/python bench/registers/import_sqlite_lock.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
WORK = Path(tempfile.mkdtemp(prefix="registers-sqlite-lock-"))
os.environ["DATABASE_URL"] = f"sqlite:///{WORK / 'bench.sqlite3'}"
os.environ["MEDIA_ROOT"] = str(WORK / "media")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "postgov.settings")
# Without POSTGOV_ENV PostGov runs as production; this is a developer's tool.
os.environ.setdefault("POSTGOV_ENV", "development")

import population_csv  # noqa: E402

EVERY = 0.02


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


@contextmanager
def _one_transaction_path():
    """The write as it was: the records through `bulk_create`, 5,000 at a time, inside the
    import's transaction (which then holds SQLite's one write lock throughout)."""
    from postgov.registers import imports
    from postgov.registers.models import Record

    held: dict = {}
    real_staged, real_insert = imports._staged, imports._insert_staged

    @contextmanager
    def unstaged(rows, progress):
        held["rows"] = rows
        held["progress"] = progress
        yield "unused"

    def insert(staging, head, settled_at):
        project_id, batch_id, schema_id, status, in_sample = head
        rows = held["rows"]
        while chunk := [
            Record(
                project_id=project_id,
                batch_id=batch_id,
                number=number,
                schema_id=schema_id,
                status=status,
                in_sample=in_sample,
                values=values,
                settled_at=settled_at,
            )
            for number, values in itertools.islice(rows, imports.CHUNK)
        ]:
            Record.objects.bulk_create(chunk, batch_size=imports.CHUNK)
            held["progress"].advance(len(chunk))

    imports._staged, imports._insert_staged = unstaged, insert
    try:
        yield
    finally:
        imports._staged, imports._insert_staged = real_staged, real_insert


def measure(project, manager, source: Path, name: str) -> dict:
    from django.core.files import File
    from django.core.files.storage import default_storage
    from django.db import connections, transaction
    from django.utils import timezone

    from postgov.registers import imports, jobs
    from postgov.registers.models import Job, Membership

    schema = project.current_schema()
    with open(source, "rb") as handle:
        path = default_storage.save(f"registers/incoming/{name}.csv", File(handle, "x.csv"))
    job = imports.start_import(
        project,
        path=path,
        name=f"{name}.csv",
        schema=schema,
        mapping=imports.guess_mapping(schema.fields, population_csv.HEADER),
        mode=imports.Mode.TYPED,
        label=name,
        by=manager,
    )
    member = Membership.objects.filter(project=project).first()
    waits: list[float] = []
    failures: list[str] = []
    stop = threading.Event()
    writing = threading.Event()
    real_phase = jobs.Progress.phase

    def phase(self, phase_name, total=0):
        real_phase(self, phase_name, total)
        if phase_name == Job.Phase.WRITING:
            writing.set()

    def operator() -> None:
        try:
            while not stop.is_set():
                began = time.perf_counter()
                try:
                    with transaction.atomic():
                        Membership.objects.filter(pk=member.pk).update(added_at=timezone.now())
                except Exception as exc:  # noqa: BLE001 - counted
                    failures.append(repr(exc)[:200])
                waited = time.perf_counter() - began
                if writing.is_set():
                    waits.append(waited)
                time.sleep(EVERY)
        finally:
            connections.close_all()

    jobs.Progress.phase = phase  # type: ignore[method-assign]
    other = threading.Thread(target=operator)
    other.start()
    began = time.perf_counter()
    try:
        outcome = jobs.run(job.pk)
    finally:
        import_s = time.perf_counter() - began
        stop.set()
        other.join()
        jobs.Progress.phase = real_phase  # type: ignore[method-assign]
    if outcome != "done":
        job.refresh_from_db()
        raise RuntimeError(f"import {outcome}: {job.failure}")
    return {
        "import_s": round(import_s, 2),
        "writes_during_write_phase": len(waits),
        "longest_wait_ms": round(max(waits, default=0) * 1000, 1),
        "p99_wait_ms": round(percentile(waits, 0.99) * 1000, 1),
        "p50_wait_ms": round(percentile(waits, 0.50) * 1000, 1),
        "failed_writes": len(failures),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from postgov.registers import actions, schemas
    from postgov.registers.fields import find_commune
    from postgov.registers.models import Membership, Record
    from tests.personas import build_world

    print(f"SQLite file {WORK / 'bench.sqlite3'}: migrating…", flush=True)
    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)
    world = build_world()
    names = [
        c.name
        for c in world.province.communes.order_by("code")
        if (found := find_commune(c.name, world.province.pk)) is not None and found.pk == c.pk
    ]
    manager = world.provincial_admin
    ready = schemas.ready_schema("population")
    project = actions.create_project(
        by=manager,
        name="Sổ hộ khẩu (benchmark)",
        kind=ready["kind"],
        province=world.province,
        fields=ready["fields"],
    )
    actions.add_member(project, user=world.clerk_a, role=Membership.Role.OPERATOR, by=manager)
    source = WORK / "population.csv"
    population_csv.write(source, args.rows, seed=args.seed, communes=names)
    connections.close_all()
    print(f"  {args.rows} rows, {len(names)} communes; importing twice…", flush=True)
    with _one_transaction_path():
        before = measure(project, manager, source, "one-transaction")
    after = measure(project, manager, source, "staged")
    result = {
        "rows": args.rows,
        "baseline_one_transaction": before,
        "staged_then_copied": after,
        "longest_wait_ratio": round(
            after["longest_wait_ms"] / max(before["longest_wait_ms"], 1e-3), 3
        ),
        "records": Record.objects.filter(project=project).count(),
        "load_average": os.getloadavg(),
    }
    print(json.dumps(result, indent=1), flush=True)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "registers-import-sqlite-lock.json").write_text(json.dumps(result, indent=1))
    connections.close_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
