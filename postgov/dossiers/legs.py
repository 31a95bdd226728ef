"""Per-leg service levels: who answers for the time a dossier spends where.

A `LegRecord` opens when a dossier enters a segment of the workflow (workflow.SEGMENTS)
and closes when it leaves it, with its target, the working time it took and whether it was
late. Time at the agency is never counted against the post, nor the reverse; time waiting
for the citizen (a supplement, a payment, a result held for collection) counts against no
one.
"""

from __future__ import annotations

from django.db import transaction

from postgov.dossiers.clock import LATE, Calendars, due_soon_until, is_late, standing_filter
from postgov.dossiers.models import Dossier, DossierEvent, LegRecord
from postgov.dossiers.workflow import Leg, Segment, State, segment_of
from postgov.lib.locking import lock_rows


def _calendar(leg: LegRecord | Segment, dossier: Dossier, calendars: Calendars):
    if leg.leg == Leg.AGENCY and dossier.agency_id:
        return calendars.for_agency(dossier.agency_id)
    return calendars.for_post(dossier.province_id)


def open_leg(dossier: Dossier, segment: Segment, at, calendars: Calendars) -> LegRecord:
    if segment.leg == Leg.AGENCY:
        due = dossier.due_at
        point, agency = None, dossier.agency_id
    else:
        calendar = _calendar(segment, dossier, calendars)
        due = calendar.due_in_working_days(at, segment.working_days, after_15h_next_day=False)
        point = dossier.receiving_point_id
        if segment.name == "return":
            point = dossier.return_point_id or dossier.receiving_point_id
        agency = None
    return LegRecord.objects.create(
        dossier=dossier,
        province_id=dossier.province_id,
        segment=segment.name,
        leg=segment.leg,
        service_point_id=point,
        agency_id=agency,
        started_at=at,
        due_at=due,
    )


def close_leg(leg: LegRecord, dossier: Dossier, at, calendars: Calendars) -> None:
    leg.ended_at = at
    leg.late = is_late(leg.due_at, at)
    calendar = _calendar(leg, dossier, calendars)
    leg.working_seconds = max(0, calendar.working_seconds_between(leg.started_at, at))
    leg.save(update_fields=["ended_at", "late", "working_seconds"])


def track_legs(dossier: Dossier, event: DossierEvent) -> None:
    """AFTER_TRANSITION hook: keep the dossier's legs in step with its state."""
    new = segment_of(event.to_status)
    calendars = Calendars()
    still_open = None
    # No transition leads back to a draft, and a draft is in no segment: a dossier
    # leaving its draft has no leg open.
    open_legs = (
        []
        if event.from_status == State.DRAFT
        else LegRecord.objects.filter(dossier=dossier, ended_at__isnull=True)
    )
    for leg in open_legs:
        if new is not None and leg.segment == new.name:
            still_open = leg
        else:
            close_leg(leg, dossier, event.at, calendars)
    if new is None:
        return
    if still_open is None:
        started = event.at
        old = segment_of(event.from_status) if event.from_status else None
        if old is not None and old.name == new.name and new.name == "outbound":
            # A dossier sealed before legs were tracked: its leg began at the sealing.
            started = dossier.sealed_at or event.at
        open_leg(dossier, new, started, calendars)
    elif new.leg == Leg.AGENCY and event.action == "extend":
        still_open.extended = True
        if event.details.get("late"):
            # An apology after the due date gives the citizen a new date; the agency's
            # leg stays measured against the date it missed.
            still_open.save(update_fields=["extended"])
            return
        still_open.due_at = dossier.due_at
        still_open.flag, still_open.flagged_at = "", None
        still_open.save(update_fields=["due_at", "extended", "flag", "flagged_at"])


def flag_due_legs(now) -> tuple[list[LegRecord], list[LegRecord]]:
    """Flag the open legs newly overdue, then those due within one working day on the
    calendar of whoever answers for them; each leg once per level. Returns both lists,
    locked and with their dossiers, for the caller to tell the people concerned."""
    calendars = Calendars()
    open_legs = LegRecord.objects.filter(ended_at__isnull=True, due_at__isnull=False)
    with transaction.atomic():
        # Newly overdue: one query, no calendar needed (clock.standing: past its moment).
        overdue = lock_rows(
            open_legs.filter(standing_filter(LATE, now, {}))
            .exclude(flag=LegRecord.Flag.OVERDUE)
            .select_related("dossier", "order"),
            of=("self",),
        )
        for leg in overdue:
            leg.flag, leg.flagged_at = LegRecord.Flag.OVERDUE, now
        LegRecord.objects.bulk_update(overdue, ["flag", "flagged_at"])
        candidates = open_legs.filter(due_at__gte=now, flag=LegRecord.Flag.NONE)
        keys = candidates.values_list("leg", "agency_id", "province_id").distinct()
        soon: list[LegRecord] = []
        for leg_kind, agency_id, province_id in keys:
            if leg_kind == Leg.AGENCY and agency_id:
                calendar = calendars.for_agency(agency_id)
                subset = candidates.filter(leg=leg_kind, agency_id=agency_id)
            else:
                calendar = calendars.for_post(province_id)
                subset = candidates.filter(leg=leg_kind, province_id=province_id)
            soon += lock_rows(
                subset.filter(due_at__lte=due_soon_until(calendar, now)).select_related(
                    "dossier", "order"
                ),
                of=("self",),
            )
        for leg in soon:
            leg.flag, leg.flagged_at = LegRecord.Flag.DUE_SOON, now
        LegRecord.objects.bulk_update(soon, ["flag", "flagged_at"])
    return overdue, soon
