"""Home pickups: the citizen books (public, rate-limited), the supervisor assigns, the
postman visits (phone-sized pages) and either runs the intake at the house or records a
failed visit. Views check access and call `delivery.actions`."""

from __future__ import annotations

import math
from contextlib import suppress
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Avg, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from postgov.audit.actions import client_ip
from postgov.catalog import catalog_access
from postgov.delivery import actions, pickup_tracking
from postgov.delivery.forms import (
    AssignForm,
    BookingForm,
    DoorPositionForm,
    FailedVisitForm,
    MoveForm,
    TrackForm,
)
from postgov.delivery.models import PickupBooking
from postgov.identity.access import role_required
from postgov.identity.models import Role
from postgov.lib import ratelimit, tracking_links
from postgov.lib.netkeys import network_key
from postgov.lib.redirects import safe_next
from postgov.places import positions
from postgov.places.models import Commune, ServicePoint

# Bookings a phone number may make in a day (on top of the per-address hourly limit).
BOOKINGS_PER_PHONE_PER_DAY = 3


def _booking_initial(request) -> dict:
    """What the form starts with: the procedure named in the address (the procedure page's
    "book a pickup" link carries its public code) and, for a signed-in citizen, their
    name, phone and current address."""
    initial = {}
    code = request.GET.get("procedure", "")[:30]
    if code and "\x00" not in code:
        procedure = catalog_access.procedures_in_force_by_post().filter(code=code).first()
        if procedure is not None:
            initial["procedure"] = procedure.pk
    user = request.user
    if user.is_authenticated and not request.access.is_staff_member:
        initial.update(
            name=user.full_name,
            phone=user.phone,
            address=user.current_address,
            commune=user.current_commune_id,
        )
    return {key: value for key, value in initial.items() if value}


@require_http_methods(["GET", "POST"])
def book_pickup(request):
    form = BookingForm(request.POST or None, initial=_booking_initial(request))
    limited = False
    if request.method == "POST" and form.is_valid():
        address = network_key(client_ip(request)) or "unknown"
        data = form.cleaned_data
        if not ratelimit.hit(
            "pickup-book", address, settings.PICKUP_BOOKINGS_PER_HOUR, 3600
        ) or not ratelimit.hit("pickup-phone", data["phone"], BOOKINGS_PER_PHONE_PER_DAY, 86400):
            limited = True
        else:
            try:
                booking = actions.book_pickup(
                    procedure=data["procedure"],
                    name=data["name"],
                    phone=data["phone"],
                    address=data["address"],
                    commune=data["commune"],
                    day=data["date"],
                    window=data["window"],
                    note=data["note"],
                    account=request.user,
                    position=form.position,
                    request=request,
                )
            except actions.PickupError as exc:
                form.add_error(None, str(exc))
            else:
                # The booking on the tracking page, opened with its token as the SMS link.
                return redirect(
                    tracking_links.pickup_link(booking.code, booking.pk, absolute=False)
                )
    response = render(
        request,
        "delivery/book.html",
        {"form": form, "limited": limited, "pin_markers": _pin_markers(form)},
        status=429 if limited else 200,
    )
    return response


def _pin_markers(form: BookingForm) -> list[dict]:
    """The draggable marker of the house, where the form's fields put it, else at the
    chosen commune's centre, else amid the post offices that take bookings; with the
    commune's centre as the landmark on a plain background."""
    commune = None
    commune_id = form["commune"].value()
    if commune_id not in (None, ""):
        with suppress(ValueError, TypeError):
            commune = Commune.objects.filter(pk=int(commune_id)).first()
    centre = positions.commune_centre(commune)
    try:
        start = (float(form["latitude"].value()), float(form["longitude"].value()))
    except (TypeError, ValueError):
        start = (math.nan, math.nan)
    if not all(math.isfinite(value) for value in start) or abs(start[0]) > 90:
        if centre is not None:
            start = (centre.latitude, centre.longitude)
        else:
            middle = ServicePoint.objects.filter(
                active=True, latitude__isnull=False, longitude__isnull=False
            ).aggregate(lat=Avg("latitude"), lon=Avg("longitude"))
            if middle["lat"] is None or middle["lon"] is None:
                return []
            start = (middle["lat"], middle["lon"])
    markers = [
        {
            "lat": start[0],
            "lon": start[1],
            "name": _("Your house"),
            "kind": "pin",
            "lat_input": form["latitude"].auto_id,
            "lon_input": form["longitude"].auto_id,
        }
    ]
    if commune is not None and centre is not None:
        markers.append(
            {
                "lat": centre.latitude,
                "lon": centre.longitude,
                "name": commune.name,
                "kind": "centre",
            }
        )
    return markers


