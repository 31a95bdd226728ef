"""Every change to State mail: clearances, acceptance, hand-overs, incidents, delivery
(docs/domain.md §10). Each runs in one transaction, locks the item it changes
and writes its audit event; none writes a name or a document's content into the trail."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from postgov.audit.actions import record
from postgov.delivery.actions import next_item_id
from postgov.delivery.signatures import Unsigned
from postgov.identity.models import POINT_ROLES, Role, RoleAssignment, User
from postgov.lib import refcache
from postgov.lib.locking import lock_one
from postgov.places.models import ServicePoint
from postgov.statemail.models import (
    MARK,
    Clearance,
    CustodyEvent,
    Incident,
    Item,
    Level,
    masked_id,
    rank,
)


class StateMailError(ValueError):
    """A step refused; the message says why, in the page's language."""


def _audit(action: str, actor: User | None, item: Item, **details: Any) -> None:
    """An audit event about an item: its number and what the step adds, never a name."""
    record(
        action,
        actor=actor,
        object_type="statemail.item",
        object_id=item.pk,
        details={"item_number": item.item_number, **details},
    )


def active_clearances(user: User, today: date | None = None) -> QuerySet[Clearance]:
    today = today or timezone.localdate()
    return Clearance.objects.filter(
        user=user, revoked_at__isnull=True, valid_from__lte=today, valid_until__gte=today
    )


def cleared_rank(user: User | None) -> int:
    """The highest level `user` may handle today (0: none)."""
    if user is None or user.pk is None:
        return 0
    return max((rank(c.level) for c in active_clearances(user)), default=0)


def is_cleared(user: User | None, level: str) -> bool:
    return cleared_rank(user) >= rank(level)


def _clearance_spans(user_id: int) -> tuple[tuple[date, date], ...]:
    return tuple(
        Clearance.objects.filter(user_id=user_id, revoked_at__isnull=True).values_list(
            "valid_from", "valid_until"
        )
    )


def holds_a_clearance_today(user: User | None) -> bool:
    """Whether `user` holds some clearance today, from the clearances kept per process
    (dropped everywhere within a second when one is saved): enough to show the State
    mail menu on every page without a query. Every State mail step checks
    `cleared_rank` against the database instead."""
    if user is None or user.pk is None:
        return False
    today = timezone.localdate()
    spans = refcache.get("statemail.clearance_spans", user.pk, lambda: _clearance_spans(user.pk))
    return any(start <= today <= end for start, end in spans)


def _person(user: User) -> str:
    return user.full_name or user.get_username()


# -- clearances ------------------------------------------------------------------------------


def point_staff_provinces(user: User) -> set[int]:
    """The provinces where `user` holds a role at a service point."""
    return set(
        RoleAssignment.objects.filter(
            user=user, active=True, role__in=sorted(POINT_ROLES), service_point__isnull=False
        ).values_list("service_point__commune__province_id", flat=True)
    )


def may_grant(by_roles: Sequence[tuple[str, int | None]], province_id: int) -> bool:
    """`by_roles`: (role, province) of the granter's assignments."""
    return any(
        role == Role.NATIONAL_ADMIN
        or (role in (Role.SUPERVISOR, Role.PROVINCIAL_ADMIN) and where == province_id)
        for role, where in by_roles
    )


def granter_roles(user: User) -> list[tuple[str, int | None]]:
    rows = RoleAssignment.objects.filter(user=user, active=True).values_list(
        "role", "province_id", "service_point__commune__province_id"
    )
    return [(role, province or point_province) for role, province, point_province in rows]


def grant_clearance(
    *, by: User, user: User, level: str, province_id: int, valid_from: date, valid_until: date
) -> Clearance:
    if not may_grant(granter_roles(by), province_id):
        raise StateMailError(
            _("Only a supervisor or administrator of the province grants clearances.")
        )
    if user.pk == by.pk:
        raise StateMailError(_("Nobody grants a clearance to themselves."))
    if province_id not in point_staff_provinces(user):
        raise StateMailError(_("This person works at no service point of the province."))
    if valid_until < valid_from:
        raise StateMailError(_("The end of validity comes before its start."))
    with transaction.atomic():
        clearance = Clearance.objects.create(
            user=user,
            level=Level(level),
            province_id=province_id,
            valid_from=valid_from,
            valid_until=valid_until,
            granted_by=by,
            granted_at=timezone.now(),
        )
        record(
            "statemail.clearance_granted",
            actor=by,
            obj=clearance,
            details={"level": level, "valid_until": valid_until.isoformat()},
        )
    return clearance


