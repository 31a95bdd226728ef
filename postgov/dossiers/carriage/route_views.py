"""The postman's route for today: the pickups assigned to them and the results out for
delivery with them (counter dossiers' and postal orders'), in the order `delivery.routing`
plans. The plan is kept in the cache under a fingerprint of its stops
(`delivery.route_plans`): a reload without a change does not plan again, and a pickup
added, collected or failed changes the order at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Q, Subquery
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from postgov.delivery.models import PickupBooking
from postgov.delivery.route_plans import planned_route
from postgov.delivery.routing import Route, Stop
from postgov.delivery.scheduling import OPEN_STATUSES, WINDOW_ENDS, WINDOW_STARTS
from postgov.dossiers.models import Dossier, ReturnMethod
from postgov.dossiers.orders.models import OrderEvent, OrderStatus, PostalOrder
from postgov.dossiers.workflow import State
from postgov.identity.access import role_required
from postgov.identity.models import Role
from postgov.places.models import ServicePoint


def _minutes(moment: time) -> float:
    return moment.hour * 60 + moment.minute + moment.second / 60


@dataclass(frozen=True)
class RouteRow:
    kind: str  # "pickup", "delivery" or "order" (a postal order's result, decision 0016)
    code: str
    url: str
    window: str
    address: str
    vpostcode: str
    lat: float | None
    lon: float | None
    approximate: bool


def _pickups(point: ServicePoint, user_id: int | None, day) -> list[tuple[Stop, RouteRow]]:
    bookings = PickupBooking.objects.filter(
        service_point=point, date=day, status__in=OPEN_STATUSES, postman_id=user_id
    ).order_by("window", "created_at", "pk")
    out = []
    for booking in bookings:
        window = PickupBooking.Window(booking.window)
        stop = Stop(
            key=f"p{booking.pk}",
            lat=booking.latitude,
            lon=booking.longitude,
            opens=_minutes(WINDOW_STARTS[window]),
            closes=_minutes(WINDOW_ENDS[window]),
        )
        row = RouteRow(
            kind="pickup",
            code=booking.code,
            url=reverse("delivery:pickup", args=[booking.pk]),
            window=booking.get_window_display(),
            address=booking.address,
            vpostcode=booking.vpostcode,
            lat=booking.latitude,
            lon=booking.longitude,
            approximate=booking.position_source == "commune",
        )
        out.append((stop, row))
    return out


def _deliveries(point: ServicePoint, user_id: int | None) -> list[tuple[Stop, RouteRow]]:
    dossiers = (
        Dossier.objects.filter(
            Q(return_point=point) | Q(return_point__isnull=True, receiving_point=point),
            status=State.OUT_FOR_DELIVERY,
            delivery_postman_id=user_id,
        )
        .exclude(return_method=ReturnMethod.AT_AGENCY)
        .order_by("updated_at", "pk")
    )
    out = []
    for dossier in dossiers:
        stop = Stop(key=f"d{dossier.pk}", lat=dossier.return_latitude, lon=dossier.return_longitude)
        row = RouteRow(
            kind="delivery",
            code=dossier.code or "",
            url=reverse("carriage:delivery", args=[dossier.pk]),
            window="",
            address=dossier.return_address or dossier.applicant_address,
            vpostcode=dossier.return_vpostcode,
            lat=dossier.return_latitude,
            lon=dossier.return_longitude,
            approximate=dossier.return_position_source == "commune",
        )
        out.append((stop, row))
    return out


def _order_deliveries(point: ServicePoint, user_id: int | None) -> list[tuple[Stop, RouteRow]]:
    """Postal orders' results out for delivery from this office with this postman: the
    one who took it out last (an order has no assigned postman; its step says who)."""
    last_out = (
        OrderEvent.objects.filter(order=OuterRef("pk"), action="out_for_delivery")
        .order_by("-at", "-id")
        .values("actor_id")[:1]
    )
    orders = (
        PostalOrder.objects.filter(service_point=point, status=OrderStatus.OUT_FOR_DELIVERY)
        .annotate(carrier=Subquery(last_out))
        .filter(carrier=user_id)
        .order_by("updated_at", "pk")
    )
    out = []
    for order in orders:
        stop = Stop(key=f"o{order.pk}", lat=order.latitude, lon=order.longitude)
        row = RouteRow(
            kind="order",
            code=order.code,
            url=reverse("orders:point_order", args=[order.pk]),
            window="",
            address=order.address,
            vpostcode="",
            lat=order.latitude,
            lon=order.longitude,
            approximate=order.position_source == "commune",
        )
        out.append((stop, row))
    return out


def _start(point: ServicePoint, stops: list[Stop]) -> tuple[float, float]:
    if point.latitude is not None and point.longitude is not None:
        return point.latitude, point.longitude
    # A post office not yet placed on the map: start from the middle of its stops.
    placed = [(s.lat, s.lon) for s in stops if s.lat is not None and s.lon is not None]
    if not placed:
        return 0.0, 0.0
    return (sum(p[0] for p in placed) / len(placed), sum(p[1] for p in placed) / len(placed))


def _clock(minutes: float | None) -> str:
    if minutes is None:
        return ""
    whole = int(round(minutes))
    return f"{whole // 60:02d}:{whole % 60:02d}"


@require_GET
@role_required(Role.POSTMAN)
def route_today(request):
    points = list(
        ServicePoint.objects.filter(pk__in=request.access.point_ids(Role.POSTMAN)).order_by(
            "name", "pk"
        )
    )
    if not points:
        raise PermissionDenied
    point = next((p for p in points if str(p.pk) == request.GET.get("point")), points[0])
    now = timezone.localtime()
    today = now.date()
    user_id = request.access.user_id
    pairs = (
        _pickups(point, user_id, today)
        + _deliveries(point, user_id)
        + _order_deliveries(point, user_id)
    )
    rows = {stop.key: row for stop, row in pairs}
    stops = [stop for stop, _ in pairs]
    depart = max(_minutes(now.time()), _minutes(WINDOW_STARTS[PickupBooking.Window.MORNING]))
    route: Route
    route, _planned_now = planned_route(_start(point, stops), stops, depart=depart, day=today)
    ordered = [
        {
            "row": rows[planned.stop.key],
            "arrival": _clock(planned.arrival),
            "late": planned.late,
            "unlocated": planned.unlocated,
            "next": index == 0,
        }
        for index, planned in enumerate(route.stops)
    ]
    markers = []
    if point.latitude is not None and point.longitude is not None:
        markers.append(
            {
                "lat": point.latitude,
                "lon": point.longitude,
                "name": point.name,
                "kind": "centre",
                "route": True,
            }
        )
    markers += [
        {
            "lat": item["row"].lat,
            "lon": item["row"].lon,
            "name": f"{number}. {item['row'].code}",
            "kind": "point",
            "url": item["row"].url,
            "route": True,
        }
        for number, item in enumerate(ordered, start=1)
        if not item["unlocated"]
    ]
    return render(
        request,
        "carriage/route.html",
        {
            "point": point,
            "points": points,
            "today": today,
            "stops": ordered,
            "markers": markers,
            "distance_km": route.distance_km,
        },
    )
