"""When a postman can come: the days and windows a home pickup may be booked or moved to.

One set of rules for booking and for moving a booking: from tomorrow to
`BOOKING_DAYS_AHEAD` days ahead, on collection days (every day but Sundays, Vietnam's
legal holidays and the extra days off of the admins' swap table for the province), and
within the capacity of the post office for that day and window
(`PICKUP_CAPACITY_PER_WINDOW` open bookings).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from postgov.agencies.calendar import adjusted_days
from postgov.delivery.models import PickupBooking
from postgov.lib.workingtime import is_legal_holiday

BOOKING_DAYS_AHEAD = 14
# The postman sets out when the window opens: until then the citizen may still change it.
WINDOW_STARTS = {
    PickupBooking.Window.MORNING: time(7, 30),
    PickupBooking.Window.AFTERNOON: time(13, 30),
    PickupBooking.Window.EVENING: time(17, 0),
}
# When the postman must have been: the end of the window the citizen was promised.
WINDOW_ENDS = {
    PickupBooking.Window.MORNING: time(11, 30),
    PickupBooking.Window.AFTERNOON: time(17, 0),
    PickupBooking.Window.EVENING: time(19, 0),
}
OPEN_STATUSES = (PickupBooking.Status.REQUESTED, PickupBooking.Status.ASSIGNED)


def first_day(today: date | None = None) -> date:
    return (today or timezone.localdate()) + timedelta(days=1)


def last_day(today: date | None = None) -> date:
    return (today or timezone.localdate()) + timedelta(days=BOOKING_DAYS_AHEAD)


def is_collection_day(day: date, province_id: int | None) -> bool:
    if day.weekday() == 6:
        return False
    days_off, extra_working_days = adjusted_days(province_id)
    if day in days_off:
        return False
    return day in extra_working_days or not is_legal_holiday(day)


def first_collection_day(province_id: int | None, today: date | None = None) -> date:
    """The first day a booking made now may ask for (tests and the form's hint use it)."""
    day = first_day(today)
    while not is_collection_day(day, province_id) and day < last_day(today):
        day += timedelta(days=1)
    return day


def day_problem(day: date, province_id: int | None) -> str:
    """Why a postman cannot be booked for `day`, or "" when they can."""
    today = timezone.localdate()
    if day < first_day(today):
        return _("Choose a day from tomorrow on.")
    if day > last_day(today):
        return _("Choose a day within the next %(days)d days.") % {"days": BOOKING_DAYS_AHEAD}
    if day.weekday() == 6:
        return _("Postmen do not collect on Sundays.")
    if not is_collection_day(day, province_id):
        return _("Postmen do not collect on public holidays. Choose another day.")
    return ""


def booked_in_window(point_id: int, day: date, window: str, *, exclude: int | None = None) -> int:
    """Open bookings of the post office for that day and window."""
    bookings = PickupBooking.objects.filter(
        service_point_id=point_id, date=day, window=window, status__in=OPEN_STATUSES
    )
    if exclude is not None:
        bookings = bookings.exclude(pk=exclude)
    return bookings.count()


def is_full(point_id: int, day: date, window: str, *, exclude: int | None = None) -> bool:
    return booked_in_window(point_id, day, window, exclude=exclude) >= (
        settings.PICKUP_CAPACITY_PER_WINDOW
    )


def full_message(point_name: str) -> str:
    return _(
        "%(point)s has no postman free at that time any more. Please choose another day or time."
    ) % {"point": point_name}


def window_starts_at(booking: PickupBooking) -> datetime:
    start = WINDOW_STARTS.get(booking.window, time(0, 0))
    return datetime.combine(booking.date, start, tzinfo=timezone.get_default_timezone())
