"""Home pickups: the citizen books (public, rate-limited), the supervisor assigns, the
postman visits (phone-sized pages) and either runs the intake at the house or records a
failed visit. Views check access and call `delivery.actions`."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from postgov.audit.actions import client_ip
from postgov.delivery import actions
from postgov.delivery.forms import AssignForm, BookingForm, FailedVisitForm
from postgov.delivery.models import PickupBooking
from postgov.identity.access import role_required
from postgov.identity.models import Role
from postgov.lib import ratelimit
from postgov.lib.netkeys import network_key
from postgov.lib.redirects import safe_next
from postgov.lib.text import mask_name

# Bookings a phone number may make in a day (on top of the per-address hourly limit).
BOOKINGS_PER_PHONE_PER_DAY = 3


@require_http_methods(["GET", "POST"])
def book_pickup(request):
    form = BookingForm(request.POST or None)
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
                    request=request,
                )
            except actions.PickupError as exc:
                form.add_error(None, str(exc))
            else:
                return redirect("delivery:pickup_status", code=booking.code)
    response = render(
        request,
        "delivery/book.html",
        {"form": form, "limited": limited},
        status=429 if limited else 200,
    )
    return response


@require_GET
def pickup_status(request, code: str):
    """What the citizen sees after booking (and when coming back with the code)."""
    if "\x00" in code:  # PostgreSQL refuses NUL in a query; no code holds one anyway
        raise Http404
    booking = get_object_or_404(
        PickupBooking.objects.select_related("service_point", "procedure"), code=code.upper()
    )
    response = render(
        request,
        "delivery/booked.html",
        {"booking": booking, "masked_name": mask_name(booking.name)},
    )
    response["Cache-Control"] = "no-store"
    return response


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
