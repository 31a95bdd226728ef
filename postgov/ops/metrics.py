"""Prometheus metrics, served at /metrics to a scraper holding the token or on an allowed
network only.

Two kinds:

- counted in the process as requests are answered (requests by route name and status,
  latency by route, failed logins): Counters and Histograms of prometheus-client. Under
  gunicorn, with several worker processes, set PROMETHEUS_MULTIPROC_DIR to an empty
  directory: each process writes its figures there and a scrape adds them up
  (deploy/gunicorn.conf.py clears a dead worker's);
- read from the database at each scrape (DatabaseCollector): the task queue, SLA legs,
  recent failed logins and tasks. The same on every node, whichever node is scraped.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from collections.abc import Iterator
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db import DatabaseError
from django.db.models import Count, F, Min
from django.db.models.functions import Greatest
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from postgov.audit.models import AuditEvent
from postgov.dossiers.models import LegRecord

if _shared := os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # Each process writes its figures there from its first metric on.
    os.makedirs(_shared, exist_ok=True)

REQUESTS = Counter(
    "postgov_http_requests",
    "Requests answered, by route name, method and status code.",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "postgov_http_request_duration_seconds",
    "Time to answer a request, by route name.",
    ["route"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
LOGIN_FAILURES = Counter(
    "postgov_login_failures",
    "Failed logins seen by this process (Django's user_login_failed signal).",
)

# Windows of the figures read from the database.
RECENT_LOGINS = timedelta(minutes=15)
RECENT_TASKS = timedelta(hours=1)


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    REQUESTS.labels(route=route, method=method, status=str(status)).inc()
    LATENCY.labels(route=route).observe(seconds)


def _count_login_failure(sender, **kwargs) -> None:
    LOGIN_FAILURES.inc()


def connect_signals() -> None:
    user_login_failed.connect(_count_login_failure, dispatch_uid="ops_metrics_login_failed")


class DatabaseCollector(Collector):
    """Gauges read from the database when Prometheus scrapes (a handful of indexed counts)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("postgov_database_up", "1 if the database answered this scrape.")
        try:
            families = list(self._read())
        except DatabaseError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _read(self) -> Iterator[GaugeMetricFamily]:
        now = timezone.now()
        yield from self._tasks(now)
        yield from self._legs(now)
        failures = GaugeMetricFamily(
            "postgov_login_failures_recent",
            "Failed logins in the last 15 minutes, all nodes (from the audit trail).",
        )
        failures.add_metric(
            [],
            AuditEvent.objects.filter(action="auth.login_failed", at__gte=now - RECENT_LOGINS)
            .order_by()
            .count(),
        )
        yield failures

    def _tasks(self, now) -> Iterator[GaugeMetricFamily]:
        depth = GaugeMetricFamily(
            "postgov_task_queue_depth",
            "Tasks ready to run now and not yet picked up, by queue.",
            labels=["queue"],
        )
        age = GaugeMetricFamily(
            "postgov_task_oldest_age_seconds",
            "How long the oldest task ready to run has waited since it could run, by queue.",
            labels=["queue"],
        )
        due = (
            DBTaskResult.objects.filter(status=TaskResultStatus.READY, run_after__lte=now)
            .order_by()
            .values("queue_name")
            .annotate(n=Count("id"), since=Min(Greatest(F("enqueued_at"), F("run_after"))))
        )
        queues = set(settings.TASKS["default"].get("QUEUES", ["default"]))
        seen = set()
        for row in due:
            seen.add(row["queue_name"])
            depth.add_metric([row["queue_name"]], row["n"])
            age.add_metric([row["queue_name"]], max(0.0, (now - row["since"]).total_seconds()))
        for queue in sorted(queues - seen):
            depth.add_metric([queue], 0)
            age.add_metric([queue], 0)
        yield depth
        yield age
        failed = GaugeMetricFamily(
            "postgov_tasks_failed_recent",
            "Tasks that failed in the last hour, by queue.",
            labels=["queue"],
        )
        counts = dict(
            DBTaskResult.objects.filter(
                status=TaskResultStatus.FAILED, finished_at__gte=now - RECENT_TASKS
            )
            .order_by()
            .values_list("queue_name")
            .annotate(n=Count("id"))
        )
        for queue in sorted(queues | set(counts)):
            failed.add_metric([queue], counts.get(queue, 0))
        yield failed

    def _legs(self, now) -> Iterator[GaugeMetricFamily]:
        flagged = GaugeMetricFamily(
            "postgov_sla_legs_open",
            "Open SLA legs by leg and flag (on_time, due_soon, overdue: as the SLA check "
            "last flagged them).",
            labels=["segment", "flag"],
        )
        for row in (
            LegRecord.objects.filter(ended_at__isnull=True)
            .order_by()
            .values("segment", "flag")
            .annotate(n=Count("id"))
        ):
            flagged.add_metric([row["segment"], row["flag"] or "on_time"], row["n"])
        yield flagged
        past = GaugeMetricFamily(
            "postgov_sla_legs_past_due",
            "Open SLA legs whose deadline has passed now, by leg.",
            labels=["segment"],
        )
        for segment, n in (
            LegRecord.objects.filter(ended_at__isnull=True, due_at__lt=now)
            .order_by()
            .values_list("segment")
            .annotate(n=Count("id"))
        ):
            past.add_metric([segment], n)
        yield past


# Not described at registration: that would query the database while the apps load.
_database = CollectorRegistry(auto_describe=False)
_database.register(DatabaseCollector())


def exposition() -> bytes:
    """The metrics in Prometheus' text format."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry) + generate_latest(_database)
    return generate_latest(REGISTRY) + generate_latest(_database)


def scraper_allowed(request) -> bool:
    """A bearer token (METRICS_TOKEN) or a direct connection from an allowed network
    (METRICS_ALLOWED_NETWORKS). A request that came through a proxy (X-Forwarded-For) is
    never let in by its address: behind nginx every request would come from nginx's."""
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and given.startswith("Bearer "):
        return hmac.compare_digest(given.removeprefix("Bearer ").encode(), token.encode())
    if settings.METRICS_ALLOWED_NETWORKS and "x-forwarded-for" not in request.headers:
        try:
            peer = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
        except ValueError:
            return False
        return any(peer in network for network in settings.METRICS_ALLOWED_NETWORKS)
    return False
