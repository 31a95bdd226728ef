"""Postal items (S10 identifiers, allocated on a locked per-indicator counter), home
pickups, and the steps that went without a signature."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol, cast

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from postgov.audit.actions import record
from postgov.catalog.models import Procedure
from postgov.delivery import scheduling, serials
from postgov.delivery.models import (
    DeliveryAttempt,
    MissingSignature,
    PickupAttempt,
    PickupBooking,
    PostalItem,
    ProofOfDelivery,
)
from postgov.delivery.signatures import Unsigned
from postgov.identity.models import Role, User
from postgov.lib import tracking_links
from postgov.lib.codes import create_with_code, readable_code
from postgov.lib.locking import lock_one
from postgov.lib.phones import to_e164
from postgov.lib.s10 import make_item_id
from postgov.lib.text import unaccent
from postgov.notify.actions import queue_message
from postgov.places import positions
from postgov.places.addresses import split_address
from postgov.places.models import Commune, ServicePoint

if TYPE_CHECKING:
    from postgov.delivery.models import Manifest
    from postgov.dossiers.models import Dossier, PostalOrder
    from postgov.identity.access import Access


def next_item_ids(count: int, service_indicator: str | None = None) -> list[str]:
    """`count` new S10 identifiers (`postgov.delivery.serials`)."""
    indicator = service_indicator or settings.S10_SERVICE_INDICATOR
    return [
        make_item_id(indicator, serial, settings.S10_COUNTRY)
        for serial in serials.take(indicator, count)
    ]


def next_item_id(service_indicator: str | None = None) -> str:
    return next_item_ids(1, service_indicator)[0]


def create_item(dossier: Dossier, leg: str, weight_g: int = 100) -> PostalItem:
    return create_items(dossier, [(leg, weight_g)])[0]


def create_items(dossier: Dossier, legs: list[tuple[str, int]]) -> list[PostalItem]:
    """The dossier's postal items, one per (leg, weight), numbered and written at once."""
    if not legs:
        return []
    items = [
        PostalItem(
            item_id=item_id,
            dossier=dossier,
            province_id=dossier.province_id,
            leg=leg,
            weight_g=weight_g,
        )
        for item_id, (leg, weight_g) in zip(next_item_ids(len(legs)), legs, strict=True)
    ]
    return PostalItem.objects.bulk_create(items)


# -- home pickups ----------------------------------------------------------------------------
# A citizen books; a supervisor of the point assigns a postman; the postman receives the
# dossier at the house (the same intake as at the counter, which closes the booking when
# it seals) or records a failed visit. The citizen gets a message at each step.

OPEN_STATUSES = scheduling.OPEN_STATUSES
# What the citizen may still change: an open booking before the postman sets out, or one
# whose visit failed (nobody is on the way any more).
CHANGEABLE_STATUSES = (*OPEN_STATUSES, PickupBooking.Status.FAILED)


class PickupError(Exception):
    """A pickup step that is not possible now; the message says why."""


def new_booking_code() -> str:
    letters = readable_code()
    return f"{letters[:4]}-{letters[4:]}"


def serving_point(commune: Commune) -> ServicePoint | None:
    """The post office that serves a commune: one in the commune, else the nearest
    active one of the province (straight-line distance is enough to choose a depot)."""
    points = ServicePoint.objects.filter(active=True)
    here = points.filter(commune=commune).order_by("kind", "code").first()
    if here is not None or commune.latitude is None:
        return here or points.filter(commune__province_id=commune.province_id).first()
    candidates = points.filter(
        commune__province_id=commune.province_id, latitude__isnull=False
    ).only("pk", "latitude", "longitude", "code")

    # Both ends have coordinates: the commune's were checked, the points' filtered.
    def distance(p: ServicePoint) -> float:
        lat, lon = cast(float, p.latitude), cast(float, p.longitude)
        origin_lat, origin_lon = cast(float, commune.latitude), cast(float, commune.longitude)
        dlat = lat - origin_lat
        dlon = (lon - origin_lon) * math.cos(math.radians(origin_lat))
        return dlat * dlat + dlon * dlon

    ordered = sorted(candidates, key=distance)
    return ServicePoint.objects.get(pk=ordered[0].pk) if ordered else None


def _notify_pickup(booking: PickupBooking, template: str, **extra: Any) -> None:
    with translation.override("vi"):
        _queue_pickup_sms(booking, template, extra)


