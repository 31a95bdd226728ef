"""Recomputing the daily roll-ups (models.DailyVolume, models.DailyLegs, and those of
`service_rollups`) from the event logs and the dossier and leg tables, one day at a time,
with grouped aggregates. Postal orders are counted from their own steps (`OrderEvent`) in
figures of their own.

A day is recomputed whole and its rows replaced in one transaction, so running it again,
or from two cron runs at once, gives the same rows. Figures are attributed to the dossier's
receiving point, procedure and agency as they are when the day is rolled up."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from postgov.dossiers.models import Dossier, DossierEvent, LegRecord
from postgov.dossiers.orders import workflow as order_flow
from postgov.dossiers.orders.models import OrderEvent
from postgov.dossiers.workflow import State
from postgov.reports import months, service_rollups
from postgov.reports.models import DailyLegs, DailyVolume
from postgov.reports.reconciliation import period_bounds

# Which event counts for which figure: the state it brought the dossier to.
EVENT_FIGURES: dict[str, str] = {
    State.SEALED: "sealed",
    State.HANDED_OVER: "handed_over",
    State.RESULT_READY: "results_ready",
    State.DELIVERED: "delivered",
    State.REFUSED: "refused",
}
# Postal orders (decision 0016) are their own kind: the step that brought an order to a
# state counts in a figure of its own, keyed by the order's post office.
ORDER_FIGURES: dict[str, str] = {
    order_flow.ORDERED: "orders_taken",
    order_flow.DELIVERED: "orders_delivered",
    order_flow.HANDED_OVER: "originals_handed_over",
}
COUNTS = tuple(EVENT_FIGURES.values()) + tuple(ORDER_FIGURES.values())
MONEY = ("procedure_fees", "postage", "remittance_fees", "total_due")
KEY = ("province", "point", "procedure", "agency")


def _key_of(prefix: str) -> dict[str, F]:
    return {
        "k_province": F(f"{prefix}province_id"),
        "k_point": F(f"{prefix}receiving_point_id"),
        "k_procedure": F(f"{prefix}procedure_version__procedure_id"),
        "k_agency": F(f"{prefix}agency_id"),
    }


def _key(row: Mapping[str, Any]) -> tuple:
    return tuple(row[f"k_{name}"] for name in KEY)


@dataclass(frozen=True)
class DayResult:
    day: date
    volume_rows: int
    leg_rows: int
    other_rows: int = 0


def compute_day(day: date) -> tuple[dict[tuple, dict[str, int]], dict[tuple, dict[str, int]]]:
    """The day's figures by key (and by key and segment for legs), read only."""
    start, end = period_bounds(day, day)
    volumes: dict[tuple, dict[str, int]] = {}

    def line(key: tuple) -> dict[str, int]:
        return volumes.setdefault(key, dict.fromkeys(COUNTS + MONEY, 0))

    events = (
        DossierEvent.objects.filter(
            at__gte=start, at__lt=end, to_status__in=list(EVENT_FIGURES), dossier__practice=False
        )
        .exclude(from_status=F("to_status"))
        .values("to_status", **_key_of("dossier__"))
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in events:
        line(_key(row))[EVENT_FIGURES[row["to_status"]]] += row["n"]

    order_events = (
        OrderEvent.objects.filter(at__gte=start, at__lt=end, to_status__in=list(ORDER_FIGURES))
        .exclude(from_status=F("to_status"))
        .values(
            "to_status",
            k_province=F("order__province_id"),
            k_point=F("order__service_point_id"),
            k_procedure=F("order__procedure_id"),
            k_agency=F("order__agency_id"),
        )
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in order_events:
        line(_key(row))[ORDER_FIGURES[row["to_status"]]] += row["n"]

    money = (
        Dossier.objects.filter(sealed_at__gte=start, sealed_at__lt=end, practice=False)
        .values(**_key_of(""))
        .annotate(
            procedure_fees=Sum("procedure_fee"),
            postage=Sum(F("postage_out") + F("postage_back")),
            remittance_fees=Sum("remittance_fee"),
            total_due=Sum("total_due"),
        )
        .order_by()
    )
    for row_sums in money:
        sums: Mapping[str, Any] = row_sums
        target = line(_key(sums))
        for name in MONEY:
            target[name] += sums[name] or 0

    legs: dict[tuple, dict[str, int]] = {}
    ended = (
        LegRecord.objects.filter(
            ended_at__gte=start, ended_at__lt=end, dossier__isnull=False, dossier__practice=False
        )
        .values("segment", **_key_of("dossier__"))
        .annotate(
            on_time=Count("id", filter=Q(late=False)), late_n=Count("id", filter=Q(late=True))
        )
        .order_by()
    )
    for leg in ended:
        target = legs.setdefault((*_key(leg), leg["segment"]), {"on_time": 0, "late": 0})
        target["on_time"] += leg["on_time"]
        target["late"] += leg["late_n"]
    return volumes, legs


def update_day(day: date, *, month: bool = True) -> DayResult:
    """Recompute `day` and replace its rows (idempotent), and with them the monthly rows of
    its month (`month=False`: left to the caller, who rebuilds many days of the month)."""
    volumes, legs = compute_day(day)
    with transaction.atomic():
        DailyVolume.objects.filter(day=day).delete()
        DailyLegs.objects.filter(day=day).delete()
        DailyVolume.objects.bulk_create(
            DailyVolume(day=day, **_key_fields(key), **figures)
            for key, figures in volumes.items()
            if any(figures.values())
        )
        DailyLegs.objects.bulk_create(
            DailyLegs(day=day, segment=key[-1], **_key_fields(key[:-1]), **figures)
            for key, figures in legs.items()
        )
        others = service_rollups.update_day(day)
        months.changed(day)
        if month:
            months.update_month(day)
    return DayResult(day, len(volumes), len(legs), others)


def _key_fields(key: tuple) -> dict[str, int | None]:
    return {f"{name}_id": value for name, value in zip(KEY, key, strict=True)}


def days(date_from: date, date_to: date) -> Iterable[date]:
    day = date_from
    while day <= date_to:
        yield day
        day += timedelta(days=1)


def update_recent() -> list[DayResult]:
    """Yesterday and today: what the cron job keeps fresh (late events of yesterday, such
    as a hand-over recorded after midnight with its real time, land in yesterday)."""
    today = timezone.localdate()
    return [update_day(today - timedelta(days=1)), update_day(today)]


def first_day() -> date | None:
    firsts = [
        model.objects.order_by("at").values_list("at", flat=True).first()
        for model in (DossierEvent, OrderEvent)
    ]
    days = [timezone.localdate(moment) for moment in firsts if moment is not None]
    if other := service_rollups.first_day():
        days.append(other)
    return min(days) if days else None


def rebuild(date_from: date | None = None, date_to: date | None = None) -> list[DayResult]:
    """Every day from `date_from` (default: the first event) to `date_to` (default: today),
    each in its own transaction; a month's monthly rows with its last day rebuilt."""
    start = date_from or first_day()
    if start is None:
        return []
    end = date_to or timezone.localdate()
    return [
        update_day(day, month=day == end or day == months.month_end(day))
        for day in days(start, end)
    ]
