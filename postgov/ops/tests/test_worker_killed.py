"""A worker killed with SIGKILL in the middle of sending webhooks loses none: another worker
takes the tasks left waiting, the SLA task re-queues the one the dead worker held, and
every delivery reaches the agency's system at least once with its id. Real processes
(`manage.py db_worker`) on PostgreSQL, a real HTTP receiver on the loopback."""

from __future__ import annotations

import signal
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from postgov.audit.actions import record
from postgov.exchange import webhooks
from postgov.exchange.integration import create_webhook
from postgov.exchange.models import WebhookDelivery
from postgov.lib import stranded
from postgov.ops.tests import processes

DELIVERIES = 12

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


class SlowReceiver:
    """Takes a while over each delivery, so that the worker can be killed in the middle."""

    def __init__(self):
        self.ids: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                receiver.ids.append(self.headers[webhooks.ID_HEADER])
                time.sleep(0.3)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/postgov"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = SlowReceiver()
    yield server
    server.close()


def test_a_killed_worker_loses_no_webhook_delivery(world, receiver):
    endpoint, _secret = create_webhook(world.agency_a, receiver.url)
    with transaction.atomic():
        ids = []
        for n in range(DELIVERIES):
            delivery = WebhookDelivery.objects.create(
                endpoint=endpoint, event_type="dossier.updated", payload=f'{{"n":{n}}}'
            )
            webhooks.deliver_webhook.enqueue(delivery.pk)
            record("test.delivery_queued", obj=delivery)
            ids.append(str(delivery.pk))

    first = processes.worker()
    try:
        # Killed while it is sending (each delivery takes the receiver 0.3 s).
        processes.wait(lambda: len(receiver.ids) >= 3, 120, "the first worker to start sending")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    sent_by_the_first = len(set(receiver.ids))
    assert sent_by_the_first < DELIVERIES

    second = processes.worker()
    try:
        processes.wait(
            lambda: not DBTaskResult.objects.filter(status=TaskResultStatus.READY).exists(),
            120,
            "the second worker to take every task left waiting",
        )
        time.sleep(2)  # its last delivery finishes
        # What the first worker held when it died: a task it had taken (its row stays
        # "running"), maybe a lease on the delivery. Once the lease is over, the SLA task's
        # sweep (here run as if five minutes had passed) queues them again.
        held = list(WebhookDelivery.objects.exclude(status=WebhookDelivery.Status.DELIVERED))
        assert len(held) <= 1
        if held:
            lease = held[0].sending_until
            if lease:
                time.sleep(max(0.0, (lease - timezone.now()).total_seconds()) + 0.5)
            later = timezone.now() + stranded.STRANDED_AFTER + timedelta(seconds=1)
            assert webhooks.retry_stranded(now=later) == 1
        processes.wait(
            lambda: (
                WebhookDelivery.objects.filter(status=WebhookDelivery.Status.DELIVERED).count()
                == DELIVERIES
            ),
            120,
            "every delivery to be delivered",
        )
    finally:
        second.terminate()
        second.wait(timeout=30)

    assert set(receiver.ids) == set(ids)  # each one at least once, with its id
    call_command("audit_verify", "--keyed-from", "1")