@require_GET
def pickup_status(request, code: str):
    """An old address of a booking: the tracking page, which asks for the phone digits
    (the code alone shows nothing)."""
    return redirect(tracking_links.tracking_url(code[:40], absolute=False))


@require_POST
def pickup_change(request):
    """Cancel or move a booking from the tracking page, with the signed proof the page
    got when the booking's code and phone digits (or its SMS token) matched."""
    booking = pickup_tracking.booking_from_proof(request.POST.get("proof", ""))
    if booking is None:
        response = render(
            request,
            "dossiers/track.html",
            {"form": TrackForm(), "message": pickup_tracking.expired_message()},
            status=403,
        )
        response["Cache-Control"] = "no-store"
        return response
    outcome = change_booking(request, booking, channel="tracking")
    if outcome.done:
        return redirect(tracking_links.pickup_link(booking.code, booking.pk, absolute=False))
    result = pickup_tracking.describe(booking)
    response = render(
        request,
        "dossiers/track.html",
        {
            "form": TrackForm(initial={"code": booking.code}),
            "result": result,
            "move_form": outcome.move_form,
            "change_error": outcome.error,
            "change_for": booking.pk,
        },
        status=400,
    )
    response["Cache-Control"] = "no-store"
    return response


@dataclass
class ChangeOutcome:
    done: bool
    move_form: MoveForm | None = None
    error: str = ""


def change_booking(request, booking: PickupBooking, *, channel: str) -> ChangeOutcome:
    """Run the posted change ("cancel", or "move" with the form's day and time) and say
    it; on a refusal, the form (with what was typed) and why."""
    what = request.POST.get("action")
    actor = request.user if request.user.is_authenticated else None
    if what == "cancel":
        try:
            actions.cancel_pickup(booking.pk, actor=actor, channel=channel, request=request)
        except actions.PickupError as exc:
            return ChangeOutcome(False, error=str(exc))
        messages.success(request, _("Your booking %(code)s is cancelled.") % {"code": booking.code})
        return ChangeOutcome(True)
    form = MoveForm(request.POST, booking=booking)
    if what != "move":
        return ChangeOutcome(False, error=_("Choose what to change."))
    if not form.is_valid():
        return ChangeOutcome(False, move_form=form)
    try:
        moved = actions.move_pickup(
            booking.pk,
            form.cleaned_data["date"],
            form.cleaned_data["window"],
            actor=actor,
            channel=channel,
            request=request,
        )
    except actions.PickupError as exc:
        form.add_error(None, str(exc))
        return ChangeOutcome(False, move_form=form)
    messages.success(
        request,
        _("Your booking %(code)s is moved to %(day)s, %(window)s.")
        % {
            "code": moved.code,
            "day": date_format(moved.date, "l d/m/Y"),
            "window": moved.get_window_display(),
        },
    )
    return ChangeOutcome(True)


def _staff_bookings(access):
    """Bookings at the points where this person supervises, or assigned to them."""
    supervised = access.point_ids(Role.SUPERVISOR)
    carried = access.point_ids(Role.POSTMAN)
    condition = Q(service_point_id__in=supervised) | Q(
        service_point_id__in=carried, postman_id=access.user_id
    )
    return PickupBooking.objects.filter(condition).select_related(
        "service_point", "procedure", "commune", "postman"
    )


