"""A signed-in citizen's home pickups ("my pickups"): those booked from the account and
those booked with its verified phone number (`identity.access.own_pickups`), with the
same cancel and move as the tracking page. Each view is audited."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from postgov.audit.actions import record
from postgov.delivery import pickup_tracking
from postgov.delivery.actions import CHANGEABLE_STATUSES
from postgov.delivery.models import PickupBooking
from postgov.delivery.views import change_booking
from postgov.identity.access import own_pickups

SHOWN = 50


def _mine(request):
    bookings = own_pickups(
        request.user,
        PickupBooking.objects.select_related("service_point", "procedure", "postman", "commune"),
    )
    # Those still to come first, soonest first; then the others, latest first.
    return bookings.annotate(
        closed=Case(
            When(status__in=CHANGEABLE_STATUSES, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    ).order_by("closed", "date", "-created_at")


def _render(request, bookings, *, status: int = 200, **extra):
    cards = [pickup_tracking.describe(b, with_proof=False) for b in bookings]
    record(
        "citizen.pickups_viewed",
        request=request,
        obj=request.user,
        details={"bookings": [b.pk for b in bookings]},
    )
    response = render(request, "delivery/my_pickups.html", {"cards": cards, **extra}, status=status)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def my_pickups(request):
    return _render(request, list(_mine(request)[:SHOWN]))


@login_required
@require_POST
def my_pickup_change(request, pk: int):
    booking = _mine(request).filter(pk=pk).first()
    if booking is None:
        raise Http404
    outcome = change_booking(request, booking, channel="account")
    if outcome.done:
        return redirect("mine:pickups")
    return _render(
        request,
        list(_mine(request)[:SHOWN]),
        status=400,
        move_form=outcome.move_form,
        change_error=outcome.error,
        change_for=booking.pk,
    )
