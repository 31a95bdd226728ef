"""Queue a message in the caller's transaction: if the change that causes it rolls back,
the message is never sent; if the process dies after commit, the worker still sends it."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from postgov.audit.actions import record
from postgov.notify.models import Message, MessageAttachment
from postgov.notify.tasks import send_message


def queue_message(
    channel: str,
    recipient: str,
    template: str,
    context: dict,
    *,
    about: models.Model | None = None,
    attachments: list[tuple[str, bytes, str]] | None = None,
) -> Message | None:
    """Render `notify/<template>.<channel>.txt` (first line of an e-mail is its subject)
    in Vietnamese and queue it. No recipient, no message. `attachments`: (file name,
    content, content type) for an e-mail; an SMS cannot carry them (refused)."""
    if attachments and channel != Message.Channel.EMAIL:
        raise ValueError("only e-mails carry attachments")
    if not recipient:
        return None
    with translation.override("vi"):
        text = render_to_string(f"notify/{template}.{channel}.txt", context).strip()
    subject = ""
    if channel == Message.Channel.EMAIL:
        subject, _, text = text.partition("\n")
        text = text.strip()
    # No savepoint: a failure here is a database error that fails the caller anyway.
    with transaction.atomic(savepoint=False):
        message = Message.objects.create(
            channel=channel,
            recipient=recipient,
            template=template,
            subject=subject.strip()[:200],
            body=text,
            object_type=about._meta.label_lower if about is not None else "",
            object_id=str(about.pk) if about is not None else "",
        )
        for filename, content, content_type in attachments or []:
            MessageAttachment.objects.create(
                message=message,
                filename=filename[:200],
                content_type=content_type[:60],
                content=content,
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
            )
        send_message.enqueue(message.pk)
    return message


def purge_attachments(now=None) -> int:
    """Empty the attachments of e-mails sent or given up more than
    `MESSAGE_ATTACHMENT_DAYS` ago (they carry citizens' personal data); their name, size
    and SHA-256 stay. Audited when anything was purged. Returns how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.MESSAGE_ATTACHMENT_DAYS)
    done = Q(message__status=Message.Status.SENT, message__sent_at__lt=cutoff) | Q(
        message__status=Message.Status.FAILED, message__created_at__lt=cutoff
    )
    with transaction.atomic():
        count = MessageAttachment.objects.filter(done, purged_at__isnull=True).update(
            content=b"", purged_at=now
        )
        if count:
            record(
                "notify.attachments_purged",
                details={"count": count, "older_than_days": settings.MESSAGE_ATTACHMENT_DAYS},
            )
    return count
