"""Webhooks to agencies' own systems: one POST per dossier event, signed, retried.

Signature: `PostGov-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>` with the
Unix timestamp in `PostGov-Timestamp`; receivers recompute it over the raw body and reject
old timestamps (replays). `PostGov-Webhook-Id` is the delivery's id (the same on retries,
a new one on a manual re-send), `PostGov-Event` the event type. See docs/api.md.

Deliveries are queued in the transaction of the dossier's change (nothing is sent for a
change that rolls back) and sent by the worker; a failure (network error, non-2xx answer)
is retried with exponential backoff; every attempt is in the delivery log, and a person
may re-send any delivery (audited).

The URL was typed by an agency's officer: each delivery goes through the outbound guard
(`postgov/lib/outbound.py`: a public https address, checked at connect time, no redirect)
and the log keeps only the answer's status and a coarse reason, never what the receiver
said. The signing secret is sealed at rest (`WebhookEndpoint.signing_secret`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import datetime, timedelta

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from postgov.audit.actions import record
from postgov.dossiers.orders.models import OrderEvent, PostalOrder
from postgov.exchange.models import WebhookDelivery, WebhookEndpoint
from postgov.exchange.payloads import dossier_summary, event_out, order_event_out, order_out
from postgov.lib import outbound, refcache
from postgov.lib.locking import lock_row, lock_rows
from postgov.lib.sealing import SealError
from postgov.lib.stranded import stranded_ids

SIGNATURE_HEADER = "PostGov-Signature"
TIMESTAMP_HEADER = "PostGov-Timestamp"
ID_HEADER = "PostGov-Webhook-Id"
EVENT_HEADER = "PostGov-Event"
MAX_ATTEMPTS = 8
BASE_DELAY = 30  # seconds: 30 s, 2 min, 8 min, 32 min, ~2 h, ~8.5 h, ~34 h
TIMEOUT = 10
# Reasons of our own, beside the outbound guard's.
DISABLED = "endpoint disabled"
SECRET_UNREADABLE = "signing secret unreadable"  # noqa: S105  (a reason, not a secret)
LABELS = {DISABLED: _("endpoint disabled"), SECRET_UNREADABLE: _("signing secret unreadable")}


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=BASE_DELAY * 4 ** (attempts - 1))


def sign(secret: str, timestamp: int, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    return "v1=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(secret: str, timestamp: str, body: bytes, header: str, *, tolerance=300) -> bool:
    """What a receiver does (used in the tests and shown in docs/api.md)."""
    try:
        moment = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs(time.time() - moment) > tolerance:
        return False
    expected = sign(secret, moment, body)
    return any(hmac.compare_digest(expected, part.strip()) for part in header.split(","))


# What `receive` answers.
NEW, REPEAT, REFUSED = "new", "repeat", "refused"


def receive(secret: str, headers, body: bytes, seen: set[str], *, tolerance=300) -> str:
    """What a receiver does with a delivery, as docs/api.md describes it: REFUSED when the
    signature or the timestamp is wrong (nothing is kept), REPEAT when it has seen it
    before, else NEW (and remembers it in `seen`, the receiver's own store).

    Two ways of seeing one thing twice: the same delivery again (`PostGov-Webhook-Id`),
    sent again because the receiver's answer was lost or late; and the same event in a new
    delivery (`data.event.id`), re-sent by a person after the receiver was down. The
    event's key names its kind: a dossier's event and an order's may share a number."""
    given = {name.lower(): value for name, value in headers.items()}
    if not verify(
        secret,
        given.get(TIMESTAMP_HEADER.lower(), ""),
        body,
        given.get(SIGNATURE_HEADER.lower(), ""),
        tolerance=tolerance,
    ):
        return REFUSED
    keys = {f"delivery:{given.get(ID_HEADER.lower(), '')}"}
    try:
        data = json.loads(body).get("data") or {}
    except (ValueError, AttributeError):
        data = {}
    event = data.get("event") if isinstance(data, dict) else None
    if isinstance(event, dict) and event.get("id") is not None:
        kind = "order" if "order" in data else "dossier"
        keys.add(f"{kind}-event:{event['id']}")
    if keys & seen:
        seen.update(keys)
        return REPEAT
    seen.update(keys)
    return NEW


def event_type(action: str) -> str:
    return "dossier.new" if action == "seal" else "dossier.updated"


def queue_webhooks(dossier, event) -> None:
    """AFTER_TRANSITION hook: one delivery per active endpoint of the dossier's agency."""
    if not dossier.agency_id:
        return
    endpoints = refcache.get(
        "agencies.webhook_endpoints",
        dossier.agency_id,
        lambda: list(
            WebhookEndpoint.objects.filter(
                agency_id=dossier.agency_id, active=True, approved_at__isnull=False
            )
        ),
    )
    if not endpoints:
        return
    kind = event_type(event.action)
    body = {
        "type": kind,
        "created_at": timezone.now(),
        "data": {"dossier": dossier_summary(dossier), "event": event_out(event)},
    }
    payload = json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))
    for endpoint in endpoints:
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint, event_type=kind, dossier=dossier, payload=payload
        )
        deliver_webhook.enqueue(delivery.pk)