def _queue_pickup_sms(booking: PickupBooking, template: str, extra: dict[str, Any]) -> None:
    extra = {k: unaccent(str(v)) if isinstance(v, Promise) else v for k, v in extra.items()}
    context = {
        "code": booking.code,
        "track_url": tracking_links.pickup_link(booking.code, booking.pk),
        "date": booking.date,
        "window": unaccent(str(booking.get_window_display())),
        "procedure": unaccent(booking.procedure.name)[:60],
        "point": unaccent(booking.service_point.name),
        "point_phone": booking.service_point.phone,
        **extra,
    }
    queue_message("sms", to_e164(booking.phone), template, context, about=booking)


def _position_fields(position: positions.Position | None) -> dict[str, Any]:
    if position is None:
        return {}
    return {
        "latitude": position.latitude,
        "longitude": position.longitude,
        "vpostcode": position.vpostcode,
        "position_source": position.source,
    }


def book_pickup(
    *,
    procedure: Procedure,
    name: str,
    phone: str,
    address: str,
    commune: Commune,
    day: date,
    window: str,
    note: str = "",
    account: User | None = None,
    position: positions.Position | None = None,
    request: HttpRequest | None = None,
) -> PickupBooking:
    """Book a visit; `account`: the PostID account signed in while booking; `position`:
    where the citizen put the pin (checked near the commune), else the last confirmed
    position of the same address or the commune's centre. Refused (PickupError) when the
    day is not a collection day or the window is full."""
    point = serving_point(commune)
    if point is None:
        raise PickupError(_("No post office serves this commune yet."))
    problem = scheduling.day_problem(day, commune.province_id)
    if problem:
        raise PickupError(problem)
    if position is None:
        position = proposed_pickup_position(phone, split_address(address, commune), commune)
    with transaction.atomic():
        # Bookings of one post office are counted one at a time, so two citizens booking
        # the last place of a window at once cannot both get it.
        lock_one(ServicePoint, point.pk)
        if scheduling.is_full(point.pk, day, window):
            raise PickupError(scheduling.full_message(point.name))
        booking = create_with_code(
            lambda code: PickupBooking.objects.create(
                **_position_fields(position),
                code=code,
                province_id=commune.province_id,
                procedure=procedure,
                name=name,
                phone=phone,
                address=split_address(address, commune),
                commune=commune,
                date=day,
                window=window,
                note=note,
                service_point=point,
                account=account if getattr(account, "is_authenticated", False) else None,
            ),
            new_booking_code,
        )
        record(
            "pickup.booked",
            request=request,
            actor=None,
            obj=booking,
            service_point_id=point.pk,
            details={
                "code": booking.code,
                "procedure": procedure.code,
                "date": day,
                "window": window,
                "account": booking.account_id,
                "position_source": booking.position_source,
            },
        )
        _notify_pickup(booking, "pickup_booked")
    return booking


def postmen_of(point_id: int) -> QuerySet[User]:
    return User.objects.filter(
        role_assignments__role=Role.POSTMAN,
        role_assignments__service_point_id=point_id,
        role_assignments__active=True,
        is_active=True,
    ).distinct()


def can_manage_pickups(access: Access, point_id: int) -> bool:
    return access.can_act_at_point(point_id, Role.SUPERVISOR)


def can_visit(access: Access, booking: PickupBooking) -> bool:
    """The assigned postman, or a supervisor of the point."""
    if can_manage_pickups(access, booking.service_point_id):
        return True
    return booking.postman_id == access.user_id and access.can_act_at_point(
        booking.service_point_id, Role.POSTMAN
    )


def assign_pickup(
    booking_id: int,
    postman: User,
    *,
    actor: Any,
    access: Access,
    request: HttpRequest | None = None,
) -> PickupBooking:
    with transaction.atomic():
        booking = lock_one(PickupBooking, booking_id)
        if not can_manage_pickups(access, booking.service_point_id):
            raise PermissionDenied
        if booking.status not in (*OPEN_STATUSES, PickupBooking.Status.FAILED):
            raise PickupError(_("This booking is closed."))
        if not postmen_of(booking.service_point_id).filter(pk=postman.pk).exists():
            raise PickupError(_("This person is not a postman of the post office."))
        previous = booking.postman_id
        booking.postman = postman
        booking.status = PickupBooking.Status.ASSIGNED
        booking.save(update_fields=["postman", "status", "updated_at"])
        record(
            "pickup.assigned",
            request=request,
            actor=actor,
            obj=booking,
            role=Role.SUPERVISOR,
            service_point_id=booking.service_point_id,
            details={"postman": postman.pk, "previous": previous},
        )
        _notify_pickup(booking, "pickup_assigned", postman=unaccent(postman.get_full_name()))
    return booking


