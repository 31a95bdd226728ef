"""Legal deadlines as a table of cases (docs/domain.md §3.5), on the 2026 calendar."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from postgov.lib.workingtime import VIETNAM, WorkingCalendar, parse_office_hours


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=VIETNAM)


PLAIN = WorkingCalendar()
# The admin's table for 2026 (an example): Friday 2 January off, made up on Saturday 10.
SWAPS = WorkingCalendar(
    extra_days_off=frozenset({date(2026, 1, 2)}),
    extra_working_days=frozenset({date(2026, 1, 10)}),
)


@pytest.mark.parametrize(
    "case, calendar, received, days, rule, due",
    [
        ("same week", PLAIN, "2026-11-30 10:00", 3, True, "2026-12-03 17:00"),
        ("over a weekend", PLAIN, "2026-11-27 10:00", 1, True, "2026-11-30 17:00"),
        ("received on a Saturday", PLAIN, "2026-11-28 09:00", 1, True, "2026-12-01 17:00"),
        ("after 15:00, rule applies", PLAIN, "2026-11-26 15:30", 1, True, "2026-11-30 17:00"),
        ("after 15:00, no rule", PLAIN, "2026-11-26 15:30", 1, False, "2026-11-27 17:00"),
        ("Tết 2026 (16–20 Feb)", PLAIN, "2026-02-13 10:00", 2, True, "2026-02-24 17:00"),
        ("legal holiday 24 Nov", PLAIN, "2026-11-23 10:00", 1, True, "2026-11-25 17:00"),
        ("admin extra day off", SWAPS, "2025-12-31 10:00", 2, True, "2026-01-06 17:00"),
        ("admin make-up Saturday", SWAPS, "2026-01-09 10:00", 1, True, "2026-01-10 17:00"),
        ("package make-up Saturday", PLAIN, "2026-08-21 10:00", 1, True, "2026-08-22 17:00"),
        ("half a day", PLAIN, "2026-11-30 10:00", Decimal("0.5"), True, "2026-11-30 15:45"),
        (
            "one and a half days",
            PLAIN,
            "2026-11-30 10:00",
            Decimal("1.5"),
            True,
            "2026-12-02 11:15",
        ),
    ],
)
def test_due_in_working_days(case, calendar, received, days, rule, due):
    assert calendar.due_in_working_days(at(received), days, after_15h_next_day=rule) == at(due)


@pytest.mark.parametrize(
    "received, hours, due",
    [
        ("2026-11-30 10:00", 8, "2026-12-01 10:30"),
        ("2026-11-30 06:00", 4, "2026-11-30 11:30"),  # before opening: counts from 07:30
        ("2026-11-30 12:00", 1, "2026-11-30 14:30"),  # over lunch
        ("2026-11-27 16:30", 2, "2026-11-30 09:00"),  # Friday evening into Monday
    ],
)
def test_due_in_working_hours(received, hours, due):
    assert PLAIN.due_in_working_hours(at(received), hours) == at(due)


def test_pause_and_resume_keeps_the_working_time_left():
    due = at("2026-12-03 17:00")
    new_due = PLAIN.resume(due, paused_at=at("2026-11-30 17:00"), resumed_at=at("2026-12-04 09:00"))
    assert new_due == at("2026-12-09 09:00")


def test_a_dossier_already_late_is_not_forgiven_by_a_pause():
    due = at("2026-11-30 17:00")
    assert PLAIN.resume(due, at("2026-12-01 09:00"), at("2026-12-05 09:00")) == due


def test_days_left_is_negative_when_late():
    due = at("2026-12-01 17:00")
    assert PLAIN.working_days_left(at("2026-11-30 17:00"), due) == Decimal("1.0")
    assert PLAIN.working_days_left(at("2026-12-02 17:00"), due) == Decimal("-1.0")


def test_office_hours_per_agency():
    hours = parse_office_hours(["13:00-17:00", "08:00-12:00"])
    calendar = WorkingCalendar(office_hours=hours)
    assert calendar.due_in_working_hours(at("2026-11-30 11:00"), 2) == at("2026-11-30 14:00")
    with pytest.raises(ValueError):
        parse_office_hours(["08:00-12:00", "11:00-13:00"])
    with pytest.raises(ValueError):
        parse_office_hours(["12:00-08:00"])


def test_non_positive_limits_are_refused():
    with pytest.raises(ValueError):
        PLAIN.due_in_working_days(at("2026-11-30 10:00"), 0, after_15h_next_day=True)