def queue_order_webhooks(order: PostalOrder, event: OrderEvent) -> None:
    """AFTER_ORDER_STEP hook: one delivery per active endpoint of the order's agency. The
    event's id is in the body: a receiver that sees it twice has seen a repeat."""
    endpoints = refcache.get(
        "agencies.webhook_endpoints",
        order.agency_id,
        lambda: list(
            WebhookEndpoint.objects.filter(
                agency_id=order.agency_id, active=True, approved_at__isnull=False
            )
        ),
    )
    if not endpoints:
        return
    kind = "order.new" if event.action == "order" else "order.updated"
    body = {
        "type": kind,
        "created_at": timezone.now(),
        "data": {"order": order_out(order), "event": order_event_out(event)},
    }
    payload = json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))
    for endpoint in endpoints:
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint, event_type=kind, order=order, payload=payload
        )
        deliver_webhook.enqueue(delivery.pk)


def _post(endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> tuple[int | None, str]:
    """The status of the receiver's answer and, when it failed, a coarse reason: the
    agency reads these back, so they must not describe what lies behind a refused or
    unreachable address, nor repeat what the receiver said."""
    body = delivery.payload.encode()
    timestamp = int(time.time())
    try:
        secret = endpoint.signing_secret()
    except SealError:
        return None, SECRET_UNREADABLE
    try:
        answer = outbound.request(
            "POST",
            endpoint.url,
            body=body,
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "PostGov-Webhooks/1",
                TIMESTAMP_HEADER: str(timestamp),
                SIGNATURE_HEADER: sign(secret, timestamp, body),
                ID_HEADER: str(delivery.pk),
                EVENT_HEADER: delivery.event_type,
            },
            timeout=TIMEOUT,
            read_body=False,
        )
    except outbound.OutboundError as exc:
        return exc.status, exc.reason
    return answer.status, ""


def error_label(reason: str) -> str:
    """A delivery's last error in the page's language."""
    return outbound.label(reason, LABELS)


def error_code(reason: str) -> str:
    """A delivery's last error for the API: one of the documented reasons."""
    return outbound.coarse(reason, tuple(LABELS))


LEASE = timedelta(seconds=TIMEOUT * 3)