def revoke_clearance(*, by: User, clearance_id: int) -> Clearance:
    with transaction.atomic():
        clearance = lock_one(Clearance, clearance_id)
        if not may_grant(granter_roles(by), clearance.province_id):
            raise StateMailError(
                _("Only a supervisor or administrator of the province revokes clearances.")
            )
        if clearance.revoked_at is None:
            clearance.revoked_at = timezone.now()
            clearance.revoked_by = by
            clearance.save(update_fields=["revoked_at", "revoked_by"])
            record(
                "statemail.clearance_revoked",
                actor=by,
                obj=clearance,
                details={"level": clearance.level},
            )
    return clearance


# -- refusals and views are audited ----------------------------------------------------------


def refuse(
    *,
    actor: User | None,
    what: str,
    level: str,
    item_id: int | None = None,
    request: Any = None,
) -> None:
    """Write that `actor` was refused `what` for want of clearance; the caller shows the
    message."""
    with transaction.atomic():
        record(
            "statemail.refused",
            actor=actor,
            request=request,
            object_type="statemail.item" if item_id else "",
            object_id=item_id or "",
            details={"step": what, "level": level},
        )


def viewed(*, request: Any, item: Item | None = None, what: str = "") -> None:
    with transaction.atomic():
        record(
            "statemail.listed" if item is None else "statemail.viewed",
            request=request,
            object_type="statemail.item" if item else "",
            object_id=item.pk if item else "",
            details={"step": what} if what else {},
        )


def _level_of(item_id: int) -> str:
    # Read before the transaction: a refusal's audit event must outlive the refused step.
    try:
        return Item.objects.values_list("level", flat=True).get(pk=item_id)
    except Item.DoesNotExist:
        raise StateMailError(_("There is no such item.")) from None


def require_cleared(user: User, level: str, what: str, item_id: int | None = None) -> None:
    """Refuses (and audits the refusal, in its own transaction) a step by someone not
    cleared for `level`. Called outside the step's transaction, so the refusal stays."""
    if not is_cleared(user, level):
        refuse(actor=user, what=what, level=level, item_id=item_id)
        raise StateMailError(
            _("You are not cleared for %(level)s items.") % {"level": Level(level).label}
        )


# -- acceptance ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Acceptance:
    level: str
    sender_body: str
    addressee_body: str
    outer_seal: str
    inner_seal: str = ""
    named_person: str = ""
    named_person_id_number: str = ""
    guard_requested: bool = False
    brought_by: str = ""


def accept(*, clerk: User, point: ServicePoint, form: Acceptance) -> Item:
    require_cleared(clerk, form.level, "accept")
    top = form.level == Level.TUYET_MAT
    if top and not (form.inner_seal and form.named_person and form.named_person_id_number):
        raise StateMailError(
            _("A top secret item needs the inner seal and the named person with their ID number.")
        )
    now = timezone.now()
    with transaction.atomic():
        item = Item.objects.create(
            item_number=next_item_id(),
            level=form.level,
            mark=MARK[Level(form.level)],
            sender_body=form.sender_body,
            addressee_body=form.addressee_body,
            named_person=form.named_person if top else "",
            named_person_id_number=form.named_person_id_number if top else "",
            outer_seal=form.outer_seal,
            inner_seal=form.inner_seal if top else "",
            guard_requested=form.guard_requested,
            point=point,
            state=Item.State.ACCEPTED,
            holder=clerk,
            accepted_at=now,
        )
        CustodyEvent.objects.create(
            item=item,
            kind=CustodyEvent.Kind.ACCEPTED,
            at=now,
            point=point,
            place=point.name,
            giver_label=form.brought_by or form.sender_body,
            taker=clerk,
            taker_label=_person(clerk),
            taker_signed_at=now,
            seals_typed=item.seals(),
        )
        record(
            "statemail.accepted",
            actor=clerk,
            object_type="statemail.item",
            object_id=item.pk,
            service_point_id=point.pk,
            details={"level": form.level, "item_number": item.item_number},
        )
    return item


# -- hand-over -------------------------------------------------------------------------------


def _guard(name: str, id_number: str, *, required: bool) -> tuple[str, str]:
    """The guard's name and ID number, cleaned; refused when the sender asked for a guard
    and none is named, or when a guard is named without a readable ID number."""
    name = " ".join((name or "").split())[:120]
    number = "".join((id_number or "").split())
    if required and not name:
        raise StateMailError(_("The sender asked for a guard: name the guard."))
    if number and not name:
        raise StateMailError(_("Name the guard whose ID number you wrote."))
    if name and not (number.isdigit() and len(number) in (9, 12)):
        raise StateMailError(_("Write the guard's ID number as on their card (9 or 12 digits)."))
    return name, number


def _guard_signed(name: str, signature: bytes | None) -> None:
    if name and not signature:
        raise StateMailError(_("The guard %(name)s signs on the screen as well.") % {"name": name})