@role_required(Role.SUPERVISOR, Role.POSTMAN)
@require_GET
def pickups(request):
    access = request.access
    queryset = _staff_bookings(access)
    status = request.GET.get("status", "")
    if status in PickupBooking.Status.values:
        queryset = queryset.filter(status=status)
    elif status != "all":
        queryset = queryset.filter(status__in=(*actions.OPEN_STATUSES, PickupBooking.Status.FAILED))
    day = request.GET.get("day", "")
    if day == "today":
        queryset = queryset.filter(date=timezone.localdate())
    page = Paginator(queryset.order_by("date", "window", "created_at"), 25).get_page(
        request.GET.get("page")
    )
    postmen = {}
    for point_id in access.point_ids(Role.SUPERVISOR):
        postmen[point_id] = list(actions.postmen_of(point_id))
    rows = [(b, postmen.get(b.service_point_id)) for b in page]
    return render(
        request,
        "delivery/pickups.html",
        {
            "page_obj": page,
            "rows": rows,
            "status": status,
            "day": day,
            "statuses": PickupBooking.Status.choices,
            "supervisor": bool(access.point_ids(Role.SUPERVISOR)),
        },
    )


def _booking(request, pk: int) -> PickupBooking:
    booking = _staff_bookings(request.access).filter(pk=pk).first()
    if booking is None:
        raise Http404
    return booking


@role_required(Role.SUPERVISOR, Role.POSTMAN)
@require_GET
def pickup_detail(request, pk: int):
    booking = _booking(request, pk)
    can_assign = actions.can_manage_pickups(request.access, booking.service_point_id)
    return render(
        request,
        "delivery/pickup.html",
        {
            "booking": booking,
            "attempts": booking.attempts.select_related("postman").order_by("at"),
            "assign_form": AssignForm(
                postmen=actions.postmen_of(booking.service_point_id),
                initial={"postman": booking.postman_id},
            )
            if can_assign
            else None,
            "fail_form": FailedVisitForm(),
            "position_form": DoorPositionForm(),
            "can_visit": actions.can_visit(request.access, booking)
            and booking.status == PickupBooking.Status.ASSIGNED,
            "dossier": getattr(booking, "dossier", None),
        },
    )


@role_required(Role.SUPERVISOR)
@require_POST
def pickup_assign(request, pk: int):
    booking = _booking(request, pk)
    form = AssignForm(request.POST, postmen=actions.postmen_of(booking.service_point_id))
    if not form.is_valid():
        messages.error(request, _("Choose a postman of the post office."))
    else:
        try:
            actions.assign_pickup(
                booking.pk,
                form.cleaned_data["postman"],
                actor=request.user,
                access=request.access,
                request=request,
            )
        except actions.PickupError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("Booking %(code)s assigned to %(name)s; the citizen is told by SMS.")
                % {"code": booking.code, "name": form.cleaned_data["postman"]},
            )
    # The list and the booking's page both post here and name themselves as `next`.
    return redirect(safe_next(request, reverse("delivery:pickups")))


@role_required(Role.SUPERVISOR, Role.POSTMAN)
@require_POST
def pickup_fail(request, pk: int):
    booking = _booking(request, pk)
    form = FailedVisitForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the reason (and describe it for “Other”)."))
        return redirect("delivery:pickup", pk=pk)
    try:
        actions.record_failed_visit(
            booking.pk,
            form.cleaned_data["reason"],
            form.cleaned_data["note"],
            actor=request.user,
            access=request.access,
            request=request,
        )
    except actions.PickupError as exc:
        messages.error(request, str(exc))
    except PermissionDenied:
        raise
    else:
        messages.success(request, _("Visit recorded; the citizen is told by SMS."))
    return redirect("delivery:pickup", pk=pk)


@role_required(Role.SUPERVISOR, Role.POSTMAN)
@require_POST
def pickup_position(request, pk: int):
    """The postman confirms, at the door, that the phone's position is the address's."""
    booking = _booking(request, pk)
    form = DoorPositionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The phone did not give a position; try again outdoors."))
        return redirect("delivery:pickup", pk=pk)
    try:
        booking = actions.confirm_pickup_position(
            booking.pk,
            form.cleaned_data["latitude"],
            form.cleaned_data["longitude"],
            actor=request.user,
            access=request.access,
            request=request,
        )
    except actions.PickupError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Position recorded for this address: Vpostcode %(code)s.")
            % {"code": booking.vpostcode or "—"},
        )
    return redirect("delivery:pickup", pk=pk)
