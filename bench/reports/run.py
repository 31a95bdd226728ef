#!/usr/bin/env python
"""Benchmark of the reports on PostgreSQL: the pages that read the daily roll-ups, at the
size of ten million dossiers and a hundred million events a year, against the same
figures counted by a direct aggregate over the events.

1. Fills `pg_reports_bench` with a country (34 provinces, 3,000 post offices, 200
   procedures, 340 agencies) and a year of roll-up rows made directly in SQL with
   `generate_series` (volumes, legs, service index, waiting rooms, PostID, digitisation):
   `--scale 1` is the size of ten million dossiers (about 27,000 a day over 8,000 keys of
   post office × procedure × agency a day: 2.9 million volume rows, 11.7 million leg rows,
   2.9 million index rows, 1.1 million waiting-room rows...). Beside them, a real sample
   of dossiers and their events (`--sample` dossiers, ten events each; the last 30 days),
   for the live dashboard and the direct-aggregate baseline. The monthly roll-ups are then
   summed from those days by the worker's own code (`reports.months`), and the time the
   worker's refresh spends on them (the current month summed again) is measured.
2. Measures, in the same run, p50 and p95 over `--repeat` requests (Django's test client,
   as a provincial administrator and as a national administrator, with the second factor):
   - the dashboard (`/reports/`, live counts over the sample dossiers),
   - the volumes page and the service figures page for the current month and for the year,
   - the monthly report PDF (kept under its roll-ups' version, so a repeat is served
     without drawing), the PDF drawn anew after each refresh of the month's roll-ups
     (`monthly_pdf_drawn`), and the figures it reads without the drawing
     (`monthly_report_figures`: fpdf2 measuring every table cell and subsetting the font
     is most of the PDF's time);
   and the baseline: the month's volume figures of the province (and of the country)
   counted straight from the event sample (`GROUP BY` receiving point and state). Each page
   is reported as a ratio to that baseline; the baseline's cost at a hundred million events
   is the sample's figure × (100 million × scale ÷ sample events), said so in the output
   as an estimate (a sequential aggregate grows with the rows it reads). Goal: p95 < 500 ms.
3. Drops the database (unless --keep).

Usage: python bench/reports/run.py [--scale 0.1] [--sample 100000] [--repeat 30] [--keep]
The default scale (0.1: a million dossiers' roll-ups) runs in a few minutes. The full size:
    python bench/reports/run.py --scale 1 --sample 1000000
(about 20 million roll-up rows; some minutes to generate on two cores, a few GB of disk).
Needs PostgreSQL on 127.0.0.1:5432 (BENCH_PG=postgres://user@host:port to change it).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
# Without POSTGOV_ENV PostGov runs as production; this is a developer's tool.
os.environ.setdefault("POSTGOV_ENV", "development")
SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB = os.environ.get("BENCH_REPORTS_DB", "pg_reports_bench")
PROVINCES, POINTS, PROCEDURES, AGENCIES_PER_PROVINCE = 34, 3000, 200, 10
DOSSIERS_A_YEAR, EVENTS_A_DOSSIER, KEYS_A_DAY = 10_000_000, 10, 8000
GOAL_MS = 500


from bench import pg  # noqa: E402

# -- reference data ------------------------------------------------------------------------


def reference():
    """The country, and index tables (bench_*) that map a position to an id for the SQL."""
    from django.db import connection

    from postgov.agencies.models import Agency
    from postgov.catalog.models import Procedure, ProcedureVersion
    from postgov.identity.models import Role, RoleAssignment, User
    from postgov.places.models import Commune, Province, ServicePoint
    from postgov.registers.models import Project

    provinces = Province.objects.bulk_create(
        Province(code=f"{n:02d}", name=f"Tỉnh số {n}", short_name=f"Số {n}")
        for n in range(1, PROVINCES + 1)
    )
    communes = Commune.objects.bulk_create(
        Commune(
            code=f"{n:05d}",
            province=province,
            name=f"Phường {n}",
            short_name=f"P{n}",
            kind="ward",
        )
        for n, province in enumerate(provinces)
    )
    points = ServicePoint.objects.bulk_create(
        ServicePoint(
            code=f"B-{n:04d}",
            name=f"Bưu cục {n:04d}",
            kind="po2",
            address="x",
            commune=communes[n % PROVINCES],
        )
        for n in range(POINTS)
    )
    agencies = Agency.objects.bulk_create(
        Agency(
            unit_code=f"000.{n:02d}.{p:02d}.H00",
            name=f"Cơ quan {p}-{n}",
            level="province",
            desk_kind="one_stop",
            province=province,
            address="x",
            office_hours=["07:30-11:30", "13:30-17:00"],
        )
        for p, province in enumerate(provinces)
        for n in range(AGENCIES_PER_PROVINCE)
    )
    procedures = Procedure.objects.bulk_create(
        Procedure(code=f"B.{n:06d}", name=f"Thủ tục {n}", field="Hộ tịch", agency_level="province")
        for n in range(PROCEDURES)
    )
    versions = ProcedureVersion.objects.bulk_create(
        ProcedureVersion(
            procedure=procedure,
            version=1,
            effective_from=date(2025, 1, 1),
            processing_time=5,
            result_type="Giấy",
        )
        for procedure in procedures
    )
    admin = User.objects.create(username="bench_province")
    RoleAssignment.objects.create(user=admin, role=Role.PROVINCIAL_ADMIN, province=provinces[0])
    national = User.objects.create(username="bench_national")
    RoleAssignment.objects.create(user=national, role=Role.NATIONAL_ADMIN)
    projects = Project.objects.bulk_create(
        Project(
            name=f"Sổ {n}", kind="population", province=provinces[n % PROVINCES], created_by=admin
        )
        for n in range(PROVINCES * 3)
    )
    with connection.cursor() as cursor:
        for name, rows in (
            ("bench_points", [(i, p.pk, p.commune.province_id) for i, p in enumerate(points)]),
            ("bench_procedures", [(i, p.pk, 0) for i, p in enumerate(procedures)]),
            ("bench_agencies", [(i, a.pk, a.province_id) for i, a in enumerate(agencies)]),
            ("bench_projects", [(i, p.pk, p.province_id) for i, p in enumerate(projects)]),
        ):
            cursor.execute(f"CREATE TABLE {name} (idx int PRIMARY KEY, id int, province_id int)")
            cursor.executemany(f"INSERT INTO {name} VALUES (%s, %s, %s)", rows)
    return {
        "provinces": provinces,
        "points": points,
        "agencies": agencies,
        "versions": versions,
        "admin": admin,
        "national": national,
    }


# -- the roll-ups, in SQL ------------------------------------------------------------------

# One key a day: post office k % POINTS, procedure (k / POINTS) % PROCEDURES and an
# agency of the post office's province.
JOINS = f"""
            JOIN bench_points p ON p.idx = k %% {POINTS}
            JOIN bench_procedures r ON r.idx = (k / {POINTS}) %% {PROCEDURES}
            JOIN bench_agencies a ON a.idx = (p.idx %% {PROVINCES}) * {AGENCIES_PER_PROVINCE}
                + r.idx %% {AGENCIES_PER_PROVINCE}"""


MONTHLY_NAMES = ("volume", "legs", "serviceindex", "queue", "identity", "digitisation")


def fill_rollups(scale: float) -> dict:
    """Every roll-up table, a year up to today; returns the row counts."""
    from django.db import connection, transaction

    from postgov.reports import months

    keys = max(1, round(KEYS_A_DAY * scale))
    days = 365
    first = date.today() - timedelta(days=days - 1)
    mean = DOSSIERS_A_YEAR * scale / days / keys
    params = {"days": days, "keys": keys, "first": first, "mean": mean}
    key_cols = "day, province_id, point_id, procedure_id, agency_id"
    key_vals = "%(first)s::date + d, p.province_id, p.id, r.id, a.id"
    statements = [
        f"""INSERT INTO reports_dailyvolume ({key_cols}, sealed, handed_over, results_ready,
            delivered, refused, procedure_fees, postage, remittance_fees, total_due)
            SELECT {key_vals}, s, s, (s * 0.9)::int, (s * 0.8)::int, (s * 0.05)::int,
                s * 50000, s * 26000, s * 3000, s * 79000
            FROM (SELECT d, k, 1 + (random() * %(mean)s * 2)::int AS s
                  FROM generate_series(0, %(days)s - 1) AS d
                  CROSS JOIN generate_series(0, %(keys)s - 1) AS k) AS x
            {JOINS}""",
        f"""INSERT INTO reports_dailylegs ({key_cols}, segment, on_time, late)
            SELECT {key_vals}, g.segment, 1 + (random() * %(mean)s * 1.8)::int,
                (random() * %(mean)s * 0.2)::int
            FROM generate_series(0, %(days)s - 1) AS d
            CROSS JOIN generate_series(0, %(keys)s - 1) AS k
            CROSS JOIN (VALUES ('outbound'), ('supplement'), ('agency'), ('return')) g(segment)
            {JOINS}""",
        # About one citizen in three rates a delivered dossier, four stars on average.
        f"""INSERT INTO reports_dailyserviceindex ({key_cols}, finished, finished_on_time,
            finished_late, received, received_digitised, results, results_digitised,
            ratings, rating_sum)
            SELECT {key_vals}, s, s - (s / 10), s / 10, s, (s * 0.6)::int, s, (s * 0.4)::int,
                s / 3, (s / 3) * 4 - (random() * (s / 3))::int
            FROM (SELECT d, k, 1 + (random() * %(mean)s * 2)::int AS s
                  FROM generate_series(0, %(days)s - 1) AS d
                  CROSS JOIN generate_series(0, %(keys)s - 1) AS k) AS x
            {JOINS}""",
        f"""INSERT INTO reports_dailyqueue (day, province_id, point_id, issued, served, no_shows,
            called, wait_minutes, waits_5, waits_10, waits_15, waits_20, waits_30, waits_45,
            waits_60, waits_90, waits_120, within_target, ratings, rating_sum)
            SELECT %(first)s::date + d, p.province_id, p.id, t, t - t / 10, t / 10, t,
                t * 12.5, t / 4, t / 4, t / 8, t / 8, t / 8, t / 16, t / 32, 0, 0,
                t - t / 5, t / 3, (t / 3) * 4
            FROM (SELECT d, k, 20 + (random() * 60)::int AS t
                  FROM generate_series(0, %(days)s - 1) AS d
                  CROSS JOIN generate_series(0, {POINTS} - 1) AS k
                  WHERE random() < %(scale)s) AS x
            JOIN bench_points p ON p.idx = x.k""",
        f"""INSERT INTO reports_dailyidentity (day, province_id, point_id, accounts_created,
            proofed, proofing_failed)
            SELECT %(first)s::date + d, p.province_id, p.id, (random() * 5)::int,
                1 + (random() * 10)::int, (random() * 2)::int
            FROM generate_series(0, %(days)s - 1) AS d
            CROSS JOIN generate_series(0, {POINTS} - 1) AS k
            JOIN bench_points p ON p.idx = k
            WHERE random() < %(scale)s""",
        """INSERT INTO reports_dailydigitisation (day, province_id, project_id, keyed, settled)
            SELECT %(first)s::date + d, j.province_id, j.id, 100 + (random() * 400)::int,
                50 + (random() * 200)::int
            FROM generate_series(0, %(days)s - 1) AS d
            CROSS JOIN bench_projects j""",
    ]
    params["scale"] = scale
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql, params)
    # The monthly roll-ups, summed from the days by the worker's own code.
    with transaction.atomic():
        months.update_months(first + timedelta(days=d) for d in range(days))
        # Written as the worker writes them: each month with its roll-ups' version.
        for month in months.months_between(first, first + timedelta(days=days - 1)):
            months.changed(month)
    with connection.cursor() as cursor:
        counts = {}
        for table in (
            "reports_dailyvolume",
            "reports_dailylegs",
            "reports_dailyserviceindex",
            "reports_dailyqueue",
            "reports_dailyidentity",
            "reports_dailydigitisation",
            *(f"reports_monthly{name}" for name in MONTHLY_NAMES),
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")
            cursor.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]
    counts["seconds"] = round(time.perf_counter() - started, 1)
    return counts


# -- the real sample -----------------------------------------------------------------------

PATH = [
    ("seal", "draft", "sealed"),
    ("dispatch", "sealed", "in_transit"),
    ("hand_over", "in_transit", "handed_over"),
    ("accept", "handed_over", "accepted"),
    ("start_processing", "accepted", "processing"),
    ("result_ready", "processing", "result_ready"),
    ("collect_result", "result_ready", "result_collected"),
    ("out_for_delivery", "result_collected", "out_for_delivery"),
    ("delivery_failed", "out_for_delivery", "result_collected"),
    ("out_for_delivery", "result_collected", "out_for_delivery"),
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
        return [overrides.get(a, d) for a, d in zip(attnames, defaults, strict=True)]

    return names, build


def fill_sample(total: int, refs) -> int:
    """`total` dossiers of the last 30 days across the country, ten events each; the
    later states left open for one dossier in three (the dashboard counts them)."""
    from django.db import connection
    from django.utils import timezone

    from postgov.dossiers.models import Dossier, DossierEvent

    points, agencies, versions = refs["points"], refs["agencies"], refs["versions"]
    dossier_cols, dossier_row = row_builder(Dossier)
    event_cols, event_row = row_builder(DossierEvent, with_pk=False)
    now = timezone.now()
    raw = connection.connection
    clerk = refs["admin"]
    with raw.transaction(), raw.cursor() as cur:
        events = []
        with cur.copy(f"COPY dossiers_dossier ({', '.join(dossier_cols)}) FROM STDIN") as copy:
            for pk in range(1, total + 1):
                point = points[pk % POINTS]
                province_idx = pk % POINTS % PROVINCES
                agency = agencies[province_idx * AGENCIES_PER_PROVINCE + pk % AGENCIES_PER_PROVINCE]
                sealed = now - timedelta(minutes=(pk * 7919) % (30 * 24 * 60))
                steps = PATH if pk % 3 else PATH[: 3 + pk % 4]
                status = steps[-1][2]
                copy.write_row(
                    dossier_row(
                        {
                            "id": pk,
                            "code": f"{agency.unit_code}-{pk:08d}",
                            "intake_token": uuid.UUID(int=pk),
                            "status": status,
                            "province_id": point.commune.province_id,
                            "procedure_version_id": versions[pk % PROCEDURES].pk,
                            "receiving_point_id": point.pk,
                            "agency_id": agency.pk,
                            "received_by_id": clerk.pk,
                            "applicant_name": f"Nguyễn Văn {pk}",
                            "applicant_id_number": f"045{pk:09d}",
                            "applicant_phone": f"09{pk % 100000000:08d}",
                            "procedure_fee": 50_000,
                            "paid_at": sealed,
                            "sealed_at": sealed,
                            "created_at": sealed,
                            "updated_at": sealed,
                        }
                    )
                )
                for step, (action, src, dst) in enumerate(steps):
                    events.append((pk, point.commune.province_id, action, src, dst, step, sealed))
        with cur.copy(f"COPY dossiers_dossierevent ({', '.join(event_cols)}) FROM STDIN") as copy:
            for pk, province, action, src, dst, step, sealed in events:
                copy.write_row(
                    event_row(
                        {
                            "dossier_id": pk,
                            "province_id": province,
                            "action": action,
                            "code": action.upper()[:30],
                            "from_status": src,
                            "to_status": dst,
                            "at": min(now, sealed + timedelta(hours=step * 5)),
                        }
                    )
                )
    with connection.cursor() as cursor:
        for table in ("dossiers_dossier", "dossiers_dossierevent"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
            )
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute("SELECT count(*) FROM dossiers_dossierevent")
        return cursor.fetchone()[0]


# -- measurements ----------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def timed(call, repeat: int) -> dict:
    for _ in range(2):  # warm the plan and the cache
        call()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        call()
        times.append(time.perf_counter() - t)
    return {
        "p50_ms": round(statistics.median(times) * 1000, 1),
        "p95_ms": round(percentile(times, 0.95) * 1000, 1),
    }


def direct_aggregate(province_id: int | None, repeat: int) -> dict:
    """The month's volume figures straight from the events: what the roll-ups replace."""
    from django.db import connection
    from django.utils import timezone

    from postgov.reports.reconciliation import period_bounds

    today = timezone.localdate()
    start, end = period_bounds(today.replace(day=1), today)
    where = "AND e.province_id = %(province)s" if province_id else ""
    sql = f"""
        SELECT d.receiving_point_id, d.agency_id, e.to_status, count(*)
        FROM dossiers_dossierevent e JOIN dossiers_dossier d ON d.id = e.dossier_id
        WHERE e.at >= %(start)s AND e.at < %(end)s AND NOT d.practice
            AND e.from_status <> e.to_status {where}
        GROUP BY 1, 2, 3"""

    def run():
        with connection.cursor() as cursor:
            cursor.execute(sql, {"start": start, "end": end, "province": province_id})
            cursor.fetchall()

    return timed(run, repeat)


