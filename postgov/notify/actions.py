"""Queue a message in the caller's transaction: if the change that causes it rolls back,
the message is never sent; if the process dies after commit, the worker still sends it."""

from __future__ import annotations

import hashlib

from django.db import models, transaction
from django.template.loader import render_to_string
from django.utils import translation

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
