"""The queue's pages: point staff issue tickets and work the counters, supervisors read
the day's figures and manage the waiting-room screens; citizens follow a ticket, rate
it and book appointments. Public pages are reached by unguessable tokens only."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseNotFound
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template import loader
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from postgov.audit.actions import client_ip
from postgov.identity.access import role_required
from postgov.identity.models import POINT_ROLES, Role
from postgov.identity.printing import qr_svg
from postgov.lib import ratelimit
from postgov.lib.netkeys import network_key
from postgov.places.models import ServicePoint
from postgov.queues import actions, figures, queries, slots
from postgov.queues.forms import (
    BookForm,
    CheckInForm,
    IssueForm,
    RateForm,
    ScreenForm,
    TransferForm,
)
from postgov.queues.models import Appointment, Counter, DisplayScreen, QueueService, Ticket

# Each booking sends an SMS: a client, and a phone number, book only a few.
BOOKINGS_PER_CLIENT_PER_HOUR = 5
BOOKINGS_PER_PHONE_PER_DAY = 3


def _point(request, point_id: int, *roles: str) -> ServicePoint:
    point = get_object_or_404(ServicePoint, pk=point_id)
    if not request.access.can_act_at_point(point.pk, *(roles or POINT_ROLES)):
        raise PermissionDenied
    return point


def _follow_url(ticket: Ticket) -> str:
    return request_free_url("queues:follow", ticket.token)


def request_free_url(name: str, token: str) -> str:
    """An absolute address, as printed on a ticket or shown to set up a screen."""
    return settings.SITE_URL + reverse(name, args=[token])


# -- staff: the points, issuing, counters --------------------------------------------------------


@role_required(Role.CLERK, Role.SUPERVISOR)
@require_GET
def points(request):
    ids = request.access.point_ids(Role.CLERK, Role.SUPERVISOR)
    rows = ServicePoint.objects.filter(pk__in=ids).prefetch_related("queue_counters")
    return render(
        request,
        "queues/points.html",
        {"points": rows, "supervised": request.access.point_ids(Role.SUPERVISOR)},
    )


@role_required(Role.CLERK, Role.SUPERVISOR)
@require_http_methods(["GET", "POST"])
def issue(request, point_id: int):
    point = _point(request, point_id, Role.CLERK, Role.SUPERVISOR)
    form = IssueForm(request.POST if request.method == "POST" else None, point=point)
    check_in_form = CheckInForm()
    if request.method == "POST" and form.is_valid():
        try:
            ticket = actions.issue_ticket(form.cleaned_data["service"], request=request)
        except actions.QueueError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("queues:ticket_print", pk=ticket.pk)
    return render(
        request,
        "queues/issue.html",
        {"point": point, "form": form, "check_in_form": check_in_form},
        status=400 if form.errors else 200,
    )


@role_required(Role.CLERK, Role.SUPERVISOR)
@require_POST
def check_in(request, point_id: int):
    point = _point(request, point_id, Role.CLERK, Role.SUPERVISOR)
    check_in_form = CheckInForm(request.POST)
    if check_in_form.is_valid():
        try:
            ticket = actions.check_in(point, check_in_form.cleaned_data["code"], request=request)
        except actions.QueueError as exc:
            check_in_form.add_error("code", str(exc))
        else:
            return redirect("queues:ticket_print", pk=ticket.pk)
    return render(
        request,
        "queues/issue.html",
        {"point": point, "form": IssueForm(point=point), "check_in_form": check_in_form},
        status=400,
    )


@role_required(Role.CLERK, Role.SUPERVISOR)
@require_GET
def ticket_print(request, pk: int):
    ticket = get_object_or_404(Ticket.objects.select_related("service", "service_point"), pk=pk)
    _point(request, ticket.service_point_id, Role.CLERK, Role.SUPERVISOR)
    url = _follow_url(ticket)
    return render(
        request,
        "queues/ticket_print.html",
        {
            "ticket": ticket,
            "qr": qr_svg(url, scale=3),
            "follow_url": url,
            "standing": queries.standing(ticket),
        },
    )


def _counter(request, pk: int, *, with_point: bool = False) -> Counter:
    if with_point:
        counter = get_object_or_404(Counter.objects.select_related("service_point"), pk=pk)
    else:
        # A step's and a poll's counter: its four columns by one plain statement.
        found = queries.counter_row(pk)
        if found is None:
            raise Http404
        counter = found
    # The point's id came with the counter: checked without reading the point.
    if not request.access.can_act_at_point(counter.service_point_id, Role.CLERK, Role.SUPERVISOR):
        raise PermissionDenied
    return counter


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _fragment(request, template: str, context: dict, *, forms: bool = True) -> HttpResponse:
    """A part of a page for htmx to swap in, rendered without the context processors:
    they feed the page around it (its menu reads the user's roles and clearances, for
    one), which the part does not show. A part with forms gets their CSRF token here."""
    if forms:
        context = {**context, "csrf_token": get_token(request)}
    return HttpResponse(loader.get_template(template).render(context))


@role_required(Role.CLERK, Role.SUPERVISOR)
@require_GET
def counter(request, pk: int):
    if _is_htmx(request) and request.headers.get("HX-Target") == "line":
        # The page's poll of the waiting line: that part alone, not the page around it.
        desk = _counter(request, pk)
        response = _fragment(
            request, "queues/_counter_line.html", {"counter": desk, "line": queries.line(desk)}
        )
    else:
        desk = _counter(request, pk, with_point=True)
        response = render(
            request,
            "queues/counter.html",
            {
                **_desk(desk, actions.current_ticket(desk)),
                "line": queries.line(desk),
            },
        )
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


def _desk(desk: Counter, current: Ticket | None, transfer_form=None, notes=()) -> dict:
    """What the counter's desk shows: the ticket it serves and its steps, or "call next".
    The point's services (the transfer's choices) are read only while a ticket is served,
    and name the ticket's own service too."""
    services: list[QueueService] = []
    if current is not None:
        services = queries.open_services(desk.service_point_id)
        by_pk = {service.pk: service for service in services}
        if current.service_id in by_pk:
            current.service = by_pk[current.service_id]
    return {
        "counter": desk,
        # The desk's forms post here: reversed once, not once per form.
        "step_url": reverse("queues:counter_step", args=[desk.pk]),
        "current": current,
        "services": services,
        "transfer_form": transfer_form or TransferForm(point=desk.service_point_id),
        "notes": notes,
    }


