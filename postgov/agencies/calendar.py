"""An agency's working calendar: its office hours and the admin's swap table."""

from __future__ import annotations

from django.db.models import Q

from postgov.agencies.models import Agency, CalendarAdjustment
from postgov.lib.workingtime import WorkingCalendar, parse_office_hours


def calendar_for(agency: Agency) -> WorkingCalendar:
    adjustments = CalendarAdjustment.objects.filter(
        Q(province__isnull=True) | Q(province=agency.province_id)
    ).values_list("date", "kind", "province_id")
    # A provincial entry overrides a national one for the same day.
    by_day: dict = {}
    for day, kind, _province in sorted(adjustments, key=lambda row: row[2] is not None):
        by_day[day] = kind
    return WorkingCalendar(
        office_hours=parse_office_hours(agency.office_hours or []),
        extra_days_off=frozenset(
            d for d, k in by_day.items() if k == CalendarAdjustment.Kind.DAY_OFF
        ),
        extra_working_days=frozenset(
            d for d, k in by_day.items() if k == CalendarAdjustment.Kind.WORKING_DAY
        ),
    )
