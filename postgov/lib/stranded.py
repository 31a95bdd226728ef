"""Finding the outgoing messages whose task was lost (SMS and e-mails, webhook deliveries).

A worker killed while it held a task leaves the task's row "running" for ever, and no
other worker takes it; one killed while sending leaves its lease to run out with nobody
coming back. The SLA task queues such rows again. Each sender claims its row under a
lease and never sends a row twice once done, so a live row picked up here costs a claim,
not a second sending."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet

# A live worker takes a new row within seconds and a planned retry at its time.
STRANDED_AFTER = timedelta(minutes=5)


def stranded_ids(
    rows: QuerySet[Any], *, waiting: str, retrying: str, now: datetime, limit: int = 500
) -> list[int]:
    """The ids (oldest first, at most `limit`) of the rows in `rows` (which have `status`,
    `created_at`, `next_attempt_at` and `sending_until`) left without a task: waiting
    since well before `now`, due for a retry well before it, or held under a lease that
    has run out."""
    undone = rows.filter(status__in=[waiting, retrying]).filter(
        Q(sending_until__isnull=True) | Q(sending_until__lt=now)
    )
    stranded = undone.filter(
        Q(status=waiting, created_at__lt=now - STRANDED_AFTER)
        | Q(status=retrying, next_attempt_at__lt=now - STRANDED_AFTER)
        | Q(sending_until__lt=now)
    )
    return list(stranded.order_by("id").values_list("id", flat=True)[:limit])