@role_required(Role.CLERK, Role.SUPERVISOR)
@require_POST
def counter_step(request, pk: int):
    """A step at the counter. From the page's htmx the answer is the desk as it stands
    after the step (the ticket the step leaves at the counter is known without reading it
    again) and the waiting line's counts, in one grouped statement; without script, a
    redirect to the page."""
    desk = _counter(request, pk)
    step = request.POST.get("step", "")
    # Every step finds the counter's ticket itself, under its lock: none is read before.
    current: Ticket | None = None
    notes: list[tuple[str, str]] = []
    form = None
    try:
        if step == "call_next":
            current = actions.call_next(desk, request=request)
            if current is None:
                notes.append(("info", _("Nobody is waiting for this counter's services.")))
            else:
                notes.append(("success", _("Called %(ticket)s.") % {"ticket": current.label}))
        elif step == "recall":
            current = actions.recall(None, desk, request=request)
        elif step == "end":
            actions.end_service(None, desk, request=request)
        elif step == "no_show":
            actions.no_show(None, desk, request=request)
        elif step == "transfer":
            form = TransferForm(request.POST, point=desk.service_point_id)
            if form.is_valid():
                actions.transfer(None, desk, form.cleaned_data["service"], request=request)
            elif not _is_htmx(request):
                return _counter_page_with(request, desk, form)
            else:
                current = actions.current_ticket(desk)
        else:
            raise actions.QueueError(_("Unknown step."))
    except actions.QueueError as exc:
        notes.append(("error", str(exc)))
        if _is_htmx(request):
            # The step changed nothing: the desk shows what the counter serves now.
            current = actions.current_ticket(desk)
    if _is_htmx(request):
        # htmx swaps only a 2xx answer: a refused step or a form's errors come as 200.
        answer = _fragment(request, "queues/_counter_desk.html", _desk(desk, current, form, notes))
        # The line's counts ride along, swapped out of band into their own place: a called
        # ticket leaves the count with this answer, not at the line's next poll.
        answer.write(
            loader.get_template("queues/_counter_line.html").render(
                {"counter": desk, "line": queries.line(desk), "out_of_band": True}
            )
        )
        return answer
    levels = {"info": messages.INFO, "success": messages.SUCCESS, "error": messages.ERROR}
    for tag, note in notes:
        messages.add_message(request, levels[tag], note)
    return redirect("queues:counter", pk=desk.pk)


def _counter_page_with(request, desk: Counter, transfer_form) -> HttpResponse:
    desk = _counter(request, desk.pk, with_point=True)
    return render(
        request,
        "queues/counter.html",
        {
            **_desk(desk, actions.current_ticket(desk), transfer_form),
            "line": queries.line(desk),
        },
        status=400,
    )


# -- supervisors: figures and screens ------------------------------------------------------------


@role_required(Role.SUPERVISOR)
@require_GET
def day_figures(request, point_id: int):
    point = _point(request, point_id, Role.SUPERVISOR)
    try:
        day = date.fromisoformat(request.GET.get("day", "")) if request.GET.get("day") else None
    except ValueError:
        day = None
        messages.error(request, _("The day is not a date; showing today."))
    day = day or timezone.localdate()
    found = figures.day_figures(point.pk, day)
    total = found.pop(None)
    rows = sorted(found.items(), key=lambda item: item[0].letter if item[0] else "")
    return render(
        request,
        "queues/figures.html",
        {"point": point, "day": day, "rows": rows, "total": total},
    )


