"""The metrics page refuses everyone but the scraper; requests carry an id into the logs and
the response; the logs never hold what a person typed."""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta
from ipaddress import ip_network
from pathlib import Path

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from postgov.dossiers.models import LegRecord
from postgov.ops.logs import JsonFormatter, RequestIdFilter

ROOT = Path(__file__).resolve().parents[3]
METRICS = reverse("metrics")
TOKEN = "a-scraper-token-of-at-least-32-characters"
NOW = timezone.datetime(2026, 3, 10, 9, 0, tzinfo=timezone.get_fixed_timezone(7 * 60))
ID_NUMBER = "038099012345"


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = []


def _scrape(client) -> str:
    response = client.get(METRICS, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return response.content.decode()


def _value(text: str, sample: str) -> float:
    match = re.search(rf"^{re.escape(sample)} (\S+)$", text, re.M)
    assert match, f"{sample} not in the metrics"
    return float(match.group(1))


# -- who may read the metrics -----------------------------------------------------------------


def test_without_a_token_or_a_network_there_is_no_metrics_page(client, db, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = []
    assert client.get(METRICS).status_code == 404


def test_the_token_is_required(client, db, token):
    refused = client.get(METRICS)
    assert refused.status_code == 401 and refused["WWW-Authenticate"].startswith("Bearer")
    assert client.get(METRICS, HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get(METRICS, HTTP_AUTHORIZATION=TOKEN).status_code == 401
    assert b"postgov_" not in refused.content
    assert client.get(METRICS, HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


def test_a_signed_in_staff_member_is_refused_too(client, token, provincial_admin):
    client.force_login(provincial_admin)
    assert client.get(METRICS).status_code == 401


def test_an_allowed_network_reads_them_directly_but_not_through_a_proxy(client, db, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = [ip_network("10.20.0.0/16")]
    assert client.get(METRICS, REMOTE_ADDR="10.20.3.4").status_code == 200
    assert client.get(METRICS, REMOTE_ADDR="192.0.2.7").status_code == 403
    # Behind nginx every request comes from the proxy's address: that says nothing.
    proxied = client.get(METRICS, REMOTE_ADDR="10.20.3.4", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert proxied.status_code == 403
    assert client.post(METRICS, REMOTE_ADDR="10.20.3.4").status_code == 405


# -- what they say ------------------------------------------------------------------------------


def test_requests_are_counted_and_timed_by_route_name(client, db, token):
    before = _scrape(client)
    sample = 'postgov_http_requests_total{method="GET",route="healthz",status="200"}'
    counted = _value(before, sample) if sample in before else 0
    client.get(reverse("healthz"))
    client.get(reverse("healthz"))
    client.get("/no/such/page/038099012345/")

    text = _scrape(client)
    assert _value(text, sample) == counted + 2
    assert 'route="unmatched",status="404"' in text
    assert "038099012345" not in text
    assert 'postgov_http_request_duration_seconds_bucket{le="0.1",route="healthz"}' in text


def test_task_queue_depth_age_and_failures_are_read_from_the_database(client, db, token):
    def task(status, **fields):
        return DBTaskResult.objects.create(
            status=status,
            args_kwargs={"args": [], "kwargs": {}},
            task_path="postgov.notify.tasks.send_message",
            queue_name="notify",
            backend_name="default",
            run_after=fields.pop("run_after", NOW - timedelta(minutes=1)),
            **fields,
        )

    with time_machine.travel(NOW - timedelta(minutes=10), tick=False):
        task(TaskResultStatus.READY, run_after=NOW - timedelta(minutes=10))
    with time_machine.travel(NOW - timedelta(minutes=2), tick=False):
        task(TaskResultStatus.READY)
        task(TaskResultStatus.READY, run_after=NOW + timedelta(hours=1))  # a retry, later
        task(TaskResultStatus.FAILED, finished_at=NOW - timedelta(minutes=5))
        task(TaskResultStatus.FAILED, finished_at=NOW - timedelta(hours=3))

    with time_machine.travel(NOW, tick=False):
        text = _scrape(client)
    assert _value(text, 'postgov_task_queue_depth{queue="notify"}') == 2
    assert _value(text, 'postgov_task_queue_depth{queue="default"}') == 0
    assert _value(text, 'postgov_task_oldest_age_seconds{queue="notify"}') == 600
    assert _value(text, 'postgov_tasks_failed_recent{queue="notify"}') == 1
    assert _value(text, "postgov_database_up") == 1


def test_sla_legs_due_and_overdue(client, world, token):
    def leg(segment, due_in, flag="", ended=False):
        LegRecord.objects.create(
            province=world.province,
            segment=segment,
            leg=segment,
            service_point=world.point_a,
            started_at=NOW - timedelta(days=5),
            due_at=NOW + due_in,
            ended_at=NOW if ended else None,
            flag=flag,
        )

    leg("counter", timedelta(days=-1), flag="overdue")
    leg("counter", timedelta(hours=-1), flag="due_soon")  # the SLA check has not run since
    leg("counter", timedelta(hours=5), flag="due_soon")
    leg("agency", timedelta(days=3))
    leg("agency", timedelta(days=-3), ended=True)

    with time_machine.travel(NOW, tick=False):
        text = _scrape(client)
    assert _value(text, 'postgov_sla_legs_open{flag="overdue",segment="counter"}') == 1
    assert _value(text, 'postgov_sla_legs_open{flag="due_soon",segment="counter"}') == 2
    assert _value(text, 'postgov_sla_legs_open{flag="on_time",segment="agency"}') == 1
    assert _value(text, 'postgov_sla_legs_past_due{segment="counter"}') == 2
    assert 'postgov_sla_legs_past_due{segment="agency"}' not in text


def test_failed_logins_are_counted(client, citizen, token):
    before = _scrape(client)
    counted = _value(before, "postgov_login_failures_total")
    for _ in range(2):
        client.post(reverse("identity:login"), {"username": citizen.username, "password": "no"})

    text = _scrape(client)
    assert _value(text, "postgov_login_failures_total") == counted + 2
    assert _value(text, "postgov_login_failures_recent") == 2


# -- request ids and logs -----------------------------------------------------------------------


def test_each_response_carries_a_request_id(client, db):
    first = client.get(reverse("healthz"))["X-Request-ID"]
    second = client.get(reverse("healthz"))["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and first != second


def test_the_proxys_request_id_is_kept_when_well_formed(client, db):
    given = "5f0c2a9e8b7d4c3a9e8b7d4c3a2b1c0d"
    assert client.get(reverse("healthz"), HTTP_X_REQUEST_ID=given)["X-Request-ID"] == given
    for bad in ("short", "has spaces in it here", "x" * 65, "line\nbreak-injected-here", "é" * 10):
        answered = client.get(reverse("healthz"), HTTP_X_REQUEST_ID=bad)["X-Request-ID"]
        assert answered != bad and re.fullmatch(r"[0-9a-f]{32}", answered)


@pytest.fixture
def json_log(caplog):
    """Every record of the request, formatted as production writes it."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="postgov.request")
    formatter, request_id = JsonFormatter(), RequestIdFilter()

    def lines() -> list[dict]:
        out = []
        for log_record in caplog.records:
            request_id.filter(log_record)
            out.append(json.loads(formatter.format(log_record)))
        return out

    return lines


def test_a_request_leaves_one_json_line_with_its_id(client, db, json_log):
    response = client.get(reverse("healthz"), HTTP_X_REQUEST_ID="req-0123456789abcdef")

    [line] = [entry for entry in json_log() if entry["logger"] == "postgov.request"]
    assert line["request_id"] == response["X-Request-ID"] == "req-0123456789abcdef"
    assert line["route"] == "healthz" and line["status"] == 200 and line["method"] == "GET"
    assert line["level"] == "INFO" and isinstance(line["duration_ms"], float)
    assert line["message"] == "GET healthz 200"


def test_an_id_number_in_a_request_is_not_logged(client, world, json_log):
    # A login with an ID number as the account name, a tracking search, a registration.
    client.post(reverse("identity:login"), {"username": ID_NUMBER, "password": ID_NUMBER})
    client.post(reverse("dossiers:track"), {"code": ID_NUMBER, "id_number": ID_NUMBER})
    client.get(reverse("dossiers:track"), {"code": ID_NUMBER})
    client.post(reverse("identity:register"), {"id_number": ID_NUMBER, "phone": "0912345678"})
    client.get(f"/no/such/page/?q={ID_NUMBER}")

    lines = json_log()
    assert any(line["logger"] == "postgov.request" for line in lines)
    assert ID_NUMBER not in json.dumps(lines, ensure_ascii=False)


def test_the_grafana_dashboard_uses_only_metrics_that_exist(client, db, token):
    dashboard = json.loads((ROOT / "deploy" / "grafana" / "postgov.json").read_text())
    client.get(reverse("healthz"))
    exposed = {
        re.sub(r"_(bucket|count|sum|total|created)$", "", line.split()[2])
        for line in _scrape(client).splitlines()
        if line.startswith("# TYPE postgov_")
    }
    used = set()
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            used |= {
                re.sub(r"_(bucket|count|sum|total)$", "", name)
                for name in re.findall(r"postgov_[a-z_]+", target["expr"])
            }
    assert used and used <= exposed, used - exposed
