"""The worker side: send one queued message, retrying with backoff on failure."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from postgov.lib.locking import lock_row
from postgov.lib.sealing import SealError
from postgov.lib.stranded import stranded_ids
from postgov.notify import gateways
from postgov.notify.models import Message

MAX_ATTEMPTS = 6
# Waits after the 1st, 2nd... failure: 30 s, 2 min, 8 min, 32 min, ~2 h.
BASE_DELAY = 30
# How long a worker holds a message it is sending; past it, another worker may try again.
LEASE = timedelta(minutes=2)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=BASE_DELAY * 4 ** (attempts - 1))


@task(queue_name="notify")
def send_message(message_id: int) -> str:
    """Claim the message for a short lease, hand it to the gateway outside any transaction
    (a slow gateway must not hold database locks; on SQLite it would block every writer),
    then record the outcome."""
    now = timezone.now()
    with transaction.atomic():
        message = lock_row(Message.objects.filter(pk=message_id))
        if message is None or message.status in (Message.Status.SENT, Message.Status.FAILED):
            return "nothing to do"
        if message.sending_until and message.sending_until > now:
            return "being sent by another worker"
        message.attempts += 1
        message.sending_until = now + LEASE
        message.save(update_fields=["attempts", "sending_until"])
    error = ""
    unreadable = False
    # Only an e-mail carries files: an SMS is sent without asking for them.
    attachments = (
        [(a.filename, bytes(a.content), a.content_type) for a in message.attachments.all()]
        if message.channel == Message.Channel.EMAIL
        else []
    )
    try:
        subject, body = message.outgoing()
    except SealError:
        # Sealed under another key (the secret was rotated): it will never be readable.
        error, unreadable = "sealed text unreadable", True
    else:
        try:
            gateway = gateways.gateway_for(message.channel)
            if attachments:
                gateway.send(message.recipient, subject, body, attachments)
            else:
                gateway.send(message.recipient, subject, body)
        except gateways.GatewayError as exc:
            error = str(exc)[:300] or exc.__class__.__name__
    with transaction.atomic():
        message.sending_until = None
        message.last_error = error
        if not error:
            message.status = Message.Status.SENT
            message.sent_at = timezone.now()
            message.next_attempt_at = None
        elif unreadable or message.attempts >= MAX_ATTEMPTS:
            message.status = Message.Status.FAILED
            message.next_attempt_at = None
        else:
            message.status = Message.Status.RETRYING
            message.next_attempt_at = timezone.now() + backoff(message.attempts)
            send_message.using(run_after=message.next_attempt_at).enqueue(message.pk)
        if message.status in (Message.Status.SENT, Message.Status.FAILED):
            # Sent or given up: the secret it carried is of no use to anyone any more.
            message.sealed_text = ""
        message.save(
            update_fields=[
                "sending_until",
                "last_error",
                "status",
                "sent_at",
                "next_attempt_at",
                "sealed_text",
            ]
        )
    return message.status


def retry_stranded(now: datetime | None = None, limit: int = 500) -> int:
    """Queue again the messages whose task was lost: a worker killed while it held the
    task (the task's row stays "running" for ever, and no other worker takes it) or while
    sending (the lease runs out and nobody comes back). Called by the SLA task, as the
    webhooks' sweep is. A message queued twice is still sent once at a time and never
    again once sent (`send_message` checks both), so a live one picked up here costs a
    claim, not a second SMS."""
    ids = stranded_ids(
        Message.objects.all(),
        waiting=Message.Status.QUEUED,
        retrying=Message.Status.RETRYING,
        now=now or timezone.now(),
        limit=limit,
    )
    for message_id in ids:
        send_message.enqueue(message_id)
    return len(ids)