@role_required(Role.SUPERVISOR)
@require_http_methods(["GET", "POST"])
def screens(request, point_id: int):
    point = _point(request, point_id, Role.SUPERVISOR)
    form = ScreenForm(request.POST if request.method == "POST" else None)
    new_url = ""
    if request.method == "POST" and form.is_valid():
        screen, token = actions.create_screen(point, form.cleaned_data["name"], request=request)
        # Shown on this page once: only the token's hash is kept.
        new_url = request_free_url("queues:display", token)
        form = ScreenForm()
    return render(
        request,
        "queues/screens.html",
        {
            "point": point,
            "form": form,
            "new_url": new_url,
            "screens": DisplayScreen.objects.filter(service_point=point),
        },
        status=400 if form.errors else 200,
    )


@role_required(Role.SUPERVISOR)
@require_POST
def screen_revoke(request, pk: int):
    screen = get_object_or_404(DisplayScreen, pk=pk)
    _point(request, screen.service_point_id, Role.SUPERVISOR)
    actions.revoke_screen(screen, request=request)
    messages.success(request, _("The screen can no longer show the board."))
    return redirect("queues:screens", point_id=screen.service_point_id)


# -- the waiting room's screen (by its token) ------------------------------------------------------


def _screen(token: str) -> DisplayScreen | None:
    return (
        DisplayScreen.objects.filter(
            token_hash=actions.screen_token_hash(token), revoked_at__isnull=True
        )
        .select_related("service_point")
        .first()
    )


@require_GET
def display(request, token: str):
    screen = _screen(token)
    if screen is None:
        if request.headers.get("HX-Request"):
            # htmx keeps the old board on an error: a revoked screen reloads instead, and
            # the reload shows the "not found" page rather than stale numbers.
            gone = HttpResponseNotFound()
            gone["HX-Refresh"] = "true"
            return gone
        raise Http404
    actions.screen_seen(screen)
    board = queries.cached_board(screen.service_point_id)
    context = {"screen": screen, "point": screen.service_point, "board": board, "token": token}
    if not request.headers.get("HX-Request"):
        page = render(request, "queues/display.html", context)
        patch_vary_headers(page, ["HX-Request"])
        return page
    # The poll: the screen's browser asks again with the board's ETag, so an unchanged
    # board costs a comparison, not a page.
    etag = f'"{board.version}-{get_language()}"'
    response = get_conditional_response(request, etag=etag)
    if response is None:
        response = _fragment(request, "queues/_board.html", context, forms=False)
    response["ETag"] = etag
    # Kept by the browser but asked about again at every poll.
    response["Cache-Control"] = "no-cache"
    patch_vary_headers(response, ["HX-Request"])
    return response


# -- the citizen's ticket and appointments ------------------------------------------------


@require_http_methods(["GET", "POST"])
def follow(request, token: str):
    ticket = get_object_or_404(
        Ticket.objects.select_related("service", "service_point", "counter"), token=token
    )
    form = RateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.rate(ticket, form.cleaned_data["stars"], request=request)
        except actions.QueueError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Thank you for your rating."))
            return redirect("queues:follow", token=token)
    template = (
        "queues/_follow_status.html" if request.headers.get("HX-Request") else "queues/follow.html"
    )
    return render(
        request,
        template,
        {"ticket": ticket, "standing": queries.standing(ticket), "form": form},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def book(request, point_id: int, letter: str = ""):
    point = get_object_or_404(ServicePoint, pk=point_id, active=True)
    services = list(
        QueueService.objects.filter(service_point=point, active=True, slot_capacity__gt=0)
    )
    service = next((s for s in services if s.letter == letter), None)
    if service is None:
        return render(request, "queues/book_service.html", {"point": point, "services": services})
    form = BookForm(
        request.POST if request.method == "POST" else None, slots=slots.free_slots(service)
    )
    if request.method == "POST" and form.is_valid():
        day, starts_at = form.cleaned_data["slot"]
        phone = form.cleaned_data["phone"]
        client = network_key(client_ip(request)) or "unknown"
        if not ratelimit.hit(
            "queue-book", client, BOOKINGS_PER_CLIENT_PER_HOUR, 3600
        ) or not ratelimit.hit("queue-book-phone", phone, BOOKINGS_PER_PHONE_PER_DAY, 86400):
            form.add_error(
                None,
                _(
                    "Too many bookings from your connection or for this phone number. "
                    "Please try again later or call your post office."
                ),
            )
            return render(
                request,
                "queues/book.html",
                {"point": point, "service": service, "form": form},
                status=429,
            )
        try:
            appointment = actions.book_appointment(service, day, starts_at, phone, request=request)
        except actions.QueueError as exc:
            form.add_error("slot", str(exc))
        else:
            return redirect("queues:appointment", token=appointment.token)
    return render(
        request,
        "queues/book.html",
        {"point": point, "service": service, "form": form},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def appointment(request, token: str):
    booked = get_object_or_404(
        Appointment.objects.select_related("service", "service_point"), token=token
    )
    if request.method == "POST":
        try:
            actions.cancel_appointment(booked, request=request)
        except actions.QueueError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Your appointment is cancelled."))
        return redirect("queues:appointment", token=token)
    return render(request, "queues/appointment.html", {"appointment": booked})