def offer(
    *,
    giver: User,
    item_id: int,
    taker: User,
    place: str,
    guard: str = "",
    guard_id_number: str = "",
) -> Item:
    """The giver's half of a hand-over, signed by their login: the item waits for the
    taker to check the seals and sign with theirs. The guard who goes with it (when the
    sender asked for one) is named here with their ID number, and signs at the taking."""
    level = _level_of(item_id)
    require_cleared(giver, level, "offer", item_id)
    if not is_cleared(taker, level):
        refuse(actor=giver, what="offer_to_uncleared", level=level, item_id=item_id)
        raise StateMailError(_("The person taking the item is not cleared for its level."))
    with transaction.atomic():
        item = lock_one(Item, item_id)
        if item.holder_id != giver.pk or item.state != Item.State.ACCEPTED:
            raise StateMailError(_("Only the person holding the item hands it over."))
        if taker.pk == giver.pk:
            raise StateMailError(_("Choose someone else to take the item."))
        guard_name, guard_number = _guard(guard, guard_id_number, required=item.guard_requested)
        item.state = Item.State.OFFERED
        item.offered_to = taker
        item.offer_place = place
        item.offer_guard = guard_name
        item.offer_guard_id_number = guard_number
        item.save(
            update_fields=[
                "state",
                "offered_to",
                "offer_place",
                "offer_guard",
                "offer_guard_id_number",
            ]
        )
        _audit("statemail.offered", giver, item, guard=bool(guard_name))
    return item


def withdraw_offer(*, giver: User, item_id: int) -> Item:
    """The giver takes back an offer the taker has not signed (they did not come)."""
    with transaction.atomic():
        item = lock_one(Item, item_id)
        if item.holder_id != giver.pk or item.state != Item.State.OFFERED:
            raise StateMailError(_("There is no hand-over of yours waiting on this item."))
        item.state = Item.State.ACCEPTED
        item.offered_to = None
        item.save(update_fields=["state", "offered_to"])
        _audit("statemail.offer_withdrawn", giver, item)
    return item


def _seals_match(item: Item, typed: Sequence[str]) -> bool:
    def clean(seal: str) -> str:
        return "".join(seal.split()).upper()

    return [clean(s) for s in typed if s.strip()] == [clean(s) for s in item.seals()]


def _stop(item: Item, event: CustodyEvent, actor: User) -> Incident:
    item.state = Item.State.HELD
    item.offered_to = None
    item.save(update_fields=["state", "offered_to"])
    incident = Incident.objects.create(item=item, event=event, opened_at=event.at)
    _audit("statemail.seal_failed", actor, item, seal_broken=event.seal_broken)
    return incident


def take(
    *,
    taker: User,
    item_id: int,
    point_id: int | None,
    seals_typed: Sequence[str],
    seal_broken: bool = False,
    guard_signature: bytes | None = None,
) -> CustodyEvent:
    """The taker's half: they type the seal numbers they read and sign with their login;
    the guard named by the giver signs on the taker's screen. Seals that are not the
    accepted ones, or a broken seal, stop the item (the guard signs that too)."""
    require_cleared(taker, _level_of(item_id), "take", item_id)
    now = timezone.now()
    with transaction.atomic():
        item = lock_one(Item, item_id)
        if item.state != Item.State.OFFERED or item.offered_to_id != taker.pk:
            raise StateMailError(_("This item is not being handed to you."))
        giver = item.holder
        _guard_signed(item.offer_guard, guard_signature)
        ok = not seal_broken and _seals_match(item, seals_typed)
        event = CustodyEvent.objects.create(
            item=item,
            kind=CustodyEvent.Kind.HANDED_OVER if ok else CustodyEvent.Kind.REFUSED,
            at=now,
            point_id=point_id,
            place=item.offer_place,
            giver=giver,
            giver_label=_person(giver) if giver else "",
            taker=taker,
            taker_label=_person(taker),
            giver_signed_at=now,
            taker_signed_at=now,
            seals_typed=[s.strip() for s in seals_typed if s.strip()],
            seal_broken=seal_broken,
            guard=item.offer_guard,
            guard_id_number=item.offer_guard_id_number,
            guard_signature=guard_signature if item.offer_guard else None,
            guard_signed_at=now if item.offer_guard else None,
        )
        if not ok:
            _stop(item, event, taker)
            return event
        item.state = Item.State.ACCEPTED
        item.holder = taker
        item.offered_to = None
        item.save(update_fields=["state", "holder", "offered_to"])
        record(
            "statemail.handed_over",
            actor=taker,
            object_type="statemail.item",
            object_id=item.pk,
            service_point_id=point_id,
            details={"item_number": item.item_number},
        )
    return event


