"""The legal clock of a dossier at the agency (docs/domain.md §3.5, §3.6).

The clock starts at the hand-over to the agency (the legal time of submission), counts the
procedure's time limit in working days or hours on the agency's calendar (weekends, legal
holidays, the admins' swap table, office hours, the after-15:00 rule), stops while the
agency waits for a supplement or a payment, and restarts with the working time that was
left. What each action does to the clock is the `CLOCK` table in `workflow.py`; the rule
below is applied by `perform` to every transition, whoever calls it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from postgov.agencies.calendar import adjusted_days, calendar_for
from postgov.agencies.models import Agency
from postgov.catalog.models import ProcedureVersion
from postgov.dossiers.models import ReturnMethod
from postgov.dossiers.workflow import CLOCK, SEGMENT_BY_NAME, Clock, Leg, Transition, segment_of
from postgov.lib.workingtime import WorkingCalendar


def post_calendar(province_id: int | None) -> WorkingCalendar:
    """The calendar the post's own legs are measured on: legal days and the swap table
    (national and the province's), default office hours."""
    days_off, working_days = adjusted_days(province_id)
    return WorkingCalendar(extra_days_off=days_off, extra_working_days=working_days)


class Calendars:
    """Calendars built once per page, task run or report (each costs a query)."""

    def __init__(self) -> None:
        self._agency: dict[int, WorkingCalendar] = {}
        self._post: dict[int | None, WorkingCalendar] = {}

    def for_agency(self, agency: Agency | int) -> WorkingCalendar:
        agency_id = agency if isinstance(agency, int) else agency.pk
        if agency_id not in self._agency:
            if isinstance(agency, int):
                agency = Agency.objects.get(pk=agency_id)
            self._agency[agency_id] = calendar_for(agency)
        return self._agency[agency_id]

    def for_post(self, province_id: int | None) -> WorkingCalendar:
        if province_id not in self._post:
            self._post[province_id] = post_calendar(province_id)
        return self._post[province_id]

    def for_dossier(self, dossier) -> WorkingCalendar:
        if dossier.agency_id:
            return self.for_agency(dossier.agency_id)
        return self.for_post(dossier.province_id)


def legal_due(version: ProcedureVersion, received_at: datetime, calendar: WorkingCalendar):
    """The deadline of a complete dossier received at `received_at`."""
    limit = version.processing_time
    if version.time_unit == ProcedureVersion.TimeUnit.WORKING_HOURS:
        return calendar.due_in_working_hours(received_at, limit)
    return calendar.due_in_working_days(
        received_at, limit, after_15h_next_day=version.next_day_after_15h
    )


def clock_rule(dossier, step: Transition, moment: datetime) -> list[str]:
    """`perform`'s BEFORE_SAVE rule: start, pause or restart the legal clock."""
    effect = CLOCK.get(step.action)
    if effect is None or not dossier.agency_id:
        return []
    calendar = calendar_for(dossier.agency)
    if effect == Clock.START:
        due = legal_due(dossier.procedure_version, moment, calendar)
        dossier.submitted_at = moment
        dossier.due_at = dossier.first_due_at = due
        dossier.clock_paused_at = None
        return ["submitted_at", "due_at", "first_due_at", "clock_paused_at"]
    if effect == Clock.PAUSE:
        if dossier.clock_paused_at is None:
            dossier.clock_paused_at = moment
        return ["clock_paused_at"]
    if effect == Clock.RESUME and dossier.clock_paused_at is not None:
        if dossier.due_at is not None:
            dossier.due_at = calendar.resume(dossier.due_at, dossier.clock_paused_at, moment)
        dossier.clock_paused_at = None
        return ["due_at", "clock_paused_at"]
    return []


# -- late, due soon, on time ----------------------------------------------------------------
# One rule for every badge, inbox tab and count, report, SLA flag and action: a deadline
# is late once its moment has passed (after office hours on the due day too), due soon
# while it falls within one working day from now on the calendar of whoever answers for
# it, on time otherwise.

LATE = "late"
DUE_SOON = "due_soon"
ON_TIME = "on_time"


def due_soon_until(calendar: WorkingCalendar, now: datetime) -> datetime:
    """The end of the "due soon" window: one working day of office time from `now`."""
    return calendar.add_working_seconds(now, calendar.seconds_per_day)


def standing(due_at: datetime, now: datetime, calendar: WorkingCalendar) -> str:
    """LATE, DUE_SOON or ON_TIME: the deadline `due_at` seen at `now`."""
    if now > due_at:
        return LATE
    if due_at <= due_soon_until(calendar, now):
        return DUE_SOON
    return ON_TIME


def is_late(due_at: datetime | None, at: datetime) -> bool:
    """Whether something due at `due_at` and done (or seen) at `at` is late."""
    return due_at is not None and at > due_at


def standing_filter(
    which: str, now: datetime, windows: dict[int, datetime], *, owner: str = "agency_id"
) -> Q:
    """`standing` as a query filter on `due_at`, for rows owned (`owner`) by the keys of
    `windows`, each with the end of its due-soon window (`due_soon_until`)."""
    if which == LATE:
        return Q(due_at__lt=now)
    soon = Q(pk__in=[])
    for key, until in windows.items():
        soon |= Q(**{owner: key}, due_at__gte=now, due_at__lte=until)
    if which == DUE_SOON:
        return soon
    return Q(due_at__gte=now) & ~soon


# -- what people see: days remaining ---------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    """The dossier's deadline as shown beside it everywhere."""

    kind: str  # "none" (not at the agency yet), "running", "paused", "done"
    due_at: datetime | None = None
    days_left: Decimal | None = None  # working days; negative when late
    # LATE, DUE_SOON or ON_TIME while the clock runs (`standing`); a stopped clock is
    # late or on time as it was when it stopped.
    standing: str = ""

    @property
    def late(self) -> bool:
        return self.standing == LATE

    @property
    def due_soon(self) -> bool:
        return self.standing == DUE_SOON


def deadline(dossier, now: datetime | None = None, calendars: Calendars | None = None):
    if dossier.due_at is None or not dossier.agency_id:
        return Deadline("none")
    calendar = (calendars or Calendars()).for_agency(dossier.agency_id)
    segment = segment_of(dossier.status)
    if dossier.clock_paused_at is not None:
        left = calendar.working_days_left(dossier.clock_paused_at, dossier.due_at)
        stopped = LATE if is_late(dossier.due_at, dossier.clock_paused_at) else ON_TIME
        return Deadline("paused", dossier.due_at, left, stopped)
    if segment is not None and segment.leg == Leg.AGENCY:
        now = now or timezone.now()
        left = calendar.working_days_left(now, dossier.due_at)
        return Deadline("running", dossier.due_at, left, standing(dossier.due_at, now, calendar))
    return Deadline("done", dossier.due_at)


def suggested_appointment(dossier, now: datetime, calendars: Calendars | None = None):
    """When a result published at `now` can reach the citizen: the post's return service
    level on the province's calendar when it goes back by post, the next working day at
    the agency otherwise. Offered as the new appointment of a late result's Form 04."""
    calendars = calendars or Calendars()
    if dossier.return_method in (ReturnMethod.DELIVER, ReturnMethod.HOLD):
        calendar = calendars.for_post(dossier.province_id)
        post_days = SEGMENT_BY_NAME["return"].working_days
        if post_days is None:
            raise ValueError("the return segment has no service level")
        days: float = post_days
    else:
        calendar = calendars.for_agency(dossier.agency_id)
        days = 1
    return calendar.due_in_working_days(now, days, after_15h_next_day=False)