@task()
def deliver_webhook(delivery_id: int) -> str:
    """Send one delivery; on failure schedule the next attempt (or give up).

    The HTTP call happens outside any transaction (a slow receiver must not hold database
    locks; on SQLite it would block every writer): the delivery is claimed for a short
    lease first, so two workers never send it at the same time."""
    now = timezone.now()
    with transaction.atomic():
        delivery = lock_row(
            WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id),
            of=("self",),
        )
        if delivery is None or delivery.status in (
            WebhookDelivery.Status.DELIVERED,
            WebhookDelivery.Status.FAILED,
        ):
            return "nothing to do"
        if delivery.sending_until and delivery.sending_until > now:
            return "being sent by another worker"
        endpoint = delivery.endpoint
        if not endpoint.active:
            delivery.status = WebhookDelivery.Status.FAILED
            delivery.last_error = DISABLED
            delivery.save(update_fields=["status", "last_error"])
            return DISABLED
        delivery.attempts += 1
        delivery.sending_until = now + LEASE
        delivery.save(update_fields=["attempts", "sending_until"])
    status, error = _post(endpoint, delivery)
    with transaction.atomic():
        delivery.last_status_code = status
        delivery.sending_until = None
        if status is not None and 200 <= status < 300:
            delivery.status = WebhookDelivery.Status.DELIVERED
            delivery.delivered_at = timezone.now()
            delivery.last_error = ""
            delivery.next_attempt_at = None
        elif delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = WebhookDelivery.Status.FAILED
            delivery.last_error = error[:300]
            delivery.next_attempt_at = None
        else:
            delivery.status = WebhookDelivery.Status.RETRYING
            delivery.last_error = error[:300]
            delivery.next_attempt_at = timezone.now() + backoff(delivery.attempts)
            deliver_webhook.using(run_after=delivery.next_attempt_at).enqueue(delivery.pk)
        delivery.save(
            update_fields=[
                "last_status_code",
                "sending_until",
                "status",
                "delivered_at",
                "last_error",
                "next_attempt_at",
            ]
        )
    return delivery.status


def retry_stranded(now: datetime | None = None, limit: int = 500) -> int:
    """Re-queue deliveries whose task was lost: a worker killed while it held the task (its
    row stays "running" for ever) or while sending (the lease runs out and nobody comes
    back). Called by the SLA task. A delivery queued twice is still sent once at a time
    and never again once delivered (`deliver_webhook` checks both), so a live one that
    happens to be picked up here costs nothing."""
    ids = stranded_ids(
        WebhookDelivery.objects.all(),
        waiting=WebhookDelivery.Status.PENDING,
        retrying=WebhookDelivery.Status.RETRYING,
        now=now or timezone.now(),
        limit=limit,
    )
    for delivery_id in ids:
        deliver_webhook.enqueue(delivery_id)
    return len(ids)


def resend(delivery: WebhookDelivery, *, user=None, request=None, via: dict | None = None):
    """A new delivery of the same payload (a new id and a fresh signature), audited."""
    with transaction.atomic():
        copy = WebhookDelivery.objects.create(
            endpoint=delivery.endpoint,
            event_type=delivery.event_type,
            dossier=delivery.dossier,
            order=delivery.order,
            payload=delivery.payload,
            resent_from=delivery,
        )
        record(
            "agency.webhook_resent",
            request=request,
            actor=user,
            obj=copy,
            agency_id=delivery.endpoint.agency_id,
            details={"original": delivery.pk, **(via or {})},
        )
        deliver_webhook.enqueue(copy.pk)
    return copy


# -- the dead-letter list ------------------------------------------------------------------
# Deliveries given up after the last attempt wait there, on the agency's integration page,
# until someone re-sends them (one, or all at once) once the receiver is back.

RESEND_AT_ONCE = 500


def given_up(agency_id: int) -> QuerySet[WebhookDelivery]:
    """The agency's deliveries that failed for good and were not re-sent since."""
    return WebhookDelivery.objects.filter(
        endpoint__agency_id=agency_id, status=WebhookDelivery.Status.FAILED
    ).exclude(Exists(WebhookDelivery.objects.filter(resent_from=OuterRef("pk"))))


def resend_given_up(
    agency_id: int, ids: list[int] | None = None, *, user=None, request=None
) -> list[WebhookDelivery]:
    """Re-send the given-up deliveries named by `ids` (all of them when None, at most
    RESEND_AT_ONCE), each as a new delivery. Two people pressing "resend all" at once send
    each one once: the second waits for the first's locks, then finds them re-sent."""
    with transaction.atomic():
        rows = given_up(agency_id)
        if ids is not None:
            rows = rows.filter(pk__in=ids)
        locked = lock_rows(rows.filter(pk__in=rows.values("pk")[:RESEND_AT_ONCE]), of=("self",))
        # Read again after the locks were granted: a statement sees what committed before it.
        done = set(
            WebhookDelivery.objects.filter(resent_from__in=locked).values_list(
                "resent_from_id", flat=True
            )
        )
        via = {"from": "dead_letters", "all": ids is None}
        return [
            resend(row, user=user, request=request, via=via) for row in locked if row.pk not in done
        ]