def may_close_incidents(user: User, item: Item) -> bool:
    return RoleAssignment.objects.filter(
        user=user,
        active=True,
        role=Role.SUPERVISOR,
        service_point__commune__province_id=item.point.commune.province_id,
    ).exists()


def close_incident(*, supervisor: User, incident_id: int, note: str) -> Incident:
    found = Incident.objects.filter(pk=incident_id).values_list("item_id", flat=True).first()
    if found is None:
        raise StateMailError(_("There is no such incident."))
    require_cleared(supervisor, _level_of(found), "close_incident", found)
    now = timezone.now()
    with transaction.atomic():
        incident = lock_one(Incident, incident_id)
        item = lock_one(Item, incident.item_id)
        if not may_close_incidents(supervisor, item):
            raise StateMailError(_("Only a supervisor closes an incident."))
        if not note.strip():
            raise StateMailError(_("Write what was found and done."))
        if incident.closed_at is not None:
            raise StateMailError(_("This incident is already closed."))
        incident.closed_at = now
        incident.closed_by = supervisor
        incident.note = note.strip()
        incident.save(update_fields=["closed_at", "closed_by", "note"])
        CustodyEvent.objects.create(
            item=item,
            kind=CustodyEvent.Kind.RELEASED,
            at=now,
            giver=supervisor,
            giver_label=_person(supervisor),
            giver_signed_at=now,
            note=note.strip()[:500],
        )
        item.state = Item.State.ACCEPTED
        item.save(update_fields=["state"])
        _audit("statemail.incident_closed", supervisor, item)
    return incident


# -- delivery --------------------------------------------------------------------------------


def deliver(
    *,
    carrier: User,
    item_id: int,
    recipient_name: str,
    recipient_id_number: str,
    seals_typed: Sequence[str],
    seal_broken: bool = False,
    place: str = "",
    signature: bytes | None = None,
    unsigned: Unsigned | None = None,
    guard: str = "",
    guard_id_number: str = "",
    guard_signature: bytes | None = None,
) -> CustodyEvent:
    """Ends the chain: the addressee's representative (for Tuyệt mật the named person,
    whose ID number must be the one given at acceptance) takes the item. When the sender
    asked for a guard, the guard is named and signs on the carrier's screen too."""
    require_cleared(carrier, _level_of(item_id), "deliver", item_id)
    number = "".join(recipient_id_number.split())
    if not recipient_name.strip() or not number:
        raise StateMailError(_("Write the recipient's name and the ID number you checked."))
    if not signature and not (unsigned and unsigned.note.strip()):
        raise StateMailError(
            _("The recipient signs on the screen, or say why they cannot and what happened.")
        )
    named = Item.objects.filter(pk=item_id, level=Level.TUYET_MAT).values_list(
        "named_person_id_number", flat=True
    )
    if named and number != named[0]:
        refuse(actor=carrier, what="deliver_wrong_person", level=Level.TUYET_MAT, item_id=item_id)
        raise StateMailError(
            _("A top secret item is given only to the named person: the ID number differs.")
        )
    now = timezone.now()
    with transaction.atomic():
        item = lock_one(Item, item_id)
        if item.holder_id != carrier.pk or item.state != Item.State.ACCEPTED:
            raise StateMailError(_("Only the person holding the item delivers it."))
        guard_name, guard_number = _guard(guard, guard_id_number, required=item.guard_requested)
        _guard_signed(guard_name, guard_signature)
        ok = not seal_broken and _seals_match(item, seals_typed)
        event = CustodyEvent.objects.create(
            item=item,
            kind=CustodyEvent.Kind.DELIVERED if ok else CustodyEvent.Kind.REFUSED,
            at=now,
            place=place or item.addressee_body,
            giver=carrier,
            giver_label=_person(carrier),
            giver_signed_at=now,
            taker_label=f"{recipient_name.strip()} ({masked_id(number)})",
            taker_signed_at=now if signature else None,
            taker_signature=signature or None,
            seals_typed=[s.strip() for s in seals_typed if s.strip()],
            seal_broken=seal_broken,
            guard=guard_name,
            guard_id_number=guard_number,
            guard_signature=guard_signature if guard_name else None,
            guard_signed_at=now if guard_name else None,
            note="" if signature or unsigned is None else unsigned.note.strip()[:500],
        )
        if not ok:
            _stop(item, event, carrier)
            return event
        item.state = Item.State.DELIVERED
        item.holder = None
        item.save(update_fields=["state", "holder"])
        _audit("statemail.delivered", carrier, item)
    return event


def book_printed(*, request: Any, what: str, item: Item | None = None) -> None:
    with transaction.atomic():
        record(
            "statemail.book_printed",
            request=request,
            object_type="statemail.item" if item else "",
            object_id=item.pk if item else "",
            details={"step": what},
        )
