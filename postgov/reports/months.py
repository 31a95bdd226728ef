"""Monthly roll-ups: every daily roll-up table summed over calendar months, so that a
year's report reads twelve months of rows rather than 365 days of them.

A month's rows are recomputed whole from the month's daily rows, in the database (one
`INSERT … SELECT … GROUP BY` per table), in the transaction that rewrites one of its days
(`rollups.update_day`): the monthly and the daily tables never disagree. The readers
take a period's whole months from the monthly tables and the days of the months it cuts
at its edges from the daily ones (`sources`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connection, models
from django.db.models import Q, QuerySet
from django.utils import timezone

from postgov.reports.models import (
    DailyDigitisation,
    DailyIdentity,
    DailyLegs,
    DailyQueue,
    DailyServiceIndex,
    DailyVolume,
    MonthlyDigitisation,
    MonthlyIdentity,
    MonthlyLegs,
    MonthlyQueue,
    MonthlyServiceIndex,
    MonthlyVolume,
    RollupVersion,
)

MONTHLY: dict[type[models.Model], type[models.Model]] = {
    DailyVolume: MonthlyVolume,
    DailyLegs: MonthlyLegs,
    DailyServiceIndex: MonthlyServiceIndex,
    DailyQueue: MonthlyQueue,
    DailyIdentity: MonthlyIdentity,
    DailyDigitisation: MonthlyDigitisation,
}


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


@dataclass(frozen=True)
class Split:
    """A period cut into the days of the months it only partly covers (at most two
    ranges, at its edges) and the first days of the whole months between them."""

    day_ranges: tuple[tuple[date, date], ...]
    months: tuple[date, date] | None  # first days of the first and the last whole month


def split(date_from: date, date_to: date) -> Split:
    first_whole = date_from if date_from.day == 1 else month_end(date_from) + timedelta(days=1)
    last_whole = date_to if date_to == month_end(date_to) else month_start(date_to) - timedelta(1)
    if first_whole > last_whole:  # no whole month inside: days only
        return Split(((date_from, date_to),), None)
    ranges = []
    if date_from < first_whole:
        ranges.append((date_from, first_whole - timedelta(days=1)))
    if last_whole < date_to:
        ranges.append((last_whole + timedelta(days=1), date_to))
    return Split(tuple(ranges), (first_whole, month_start(last_whole)))


def sources(
    daily: type[models.Model], date_from: date, date_to: date, *, by_day: bool = False
) -> list[QuerySet]:
    """The rows that make up the period's figures of `daily`: querysets of the daily
    table (the edges) and of its monthly table (the whole months), to be filtered,
    grouped and summed alike. `by_day`: the caller groups by day, so every row must be a
    day's (short periods)."""
    days_of = daily._default_manager.all()  # noqa: SLF001 - public Django API
    if by_day:
        return [days_of.filter(day__gte=date_from, day__lte=date_to)]
    parts = split(date_from, date_to)
    found: list[QuerySet] = []
    if parts.day_ranges:
        edges = Q()
        for start, end in parts.day_ranges:
            edges |= Q(day__gte=start, day__lte=end)
        found.append(days_of.filter(edges))
    if parts.months is not None:
        monthly = MONTHLY[daily]._default_manager.all()  # noqa: SLF001 - public Django API
        found.append(monthly.filter(day__gte=parts.months[0], day__lte=parts.months[1]))
    return found


def parts(
    daily: type[models.Model], date_from: date, date_to: date, *, by_day: bool = False
) -> list[tuple[QuerySet, date | None]]:
    """As `sources`, but each range of edge days apart, with the month it lies in; None
    for the rows that are the period's own (the days when `by_day`, the whole months).
    A reader that shows months groups an edge's days under that one month, a constant,
    rather than computing every row's month in the database."""
    days_of = daily._default_manager.all()  # noqa: SLF001 - public Django API
    if by_day:
        return [(days_of.filter(day__gte=date_from, day__lte=date_to), None)]
    cut = split(date_from, date_to)
    found: list[tuple[QuerySet, date | None]] = [
        (days_of.filter(day__gte=max(start, month), day__lte=min(end, month_end(month))), month)
        for start, end in cut.day_ranges
        for month in months_between(start, end)
    ]
    if cut.months is not None:
        monthly = MONTHLY[daily]._default_manager.all()  # noqa: SLF001 - public Django API
        found.append((monthly.filter(day__gte=cut.months[0], day__lte=cut.months[1]), None))
    return found


@dataclass(frozen=True)
class Part:
    """Rows of a roll-up table that make up part of a period's figures: grouped under
    `month` (a constant; None: under each row's own day) and added (`sign` 1) or
    subtracted (-1)."""

    rows: QuerySet
    month: date | None
    sign: int


