"""The outbox: every SMS and e-mail we send, its attempts and its outcome."""

from __future__ import annotations

import json

from django.db import models
from django.utils.translation import gettext_lazy as _

from postgov.lib.sealing import unseal

SEALED_TEXT_PURPOSE = "notify-sealed-text"


class Message(models.Model):
    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        EMAIL = "email", _("E-mail")

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENT = "sent", _("sent")
        RETRYING = "retrying", _("retrying")
        FAILED = "failed", _("failed")

    channel = models.CharField(_("channel"), max_length=5, choices=Channel.choices)
    recipient = models.CharField(_("recipient"), max_length=254)
    template = models.CharField(_("template"), max_length=60)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    # A message carrying a secret (a one-time code) keeps in `body` only its text with the
    # secret masked; the text to send is sealed here until the message is sent or given
    # up, then erased. So no row ever holds a code in clear, and none holds it at all
    # once it is of no use.
    carries_secret = models.BooleanField(_("carries a secret"), default=False)
    sealed_text = models.TextField(_("text (sealed)"), blank=True, default="")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    # What the message is about, for the timeline of a dossier or an account.
    object_type = models.CharField(_("object type"), max_length=80, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    sending_until = models.DateTimeField(_("sending until"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="notify_object_idx")]

    def __str__(self) -> str:
        return f"{self.channel}:{self.template} ({self.status})"

    def outgoing(self) -> tuple[str, str]:
        """The subject and text to hand to the gateway (unsealed when it carries a
        secret). Raises `SealError` when a sealed text cannot be read back."""
        if not self.sealed_text:
            return self.subject, self.body
        sent = json.loads(unseal(self.sealed_text, SEALED_TEXT_PURPOSE))
        return sent["subject"], sent["body"]


class MessageAttachment(models.Model):
    """A file an e-mail carries (e.g. the Form 01 receipt as a PDF), kept with the message
    so a retry sends exactly what was queued. SMS carry none. Once the message is sent or
    given up, the content is purged after `MESSAGE_ATTACHMENT_DAYS`; its name, size and
    SHA-256 stay as the record of what was sent."""

    message = models.ForeignKey(Message, models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=60)
    content = models.BinaryField()
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["message", "id"]


class DevelopmentDelivery(models.Model):
    """What the development stand-ins (the console SMS gateway, the e-mail backend of a
    development machine) handed over, kept in full — one-time codes included — so the
    demo's "sent messages" page can show them: nobody receives these messages. The
    gateways write it only in development (`settings.DEV`); it is the gateways' own log,
    not the outbox, whose rows may keep a code masked."""

    channel = models.CharField(max_length=5)
    recipient = models.CharField(max_length=254)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
