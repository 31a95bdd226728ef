"""SLA monitoring per leg: the scheduled check that flags legs due within one working day
or overdue and tells whoever answers for them, and the per-leg report.

The post answers for its legs (the receiving or returning post office's supervisor is
told), the agency for its processing (the agency's address and its receivers and officers
are told). Each leg is flagged once per level (due soon, then overdue), so a person gets
one digest per run with only what is new.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Avg, Count, Q
from django.utils import timezone

from postgov.agencies.models import Agency
from postgov.dossiers.clock import LATE, standing_filter
from postgov.dossiers.legs import flag_due_legs
from postgov.dossiers.models import LegRecord
from postgov.dossiers.orders.workflow import ORDER_SEGMENT_BY_NAME
from postgov.dossiers.workflow import SEGMENT_BY_NAME, Leg
from postgov.exchange import idempotency, portal, webhooks
from postgov.identity.models import AGENCY_ROLES, POINT_ROLES, Role, RoleAssignment
from postgov.lib.partitions import ensure_partitions
from postgov.notify.actions import purge_attachments, queue_message
from postgov.notify.tasks import retry_stranded as retry_stranded_messages
from postgov.reports.scope import nationwide


@dataclass
class CheckSummary:
    due_soon: int = 0
    overdue: int = 0
    notified: int = 0
    housekeeping: dict = field(default_factory=dict)


def _calendar_key(leg: LegRecord):
    return ("agency", leg.agency_id) if leg.leg == Leg.AGENCY else ("post", leg.province_id)


def check_sla(now: datetime | None = None) -> CheckSummary:
    """Flag open legs due within one working day or overdue; notify once per level."""
    now = now or timezone.now()
    summary = CheckSummary()
    with transaction.atomic():
        overdue, soon = flag_due_legs(now)
        summary.overdue, summary.due_soon = len(overdue), len(soon)
        summary.notified = notify(overdue + soon)
    summary.housekeeping = housekeeping(now)
    return summary


def recipients_for(leg: LegRecord) -> set[str]:
    if leg.leg == Leg.AGENCY:
        if leg.agency_id is None:  # an agency's leg always names it (dossiers.legs)
            return set()
        emails = set(
            RoleAssignment.objects.filter(
                agency_id=leg.agency_id,
                active=True,
                role__in=sorted(AGENCY_ROLES),
            ).values_list("user__email", flat=True)
        )
        agency_email = Agency.objects.filter(pk=leg.agency_id).values_list("email", flat=True)
        emails |= set(agency_email)
    else:
        emails = set(
            RoleAssignment.objects.filter(
                service_point_id=leg.service_point_id, active=True, role=Role.SUPERVISOR
            ).values_list("user__email", flat=True)
        )
    return {email for email in emails if email}


def _due(leg: LegRecord) -> datetime:
    if leg.due_at is None:  # flagged because of its due date
        raise ValueError(f"leg {leg.pk} was flagged without a due date")
    return leg.due_at


def notify(legs: list[LegRecord]) -> int:
    """One e-mail per person with the legs newly flagged for them."""
    by_person: dict[str, list[LegRecord]] = defaultdict(list)
    cache: dict[tuple, set[str]] = {}
    for leg in legs:
        key = (leg.leg, leg.agency_id, leg.service_point_id)
        if key not in cache:
            cache[key] = recipients_for(leg)
        for email in cache[key]:
            by_person[email].append(leg)
    for email, items in by_person.items():
        rows = [
            {
                "code": leg.code,
                "segment": leg.segment_label,
                "due": timezone.localtime(leg.due_at),
                "overdue": leg.flag == LegRecord.Flag.OVERDUE,
            }
            for leg in sorted(items, key=_due)
        ]
        queue_message("email", email, "sla_digest", {"rows": rows})
    return len(by_person)


def housekeeping(now: datetime) -> dict:
    """Small periodic chores that ride on the same schedule."""
    return {
        "idempotency_keys_purged": idempotency.purge(now),
        "message_attachments_purged": purge_attachments(now),
        "portal_dossiers_requeued": portal.retry_pending(),
        "webhook_deliveries_requeued": webhooks.retry_stranded(),
        "messages_requeued": retry_stranded_messages(),
        "partitions_made": len(ensure_partitions(connection)),
    }


# -- the per-leg report --------------------------------------------------------------------


def legs_in_scope(access):
    if nationwide(access):
        return LegRecord.objects.all()
    condition = Q(pk__in=[])
    if points := access.point_ids(*POINT_ROLES):
        condition |= Q(service_point__in=points)
    if agencies := access.agency_ids(*AGENCY_ROLES):
        condition |= Q(agency__in=agencies)
    if provinces := access.province_ids():
        condition |= Q(province__in=provinces)
    return LegRecord.objects.filter(condition)


@dataclass
class SegmentLine:
    segment: str
    label: object
    who: str
    finished: int = 0
    late: int = 0
    extended: int = 0
    average_days: Decimal | None = None
    open: int = 0
    open_overdue: int = 0
    open_due_soon: int = 0

    @property
    def on_time_rate(self) -> Decimal | None:
        if not self.finished:
            return None
        return (Decimal(self.finished - self.late) * 100 / self.finished).quantize(Decimal("0.1"))


SECONDS_PER_DAY = Decimal(7.5 * 3600)


def sla_report(legs, date_from: datetime, date_to: datetime, now=None) -> list[SegmentLine]:
    """Per leg (and per post office or agency): legs finished in the period, late ones,
    average working days; legs open now, overdue and due soon."""
    now = now or timezone.now()
    lines: dict[tuple, SegmentLine] = {}

    def line(segment: str, who: str) -> SegmentLine:
        key = (segment, who)
        if key not in lines:
            # A postal order's legs (decision 0016) sit beside the dossiers' legs.
            known = SEGMENT_BY_NAME.get(segment) or ORDER_SEGMENT_BY_NAME[segment]
            lines[key] = SegmentLine(segment, known.label, who)
        return lines[key]

    finished = (
        legs.filter(ended_at__gte=date_from, ended_at__lt=date_to)
        .values("segment", "service_point__name", "agency__name")
        .annotate(
            n=Count("id"),
            late=Count("id", filter=Q(late=True)),
            extended=Count("id", filter=Q(extended=True)),
            seconds=Avg("working_seconds"),
        )
    )
    for row in finished:
        item = line(row["segment"], row["service_point__name"] or row["agency__name"] or "—")
        item.finished, item.late, item.extended = row["n"], row["late"], row["extended"]
        if row["seconds"] is not None:
            item.average_days = (Decimal(row["seconds"]) / SECONDS_PER_DAY).quantize(Decimal("0.1"))
    current = (
        legs.filter(ended_at__isnull=True)
        .values("segment", "service_point__name", "agency__name")
        .annotate(
            n=Count("id"),
            overdue=Count("id", filter=standing_filter(LATE, now, {})),
            soon=Count("id", filter=Q(flag=LegRecord.Flag.DUE_SOON, due_at__gte=now)),
        )
    )
    for row in current:
        item = line(row["segment"], row["service_point__name"] or row["agency__name"] or "—")
        item.open, item.open_overdue, item.open_due_soon = row["n"], row["overdue"], row["soon"]
    order = {name: index for index, name in enumerate([*SEGMENT_BY_NAME, *ORDER_SEGMENT_BY_NAME])}
    return sorted(lines.values(), key=lambda x: (order.get(x.segment, 99), x.who))
