#!/usr/bin/env python
"""The task worker alone: how many SMS and webhook tasks one `db_worker` sends a second,
and what each costs, against a bare task that does nothing (the same run's baseline).

N bare tasks, N SMS and N webhook deliveries are queued (each kind on its own, the queue
empty in between) and one worker drains them, as `manage.py db_worker --queue-name '*'`
does (bench/tasks/drain.py calls the command with `--batch` and measures it from inside).
The SMS go to the HTTP SMS gateway (`SMS_GATEWAY=http`) and the webhooks to an agency's
endpoint, both the benchmark's own HTTP receiver on the loopback (through the outbound
guard, as in production; `OUTBOUND_ALLOW_PRIVATE` lets it reach the loopback), which
counts each SMS and each webhook by its `PostGov-Webhook-Id`. The receiver keeps
connections open (HTTP/1.1) like a real gateway behind TLS; `--receiver-closes` makes it
close after every answer.

Reported per kind: tasks/s, the worker's CPU per task, its PostgreSQL backend's CPU per
task, SQL statements per task (the health check Django makes on a reused connection is
not counted: it does not pass through the execute wrapper), and each as a ratio to the
bare task's. `--compare NAME=VALUE` drains each kind a second time with that variable of
the worker's environment changed (e.g. `DB_SYNCHRONOUS_COMMIT=on`, the server's default),
the two alternating, `--rounds` times: the unit's figures over the compared ones are
ratios of one run. Checked: every SMS and webhook received exactly once, every task
finished.

Usage: python bench/tasks/run.py [--tasks 500] [--rounds 1] [--compare NAME=VALUE]
       [--receiver-closes] [--profile DIR]
Needs PostgreSQL on 127.0.0.1:5432 (BENCH_PG). Database pg_tasks_bench (BENCH_TASKS_DB),
dropped at the end unless --keep (a kept one is reused). Writes bench/results/tasks.json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("POSTGOV_ENV", "development")
DB = os.environ.get("BENCH_TASKS_DB", "pg_tasks_bench")
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PYTHON = sys.executable

from bench import pg  # noqa: E402
from bench.receiver import Receiver  # noqa: E402
from deploy import units  # noqa: E402

# Each SMS of the run has its own recipient and text: the receiver counts repeats by both.
QUEUED = itertools.count(0, 1_000_000)


def queue(kind: str, n: int, endpoint) -> None:
    """N tasks of a kind, queued in one transaction as the web processes queue them."""
    from django.db import transaction

    from bench.tasks.noop import nothing
    from postgov.exchange.models import WebhookDelivery
    from postgov.exchange.webhooks import deliver_webhook
    from postgov.notify.models import Message
    from postgov.notify.tasks import send_message

    # A sealed dossier's webhook body is about this long.
    payload = json.dumps({"type": "dossier.new", "data": {"pad": "x" * 1400}})
    first = next(QUEUED)
    with transaction.atomic():
        for i in range(first, first + n):
            if kind == "bare":
                nothing.enqueue(i)
            elif kind == "sms":
                message = Message.objects.create(
                    channel="sms",
                    recipient=f"09{i:08d}",
                    template="dossier_received",
                    body=f"Bưu điện đã nhận hồ sơ số {i}. Tra cứu: https://example.vn/t/{i}",
                )
                send_message.enqueue(message.pk)
            else:
                delivery = WebhookDelivery.objects.create(
                    endpoint=endpoint, event_type="dossier.new", payload=payload
                )
                deliver_webhook.enqueue(delivery.pk)


def drain(env: dict, profile: str) -> dict:
    argv = [PYTHON, str(Path(__file__).with_name("drain.py"))]
    if profile:
        argv += ["--profile", profile]
    done = subprocess.run(  # noqa: S603 — our own interpreter and script
        argv, cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=500, help="tasks of each kind")
    parser.add_argument("--receiver-closes", action="store_true")
    parser.add_argument("--profile", default="", help="directory for cProfile files")
    parser.add_argument(
        "--worker-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an environment variable for the worker beside its unit's",
    )
    parser.add_argument(
        "--compare",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="also drain each kind with this variable changed, alternating, in the same run",
    )
    parser.add_argument("--rounds", type=int, default=1, help="each kind this many times")
    parser.add_argument(
        "--keep", action="store_true", help="keep the database (and reuse a kept one)"
    )
    args = parser.parse_args()

    receiver = Receiver(keep_alive=not args.receiver_closes)
    data_dir = tempfile.mkdtemp(prefix="bench-tasks-")
    settings_env = {
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "POSTGOV_DATA_DIR": data_dir,
        "SMS_GATEWAY": "http",
        "SMS_HTTP_URL": f"{receiver.url}/sms",
        "SMS_HTTP_TOKEN": "bench",
        "OUTBOUND_ALLOW_PRIVATE": "true",
        "PORTAL_SIMULATOR": "false",
        "PORTAL_URL": "",
    }
    os.environ.update(settings_env)
    if args.keep:
        pg.ensure(PG, DB)  # kept from an earlier run: migrated again, its queue emptied
    else:
        pg.recreate(PG, DB)
    pg.setup_django(PG, DB)
    # The worker runs with its systemd unit's environment (deploy/systemd), as deployed.
    env = {
        **os.environ,
        "DATABASE_URL": f"{PG}/{DB}",
        **units.environment(units.read("postgov-worker.service")),
        **dict(item.split("=", 1) for item in args.worker_env),
    }

    from django_tasks_db.models import DBTaskResult

    from bench.intake import fixture
    from postgov.agencies.models import Agency
    from postgov.exchange.integration import create_webhook
    from postgov.exchange.models import WebhookDelivery, WebhookEndpoint
    from postgov.notify.models import Message

    if not Agency.objects.exists():
        fixture.main(1, 1)
    DBTaskResult.objects.all().delete()
    WebhookDelivery.objects.all().delete()
    Message.objects.all().delete()
    WebhookEndpoint.objects.all().delete()
    endpoint, _secret = create_webhook(Agency.objects.first(), f"{receiver.url}/hooks")
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)

    configs = {"unit": env}
    if args.compare:
        configs["compare"] = {**env, **dict(item.split("=", 1) for item in args.compare)}
    totals: dict[tuple[str, str], Counter[str]] = {}
    load_start = os.getloadavg()
    for round_ in range(args.rounds):
        for kind in ("bare", "sms", "webhook"):
            # Alternated, so that a change of the machine's load falls on both.
            order = list(configs) if round_ % 2 == 0 else list(reversed(configs))
            for name in order:
                queue(kind, args.tasks, endpoint)
                profile = (
                    str(Path(args.profile) / f"{name}-{kind}-{round_}.prof") if args.profile else ""
                )
                got = drain(configs[name], profile)
                total = totals.setdefault((name, kind), Counter())
                total["tasks"] += args.tasks
                for key in ("seconds", "cpu_s", "statements"):
                    total[key] += got[key]
                if got["postgres_backend_cpu_s"] is not None:
                    total["pg_tasks"] += args.tasks
                    total["pg_cpu_s"] += got["postgres_backend_cpu_s"]
    load_end = os.getloadavg()
    results: dict[str, dict[str, dict]] = {}
    for (name, kind), t in totals.items():
        results.setdefault(name, {})[kind] = {
            "tasks": t["tasks"],
            "seconds": round(t["seconds"], 3),
            "tasks_per_s": round(t["tasks"] / t["seconds"], 1),
            "worker_cpu_ms_per_task": round(t["cpu_s"] * 1000 / t["tasks"], 3),
            "postgres_cpu_ms_per_task": (
                round(t["pg_cpu_s"] * 1000 / t["pg_tasks"], 3) if t["pg_tasks"] else None
            ),
            "statements_per_task": round(t["statements"] / t["tasks"], 2),
        }
    for kinds in results.values():
        bare = kinds["bare"]
        for kind in ("sms", "webhook"):
            k = kinds[kind]
            k["tasks_per_s_over_bare"] = round(k["tasks_per_s"] / bare["tasks_per_s"], 3)
            k["worker_cpu_over_bare"] = round(
                k["worker_cpu_ms_per_task"] / bare["worker_cpu_ms_per_task"], 2
            )
            k["statements_over_bare"] = round(
                k["statements_per_task"] / bare["statements_per_task"], 2
            )
    if "compare" in results:
        results["unit_over_compare"] = {
            kind: {
                "tasks_per_s": round(
                    results["unit"][kind]["tasks_per_s"] / results["compare"][kind]["tasks_per_s"],
                    3,
                )
            }
            for kind in ("bare", "sms", "webhook")
        }
    unfinished = DBTaskResult.objects.exclude(status="SUCCESSFUL").count()
    with receiver.lock:
        checks = {
            "tasks_not_successful": unfinished,
            "sms_received": sum(receiver.sms.values()),
            "sms_received_more_than_once": sum(1 for v in receiver.sms.values() if v > 1),
            "webhooks_received": sum(receiver.hooks.values()),
            "webhook_ids_received_more_than_once": sum(1 for v in receiver.hooks.values() if v > 1),
            "receiver_connections": receiver.connections,
        }
    from django.db import connections

    connections.close_all()
    if not args.keep:
        pg.drop(PG, DB)
    report = {
        "cores": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in load_start],
        "load_average_at_end": [round(x, 2) for x in load_end],
        "worker_environment": {
            **units.environment(units.read("postgov-worker.service")),
            **dict(item.split("=", 1) for item in args.worker_env),
        },
        "compare_environment": dict(item.split("=", 1) for item in args.compare),
        "rounds": args.rounds,
        "receiver": "closes after each answer" if args.receiver_closes else "keeps connections",
        "results": results,
        "checks": checks,
    }
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "tasks.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    problems = [
        unfinished,
        checks["sms_received"] != args.tasks * args.rounds * len(configs),
        checks["webhooks_received"] != args.tasks * args.rounds * len(configs),
        checks["sms_received_more_than_once"],
        checks["webhook_ids_received_more_than_once"],
    ]
    return 1 if any(problems) else 0


if __name__ == "__main__":
    sys.exit(main())
