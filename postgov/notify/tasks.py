"""The worker side: send one queued message, retrying with backoff on failure."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from postgov.notify import gateways
from postgov.notify.models import Message

MAX_ATTEMPTS = 6
# Waits after the 1st, 2nd... failure: 30 s, 2 min, 8 min, 32 min, ~2 h.
BASE_DELAY = 30


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=BASE_DELAY * 4 ** (attempts - 1))


@task(queue_name="notify")
def send_message(message_id: int) -> str:
    with transaction.atomic():
        message = Message.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.status in (Message.Status.SENT, Message.Status.FAILED):
            return "nothing to do"
        message.attempts += 1
        try:
            gateways.gateway_for(message.channel).send(
                message.recipient, message.subject, message.body
            )
        except gateways.GatewayError as exc:
            message.last_error = str(exc)[:300]
            if message.attempts >= MAX_ATTEMPTS:
                message.status = Message.Status.FAILED
                message.next_attempt_at = None
            else:
                message.status = Message.Status.RETRYING
                message.next_attempt_at = timezone.now() + backoff(message.attempts)
                send_message.using(run_after=message.next_attempt_at).enqueue(message.pk)
            message.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
            return message.status
        message.status = Message.Status.SENT
        message.sent_at = timezone.now()
        message.last_error = ""
        message.save(update_fields=["attempts", "status", "sent_at", "last_error"])
        return "sent"
