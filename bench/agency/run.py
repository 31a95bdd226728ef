#!/usr/bin/env python
"""Benchmark of the agency leg on PostgreSQL: tracking lookups and the agency inbox at a
million dossiers.

1. Fills `pg_agency_bench` with 1,000,000 dossiers and 10,000,000 events (COPY, in batches
   committed one by one: stop it any time and run it again, it carries on), 100,000 of
   them open at one agency.
2. Measures, in the same run:
   - the baseline: a bare primary-key SELECT of a dossier through psycopg;
   - the database work of a tracking lookup (the dossier by its code, with its timeline,
     through the ORM, in this process) as lookups/s and p99, each as a ratio to the
     baseline. It is not the citizen's lookup: no HTTP, limits or page
     (bench/tracking/run.py measures that);
   - the agency inbox page (GET /agency/ as that agency's receiver, through Django's
     test client) with 100,000 open dossiers: p50 and p95 (target p95 < 300 ms), also as a
     ratio to the baseline.
3. Drops the database (unless --keep).

Usage: python bench/agency/run.py [--keep] [--dossiers N] [--no-drop-first]
Needs PostgreSQL on 127.0.0.1:5432 (BENCH_PG=postgres://user@host:port to change it).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
# Without POSTGOV_ENV PostGov runs as production; this is a developer's tool.
os.environ.setdefault("POSTGOV_ENV", "development")
SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB = "pg_agency_bench"
BATCH = 20_000
OPEN_AT_AGENCY = 100_000

import psycopg  # noqa: E402

from bench import pg  # noqa: E402

# -- reference data ------------------------------------------------------------------------


def reference():
    """A province, communes, 40 post offices, 20 agencies, 10 procedures, a clerk and the
    receiver of the busy agency. Idempotent."""
    from datetime import date

    from postgov.agencies.models import Agency
    from postgov.catalog.models import Procedure, ProcedureVersion
    from postgov.identity.models import Role, RoleAssignment, User
    from postgov.places.models import Commune, Province, ServicePoint

    province, _ = Province.objects.get_or_create(
        code="44", defaults={"name": "Tỉnh Quảng Trị", "short_name": "Quảng Trị"}
    )
    commune, _ = Commune.objects.get_or_create(
        code="19333",
        defaults={
            "province": province,
            "name": "Phường Đông Hà",
            "short_name": "Đông Hà",
            "kind": "ward",
        },
    )
    points = [
        ServicePoint.objects.get_or_create(
            code=f"B-{n:03d}",
            defaults={"name": f"Bưu cục {n}", "kind": "po2", "address": "x", "commune": commune},
        )[0]
        for n in range(40)
    ]
    agencies = [
        Agency.objects.get_or_create(
            unit_code=f"000.00.{n:02d}.H44",
            defaults={
                "name": f"Cơ quan {n}",
                "level": "province",
                "desk_kind": "one_stop",
                "province": province,
                "address": "x",
                "office_hours": ["07:30-11:30", "13:30-17:00"],
            },
        )[0]
        for n in range(20)
    ]
    versions = []
    for n in range(10):
        procedure, _ = Procedure.objects.get_or_create(
            code=f"B.{n:06d}",
            defaults={"name": f"Thủ tục số {n}", "field": "Hộ tịch", "agency_level": "province"},
        )
        version, _ = ProcedureVersion.objects.get_or_create(
            procedure=procedure,
            version=1,
            defaults={
                "effective_from": date(2025, 7, 1),
                "processing_time": 5 + n,
                "result_type": "Giấy",
            },
        )
        versions.append(version)
    clerk, _ = User.objects.get_or_create(username="bench_clerk")
    receiver, _ = User.objects.get_or_create(username="bench_receiver")
    RoleAssignment.objects.get_or_create(
        user=receiver, role=Role.AGENCY_RECEIVER, agency=agencies[0]
    )
    return province, points, agencies, versions, clerk, receiver


# -- the generator ---------------------------------------------------------------------------

OPEN_STATES = ["in_transit", "handed_over", "accepted", "processing", "supplement_requested"]
CLOSED_PATH = [
    ("seal", "draft", "sealed", 1),
    ("dispatch", "sealed", "in_transit", 1),
    ("hand_over", "in_transit", "handed_over", 1),
    ("accept", "handed_over", "accepted", 2),
    ("start_processing", "accepted", "processing", 4),
    ("result_ready", "processing", "result_ready", 9),
    ("collect_result", "result_ready", "result_collected", 9),
    ("out_for_delivery", "result_collected", "out_for_delivery", 9),
    ("delivery_failed", "out_for_delivery", "result_collected", 9),
    ("out_for_delivery", "result_collected", "out_for_delivery", 9),
    ("deliver", "out_for_delivery", "delivered", 10),
]


def row_builder(model, with_pk: bool = True):
    """(column names, fn(overrides) -> values) covering every concrete column, since COPY
    must be given them all (Django sets defaults in Python, not in the database)."""
    fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
    defaults = []
    for field in fields:
        if field.has_default():
            value = field.get_default()
            defaults.append("{}" if value == {} else value)
        elif field.null:
            defaults.append(None)
        else:
            defaults.append("" if field.get_internal_type().endswith("CharField") else 0)
    names = [f.column for f in fields]
    attnames = [f.attname for f in fields]

    def build(overrides: dict) -> list:
        return [
            overrides.get(a, d) if a in overrides else d
            for a, d in zip(attnames, defaults, strict=True)
        ]

    return names, build


def generate(total: int, refs) -> float:
    from django.db import connection

    from postgov.dossiers.models import Dossier, DossierEvent

    province, points, agencies, versions, clerk, _ = refs
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM dossiers_dossier")
        done = cursor.fetchone()[0]
    if done >= total:
        return 0.0
    started = time.perf_counter()
    rng = random.Random(done)
    base = datetime(2025, 8, 1, 1, 0, tzinfo=UTC)
    now = datetime.now(UTC)
    probe_d, dossier_row = row_builder(Dossier)
    probe_e, event_row = row_builder(DossierEvent, with_pk=False)
    raw = connection.connection  # psycopg connection under Django
    for start in range(done + 1, total + 1, BATCH):
        end = min(start + BATCH - 1, total)
        with raw.transaction(), raw.cursor() as cur:
            with cur.copy(f"COPY dossiers_dossier ({', '.join(probe_d)}) FROM STDIN") as copy_d:
                events = []
                for pk in range(start, end + 1):
                    is_open = pk <= OPEN_AT_AGENCY
                    agency = agencies[0] if is_open else agencies[pk % len(agencies)]
                    point = points[pk % len(points)]
                    sealed = (
                        now - timedelta(days=rng.uniform(0, 20))
                        if is_open
                        else base + timedelta(minutes=pk % 400_000)
                    )
                    status = rng.choice(OPEN_STATES) if is_open else "delivered"
                    handed = sealed + timedelta(hours=26)
                    due = handed + timedelta(days=rng.uniform(1, 14))
                    row = {
                        "id": pk,
                        "code": f"{agency.unit_code}-{sealed:%y%m%d}-{pk:07d}",
                        "intake_token": uuid.UUID(int=pk),
                        "status": status,
                        "province_id": province.pk,
                        "procedure_version_id": versions[pk % len(versions)].pk,
                        "receiving_point_id": point.pk,
                        "agency_id": agency.pk,
                        "received_by_id": clerk.pk,
                        "applicant_name": f"Nguyễn Văn {pk}",
                        "applicant_id_number": f"045{pk:09d}",
                        "applicant_phone": f"09{pk % 100000000:08d}",
                        "procedure_fee": 50_000,
                        "paid_at": sealed,
                        "sealed_at": sealed,
                        "submitted_at": None if status == "in_transit" else handed,
                        "due_at": None if status == "in_transit" else due,
                        "first_due_at": None if status == "in_transit" else due,
                        "clock_paused_at": handed if status == "supplement_requested" else None,
                        "created_at": sealed,
                        "updated_at": sealed,
                    }
                    copy_d.write_row(dossier_row(row))
                    path = CLOSED_PATH if not is_open else CLOSED_PATH[: 2 + (pk % 3)]
                    for step, (action, src, dst, national) in enumerate(path):
                        events.append(
                            (pk, action, dst, src, national, sealed + timedelta(hours=step * 7))
                        )
            with cur.copy(
                f"COPY dossiers_dossierevent ({', '.join(probe_e)}) FROM STDIN"
            ) as copy_e:
                for pk, action, dst, src, national, at in events:
                    copy_e.write_row(
                        event_row(
                            {
                                "dossier_id": pk,
                                "province_id": province.pk,
                                "action": action,
                                "code": action.upper()[:30],
                                "from_status": src,
                                "to_status": dst,
                                "national_status": national,
                                "at": at,
                            }
                        )
                    )
        if (end // BATCH) % 10 == 0 or end == total:
            rate = (end - done) / (time.perf_counter() - started)
            print(f"  {end:>9,} dossiers ({rate:,.0f}/s)", flush=True)
    with connection.cursor() as cursor:
        for table in ("dossiers_dossier", "dossiers_dossierevent"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
            )
        # What autovacuum does in a running system: statistics and the visibility map
        # (index-only scans), so the figures are those of a steady state, not of a load.
        cursor.execute("VACUUM ANALYZE dossiers_dossier")
        cursor.execute("VACUUM ANALYZE dossiers_dossierevent")
    return time.perf_counter() - started


# -- measurements ----------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def baseline_pk(total: int, n: int = 5000) -> dict:
    rng = random.Random(1)
    ids = [rng.randint(1, total) for _ in range(n)]
    times = []
    with psycopg.connect(f"{SERVER}/{DB}") as conn:
        for pk in ids[:200]:  # warm the cache and the plan
            conn.execute("SELECT * FROM dossiers_dossier WHERE id = %s", [pk]).fetchone()
        started = time.perf_counter()
        for pk in ids:
            t = time.perf_counter()
            conn.execute("SELECT * FROM dossiers_dossier WHERE id = %s", [pk]).fetchone()
            times.append(time.perf_counter() - t)
        elapsed = time.perf_counter() - started
    return {"per_second": n / elapsed, "p99_ms": percentile(times, 0.99) * 1000}


def tracking(total: int, n: int = 2000) -> dict:
    """The tracking lookup's database work only: the dossier by code, its timeline."""
    from postgov.dossiers.models import Dossier

    rng = random.Random(2)
    codes = list(
        Dossier.objects.filter(pk__in=[rng.randint(1, total) for _ in range(n)]).values_list(
            "code", flat=True
        )
    )

    def lookup(code):
        dossier = Dossier.objects.select_related("procedure_version__procedure").get(code=code)
        return list(dossier.events.order_by("at", "id").values("at", "code", "to_status"))

    for code in codes[:100]:
        lookup(code)
    times = []
    started = time.perf_counter()
    for code in codes:
        t = time.perf_counter()
        lookup(code)
        times.append(time.perf_counter() - t)
    elapsed = time.perf_counter() - started
    return {"per_second": len(codes) / elapsed, "p99_ms": percentile(times, 0.99) * 1000}