def pages(user, repeat: int) -> dict:
    from django.utils import timezone

    from tests.clients import PostGovClient

    client = PostGovClient()
    client.force_login(user)
    today = timezone.localdate()
    month = {"date_from": today.replace(day=1).isoformat(), "date_to": today.isoformat()}
    year = {"date_from": (today - timedelta(days=364)).isoformat(), "date_to": today.isoformat()}
    targets = {
        "dashboard": ("/reports/", {}),
        "volumes_month": ("/reports/volumes/", month),
        "volumes_year": ("/reports/volumes/", year),
        "figures_month": ("/reports/figures/", month),
        "figures_year": ("/reports/figures/", year),
        "monthly_pdf": ("/reports/volumes/report.pdf", month),
    }
    results = {}
    for name, (url, query) in targets.items():

        def get(url=url, query=query):
            response = client.get(url, query)
            assert response.status_code == 200, (url, response.status_code)

        results[name] = timed(get, repeat)
        print(f"  {user.username} {name}: {results[name]}", flush=True)

    # The PDF kept under its roll-ups' version is served again above; here each request
    # follows a refresh of the month's roll-ups (a new version), so it is drawn anew.
    def drawn():
        from postgov.reports import months

        months.changed(today)
        get("/reports/volumes/report.pdf", month)

    results["monthly_pdf_drawn"] = timed(drawn, repeat)
    print(f"  {user.username} monthly_pdf_drawn: {results['monthly_pdf_drawn']}", flush=True)
    results["monthly_report_figures"] = timed(lambda: monthly_figures(user, today), repeat)
    print(f"  {user.username} monthly_report_figures: {results['monthly_report_figures']}")
    return results


