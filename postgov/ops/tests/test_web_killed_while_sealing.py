"""A web process killed with SIGKILL while intakes are being sealed leaves no half dossier and
no gap in the codes: the whole intake (draft, checklist, numbers, postal items, event,
audit, the citizen's message) is one transaction, and each number comes from a counter row
moved in that transaction, so a request cut off gives its numbers back.

Real processes on PostgreSQL: gunicorn with two workers, clerks' clients sending the
one-request JSON intake at once, a worker killed at a random moment, three times. A client
that loses its answer sends the same intake again with the same token, as the postman's
phone does; every intake ends sealed exactly once."""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import threading
import time
import uuid
from collections import defaultdict

import pytest
from django.core.management import call_command

from postgov.audit.models import AuditEvent
from postgov.delivery.models import PostalItem
from postgov.dossiers.models import DailySequence, Dossier, DossierDocument, DossierEvent
from postgov.dossiers.workflow import State
from postgov.notify.models import Message
from postgov.ops.tests import processes
from tests.factories import make_intake_catalog

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CLIENTS = 6
KILLS = 3
CSRF = "k" * 32  # a CSRF secret in the form Django expects, as the cookie and the header


class Clerk(threading.Thread):
    """Sends intakes one after another until told to stop; an intake whose answer is lost
    (connection cut) is sent again, the same, until it is answered."""

    def __init__(self, port: int, session: str, commune: str, stop: threading.Event):
        super().__init__(daemon=True)
        self.port, self.session, self.commune, self.stop = port, session, commune, stop
        self.answered: dict[str, int] = {}  # token: dossier id
        self.retries = 0
        self.in_flight = False
        self.failure = ""

    def body(self, token: str, n: int) -> str:
        return json.dumps(
            {
                "token": token,
                "procedure": "1.004227",
                "applicant": {
                    "name": "Nguyễn Văn An",
                    "id_number": f"045090{n:06d}",
                    "birth_date": "1990-03-15",
                    "gender": "male",
                    "phone": "0912 345 678",
                    "address": "Thôn Tân Định",
                    "commune": self.commune,
                },
                "documents": [
                    {"position": 1, "form": "original", "pages": 2},
                    {"position": 2, "form": "copy", "pages": 1},
                    {"position": 3, "form": "original", "pages": 1},
                ],
                "payment": {"method": "cash"},
            }
        )

    def send(self, body: str) -> tuple[int, dict] | None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            self.in_flight = True
            conn.request(
                "POST",
                "/api/v1/dossiers/intakes",
                body=body.encode(),
                headers={
                    "Content-Type": "application/json",
                    "Cookie": f"sessionid={self.session}; csrftoken={CSRF}",
                    "X-CSRFToken": CSRF,
                },
            )
            response = conn.getresponse()
            return response.status, json.loads(response.read() or b"{}")
        except (OSError, http.client.HTTPException):
            return None  # cut off: the worker died under it
        finally:
            self.in_flight = False
            conn.close()

    def run(self):
        n = 0
        while not self.stop.is_set():
            n += 1
            token = str(uuid.uuid4())
            body = self.body(token, n)
            deadline = time.monotonic() + 120
            while True:
                answer = self.send(body)
                if answer is not None and answer[0] in (200, 201):
                    self.answered[token] = answer[1]["id"]
                    break
                if answer is not None and answer[0] not in (502, 503):
                    self.failure = f"HTTP {answer[0]}: {answer[1]}"
                    return
                if time.monotonic() > deadline:
                    self.failure = "no answer for two minutes"
                    return
                self.retries += 1
                time.sleep(0.2)


def _numbers(values: list[str]) -> dict[str, list[int]]:
    """'<series>-NNNN' values by series, their numbers sorted."""
    series: dict[str, list[int]] = defaultdict(list)
    for value in values:
        prefix, _, number = value.rpartition("-")
        series[prefix].append(int(number))
    return {prefix: sorted(numbers) for prefix, numbers in series.items()}


def test_a_web_worker_killed_while_sealing_leaves_no_half_dossier_and_no_gap(world):
    make_intake_catalog(world)
    session = processes.staff_session(world.clerk_a)
    port = processes.free_port()
    server = processes.gunicorn(port, workers=2)
    stop = threading.Event()
    clerks = [Clerk(port, session, world.commune_a.code, stop) for _ in range(CLIENTS)]
    killed = []
    try:
        for clerk in clerks:
            clerk.start()
        for _ in range(KILLS):
            done = sum(len(c.answered) for c in clerks)
            processes.wait(
                lambda done=done: sum(len(c.answered) for c in clerks) >= done + 4,
                120,
                "intakes to be sealed between kills",
            )
            # A random moment while requests are in flight.
            processes.wait(lambda: any(c.in_flight for c in clerks), 30, "a request in flight")
            time.sleep(random.uniform(0, 0.3))  # noqa: S311 — a moment, not a secret
            workers = processes.gunicorn_workers(server)
            assert workers, "gunicorn has no worker to kill"
            victim = random.choice(workers)  # noqa: S311
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)
            processes.wait(
                lambda victim=victim: (
                    len(w := processes.gunicorn_workers(server)) == 2 and victim not in w
                ),
                60,
                "gunicorn to replace the killed worker",
            )
        done = sum(len(c.answered) for c in clerks)
        processes.wait(
            lambda: sum(len(c.answered) for c in clerks) >= done + 2, 120, "intakes after the kills"
        )
    finally:
        stop.set()
        for clerk in clerks:
            clerk.join(timeout=150)
        processes.stop(server)

    assert not [c.failure for c in clerks if c.failure]
    assert len(killed) == KILLS
    assert sum(c.retries for c in clerks) > 0, "no kill cut off a request: nothing was tested"
    answered = {token: pk for c in clerks for token, pk in c.answered.items()}

    # Nothing lost, nothing doubled: one sealed dossier per intake, the one answered.
    dossiers = list(Dossier.objects.all())
    assert {str(d.intake_token): d.pk for d in dossiers} == answered
    assert all(d.status == State.SEALED and d.code for d in dossiers)
    # No half dossier: everything sealing writes is there for each.
    ids = [d.pk for d in dossiers]
    for model, per_dossier in (
        (DossierEvent, 1),
        (PostalItem, 2),  # outbound and return
        (DossierDocument, 3),
    ):
        counts = defaultdict(int)
        for dossier_id in model.objects.filter(dossier_id__in=ids).values_list(
            "dossier_id", flat=True
        ):
            counts[dossier_id] += 1
        assert {pk: counts[pk] for pk in ids} == dict.fromkeys(ids, per_dossier), model.__name__
    sealed = AuditEvent.objects.filter(action="dossier.seal").values_list("object_id", flat=True)
    assert sorted(sealed) == sorted(str(pk) for pk in ids)
    told = Message.objects.filter(template="dossier_sealed", channel="sms")
    assert sorted(told.values_list("object_id", flat=True)) == sorted(str(pk) for pk in ids)

    # No gap: each series (the agency's dossier codes, the point's receipts and seals) runs
    # 1, 2, 3... and its counter stands at its last number.
    issued = 0
    for values in (
        [d.code for d in dossiers],
        [d.receipt_number for d in dossiers],
        [d.seal_number for d in dossiers],
    ):
        for prefix, numbers in _numbers(values).items():
            assert numbers == list(range(1, len(numbers) + 1)), prefix
            issued += len(numbers)
    assert sum(DailySequence.objects.values_list("last_value", flat=True)) == issued

    call_command("audit_verify", "--keyed-from", "1")