def confirm_pickup_position(
    booking_id: int,
    latitude: float | None,
    longitude: float | None,
    *,
    actor: Any,
    access: Access,
    request: HttpRequest | None = None,
) -> PickupBooking:
    """The postman at the door records the phone's position as the pickup address's.
    Refused (PickupError) when it is far from the booking's commune."""
    with transaction.atomic():
        booking = lock_one(PickupBooking, booking_id)
        if not can_visit(access, booking):
            raise PermissionDenied
        try:
            position = positions.checked(
                latitude, longitude, booking.commune, positions.Source.DOOR
            )
        except positions.PositionError as exc:
            raise PickupError(str(exc)) from None
        previous = booking.position_source
        booking.latitude, booking.longitude = position.latitude, position.longitude
        booking.vpostcode = position.vpostcode
        booking.position_source = position.source
        booking.save(
            update_fields=["latitude", "longitude", "vpostcode", "position_source", "updated_at"]
        )
        record(
            "pickup.position_confirmed",
            request=request,
            actor=actor,
            obj=booking,
            service_point_id=booking.service_point_id,
            details={"source": position.source, "previous": previous},
        )
    return booking


def proposed_pickup_position(
    phone: str, address: str, commune: Commune
) -> positions.Position | None:
    """The last confirmed position of the same phone's same address, else the commune's
    centre (approximate)."""
    earlier = (
        PickupBooking.objects.filter(
            phone=phone,
            commune=commune,
            position_source__in=positions.CONFIRMED,
            latitude__isnull=False,
        )
        .order_by("-updated_at", "-pk")
        .values_list("address", "latitude", "longitude", "vpostcode", "position_source")
    )
    for text, latitude, longitude, code, source in earlier[:20]:
        if latitude is not None and longitude is not None and positions.same_address(text, address):
            return positions.Position(latitude, longitude, source, code)
    return positions.commune_centre(commune)


def record_failed_visit(
    booking_id: int,
    reason: str,
    note: str = "",
    *,
    actor: Any,
    access: Access,
    request: HttpRequest | None = None,
) -> PickupBooking:
    with transaction.atomic():
        booking = lock_one(PickupBooking, booking_id)
        if not can_visit(access, booking):
            raise PermissionDenied
        if booking.status != PickupBooking.Status.ASSIGNED:
            raise PickupError(_("Only a booking assigned to a postman can have a visit."))
        if reason not in PickupAttempt.Reason.values:
            raise PickupError(_("Choose the reason."))
        if reason == PickupAttempt.Reason.OTHER and not note.strip():
            raise PickupError(_("Please describe the reason."))
        now = timezone.now()
        PickupAttempt.objects.create(
            booking=booking, postman=actor, at=now, success=False, reason=reason, note=note
        )
        cancelled = reason == PickupAttempt.Reason.CANCELLED_BY_CITIZEN
        booking.status = (
            PickupBooking.Status.CANCELLED if cancelled else PickupBooking.Status.FAILED
        )
        booking.save(update_fields=["status", "updated_at"])
        record(
            "pickup.visit_failed",
            request=request,
            actor=actor,
            obj=booking,
            service_point_id=booking.service_point_id,
            details={"reason": reason},
        )
        _notify_pickup(
            booking,
            "pickup_failed",
            reason=PickupAttempt.Reason(reason).label,
            cancelled=cancelled,
        )
    return booking


def mark_collected(
    booking_id: int, dossier: Dossier, *, actor: Any, request: HttpRequest | None = None
) -> PickupBooking:
    """Called by sealing, in its transaction, for a dossier received at the house."""
    booking = lock_one(PickupBooking, booking_id)
    PickupAttempt.objects.create(booking=booking, postman=actor, at=timezone.now(), success=True)
    booking.status = PickupBooking.Status.COLLECTED
    booking.save(update_fields=["status", "updated_at"])
    record(
        "pickup.collected",
        request=request,
        actor=actor,
        obj=booking,
        service_point_id=booking.service_point_id,
        details={"dossier": dossier.code},
    )
    return booking


# -- signatures ------------------------------------------------------------------------------
# A delivery and each half of a hand-over record are signed on the screen. When the person
# cannot sign there, the step goes on only with a reason and what happened, kept as a
# MissingSignature that a supervisor of the post office reviews.


