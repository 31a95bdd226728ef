"""Queue a message in the caller's transaction: if the change that causes it rolls back,
the message is never sent; if the process dies after commit, the worker still sends it."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from postgov.audit.actions import record
from postgov.lib.sealing import seal
from postgov.notify.models import SEALED_TEXT_PURPOSE, Message, MessageAttachment
from postgov.notify.tasks import send_message

SECRET_MASK = "******"  # noqa: S105  (what replaces a secret, not one)


def queue_message(
    channel: str,
    recipient: str,
    template: str,
    context: dict[str, Any],
    *,
    about: models.Model | None = None,
    attachments: list[tuple[str, bytes, str]] | None = None,
    secrets: tuple[str, ...] = (),
) -> Message | None:
    """Render `notify/<template>.<channel>.txt` (first line of an e-mail is its subject)
    in Vietnamese and queue it. No recipient, no message. `attachments`: (file name,
    content, content type) for an e-mail; an SMS cannot carry them (refused).
    `secrets`: the context keys holding a secret (a one-time code): the row keeps the
    text with them masked, and the real text only sealed until it is sent or given up.
    A message about a record marked practice is never queued (None)."""
    if attachments and channel != Message.Channel.EMAIL:
        raise ValueError("only e-mails carry attachments")
    if not recipient:
        return None
    if getattr(about, "practice", False):
        # Practice work (decision 0019) reaches no one's phone or mailbox, whoever asks.
        return None
    subject, text = _render(channel, template, context)
    sealed = ""
    if secrets:
        sealed = seal(json.dumps({"subject": subject, "body": text}), SEALED_TEXT_PURPOSE)
        masked = {**context, **{key: SECRET_MASK for key in secrets}}
        subject, text = _render(channel, template, masked)
    # No savepoint: a failure here is a database error that fails the caller anyway.
    with transaction.atomic(savepoint=False):
        message: Message = Message.objects.create(
            channel=channel,
            recipient=recipient,
            template=template,
            subject=subject,
            body=text,
            carries_secret=bool(secrets),
            sealed_text=sealed,
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


def _render(channel: str, template: str, context: dict[str, Any]) -> tuple[str, str]:
    with translation.override("vi"):
        text = render_to_string(f"notify/{template}.{channel}.txt", context).strip()
    subject = ""
    if channel == Message.Channel.EMAIL:
        subject, _, text = text.partition("\n")
        text = text.strip()
    return subject.strip()[:200], text


def purge_attachments(now: datetime | None = None) -> int:
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
