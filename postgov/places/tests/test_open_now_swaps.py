""" "Open now" follows the province's swap table: a make-up working Saturday is open with a
weekday's hours, a weekday given off is closed; another province's swaps do not count,
the nationwide ones do. On pinned clocks."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from postgov.agencies.models import CalendarAdjustment
from postgov.places import nearby
from postgov.places.models import ServicePoint
from tests.personas import make_second_province

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
WEEKDAYS_ONLY = "Thứ Hai–Thứ Sáu 07:30–11:30, 13:30–17:00"
# Saturday 14 and Monday 16 March 2026: no legal holiday near them.
SATURDAY = dt.date(2026, 3, 14)
MONDAY = dt.date(2026, 3, 16)


def at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, 0), tzinfo=VIETNAM)


@pytest.fixture
def point(world):
    ServicePoint.objects.filter(pk=world.point_a.pk).update(
        opening_hours=WEEKDAYS_ONLY, latitude=16.81, longitude=107.10
    )
    return ServicePoint.objects.select_related("commune").get(pk=world.point_a.pk)


def open_at(point, moment: dt.datetime) -> bool | None:
    with time_machine.travel(moment, tick=False):
        return nearby.point_open_now(point, dt.datetime.now(VIETNAM))


def test_without_swaps_saturday_is_closed_and_monday_open(point):
    assert open_at(point, at(SATURDAY, 9)) is False
    assert open_at(point, at(MONDAY, 9)) is True


def test_a_make_up_saturday_is_open_with_a_weekdays_hours(point, world):
    CalendarAdjustment.objects.create(
        date=SATURDAY, kind=CalendarAdjustment.Kind.WORKING_DAY, province=world.province
    )
    assert open_at(point, at(SATURDAY, 9)) is True
    assert open_at(point, at(SATURDAY, 12)) is False  # the weekday's lunch break
    assert open_at(point, at(SATURDAY, 14)) is True


def test_a_weekday_given_off_is_closed(point, world):
    CalendarAdjustment.objects.create(
        date=MONDAY, kind=CalendarAdjustment.Kind.DAY_OFF, province=world.province
    )
    assert open_at(point, at(MONDAY, 9)) is False


def test_another_provinces_swaps_do_not_count_but_the_nations_do(point):
    other = make_second_province()
    CalendarAdjustment.objects.create(
        date=MONDAY, kind=CalendarAdjustment.Kind.DAY_OFF, province=other.province
    )
    CalendarAdjustment.objects.create(date=SATURDAY, kind=CalendarAdjustment.Kind.WORKING_DAY)
    assert open_at(point, at(MONDAY, 9)) is True
    assert open_at(point, at(SATURDAY, 9)) is True


def test_the_find_page_shows_a_make_up_saturday_open(client, point, world):
    CalendarAdjustment.objects.create(
        date=SATURDAY, kind=CalendarAdjustment.Kind.WORKING_DAY, province=world.province
    )
    with time_machine.travel(at(SATURDAY, 9), tick=False):
        html = client.post(
            "/places/find/",
            {"place": "", "vpostcode": "", "latitude": "16.81", "longitude": "107.10"},
            HTTP_ACCEPT_LANGUAGE="en",
        ).content.decode()
    assert "Bưu điện Đông Hà" in html and "open now" in html
    CalendarAdjustment.objects.filter(date=SATURDAY).delete()
    with time_machine.travel(at(SATURDAY, 9), tick=False):
        html = client.post(
            "/places/find/",
            {"place": "", "vpostcode": "", "latitude": "16.81", "longitude": "107.10"},
            HTTP_ACCEPT_LANGUAGE="en",
        ).content.decode()
    assert "closed now" in html