def month_refresh_once() -> None:
    """What each refresh of the worker adds for the monthly roll-ups: the current month's
    rows of every monthly table summed again from its days (rolled back)."""
    from django.db import transaction

    from postgov.reports import months

    with transaction.atomic():
        months.update_month(date.today())
        transaction.set_rollback(True)


def monthly_figures(user, today: date) -> None:
    """What the monthly PDF reads, without drawing it: the share of its time that is data."""
    from postgov.identity.access import Access
    from postgov.reports.service_figures import service_report
    from postgov.reports.volumes import breakdown, volume_report

    access = Access.for_user(user)
    start = today.replace(day=1)
    volume_report(access, start, today)
    breakdown(access, start, today, "province" if access.is_national_admin else "point")
    breakdown(access, start, today, "agency")
    service_report(access, start, today)


def main(argv) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=0.1, help="1 = ten million dossiers")
    parser.add_argument("--sample", type=int, default=100_000, help="real dossiers (×10 events)")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    pg.recreate(SERVER, DB)
    pg.setup_django(SERVER, DB)
    refs = reference()
    print(f"roll-ups at scale {args.scale} ({DOSSIERS_A_YEAR * args.scale:,.0f} dossiers a year)")
    counts = fill_rollups(args.scale)
    print(f"  {counts}", flush=True)
    started = time.perf_counter()
    events = fill_sample(args.sample, refs)
    print(
        f"sample: {args.sample:,} dossiers, {events:,} events "
        f"({time.perf_counter() - started:.0f} s)",
        flush=True,
    )
    month_refresh = timed(month_refresh_once, 5)
    print(f"  the worker's refresh of this month's monthly rows: {month_refresh}", flush=True)
    province = refs["provinces"][0].pk
    baseline = {
        "province": direct_aggregate(province, args.repeat),
        "country": direct_aggregate(None, args.repeat),
    }
    print(f"  direct aggregate over the sample: {baseline}", flush=True)
    full_events = DOSSIERS_A_YEAR * EVENTS_A_DOSSIER * args.scale
    # The sample holds 30 days; a month of the full size is a twelfth of a year's events.
    factor = (full_events / 12) / events
    result = {
        "scale": args.scale,
        "dossiers_a_year_equivalent": DOSSIERS_A_YEAR * args.scale,
        "rollup_rows": counts,
        "month_refresh": month_refresh,
        "load_average_at_start": load_at_start,
        "sample_dossiers": args.sample,
        "sample_events": events,
        "direct_aggregate_sample": baseline,
        "direct_aggregate_estimated_at_full_month_ms": {
            who: round(values["p95_ms"] * factor, 1) for who, values in baseline.items()
        },
        "goal_p95_ms": GOAL_MS,
        "pages": {},
    }
    for who, user, base in (
        ("province", refs["admin"], baseline["province"]),
        ("national", refs["national"], baseline["country"]),
    ):
        measured = pages(user, args.repeat)
        result["pages"][who] = {
            name: {
                **values,
                "p95_ratio_to_direct_aggregate": round(values["p95_ms"] / base["p95_ms"], 2),
                "within_goal": values["p95_ms"] < GOAL_MS,
            }
            for name, values in measured.items()
        }
    result["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(result, indent=2))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "reports.json").write_text(json.dumps(result, indent=2))
    if not args.keep:
        from django.db import connection

        connection.close()
        pg.drop(SERVER, DB)
        print(f"dropped {DB}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
