"""Webhooks reach a real HTTP server on the loopback, signed (HMAC-SHA256 over
"timestamp.body"), retried with exponential backoff; the log and manual re-send."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django_tasks_db.models import DBTaskResult

from postgov.audit.models import AuditEvent
from postgov.exchange import webhooks
from postgov.exchange.integration import create_webhook
from postgov.exchange.models import WebhookDelivery
from tests.agency_helpers import handed_over, move

# Deadlines, bookings, reports by day or rate-limit windows: on a pinned clock.
pytestmark = pytest.mark.clock


class Receiver:
    """An agency's system: records what it receives, answers with the next status."""

    def __init__(self):
        self.received: list[dict] = []
        self.answers: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"headers": dict(self.headers), "body": body})
                status = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(status)
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
    server = Receiver()
    yield server
    server.close()


def test_each_change_is_delivered_signed(world, receiver):
    endpoint, secret = create_webhook(world.agency_a, receiver.url)
    dossier = handed_over(world)
    delivery = WebhookDelivery.objects.filter(endpoint=endpoint).order_by("id").last()
    assert webhooks.deliver_webhook.call(delivery.pk) == "delivered"
    got = receiver.received[0]
    headers = {k.lower(): v for k, v in got["headers"].items()}
    assert webhooks.verify(
        secret, headers["postgov-timestamp"], got["body"], headers["postgov-signature"]
    )
    assert not webhooks.verify(
        secret, headers["postgov-timestamp"], got["body"] + b" ", headers["postgov-signature"]
    )
    assert not webhooks.verify(
        "whsec_wrong", headers["postgov-timestamp"], got["body"], headers["postgov-signature"]
    )
    old = str(int(time.time()) - 3600)
    assert not webhooks.verify(
        secret, old, got["body"], webhooks.sign(secret, int(old), got["body"])
    )
    payload = json.loads(got["body"])
    assert payload["type"] == "dossier.updated" and headers["postgov-event"] == "dossier.updated"
    assert payload["data"]["dossier"]["code"] == dossier.code
    assert payload["data"]["event"]["action"] == "hand_over"
    assert headers["postgov-webhook-id"] == str(delivery.pk)


def test_failures_are_retried_with_backoff_then_given_up(world, receiver, monkeypatch):
    create_webhook(world.agency_a, receiver.url)
    handed_over(world)
    delivery = WebhookDelivery.objects.order_by("id").last()
    receiver.answers = [500, 503]
    assert webhooks.deliver_webhook.call(delivery.pk) == "retrying"
    delivery.refresh_from_db()
    assert delivery.last_status_code == 500 and delivery.next_attempt_at
    first_retry = (
        DBTaskResult.objects.filter(task_path__endswith="deliver_webhook")
        .order_by("-enqueued_at")
        .first()
    )
    assert first_retry.run_after is not None
    webhooks.deliver_webhook.call(delivery.pk)
    webhooks.deliver_webhook.call(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.attempts == 3
    assert len(receiver.received) == 3
    assert webhooks.backoff(3) == 4 * webhooks.backoff(2) == 16 * webhooks.backoff(1)
    # An unreachable endpoint ends as failed after MAX_ATTEMPTS.
    monkeypatch.setattr(webhooks, "MAX_ATTEMPTS", 2)
    dead, _ = create_webhook(world.agency_a, "http://127.0.0.1:9/none")
    move(handed_over(world), "accept", world.agency_receiver)
    for row in WebhookDelivery.objects.filter(endpoint=dead):
        webhooks.deliver_webhook.call(row.pk)
        webhooks.deliver_webhook.call(row.pk)
        row.refresh_from_db()
        assert row.status == "failed" and row.last_error == "could not connect"


def test_manual_resend_is_a_new_delivery_and_is_audited(world, receiver):
    create_webhook(world.agency_a, receiver.url)
    handed_over(world)
    original = WebhookDelivery.objects.order_by("id").last()
    webhooks.deliver_webhook.call(original.pk)
    copy = webhooks.resend(original, user=world.agency_officer)
    webhooks.deliver_webhook.call(copy.pk)
    assert copy.resent_from == original and copy.payload == original.payload
    assert len(receiver.received) == 2
    assert AuditEvent.objects.filter(
        action="agency.webhook_resent", actor_id=world.agency_officer.pk
    ).exists()


def test_no_webhook_for_another_agency(world, receiver):
    create_webhook(world.agency_b, receiver.url)
    handed_over(world)
    assert not WebhookDelivery.objects.exists()


def test_a_delivery_claimed_by_another_worker_is_left_alone(world, receiver):
    from datetime import timedelta

    from django.utils import timezone

    create_webhook(world.agency_a, receiver.url)
    handed_over(world)
    delivery = WebhookDelivery.objects.order_by("id").last()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        sending_until=timezone.now() + timedelta(seconds=30)
    )
    assert webhooks.deliver_webhook.call(delivery.pk) == "being sent by another worker"
    assert receiver.received == []


def test_deliveries_whose_worker_died_are_queued_again(world, receiver, monkeypatch):
    from datetime import timedelta
    from types import SimpleNamespace

    from django.utils import timezone

    queued = []
    monkeypatch.setattr(webhooks, "deliver_webhook", SimpleNamespace(enqueue=queued.append))
    endpoint, _secret = create_webhook(world.agency_a, receiver.url)
    now = timezone.now()

    def delivery(**fields):
        return WebhookDelivery.objects.create(
            endpoint=endpoint, event_type="dossier.updated", payload="{}", **fields
        ).pk

    lost = delivery()  # its task was taken by a worker that died before sending
    cut = delivery(sending_until=now - timedelta(seconds=1))  # died while sending
    sending = delivery(sending_until=now + timedelta(seconds=20))  # a live worker sends it
    retry = delivery(status="retrying", next_attempt_at=now - timedelta(minutes=10))
    planned = delivery(status="retrying", next_attempt_at=now + timedelta(minutes=10))
    delivery(status="delivered")
    WebhookDelivery.objects.filter(pk=lost).update(created_at=now - timedelta(minutes=6))
    fresh = delivery()  # just queued: its task is waiting

    assert webhooks.retry_stranded() == 3
    assert sorted(queued) == sorted([lost, cut, retry])
    assert not {sending, planned, fresh} & set(queued)