class SignatureMissing(ValueError):
    """Neither a signature nor a reason for its absence; the message says what to do."""


def signature_or_reason(
    signature: bytes | None, unsigned: Unsigned | None, message: str
) -> Unsigned | None:
    """The reason to record (None when signed). Raises SignatureMissing with `message`
    when there is neither a signature nor a reason with what happened."""
    if signature:
        return None
    if unsigned is None or unsigned.reason not in MissingSignature.Reason.values:
        raise SignatureMissing(message)
    if len(" ".join(unsigned.note.split())) < 5:
        raise SignatureMissing(_("Say what happened: why there is no signature on the screen."))
    return Unsigned(unsigned.reason, " ".join(unsigned.note.split())[:300])


class RecipientProof(Protocol):
    recipient_name: str
    id_last4: str
    relation: str
    relation_note: str
    signature: bytes | None
    unsigned: Unsigned | None


@dataclass(frozen=True)
class CheckedRecipient:
    name: str
    # The applicant takes it themselves: their four digits can be checked.
    is_applicant: bool
    # Why there is no signature on the screen (None when signed).
    unsigned: Unsigned | None


def check_recipient(proof: RecipientProof) -> CheckedRecipient:
    """The proof a recipient gives for any item the post delivers, checked the same way:
    their name, the last four digits of their own ID card, their relation to the applicant
    (with a note when not the applicant), and their signature or why not. Raises
    SignatureMissing with what to put right."""
    name = " ".join((proof.recipient_name or "").split())[:200]
    if len(name) < 2:
        raise SignatureMissing(_("Write the recipient's full name."))
    if not (len(proof.id_last4) == 4 and proof.id_last4.isdigit()):
        raise SignatureMissing(_("Enter the last 4 digits of the recipient's own ID card."))
    if proof.relation not in ProofOfDelivery.Relation.values:
        raise SignatureMissing(_("Say who the recipient is to the applicant."))
    is_applicant = proof.relation == ProofOfDelivery.Relation.SELF
    if not is_applicant and not proof.relation_note.strip():
        raise SignatureMissing(
            _("The recipient is not the applicant: note the relation and the proof seen.")
        )
    unsigned = signature_or_reason(
        proof.signature,
        proof.unsigned,
        _("The recipient signs on the screen. If they cannot, choose why and say what happened."),
    )
    return CheckedRecipient(name, is_applicant, unsigned)


def record_missing_signature(
    step: str,
    unsigned: Unsigned,
    *,
    point_id: int,
    user: User,
    at: datetime,
    dossier: Dossier | None = None,
    manifest: Manifest | None = None,
    order: PostalOrder | None = None,
    request: HttpRequest | None = None,
) -> MissingSignature:
    """Keep the reason a step was not signed, for the supervisor of `point_id` (in the
    caller's transaction)."""
    row = MissingSignature.objects.create(
        step=step,
        reason=unsigned.reason,
        note=unsigned.note,
        service_point_id=point_id,
        dossier=dossier,
        manifest=manifest,
        order=order,
        recorded_by=user,
        at=at,
    )
    record(
        "signature.missing",
        request=request,
        actor=user,
        obj=row,
        service_point_id=point_id,
        details={
            "step": step,
            "reason": unsigned.reason,
            "dossier": dossier.code if dossier is not None else "",
            "order": order.code if order is not None else "",
            "manifest": manifest.code if manifest is not None else "",
        },
    )
    return row


# -- attempts and proof ----------------------------------------------------------------------
# A counter dossier's result and a postal order's (decision 0016) are handed over the same
# way: the owning action moves its dossier or order, then writes the attempt and the proof
# here, in its transaction. Exactly one of `dossier` and `order` is given.


@dataclass(frozen=True)
class Spot:
    """Where the postman stood (None when the phone gave no position)."""

    latitude: float | None = None
    longitude: float | None = None
    accuracy_m: float | None = None


def record_failed_attempt(
    *,
    item: PostalItem | None,
    point_id: int,
    user: User,
    at: datetime,
    reason_code: str,
    action_code: str,
    note: str = "",
    spot: Spot | None = None,
    dossier: Dossier | None = None,
    order: PostalOrder | None = None,
) -> DeliveryAttempt:
    """A try at the door that did not end in a delivery, with its reason and next step."""
    spot = spot or Spot()
    return DeliveryAttempt.objects.create(
        dossier=dossier,
        order=order,
        item=item,
        postman=user,
        service_point_id=point_id,
        at=at,
        delivered=False,
        reason_code=reason_code,
        action_code=action_code,
        note=note.strip()[:300],
        latitude=spot.latitude,
        longitude=spot.longitude,
    )


