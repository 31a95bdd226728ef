"""Ways out: where an SMS or an e-mail is actually handed over.

Development uses the console gateway; production sets SMS_GATEWAY=http (a generic HTTP
SMS gateway: POST JSON {"to", "text"} with a bearer token) and an SMTP EMAIL_BACKEND.
Tests replace the gateway at this one seam (`gateway_for`).

In development (`settings.DEV`) only, the console SMS gateway and the e-mail gateway
also keep what they handed over, in full, in `DevelopmentDelivery`: a demo user reads
their SMS code on the "sent messages" page (`notify.views.sent_messages`), since no phone
receives it. Production never keeps it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMessage

from postgov.lib import outbound
from postgov.notify.models import DevelopmentDelivery

logger = logging.getLogger("postgov.notify")


class GatewayError(Exception):
    """Sending failed; the message will be retried."""


# (file name, content, content type)
Attachment = tuple[str, bytes, str]


class Gateway(Protocol):
    """`attachments` is passed only when the message has some (e-mail only)."""

    def send(
        self, recipient: str, subject: str, body: str, attachments: Sequence[Attachment] = ...
    ) -> None: ...


def masked(recipient: str) -> str:
    """Logs never carry a full phone number or address."""
    if "@" in recipient:
        name, _, domain = recipient.partition("@")
        return f"{name[:1]}***@{domain}"
    return f"***{recipient[-3:]}"


# The newest deliveries kept in development; older ones are dropped as new ones come.
DEVELOPMENT_KEPT = 500


def keep_in_development(channel: str, recipient: str, subject: str, body: str) -> None:
    """Keep what was handed over, for the development "sent messages" page. Nothing is
    kept outside development."""
    if not settings.DEV:
        return

    delivery = DevelopmentDelivery.objects.create(
        channel=channel, recipient=recipient, subject=subject[:200], body=body
    )
    DevelopmentDelivery.objects.filter(pk__lte=delivery.pk - DEVELOPMENT_KEPT).delete()


def _no_attachments(attachments: Sequence[Attachment]) -> None:
    if attachments:
        raise ValueError("an SMS carries no attachments")


class ConsoleSms:
    def send(
        self, recipient: str, subject: str, body: str, attachments: Sequence[Attachment] = ()
    ) -> None:
        _no_attachments(attachments)
        logger.info(
            "SMS to %s (%d characters) handed to the console gateway", masked(recipient), len(body)
        )
        keep_in_development("sms", recipient, subject, body)


class HttpSms:
    def __init__(self, url: str, token: str, timeout: float = 10.0):
        if not url:
            raise GatewayError("SMS_HTTP_URL is not set")
        self.url, self.token, self.timeout = url, token, timeout

    def send(
        self, recipient: str, subject: str, body: str, attachments: Sequence[Attachment] = ()
    ) -> None:
        _no_attachments(attachments)
        # The URL comes from the environment, yet it goes through the outbound guard like
        # the ones people type: a DNS answer can still move it inside (rebinding), and a
        # redirect must not carry the bearer token elsewhere.
        payload = json.dumps({"to": recipient, "text": body}).encode()
        try:
            outbound.request(
                "POST",
                self.url,
                body=payload,
                headers={
                    "Content-Type": "application/json",
                    "Authorization": f"Bearer {self.token}",
                },
                timeout=self.timeout,
                read_body=False,
            )
        except outbound.OutboundError as exc:
            raise GatewayError(f"SMS gateway: {exc.reason}") from exc


class Email:
    def send(
        self, recipient: str, subject: str, body: str, attachments: Sequence[Attachment] = ()
    ) -> None:
        message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient])
        for filename, content, content_type in attachments:
            message.attach(filename, content, content_type)
        try:
            message.send()
        except OSError as exc:
            raise GatewayError(f"e-mail not accepted: {exc.__class__.__name__}") from exc
        keep_in_development("email", recipient, subject, body)


def gateway_for(channel: str) -> Gateway:
    if channel == "email":
        return Email()
    if settings.SMS_GATEWAY == "http":
        return HttpSms(settings.SMS_HTTP_URL, settings.SMS_HTTP_TOKEN)
    return ConsoleSms()
