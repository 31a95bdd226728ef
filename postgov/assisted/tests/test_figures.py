"""The figures the reports read: per day, point, outcome and portal, and time spent."""

from __future__ import annotations

from datetime import date, timedelta

import time_machine

from postgov.assisted import actions, figures
from postgov.assisted.actions import Start
from postgov.assisted.models import Outcome
from postgov.identity.access import Access

from .conftest import CODE_A


def _one(world, procedure, user, point, minutes, outcome, portal="national"):
    access = Access.for_user(user)
    who = {"user": user, "access": access}
    session = actions.start_session(
        Start(point.pk, "Trần Thị Hoa", portal, procedure=procedure), **who
    )
    if outcome is None:
        return session
    actions.record_consent(session.pk, method="screen", affirmed=True, **who)
    with time_machine.travel(session.started_at + timedelta(minutes=minutes)):
        if outcome == Outcome.SUBMITTED:
            actions.record_outcome(session.pk, outcome=outcome, portal_code=CODE_A, **who)
        else:
            actions.record_outcome(session.pk, outcome=outcome, reason="portal_down", **who)
    return session


def test_the_figures_of_a_period(world, procedure):
    with time_machine.travel("2026-03-10T09:00+07:00"):
        _one(world, procedure, world.clerk_a, world.point_a, 10, Outcome.SUBMITTED)
        _one(world, procedure, world.clerk_a, world.point_a, 20, Outcome.NOT_POSSIBLE, "province")
    with time_machine.travel("2026-03-11T23:30+07:00"):  # still the 11th in Vietnam
        _one(world, procedure, world.clerk_b, world.point_b, 30, Outcome.SUBMITTED)
        _one(world, procedure, world.clerk_b, world.point_b, 0, None)
    start, end = date(2026, 3, 9), date(2026, 3, 11)
    assert figures.per_day(start, end) == {
        date(2026, 3, 9): 0,
        date(2026, 3, 10): 2,
        date(2026, 3, 11): 2,
    }
    assert figures.per_point(start, end) == {world.point_a.pk: 2, world.point_b.pk: 2}
    assert figures.per_outcome(start, end) == {"": 1, "not_possible": 1, "submitted": 2}
    assert figures.per_portal(start, end, [world.point_a.pk]) == {"national": 1, "province": 1}
    spent = figures.time_spent(start, end)
    assert (spent.ended, spent.mean_minutes, spent.total_minutes) == (3, 20.0, 60.0)
    assert figures.time_spent(date(2026, 3, 1), date(2026, 3, 2)).mean_minutes is None