def record_delivery(
    proof: RecipientProof,
    checked: CheckedRecipient,
    *,
    item: PostalItem | None,
    point_id: int,
    user: User,
    at: datetime,
    file_stem: str,
    at_counter: bool = False,
    spot: Spot | None = None,
    photo: tuple[bytes, str] | None = None,
    dossier: Dossier | None = None,
    order: PostalOrder | None = None,
    request: HttpRequest | None = None,
) -> ProofOfDelivery:
    """The successful attempt and its proof of delivery: who took it (`checked` by
    `check_recipient`), whose card the four digits are from, the signature drawn on the
    screen (or the reason there is none, for the supervisor of `point_id`) and the photo.
    Files are named after `file_stem` (the dossier's or the order's code)."""
    if (dossier is None) == (order is None):
        raise ValueError("a delivery is of one dossier or one order")
    spot = spot or Spot()
    attempt = DeliveryAttempt.objects.create(
        dossier=dossier,
        order=order,
        item=item,
        postman=user,
        service_point_id=point_id,
        at=at,
        delivered=True,
        latitude=spot.latitude,
        longitude=spot.longitude,
    )
    row = ProofOfDelivery(
        dossier=dossier,
        order=order,
        attempt=attempt,
        recipient_name=checked.name,
        id_last4=proof.id_last4,
        id_holder=(
            ProofOfDelivery.IdHolder.APPLICANT
            if checked.is_applicant
            else ProofOfDelivery.IdHolder.RECIPIENT
        ),
        relation=proof.relation,
        relation_note=proof.relation_note.strip()[:200],
        signature_captured=checked.unsigned is None,
        at=at,
        latitude=spot.latitude,
        longitude=spot.longitude,
        location_accuracy_m=spot.accuracy_m,
        delivered_by=user,
        at_counter=at_counter,
    )
    stem = f"{file_stem}-{timezone.localtime(at):%Y%m%d%H%M%S}"
    if checked.unsigned is None and proof.signature:
        row.signature.save(f"{stem}-sign.png", ContentFile(proof.signature), save=False)
    if photo:
        content, extension = photo
        row.photo.save(f"{stem}-photo.{extension}", ContentFile(content), save=False)
    row.save()
    if checked.unsigned is not None:
        record_missing_signature(
            MissingSignature.Step.DELIVERY,
            checked.unsigned,
            point_id=point_id,
            user=user,
            at=at,
            dossier=dossier,
            order=order,
            request=request,
        )
    return row


def missing_signatures_for(access: Access) -> QuerySet[MissingSignature]:
    """The steps without a signature that the person, as a supervisor, reviews."""
    return MissingSignature.objects.filter(service_point__in=access.point_ids(Role.SUPERVISOR))


def review_missing_signature(
    pk: int,
    *,
    note: str = "",
    user: User,
    access: Access,
    request: HttpRequest | None = None,
) -> MissingSignature:
    """A supervisor of the post office has looked at a step without a signature."""
    with transaction.atomic():
        row = lock_one(MissingSignature, pk)
        if not access.can_act_at_point(row.service_point_id, Role.SUPERVISOR):
            raise PermissionDenied(_("Only a supervisor of this post office reviews it."))
        if row.reviewed_at is not None:
            return row
        row.reviewed_by = user
        row.reviewed_at = timezone.now()
        row.review_note = " ".join(note.split())[:300]
        row.save(update_fields=["reviewed_by", "reviewed_at", "review_note"])
        record(
            "signature.missing_reviewed",
            request=request,
            actor=user,
            obj=row,
            service_point_id=row.service_point_id,
            details={"step": row.step, "note": row.review_note},
        )
    return row


# -- changes by the citizen ------------------------------------------------------------------


def change_problem(booking: PickupBooking, now: datetime | None = None) -> str:
    """Why the citizen can no longer cancel or move this booking, or "" when they can."""
    if booking.status not in CHANGEABLE_STATUSES:
        return _("This booking is closed and can no longer be changed.")
    if booking.status == PickupBooking.Status.FAILED:
        return ""
    # The postman started receiving the dossier at the house.
    started = PickupBooking.objects.filter(pk=booking.pk, dossier__isnull=False)
    if started.exclude(dossier__status="cancelled").exists():
        return _("The postman is already receiving your dossier.")
    if (now or timezone.now()) >= scheduling.window_starts_at(booking):
        return _(
            "The postman is on the way: it is too late to change this booking. Please call "
            "the post office."
        )
    return ""