def inbox(receiver, n: int = 40) -> dict:
    from tests.clients import PostGovClient

    client = PostGovClient()
    client.force_login(receiver)
    urls = ["/agency/", "/agency/?tab=overdue", "/agency/?tab=processing&page=100"]
    results = {}
    for url in urls:
        for _ in range(3):
            assert client.get(url).status_code == 200
        times = []
        for _ in range(n):
            t = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - t)
            assert response.status_code == 200
        results[url] = {
            "p50_ms": statistics.median(times) * 1000,
            "p95_ms": percentile(times, 0.95) * 1000,
        }
    return results


def main(argv) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    pg.ensure(SERVER, DB)
    pg.setup_django(SERVER, DB)
    refs = reference()
    print(f"generating up to {args.dossiers:,} dossiers, {len(CLOSED_PATH)} events per closed one")
    seconds = generate(args.dossiers, refs)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM dossiers_dossierevent")
        events = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM dossiers_dossier WHERE agency_id = %s AND status = ANY(%s)",
            [refs[2][0].pk, OPEN_STATES],
        )
        open_count = cursor.fetchone()[0]
    print(f"data: {args.dossiers:,} dossiers, {events:,} events, {open_count:,} open at agency 0")
    base = baseline_pk(args.dossiers)
    track = tracking(args.dossiers)
    pages = inbox(refs[5])
    result = {
        "dossiers": args.dossiers,
        "events": events,
        "open_at_agency": open_count,
        "generation_seconds": round(seconds, 1),
        "baseline_pk_select": base,
        "tracking": {
            **track,
            "throughput_ratio": track["per_second"] / base["per_second"],
            "p99_ratio": track["p99_ms"] / base["p99_ms"],
        },
        "inbox": {
            url: {**values, "p95_ratio_to_pk_p99": values["p95_ms"] / base["p99_ms"]}
            for url, values in pages.items()
        },
        "inbox_target_p95_ms": 300,
    }
    print(json.dumps(result, indent=2))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "agency.json").write_text(json.dumps(result, indent=2))
    if not args.keep:
        connection.close()
        pg.drop(SERVER, DB)
        print(f"dropped {DB}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
