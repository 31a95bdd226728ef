"""The daily roll-ups equal a direct count of the event log, the dossiers and the legs for
every figure, and rebuilding them gives the same rows."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import F

from postgov.dossiers.models import Dossier, DossierEvent, LegRecord
from postgov.dossiers.tests.intake_helpers import ready, seal
from postgov.identity.access import Access
from postgov.reports import months
from postgov.reports.models import DailyLegs, DailyVolume, MonthlyLegs, MonthlyVolume
from postgov.reports.rollups import EVENT_FIGURES, update_day
from postgov.reports.volumes import breakdown, volume_report
from tests.agency_helpers import at, move
from tests.factories import make_intake_catalog

pytestmark = pytest.mark.clock

DAYS = ["2026-11-23", "2026-11-24", "2026-11-25"]


def _generate(world):
    """Dossiers sealed on three days at two points, moved along on later days: some
    handed over, refused, with results ready and delivered at the agency."""
    version = make_intake_catalog(world)
    made = []
    for n, day in enumerate(DAYS):
        pairs = [(world.clerk_a, world.point_a), (world.clerk_b, world.point_b)]
        for clerk, point in pairs[: 1 if n == 1 else 2]:
            with time_machine.travel(at(f"{day} 0{8 + len(made) % 2}:30"), tick=False):
                dossier, _ = seal(ready(world, version, clerk, point=point))
            made.append(dossier)
    for i, dossier in enumerate(made):
        with time_machine.travel(at(f"2026-11-26 1{i}:00"), tick=False):
            move(dossier, "dispatch", dossier.received_by)
        if i == len(made) - 1:
            continue  # still on the way
        with time_machine.travel(at(f"2026-11-27 0{8 + i % 2}:00"), tick=False):
            move(dossier, "hand_over", world.agency_receiver)
        if i % 3 == 0:
            with time_machine.travel(at("2026-11-27 15:00"), tick=False):
                move(dossier, "refuse", world.agency_receiver, reason_code="NOT_COMPETENT")
            continue
        with time_machine.travel(at("2026-11-30 10:00"), tick=False):
            move(dossier, "accept", world.agency_receiver)
        with time_machine.travel(at(f"2026-12-0{1 + i % 2} 10:00"), tick=False):
            move(dossier, "result_ready", world.agency_officer)
    return made


def _direct(day: date) -> tuple[Counter, Counter, Counter]:
    """Counted straight from the tables, dossier by dossier."""
    counts: Counter = Counter()
    for event in DossierEvent.objects.exclude(from_status=F("to_status")).select_related(
        "dossier__procedure_version"
    ):
        local = event.at.astimezone(at("2026-01-01 00:00").tzinfo).date()
        if local == day and event.to_status in EVENT_FIGURES:
            d = event.dossier
            key = (d.receiving_point_id, d.procedure_version.procedure_id, d.agency_id)
            counts[(*key, EVENT_FIGURES[event.to_status])] += 1
    money: Counter = Counter()
    for d in Dossier.objects.exclude(sealed_at=None).select_related("procedure_version"):
        if d.sealed_at.astimezone(at("2026-01-01 00:00").tzinfo).date() == day:
            key = (d.receiving_point_id, d.procedure_version.procedure_id, d.agency_id)
            money[(*key, "procedure_fees")] += d.procedure_fee
            money[(*key, "postage")] += d.postage_out + d.postage_back
            money[(*key, "total_due")] += d.total_due
    legs: Counter = Counter()
    for leg in LegRecord.objects.exclude(ended_at=None).select_related(
        "dossier__procedure_version"
    ):
        if leg.ended_at.astimezone(at("2026-01-01 00:00").tzinfo).date() == day:
            d = leg.dossier
            key = (d.receiving_point_id, d.procedure_version.procedure_id, d.agency_id)
            legs[(*key, leg.segment, "late" if leg.late else "on_time")] += 1
    return counts, money, legs


def _rolled(day: date) -> tuple[Counter, Counter, Counter]:
    counts: Counter = Counter()
    money: Counter = Counter()
    for row in DailyVolume.objects.filter(day=day):
        key = (row.point_id, row.procedure_id, row.agency_id)
        for name in EVENT_FIGURES.values():
            counts[(*key, name)] += getattr(row, name)
        for name in ("procedure_fees", "postage", "total_due"):
            money[(*key, name)] += getattr(row, name)
    legs: Counter = Counter()
    for row in DailyLegs.objects.filter(day=day):
        key = (row.point_id, row.procedure_id, row.agency_id, row.segment)
        legs[(*key, "on_time")] += row.on_time
        legs[(*key, "late")] += row.late
    return +counts, +money, +legs


def _all_rows():
    return (
        sorted(DailyVolume.objects.values_list(*[f.attname for f in DailyVolume._meta.fields][1:])),
        sorted(DailyLegs.objects.values_list(*[f.attname for f in DailyLegs._meta.fields][1:])),
    )


def test_rollups_equal_a_direct_count_and_a_rebuild_gives_the_same_rows(world):
    made = _generate(world)
    assert len({d.receiving_point_id for d in made}) == 2
    every_day = [date(2026, 11, d) for d in range(22, 31)] + [date(2026, 12, 1), date(2026, 12, 2)]
    for day in every_day:
        update_day(day)
        update_day(day)  # again: the same rows, not twice the figures
    figures = Counter()
    for day in every_day:
        direct = tuple(+c for c in _direct(day))
        assert _rolled(day) == direct, day
        for name, n in direct[0].items():
            figures[name[-1]] += n
        for name, n in direct[2].items():
            figures[name[-2]] += n
    # The generated mix really exercises every figure.
    assert figures["sealed"] == 5 and figures["handed_over"] == 4 and figures["refused"] == 2
    assert figures["results_ready"] == 2
    assert figures["outbound"] == 4 and figures["agency"] == 4
    assert DailyVolume.objects.filter(day=date(2026, 11, 23)).count() == 2  # two points

    with time_machine.travel(at("2026-12-02 18:00"), tick=False):
        call_command("rebuild_rollups")
        first = _all_rows()
        call_command("rebuild_rollups", "--from", "2026-11-20", "--to", "2026-12-02")
        assert _all_rows() == first
        call_command("update_rollups")
        assert _all_rows() == first
        call_command("update_rollups", "--enqueue")  # the worker's task: same rows again
        assert _all_rows() == first
    assert DailyVolume.objects.values("day").distinct().count() >= 5


@pytest.mark.parametrize(
    ("period", "today", "subtracted"),
    [
        # Whole October and November from the monthly rows, the edges from the days.
        ((date(2026, 9, 20), date(2026, 12, 1)), "2027-03-01", False),
        # Starts inside November (the 23rd left out), whole December and January.
        ((date(2026, 11, 24), date(2027, 1, 31)), "2027-03-01", False),
        # Whole months only.
        ((date(2026, 10, 1), date(2026, 12, 31)), "2027-03-01", False),
        # Most of November: its month less the 27th to the 30th (hand-overs, refusals,
        # acceptances), fewer days than the 26 inside.
        ((date(2026, 9, 1), date(2026, 11, 26)), "2027-03-01", True),
        # Most of December: its month less the 1st (results ready).
        ((date(2026, 12, 2), date(2027, 2, 28)), "2027-03-01", True),
        # Up to today, the 2nd of December: the month less the days after today (none kept).
        ((date(2026, 9, 1), date(2026, 12, 2)), "2026-12-02", True),
    ],
)
def test_long_periods_read_whole_months_and_still_equal_a_direct_count(
    world, period, today, subtracted
):
    _generate(world)
    every_day = [date(2026, 11, d) for d in range(22, 31)] + [date(2026, 12, 1), date(2026, 12, 2)]
    for day in every_day:
        update_day(day)
    date_from, date_to = period
    assert months.split(date_from, date_to).months is not None
    # The figures are read on `today`, which decides whether an edge month is read as its
    # days or as the month less the days outside the period.
    travel = time_machine.travel(at(f"{today} 18:00"), tick=False)
    travel.start()
    parts = months.signed_parts(DailyVolume, date_from, date_to)
    assert any(part.sign == -1 for part in parts) is subtracted
    counts: Counter = Counter()
    per_point: Counter = Counter()
    legs: Counter = Counter()
    for day in every_day:
        if not date_from <= day <= date_to:
            continue
        direct_counts, direct_money, direct_legs = _direct(day)
        for key, n in (direct_counts + direct_money).items():
            counts[key[-1]] += n
            per_point[(key[0], key[-1])] += n
        for key, n in direct_legs.items():
            legs[key[-1]] += n
    access = Access.for_user(world.provincial_admin)
    report = volume_report(access, date_from, date_to)
    assert report.by_month
    for name in (*EVENT_FIGURES.values(), "procedure_fees", "postage", "total_due"):
        assert report.total.figures[name] == counts[name], name
    assert (report.total.on_time, report.total.late) == (legs["on_time"], legs["late"])
    # Figures there to read, and to subtract: the days left out hold events.
    assert counts["sealed"] > 0 and legs["on_time"] > 0 if not subtracted else sum(counts.values())
    names = {world.point_a.pk: world.point_a.name, world.point_b.pk: world.point_b.name}
    by_point = {row.name: row.figures for row in breakdown(access, date_from, date_to, "point")}
    for (point, name), n in per_point.items():
        assert by_point[names[point]][name] == n, (point, name)
    travel.stop()


def test_the_monthly_rows_are_the_sums_of_the_days_and_follow_a_rebuild(world):
    _generate(world)
    every_day = [date(2026, 11, d) for d in range(22, 31)] + [date(2026, 12, 1), date(2026, 12, 2)]
    for day in every_day:
        update_day(day)

    def summed(model, start: date, end: date) -> Counter:
        found: Counter = Counter()
        for row in model.objects.filter(day__gte=start, day__lte=end):
            key = (row.point_id, row.procedure_id, row.agency_id)
            for name in ("sealed", "handed_over", "refused", "results_ready", "total_due"):
                found[(*key, name)] += getattr(row, name)
        return +found

    assert summed(MonthlyVolume, date(2026, 11, 1), date(2026, 11, 1)) == summed(
        DailyVolume, date(2026, 11, 1), date(2026, 11, 30)
    )
    assert summed(MonthlyVolume, date(2026, 12, 1), date(2026, 12, 1)) == summed(
        DailyVolume, date(2026, 12, 1), date(2026, 12, 31)
    )
    assert MonthlyLegs.objects.filter(day=date(2026, 11, 1)).exists()
    # A day's rows rewritten (here: emptied) rewrite its month in the same step.
    DailyVolume.objects.all().delete()
    MonthlyVolume.objects.all().delete()
    with time_machine.travel(at("2026-12-02 18:00"), tick=False):
        call_command("rebuild_rollups", "--from", "2026-11-20", "--to", "2026-12-02")
    assert summed(MonthlyVolume, date(2026, 11, 1), date(2026, 11, 1)) == summed(
        DailyVolume, date(2026, 11, 1), date(2026, 11, 30)
    )
    assert MonthlyVolume.objects.filter(day=date(2026, 12, 1)).exists()
