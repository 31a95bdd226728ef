"""State mail pages for cleared point staff. Every page of an item checks the viewer's
clearance and is audited; nothing here is public."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from postgov.identity.access import role_required
from postgov.identity.models import POINT_ROLES, Role, User
from postgov.lib.s10 import normalise
from postgov.places.models import ServicePoint
from postgov.statemail import actions, book, disclosure
from postgov.statemail.forms import (
    AcceptForm,
    BookForm,
    ClearanceForm,
    CloseIncidentForm,
    DeliverForm,
    FindForm,
    OfferForm,
    TakeForm,
)
from postgov.statemail.models import Clearance, CustodyEvent, Item, Level, masked_id, rank

POINT_STAFF = tuple(sorted(POINT_ROLES))
GRANTERS = (Role.SUPERVISOR, Role.PROVINCIAL_ADMIN, Role.NATIONAL_ADMIN)
# The hand-over and the delivery forms share a page and both name the guard: their fields
# need ids of their own for the labels to find them.
OFFER_IDS = "offer_%s"


def _refused(request, level: str, what: str, item_id: int | None = None):
    actions.refuse(actor=request.user, what=what, level=level, item_id=item_id, request=request)
    return render(
        request,
        "statemail/refused.html",
        {"level": Level(level).label},
        status=403,
    )


def _my_items(request):
    return disclosure.of_staff(
        Item.objects.all(), request.user.pk, request.access.point_ids(*POINT_STAFF)
    )


def _item(request, pk: int) -> Item:
    """An item the user's points handled or that is in their hands; 404 for any other, so
    an outsider learns nothing of which numbers exist."""
    return get_object_or_404(_my_items(request).select_related("point__commune"), pk=pk)


def _home_point(request) -> int | None:
    points = sorted(request.access.point_ids(*POINT_STAFF))
    return points[0] if points else None


@role_required(*POINT_STAFF)
def items(request):
    cleared = actions.cleared_rank(request.user)
    if not cleared:
        return _refused(request, Level.MAT, "list")
    queryset = disclosure.within_clearance(_my_items(request), cleared)
    page = Paginator(queryset.order_by("-accepted_at", "-pk"), 25).get_page(request.GET.get("page"))
    actions.viewed(request=request, what="list")
    return render(
        request,
        "statemail/items.html",
        {
            "page_obj": page,
            "rows": [disclosure.row(item) for item in page],
            "find_form": FindForm(),
            "book_form": BookForm(initial={"day": timezone.localdate()}),
            "may_accept": request.access.has_role(Role.CLERK, Role.SUPERVISOR),
        },
    )


@role_required(*POINT_STAFF)
@require_POST
def find(request):
    """A scanned or typed item number: opens the item if the user may see it."""
    form = FindForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Type or scan the item number."))
        return redirect("statemail:items")
    item = _my_items(request).filter(item_number=normalise(form.cleaned_data["number"])).first()
    if item is None:
        messages.error(request, _("No item with this number is at your point or in your hands."))
        return redirect("statemail:items")
    if not actions.is_cleared(request.user, item.level):
        return _refused(request, item.level, "scan", item.pk)
    return redirect("statemail:item", pk=item.pk)


@role_required(Role.CLERK, Role.SUPERVISOR)
def accept(request):
    point_id = sorted(request.access.point_ids(Role.CLERK, Role.SUPERVISOR))[0]
    if not actions.cleared_rank(request.user):
        return _refused(request, Level.MAT, "accept")
    form = AcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            item = actions.accept(
                clerk=request.user,
                point=ServicePoint.objects.get(pk=point_id),
                form=actions.Acceptance(
                    level=data["level"],
                    sender_body=data["sender_body"],
                    addressee_body=data["addressee_body"],
                    brought_by=data["brought_by"],
                    outer_seal=data["outer_seal"],
                    inner_seal=data["inner_seal"],
                    named_person=data["named_person"],
                    named_person_id_number=data["named_person_id_number"],
                    guard_requested=data["guard_requested"],
                ),
            )
        except actions.StateMailError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Item %(number)s accepted.") % {"number": item.item_number})
            return redirect("statemail:item", pk=item.pk)
    return render(
        request, "statemail/accept.html", {"form": form}, status=400 if form.errors else 200
    )


@role_required(*POINT_STAFF)
def item(request, pk: int):
    found = _item(request, pk)
    if not actions.is_cleared(request.user, found.level):
        return _refused(request, found.level, "view", found.pk)
    actions.viewed(request=request, item=found)
    return render(request, "statemail/item.html", _item_context(request, found))


def _takers(item: Item):
    cleared = Clearance.objects.filter(
        revoked_at__isnull=True,
        valid_from__lte=timezone.localdate(),
        valid_until__gte=timezone.localdate(),
        level__in=[lvl for lvl in Level if rank(lvl) >= rank(item.level)],
    ).values("user_id")
    takers = User.objects.filter(pk__in=cleared, is_active=True)
    return takers.exclude(pk=item.holder_id) if item.holder_id else takers


def _item_context(request, item: Item, **forms) -> dict:
    me = request.user.pk
    open_incident = item.incidents.filter(closed_at__isnull=True).first()
    holding = item.holder_id == me and item.state == Item.State.ACCEPTED
    return {
        "item": item,
        "top": item.level == Level.TUYET_MAT,
        "events": item.events.all(),
        "offer_guard_id": masked_id(item.offer_guard_id_number),
        "open_incident": open_incident,
        "may_withdraw": item.holder_id == me and item.state == Item.State.OFFERED,
        "offer_form": forms.get("offer_form")
        or (OfferForm(takers=_takers(item), auto_id=OFFER_IDS) if holding else None),
        "take_form": forms.get("take_form")
        or (TakeForm() if item.offered_to_id == me and item.state == "offered" else None),
        "deliver_form": forms.get("deliver_form")
        or (DeliverForm(initial=_last_guard(item)) if holding else None),
        "close_form": forms.get("close_form")
        or (
            CloseIncidentForm()
            if open_incident and actions.may_close_incidents(request.user, item)
            else None
        ),
    }


def _last_guard(item: Item) -> dict[str, str]:
    """The guard who came with the item on its last hand: the one who will see it
    delivered, unless the carrier writes another."""
    if not item.guard_requested:
        return {}
    last = item.events.exclude(guard="").order_by("-at", "-pk").first()
    return {"guard": last.guard, "guard_id_number": last.guard_id_number} if last else {}


def _seals(data) -> list[str]:
    return [data["outer_seal"], data.get("inner_seal") or ""]


def _step(request, item: Item, form_name: str, form, run, done: str):
    if form.is_valid():
        try:
            result = run(form.cleaned_data)
        except actions.StateMailError as exc:
            form.add_error(None, str(exc))
        else:
            if isinstance(result, CustodyEvent) and result.kind == CustodyEvent.Kind.REFUSED:
                messages.error(
                    request,
                    _(
                        "The seals do not match or are broken: "
                        "the item is held and an incident is open."
                    ),
                )
            else:
                messages.success(request, done)
            return redirect("statemail:item", pk=item.pk)
    item.refresh_from_db()
    return render(
        request,
        "statemail/item.html",
        _item_context(request, item, **{form_name: form}),
        status=400,
    )


@role_required(*POINT_STAFF)
@require_POST
def offer(request, pk: int):
    found = _item(request, pk)
    form = OfferForm(request.POST, takers=_takers(found), auto_id=OFFER_IDS)
    return _step(
        request,
        found,
        "offer_form",
        form,
        lambda d: actions.offer(
            giver=request.user,
            item_id=found.pk,
            taker=d["taker"],
            place=d["place"],
            guard=d["guard"],
            guard_id_number=d["guard_id_number"],
        ),
        _("Handed over on your side: the person taking it checks the seals and signs."),
    )


@role_required(*POINT_STAFF)
@require_POST
def withdraw(request, pk: int):
    found = _item(request, pk)
    try:
        actions.withdraw_offer(giver=request.user, item_id=found.pk)
    except actions.StateMailError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Hand-over withdrawn: the item is back in your hands."))
    return redirect("statemail:item", pk=found.pk)


@role_required(*POINT_STAFF)
@require_POST
def take(request, pk: int):
    found = _item(request, pk)
    form = TakeForm(request.POST)
    return _step(
        request,
        found,
        "take_form",
        form,
        lambda d: actions.take(
            taker=request.user,
            item_id=found.pk,
            point_id=_home_point(request),
            seals_typed=_seals(d),
            seal_broken=d["seal_broken"],
            guard_signature=form.guard_png(),
        ),
        _("Seals checked: the item is in your hands."),
    )


@role_required(*POINT_STAFF)
@require_POST
def deliver(request, pk: int):
    found = _item(request, pk)
    form = DeliverForm(request.POST)
    return _step(
        request,
        found,
        "deliver_form",
        form,
        lambda d: actions.deliver(
            carrier=request.user,
            item_id=found.pk,
            recipient_name=d["recipient_name"],
            recipient_id_number=d["recipient_id_number"],
            seals_typed=_seals(d),
            seal_broken=d["seal_broken"],
            signature=form.signature_png(),
            unsigned=form.unsigned(),
            guard=d["guard"],
            guard_id_number=d["guard_id_number"],
            guard_signature=form.guard_png(),
        ),
        _("Delivered: the chain of custody is closed."),
    )


@role_required(Role.SUPERVISOR)
@require_POST
def close_incident(request, pk: int):
    found = _item(request, pk)
    incident = found.incidents.filter(closed_at__isnull=True).first()
    if incident is None:
        raise Http404
    return _step(
        request,
        found,
        "close_form",
        CloseIncidentForm(request.POST),
        lambda d: actions.close_incident(
            supervisor=request.user, incident_id=incident.pk, note=d["note"]
        ),
        _("Incident closed: the item may move on."),
    )


@role_required(*POINT_STAFF)
def item_book(request, pk: int):
    found = _item(request, pk)
    if not actions.is_cleared(request.user, found.level):
        return _refused(request, found.level, "book", found.pk)
    actions.book_printed(request=request, what="item", item=found)
    response = HttpResponse(book.item_book(found), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="so-giao-nhan-{found.item_number}.pdf"'
    return response


@role_required(*POINT_STAFF)
def day_book(request):
    cleared = actions.cleared_rank(request.user)
    point_id = _home_point(request)
    if not cleared or point_id is None:
        return _refused(request, Level.MAT, "book")
    form = BookForm(request.GET)
    if not form.is_valid():
        messages.error(request, _("Choose a day."))
        return redirect("statemail:items")
    day = form.cleaned_data["day"]
    start = timezone.make_aware(timezone.datetime.combine(day, timezone.datetime.min.time()))
    events = (
        CustodyEvent.objects.filter(point_id=point_id, at__gte=start, at__lt=start + timedelta(1))
        .filter(item__in=disclosure.within_clearance(Item.objects.all(), cleared))
        .select_related("item")
    )
    actions.book_printed(request=request, what=f"day {day.isoformat()}")
    point = ServicePoint.objects.get(pk=point_id)
    response = HttpResponse(book.day_book(point, day, events), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="so-giao-nhan-{day.isoformat()}.pdf"'
    return response


# -- clearances ------------------------------------------------------------------------------


def _granted_provinces(request) -> set[int]:
    access = request.access
    provinces = set(access.province_ids(Role.PROVINCIAL_ADMIN))
    provinces |= set(
        ServicePoint.objects.filter(pk__in=access.point_ids(Role.SUPERVISOR)).values_list(
            "commune__province_id", flat=True
        )
    )
    return provinces


def _clearance_staff(provinces: set[int]):
    return User.objects.filter(
        role_assignments__active=True,
        role_assignments__role__in=POINT_STAFF,
        role_assignments__service_point__commune__province_id__in=provinces,
        is_active=True,
    ).distinct()


@role_required(*GRANTERS)
def clearances(request):
    national = request.access.is_national_admin
    provinces = _granted_provinces(request)
    rows = Clearance.objects.select_related("user", "granted_by").order_by("-granted_at")
    if not national:
        rows = rows.filter(province_id__in=provinces)
    staff = (
        _clearance_staff(provinces)
        if not national
        else _clearance_staff(
            set(ServicePoint.objects.values_list("commune__province_id", flat=True))
        )
    )
    form = ClearanceForm(request.POST or None, staff=staff.exclude(pk=request.user.pk))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user_provinces = actions.point_staff_provinces(data["user"])
        province_id = sorted(user_provinces & provinces if not national else user_provinces)[0]
        try:
            actions.grant_clearance(
                by=request.user,
                user=data["user"],
                level=data["level"],
                province_id=province_id,
                valid_from=data["valid_from"],
                valid_until=data["valid_until"],
            )
        except actions.StateMailError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Clearance granted."))
            return redirect("statemail:clearances")
    today = timezone.localdate()
    return render(
        request,
        "statemail/clearances.html",
        {"form": form, "rows": rows[:200], "today": today},
        status=400 if form.errors else 200,
    )


@role_required(*GRANTERS)
@require_POST
def revoke(request, pk: int):
    clearance = get_object_or_404(Clearance, pk=pk)
    try:
        actions.revoke_clearance(by=request.user, clearance_id=clearance.pk)
    except actions.StateMailError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Clearance revoked."))
    return redirect("statemail:clearances")
