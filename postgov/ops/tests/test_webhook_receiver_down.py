"""An agency's webhook receiver that is down: PostGov retries each delivery on the backoff
schedule (30 s, then four times longer each time), delivers once the receiver is back, and
after the last attempt leaves the delivery in the dead-letter list, from which a person
re-sends it. The receiver, a real HTTP server on the loopback, tells repeats apart: the same
delivery by `PostGov-Webhook-Id`, the same event in a re-sent delivery by `data.event.id`.

The deliveries' clock is stepped over hours in this process (a worker's clock cannot be
moved from outside); the re-sent deliveries go through a real worker (`db_worker`)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from postgov.exchange import webhooks
from postgov.exchange.integration import create_webhook
from postgov.exchange.models import WebhookDelivery
from postgov.ops.tests import processes
from tests.agency_helpers import handed_over

START = datetime.fromisoformat("2026-03-10T09:00+07:00")  # an ordinary working morning
Status = WebhookDelivery.Status


class Receiver:
    """An agency's system that can go down and come back on the same address, and lose
    its answer to the next deliveries (it keeps them, the sender hears nothing)."""

    def __init__(self):
        self.secret = ""
        self.seen: set[str] = set()
        self.outcomes: list[tuple[str, str]] = []  # (PostGov-Webhook-Id, what receive said)
        self.lose_answers = 0
        self.port = processes.free_port()
        self.url = f"http://127.0.0.1:{self.port}/hooks/postgov"
        self.server: ThreadingHTTPServer | None = None
        self.lock = threading.Lock()

    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    said = webhooks.receive(receiver.secret, self.headers, body, receiver.seen)
                    receiver.outcomes.append((self.headers[webhooks.ID_HEADER], said))
                    if receiver.lose_answers:
                        receiver.lose_answers -= 1
                        self.close_connection = True
                        return  # kept, but the answer never leaves
                self.send_response(401 if said == webhooks.REFUSED else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def said(self, what: str) -> list[str]:
        return [delivery for delivery, said in self.outcomes if said == what]


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


def _attempt(deliveries: list[int]) -> None:
    for pk in deliveries:
        webhooks.deliver_webhook.call(pk)


@pytest.mark.django_db
def test_a_receiver_down_for_an_hour_gets_every_event_once_on_the_backoff_schedule(world, receiver):
    with time_machine.travel(START, tick=False) as clock:
        endpoint, receiver.secret = create_webhook(world.agency_a, receiver.url)
        handed_over(world)  # sealed, dispatched, handed over: one delivery per step
        deliveries = list(
            WebhookDelivery.objects.filter(endpoint=endpoint).values_list("pk", flat=True)
        )
        assert len(deliveries) >= 2
        attempts = []
        while timezone.now() < START + timedelta(hours=1):  # the receiver is down
            _attempt(deliveries)
            attempts.append(timezone.now())
            rows = WebhookDelivery.objects.filter(pk__in=deliveries)
            assert {(r.status, r.last_error) for r in rows} == {
                (Status.RETRYING, "could not connect")
            }
            clock.move_to(rows[0].next_attempt_at)
        gaps = [later - earlier for earlier, later in zip(attempts, attempts[1:], strict=False)]
        assert gaps == [webhooks.backoff(n) for n in range(1, len(attempts))]
        assert gaps[0] == timedelta(seconds=30) and len(attempts) == 5

        # Back after an hour; its answer to the first delivery of the next round is lost.
        receiver.start()
        receiver.lose_answers = 1
        _attempt(deliveries)
        rows = {r.pk: r for r in WebhookDelivery.objects.filter(pk__in=deliveries)}
        lost = rows[deliveries[0]]
        assert lost.status == Status.RETRYING and lost.attempts == 6
        assert all(rows[pk].status == Status.DELIVERED for pk in deliveries[1:])
        clock.move_to(lost.next_attempt_at)
        assert lost.next_attempt_at - timezone.now() <= timedelta(0)
        _attempt(deliveries)
    assert WebhookDelivery.objects.get(pk=lost.pk).status == Status.DELIVERED
    # Every delivery arrived; the one whose answer was lost came twice with the same id,
    # and the receiver knew the second for a repeat.
    assert sorted(receiver.said(webhooks.NEW)) == sorted(str(pk) for pk in deliveries)
    assert receiver.said(webhooks.REPEAT) == [str(lost.pk)]
    assert not webhooks.given_up(world.agency_a.pk).exists()


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_given_up_deliveries_wait_in_the_dead_letter_list_and_a_resend_delivers_them(
    world, receiver, client
):
    with time_machine.travel(START, tick=False) as clock:
        endpoint, receiver.secret = create_webhook(world.agency_a, receiver.url)
        # Up for a moment: it gets the first delivery but its answer is lost; then down.
        receiver.start()
        receiver.lose_answers = 1
        handed_over(world)
        originals = list(
            WebhookDelivery.objects.filter(endpoint=endpoint)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        _attempt(originals[:1])
        receiver.stop()
        assert receiver.said(webhooks.NEW) == [str(originals[0])]
        for attempt in range(1, webhooks.MAX_ATTEMPTS + 1):
            _attempt(originals[1:] if attempt == 1 else originals)
            rows = list(WebhookDelivery.objects.filter(pk__in=originals))
            if attempt < webhooks.MAX_ATTEMPTS:
                assert {r.status for r in rows} == {Status.RETRYING}
                clock.move_to(rows[0].next_attempt_at)
        assert {(r.status, r.attempts) for r in rows} == {(Status.FAILED, webhooks.MAX_ATTEMPTS)}
        # The whole schedule: about 45 hours from the first attempt to the last.
        assert timezone.now() - START == sum(
            (webhooks.backoff(n) for n in range(1, webhooks.MAX_ATTEMPTS)), timedelta()
        )

    # The receiver is back; the agency's officer finds the deliveries in the dead-letter
    # list and sends them all again, through a real worker.
    receiver.start()
    client.force_login(world.agency_officer)
    page = reverse("exchange:dead_letters", args=[world.agency_a.pk])
    listed = client.get(page, HTTP_ACCEPT_LANGUAGE="en")
    assert listed.status_code == 200 and listed.context["count"] == len(originals)
    assert "could not connect" in listed.content.decode()
    client.post(reverse("exchange:resend_dead_letters", args=[world.agency_a.pk]), {"all": "1"})
    copies = list(WebhookDelivery.objects.filter(resent_from__in=originals))
    assert len(copies) == len(originals)
    worker = processes.worker()
    try:
        processes.wait(
            lambda: (
                WebhookDelivery.objects.filter(
                    pk__in=[c.pk for c in copies], status=Status.DELIVERED
                ).count()
                == len(copies)
            ),
            120,
            "the worker to deliver the re-sent deliveries",
        )
    finally:
        processes.stop(worker)

    assert not webhooks.given_up(world.agency_a.pk).exists()
    copy_ids = {str(c.pk) for c in copies}
    # New ids; the event the receiver already had came again and was known for a repeat.
    first_copy = str(next(c.pk for c in copies if c.resent_from_id == originals[0]))
    assert receiver.said(webhooks.REPEAT) == [first_copy]
    assert set(receiver.said(webhooks.NEW)) == {str(originals[0])} | (copy_ids - {first_copy})
    assert not receiver.said(webhooks.REFUSED)
    call_command("audit_verify", "--keyed-from", "1")
