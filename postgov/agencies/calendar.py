"""An agency's working calendar: its office hours and the admin's swap table."""

from __future__ import annotations

from django.db.models import Q

from postgov.agencies.models import Agency, CalendarAdjustment
from postgov.lib import refcache
from postgov.lib.workingtime import WorkingCalendar, parse_office_hours


def adjusted_days(province_id: int | None) -> tuple[frozenset, frozenset]:
    """(extra days off, extra working days) of the admins' swap table for a province: the
    national entries, overridden by the province's own for the same day. Kept with the
    process's reference data."""

    def load():
        rows = CalendarAdjustment.objects.filter(
            Q(province__isnull=True) | Q(province=province_id)
        ).values_list("date", "kind", "province_id")
        by_day: dict = {}
        for day, kind, _province in sorted(rows, key=lambda row: row[2] is not None):
            by_day[day] = kind
        return (
            frozenset(d for d, k in by_day.items() if k == CalendarAdjustment.Kind.DAY_OFF),
            frozenset(d for d, k in by_day.items() if k == CalendarAdjustment.Kind.WORKING_DAY),
        )

    return refcache.get("agencies.adjusted_days", province_id, load)


def calendar_for(agency: Agency) -> WorkingCalendar:
    days_off, working_days = adjusted_days(agency.province_id)
    return WorkingCalendar(
        office_hours=parse_office_hours(agency.office_hours or []),
        extra_days_off=days_off,
        extra_working_days=working_days,
    )