def can_change(booking: PickupBooking) -> bool:
    return not change_problem(booking)


def _tell_staff(booking: PickupBooking, what: str, previous: dict[str, Any] | None = None) -> None:
    """The assigned postman (SMS and e-mail, when their account has them) and the
    supervisors of the post office (e-mail) learn of a citizen's change at once."""
    previous = previous or {}
    with translation.override("vi"):
        email = {
            "what": what,
            "code": booking.code,
            "date": booking.date,
            "window": str(booking.get_window_display()),
            "previous_date": previous.get("date"),
            "previous_window": str(previous.get("window", "")),
            "point": booking.service_point.name,
            "commune": booking.commune.name,
        }
        # Text messages go without diacritics (see test.sms.txt).
        sms = {k: unaccent(v) if isinstance(v, str) else v for k, v in email.items()}
        if booking.postman is not None:
            postman = booking.postman
            queue_message("sms", to_e164(postman.phone), "pickup_changed_staff", sms, about=booking)
            queue_message("email", postman.email, "pickup_changed_staff", email, about=booking)
        supervisors = (
            User.objects.filter(
                role_assignments__role=Role.SUPERVISOR,
                role_assignments__service_point_id=booking.service_point_id,
                role_assignments__active=True,
                is_active=True,
            )
            .exclude(email="")
            .distinct()
        )
        for supervisor in supervisors:
            queue_message("email", supervisor.email, "pickup_changed_staff", email, about=booking)


def cancel_pickup(
    booking_id: int, *, actor: Any = None, channel: str, request: HttpRequest | None = None
) -> PickupBooking:
    """The citizen cancels (from the tracking page with the booking's proof, or from their
    account). `channel`: "tracking" or "account", for the audit trail."""
    with transaction.atomic():
        booking = lock_one(PickupBooking, booking_id)
        problem = change_problem(booking)
        if problem:
            raise PickupError(problem)
        previous_status = booking.status
        booking.status = PickupBooking.Status.CANCELLED
        booking.save(update_fields=["status", "updated_at"])
        record(
            "pickup.cancelled_by_citizen",
            request=request,
            actor=actor,
            obj=booking,
            service_point_id=booking.service_point_id,
            details={"code": booking.code, "channel": channel, "was": previous_status},
        )
        _notify_pickup(booking, "pickup_cancelled")
        _tell_staff(booking, "cancelled")
    return booking


def move_pickup(
    booking_id: int,
    day: date,
    window: str,
    *,
    actor: Any = None,
    channel: str,
    request: HttpRequest | None = None,
) -> PickupBooking:
    """The citizen moves the visit to another day and window, under the rules of a new
    booking. The assigned postman keeps it (the supervisor may give it to another); a
    booking whose visit failed is back in the postman's list."""
    if window not in PickupBooking.Window.values:
        raise PickupError(_("Choose the time."))
    with transaction.atomic():
        booking = lock_one(PickupBooking, booking_id)
        problem = change_problem(booking)
        if problem:
            raise PickupError(problem)
        if (booking.date, booking.window) == (day, window):
            raise PickupError(_("This is already the day and time of your booking."))
        problem = scheduling.day_problem(day, booking.province_id)
        if problem:
            raise PickupError(problem)
        lock_one(ServicePoint, booking.service_point_id)
        if scheduling.is_full(booking.service_point_id, day, window, exclude=booking.pk):
            raise PickupError(scheduling.full_message(booking.service_point.name))
        previous = {"date": booking.date, "window": booking.get_window_display()}
        was = {"date": booking.date, "window": booking.window, "status": booking.status}
        booking.date, booking.window = day, window
        booking.status = (
            PickupBooking.Status.ASSIGNED if booking.postman_id else PickupBooking.Status.REQUESTED
        )
        booking.save(update_fields=["date", "window", "status", "updated_at"])
        record(
            "pickup.moved_by_citizen",
            request=request,
            actor=actor,
            obj=booking,
            service_point_id=booking.service_point_id,
            details={
                "code": booking.code,
                "channel": channel,
                "from": was,
                "to": {"date": day, "window": window},
            },
        )
        _notify_pickup(booking, "pickup_moved")
        _tell_staff(booking, "moved", previous)
    return booking
