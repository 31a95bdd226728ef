"""Appointment slots from the opening hours as written, the days a point is closed, and
the scheduled reminder and no-show work."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from postgov.agencies.models import CalendarAdjustment
from postgov.notify.models import Message
from postgov.places.demo import HOURS_CULTURAL, HOURS_LEVEL_1, HOURS_LEVEL_3
from postgov.queues import actions, slots
from postgov.queues.models import Appointment
from postgov.queues.tasks import mark_missed_task, send_reminders_task

pytestmark = pytest.mark.clock


def test_the_demo_opening_hours_are_read():
    level_1 = slots.parse_hours(HOURS_LEVEL_1)
    assert level_1[0] == level_1[5] == ((time(7), time(19)),)
    assert level_1[6] == ((time(7), time(11, 30)),)
    level_3 = slots.parse_hours(HOURS_LEVEL_3)
    assert level_3[4] == ((time(7, 30), time(11, 30)), (time(13, 30), time(17)))
    assert level_3[5] == ((time(7, 30), time(11, 30)),) and 6 not in level_3
    assert slots.parse_hours(HOURS_CULTURAL)[2][1] == (time(14), time(17))


def test_hours_nobody_can_read_fall_back_to_a_small_offices():
    assert slots.parse_hours("") == slots.DEFAULT_HOURS
    assert slots.parse_hours("call us") == slots.DEFAULT_HOURS


def test_no_slots_on_a_legal_holiday_or_an_extra_day_off(room, world):
    point = world.point_a
    assert slots.slot_times(point, date(2026, 4, 30)) == []  # Reunification Day
    assert slots.slot_times(point, date(2026, 3, 15)) == []  # a Sunday, closed by default
    tuesday = date(2026, 3, 17)
    assert len(slots.slot_times(point, tuesday)) == 15  # 8 in the morning, 7 after
    CalendarAdjustment.objects.create(
        date=tuesday, kind=CalendarAdjustment.Kind.DAY_OFF, province=world.province
    )
    assert slots.slot_times(point, tuesday) == []


def test_a_slot_outside_the_hours_or_past_is_refused(room):
    today = timezone.localdate()
    assert slots.slot_problem(room.a, today, time(6, 0)) != ""
    assert slots.slot_problem(room.a, today - timedelta(days=1), time(9, 0)) != ""
    room.a.slot_capacity = 0
    with translation.override("en"):
        assert "no appointments" in slots.slot_problem(room.a, today, time(10, 0))


def test_the_reminder_and_no_show_tasks(room, _pinned_clock):
    tomorrow = next(s for s in slots.free_slots(room.a) if s.day > timezone.localdate())
    booked = actions.book_appointment(room.a, tomorrow.day, tomorrow.starts_at, "0987654321")
    _pinned_clock.move_to(
        timezone.make_aware(timezone.datetime.combine(tomorrow.day - timedelta(days=1), time(18)))
    )
    assert send_reminders_task.call() == 1
    assert send_reminders_task.call() == 0
    assert Message.objects.filter(template="queue_appointment_reminder").count() == 1
    _pinned_clock.move_to(
        timezone.make_aware(timezone.datetime.combine(tomorrow.day, tomorrow.ends_at))
        + actions.NO_SHOW_GRACE
        + timedelta(seconds=1)
    )
    assert mark_missed_task.call() == 1
    booked.refresh_from_db()
    assert booked.state == Appointment.State.NO_SHOW


def test_the_command_runs_both(room, capsys):
    call_command("queue_appointments")
    assert "reminders sent: 0, appointments missed: 0" in capsys.readouterr().out
