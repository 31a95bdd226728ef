"""Messages are queued in the caller's transaction and sent by the worker with retries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from postgov.notify import gateways
from postgov.notify.actions import queue_message
from postgov.notify.models import Message
from postgov.notify.tasks import MAX_ATTEMPTS, backoff, retry_stranded, send_message


def run_worker():
    call_command("db_worker", batch=True, queue_name="*", no_startup_delay=True, verbosity=0)


class FailingSms:
    calls = 0

    def send(self, recipient, subject, body):
        FailingSms.calls += 1
        raise gateways.GatewayError("gateway down")


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_sends_nothing():
    with pytest.raises(RuntimeError), transaction.atomic():
        queue_message("sms", "0912345678", "test", {"code": "123456", "minutes": 5})
        raise RuntimeError("the change failed")
    assert Message.objects.count() == 0
    assert DBTaskResult.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_the_worker_sends_a_queued_email():
    message = queue_message("email", "an@example.vn", "test", {"name": "An"})
    assert message.subject == "PostGov — thông báo thử"
    run_worker()
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert mail.outbox[0].to == ["an@example.vn"]
    assert "Xin chào An" in mail.outbox[0].body


@pytest.mark.django_db(transaction=True)
def test_failures_are_retried_with_backoff_then_given_up(monkeypatch):
    monkeypatch.setattr(gateways, "gateway_for", lambda channel: FailingSms())
    message = queue_message("sms", "0912345678", "test", {"code": "1", "minutes": 5})
    for attempt in range(1, MAX_ATTEMPTS + 1):
        send_message.call(message.pk)
        message.refresh_from_db()
        assert message.attempts == attempt
    assert message.status == Message.Status.FAILED
    assert message.last_error == "gateway down"
    # The first send plus one task per retry, each retry queued for later, not run at once.
    assert DBTaskResult.objects.count() == MAX_ATTEMPTS
    first = DBTaskResult.objects.order_by("enqueued_at").first()
    later = DBTaskResult.objects.exclude(pk=first.pk)
    assert all(result.run_after > first.enqueued_at for result in later)
    assert backoff(2) == 4 * backoff(1)


def test_logs_never_carry_full_recipients():
    assert gateways.masked("0912345678") == "***678"
    assert gateways.masked("nguyen.an@example.vn") == "n***@example.vn"


def test_http_gateway_reports_unreachable_as_a_gateway_error():
    gateway = gateways.HttpSms("http://127.0.0.1:9/sms", "token", timeout=1)
    with pytest.raises(gateways.GatewayError):
        gateway.send("0912345678", "", "text")


@pytest.mark.django_db(transaction=True)
def test_a_message_held_by_another_worker_is_not_sent_twice(monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    sent = []

    class Recording:
        def send(self, recipient, subject, body):
            sent.append(recipient)

    monkeypatch.setattr(gateways, "gateway_for", lambda channel: Recording())
    message = queue_message("sms", "0912345678", "test", {"code": "1", "minutes": 5})
    Message.objects.filter(pk=message.pk).update(
        sending_until=timezone.now() + timedelta(minutes=1)
    )
    assert send_message.call(message.pk) == "being sent by another worker"
    assert sent == []
    Message.objects.filter(pk=message.pk).update(
        sending_until=timezone.now() - timedelta(seconds=1)
    )
    assert send_message.call(message.pk) == "sent"
    assert sent == ["0912345678"]


@pytest.mark.django_db(transaction=True)
def test_a_message_whose_task_was_lost_is_queued_again_and_sent_once():
    """A worker killed while it held a message's task leaves the task "running" for ever;
    the SLA task's sweep queues the message again, and it is sent once."""
    sent = []

    class Sms:
        def send(self, recipient, subject, body):
            sent.append(recipient)

    now = timezone.now()
    message = queue_message("sms", "0912345678", "test", {"code": "1", "minutes": 5})
    fresh = queue_message("sms", "0912345679", "test", {"code": "2", "minutes": 5})
    done = queue_message("sms", "0912345670", "test", {"code": "3", "minutes": 5})
    DBTaskResult.objects.all().delete()  # the lost tasks
    Message.objects.filter(pk=message.pk).update(created_at=now - timedelta(minutes=6))
    Message.objects.filter(pk=done.pk).update(
        created_at=now - timedelta(minutes=6), status=Message.Status.SENT
    )
    # One held by a worker that died while sending: its lease has run out.
    held = queue_message("sms", "0912345671", "test", {"code": "4", "minutes": 5})
    Message.objects.filter(pk=held.pk).update(attempts=1, sending_until=now - timedelta(seconds=1))
    DBTaskResult.objects.filter(args_kwargs__args=[held.pk]).delete()

    assert retry_stranded(now) == 2  # not the fresh one (its task may be waiting), not the sent
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(gateways, "gateway_for", lambda channel: Sms())
        run_worker()
        assert retry_stranded(timezone.now()) == 0
    assert sorted(sent) == ["0912345671", "0912345678"]
    assert Message.objects.get(pk=fresh.pk).status == Message.Status.QUEUED