def signed_parts(
    daily: type[models.Model],
    date_from: date,
    date_to: date,
    *,
    by_day: bool = False,
    today: date | None = None,
) -> list[Part]:
    """As `parts`, but a month the period covers for the most part is read from the
    monthly table less the days of it outside the period, when those days are fewer than
    the ones inside: a year from today's date reads thirteen months of rows and the few
    days before its first day, not the 26 days of its first month and the days of this one.
    Days after `today` (the local date by default) hold no rows yet and cost nothing to
    read. Exact for sums of integers (a monthly row is the sum of its days, 0027); not for
    tables that sum floats, whose readers use `parts`."""
    days_of = daily._default_manager.all()  # noqa: SLF001 - public Django API
    if by_day:
        return [Part(days_of.filter(day__gte=date_from, day__lte=date_to), None, 1)]
    today = today or timezone.localdate()
    cut = split(date_from, date_to)
    whole = Q()
    if cut.months is not None:
        whole = Q(day__gte=cut.months[0], day__lte=cut.months[1])
    found: list[Part] = []
    for start, end in cut.day_ranges:
        for month in months_between(start, end):
            first, last = max(start, month), min(end, month_end(month))
            outside = [
                (a, b)
                for a, b in (
                    (month, first - timedelta(days=1)),
                    (last + timedelta(days=1), month_end(month)),
                )
                if a <= b
            ]
            # Roughly the rows each way: a day's for each day read (none after today).
            cost_outside = sum(max(0, (min(b, today) - a).days + 1) for a, b in outside)
            if cost_outside < (last - first).days + 1:
                whole |= Q(day=month)
                found.extend(
                    Part(days_of.filter(day__gte=a, day__lte=b), month, -1) for a, b in outside
                )
            else:
                found.append(Part(days_of.filter(day__gte=first, day__lte=last), month, 1))
    if whole:
        monthly = MONTHLY[daily]._default_manager.all()  # noqa: SLF001 - public Django API
        found.insert(0, Part(monthly.filter(whole), None, 1))
    return found


# -- keeping the monthly tables --------------------------------------------------------------


def _columns(model: type[models.Model]) -> tuple[list[str], list[str]]:
    """The key columns (foreign keys and the leg's name) and the summed ones."""
    keys: list[str] = []
    sums: list[str] = []
    for field in model._meta.concrete_fields:  # noqa: SLF001 - public Django API
        if field.primary_key or field.name == "day" or field.column is None:
            continue
        if isinstance(field, models.ForeignKey | models.CharField):
            keys.append(field.column)
        else:
            sums.append(field.column)
    return keys, sums


def fill_month(daily: type[models.Model], monthly: type[models.Model], month: date) -> int:
    """Replace `monthly`'s rows of the month that holds `month` by the sums of `daily`'s
    rows of that month; the number of rows written. The models may be the migrations'
    historical ones."""
    start, end = month_start(month), month_end(month)
    monthly._default_manager.filter(day=start).delete()  # noqa: SLF001 - public Django API
    keys, sums = _columns(daily)
    quote = connection.ops.quote_name
    key_list = ", ".join(quote(c) for c in keys)
    sum_list = ", ".join(f"SUM({quote(c)})" for c in sums)
    target = ", ".join(quote(c) for c in [*keys, *sums])
    # Only quoted names from the models' meta go into the text; values are parameters.
    sql = (
        f"INSERT INTO {quote(monthly._meta.db_table)} ({quote('day')}, {target}) "  # noqa: S608, SLF001
        f"SELECT %s, {key_list}, {sum_list} FROM {quote(daily._meta.db_table)} "  # noqa: SLF001
        f"WHERE {quote('day')} >= %s AND {quote('day')} <= %s GROUP BY {key_list}"
    )
    adapt = connection.ops.adapt_datefield_value
    with connection.cursor() as cursor:
        cursor.execute(sql, [adapt(start), adapt(start), adapt(end)])
        return max(cursor.rowcount, 0)


def update_month(month: date) -> int:
    """Every monthly table's rows of `month` from the daily rows (inside the caller's
    transaction); the number of rows."""
    return sum(fill_month(daily, monthly, month) for daily, monthly in MONTHLY.items())


def months_between(date_from: date, date_to: date) -> Iterator[date]:
    month = month_start(date_from)
    while month <= date_to:
        yield month
        month = month_end(month) + timedelta(days=1)


def update_months(days: Iterable[date]) -> int:
    return sum(update_month(month) for month in sorted({month_start(day) for day in days}))


# -- versions: what was made from a period's roll-ups may be kept until they change ----------


def changed(day: date) -> None:
    """A new token for the month of `day`, whose rows are being rewritten (in the caller's
    transaction, so that the token and the rows commit together)."""
    RollupVersion.objects.update_or_create(month=month_start(day), defaults={"token": uuid.uuid4()})


def version(date_from: date, date_to: date) -> str | None:
    """The tokens of the period's months, one string; None when a month has none (never
    rewritten since versions exist): then nothing made from it may be kept."""
    wanted = list(months_between(date_from, date_to))
    tokens = dict(RollupVersion.objects.filter(month__in=wanted).values_list("month", "token"))
    if len(tokens) < len(wanted):
        return None
    return ",".join(tokens[month].hex for month in wanted)
