"""Bringing the result back to the citizen: out for delivery, attempts with UPU-style
reason and action codes, proof of delivery (at the door or at the counter), holding at the
post office after too many failed attempts, and the return to the agency."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from postgov.audit.actions import record
from postgov.delivery.actions import (
    SignatureMissing,
    Spot,
    can_manage_pickups,
    check_recipient,
    postmen_of,
    record_delivery,
    record_failed_attempt,
)
from postgov.delivery.models import DeliveryAttempt, PostalItem, ProofOfDelivery
from postgov.delivery.signatures import Unsigned
from postgov.dossiers.actions import TransitionError, perform
from postgov.dossiers.models import Dossier, ReturnMethod
from postgov.dossiers.workflow import State
from postgov.identity.models import Role
from postgov.lib.locking import lock_one


def max_attempts() -> int:
    return getattr(settings, "DELIVERY_MAX_ATTEMPTS", 2)


@dataclass
class Place:
    latitude: float | None = None
    longitude: float | None = None
    accuracy_m: float | None = None

    @classmethod
    def parse(cls, lat, lng, accuracy=None) -> Place:
        def number(value, low, high):
            try:
                number = float(value)
            except (TypeError, ValueError):
                return None
            return number if low <= number <= high else None

        latitude, longitude = number(lat, -90, 90), number(lng, -180, 180)
        if latitude is None or longitude is None:
            return cls()
        return cls(latitude, longitude, number(accuracy, 0, 100_000))


@dataclass
class Proof:
    recipient_name: str
    # The last four digits of the recipient's own ID card: the applicant's card when the
    # applicant receives it, checked against the dossier.
    id_last4: str
    relation: str
    relation_note: str = ""
    signature: bytes | None = None
    # Why the recipient did not sign on the screen, when they did not.
    unsigned: Unsigned | None = None
    photo: tuple[bytes, str] | None = None
    place: Place | None = None
    # The recipient's own card ends with the applicant's four digits: the postman looked.
    same_digits_confirmed: bool = False


class SameDigits(TransitionError):
    """A recipient other than the applicant gave the applicant's last four digits."""


def return_item(dossier: Dossier) -> PostalItem | None:
    return dossier.items.filter(leg=PostalItem.Leg.RETURN).order_by("-created_at").first()


def _return_point(dossier: Dossier) -> int:
    # The place of the return scope (`actions.scope_place_id`), read here so that its type
    # says what holds: every dossier has a receiving point to fall back on.
    return dossier.return_point_id or dossier.receiving_point_id


def _carrier(dossier: Dossier, postman, *, user, access):
    """The postman who carries the result: the one acting, or the one a supervisor of the
    post office chose (as pickups are given out)."""
    point_id = _return_point(dossier)
    carrier = postman or user
    if carrier.pk != user.pk and not can_manage_pickups(access, point_id):
        raise TransitionError(
            _("Only a supervisor of the post office gives a delivery to another postman.")
        )
    if not postmen_of(point_id).filter(pk=carrier.pk).exists():
        raise TransitionError(_("Choose the postman of this post office who takes it out."))
    return carrier


def _record_carrier(dossier: Dossier, carrier, previous_id, *, user, access, request) -> None:
    record(
        "dossier.delivery_assigned",
        request=request,
        actor=user,
        obj=dossier,
        role=Role.SUPERVISOR
        if can_manage_pickups(access, _return_point(dossier))
        else Role.POSTMAN,
        service_point_id=_return_point(dossier),
        details={"postman": carrier.pk, "previous": previous_id},
    )


def out_for_delivery(dossier_id: int, *, user, access, postman=None, request=None) -> Dossier:
    """The result leaves with one postman: the one acting, or `postman` when a supervisor
    gives it out. Only that postman's route shows it."""
    with transaction.atomic():
        dossier = lock_one(Dossier, dossier_id)
        if dossier.return_method != ReturnMethod.DELIVER:
            raise TransitionError(_("The citizen collects this result at the post office."))
        carrier = _carrier(dossier, postman, user=user, access=access)
        previous = dossier.delivery_postman_id

        def carried_by(row: Dossier) -> list[str]:
            row.delivery_postman = carrier
            return ["delivery_postman"]

        dossier, _event = perform(
            dossier_id,
            "out_for_delivery",
            actor=user,
            access=access,
            request=request,
            details={"postman": carrier.pk},
            apply=carried_by,
            locked=dossier,
        )
        _record_carrier(dossier, carrier, previous, user=user, access=access, request=request)
    return dossier


def assign_delivery(dossier_id: int, postman, *, user, access, request=None) -> Dossier:
    """A supervisor gives a result already out for delivery to another postman of the
    post office (the first is ill, the round is shared out again)."""
    with transaction.atomic():
        dossier = lock_one(Dossier, dossier_id)
        if not can_manage_pickups(access, _return_point(dossier)):
            raise TransitionError(
                _("Only a supervisor of the post office gives a delivery to another postman.")
            )
        if dossier.status != State.OUT_FOR_DELIVERY:
            raise TransitionError(_("This result is not out for delivery."))
        carrier = _carrier(dossier, postman, user=user, access=access)
        previous = dossier.delivery_postman_id
        dossier.delivery_postman = carrier
        dossier.save(update_fields=["delivery_postman", "updated_at"])
        _record_carrier(dossier, carrier, previous, user=user, access=access, request=request)
    return dossier


def failed_attempt(
    dossier_id: int,
    *,
    reason_code: str,
    action_code: str,
    note: str = "",
    place: Place | None = None,
    user,
    access,
    request=None,
) -> tuple[Dossier, DeliveryAttempt]:
    """Record a failed attempt. After `DELIVERY_MAX_ATTEMPTS` failures (or when the
    postman says so) the result is held at the post office and the citizen told."""
    if reason_code not in DeliveryAttempt.Reason.values:
        raise TransitionError(_("Choose why the delivery failed."))
    if action_code not in DeliveryAttempt.Next.values:
        raise TransitionError(_("Choose what happens next."))
    if reason_code == DeliveryAttempt.Reason.OTHER and not note.strip():
        raise TransitionError(_("Describe what happened."))
    place = place or Place()
    with transaction.atomic():
        dossier = lock_one(Dossier, dossier_id)
        previous = DeliveryAttempt.objects.filter(dossier=dossier, delivered=False).count()
        if previous + 1 >= max_attempts() and action_code == DeliveryAttempt.Next.RETRY:
            action_code = DeliveryAttempt.Next.HOLD
        dossier, event = perform(
            dossier_id,
            "delivery_failed",
            actor=user,
            access=access,
            request=request,
            note=note.strip()[:300],
            reason_code=reason_code,
            action_code=action_code,
            details={
                "attempt": previous + 1,
                "reason_label": str(DeliveryAttempt.Reason(reason_code).label),
            },
        )
        attempt = record_failed_attempt(
            dossier=dossier,
            item=return_item(dossier),
            point_id=_return_point(dossier),
            user=user,
            at=event.at,
            reason_code=reason_code,
            action_code=action_code,
            note=note,
            spot=Spot(place.latitude, place.longitude),
        )
        if action_code == DeliveryAttempt.Next.HOLD:
            # The system acts: the rule, not the postman, sends it back to the office.
            dossier, _event = perform(
                dossier_id,
                "hold_at_office",
                note=_("Held after %(n)s failed delivery attempt(s).") % {"n": previous + 1},
                details={"after_attempts": previous + 1},
            )
        elif action_code == DeliveryAttempt.Next.RETURN:
            dossier, _event = perform(
                dossier_id,
                "return_to_agency",
                actor=user,
                access=access,
                request=request,
                note=note.strip()[:300] or str(DeliveryAttempt.Reason(reason_code).label),
                reason_code=reason_code,
            )
    return dossier, attempt


def hold(dossier_id: int, *, user, access, request=None) -> Dossier:
    dossier, _event = perform(
        dossier_id, "hold_at_office", actor=user, access=access, request=request
    )
    return dossier


def deliver(
    dossier_id: int, proof: Proof, *, user, access, at_counter: bool = False, request=None
) -> tuple[Dossier, ProofOfDelivery]:
    """Hand the result over against proof: who took it, the last four digits of their own
    ID card (checked against the applicant's when the recipient is the applicant), their
    relation to the applicant when not the applicant, and their signature — or the reason
    they could not sign on the screen, which a supervisor reviews."""
    try:
        checked = check_recipient(proof)
    except SignatureMissing as exc:
        raise TransitionError(str(exc)) from exc
    name, applicant, unsigned = checked.name, checked.is_applicant, checked.unsigned
    place = proof.place or Place()
    with transaction.atomic():
        dossier = lock_one(Dossier, dossier_id)
        own_digits = dossier.applicant_id_number[-4:]
        if applicant and own_digits != proof.id_last4:
            raise TransitionError(
                _("These digits do not match the applicant's ID: check the card again.")
            )
        if not applicant and own_digits == proof.id_last4 and not proof.same_digits_confirmed:
            raise SameDigits(
                _(
                    "These are the last digits of the applicant's ID. Ask for the recipient's "
                    "own ID card and enter its last 4 digits."
                )
            )
        expected = State.HELD_AT_OFFICE if at_counter else State.OUT_FOR_DELIVERY
        if dossier.status != expected:
            raise TransitionError(
                _("This result is not %(where)s.")
                % {"where": _("waiting at the counter") if at_counter else _("out for delivery")}
            )
        holder = (
            ProofOfDelivery.IdHolder.APPLICANT if applicant else ProofOfDelivery.IdHolder.RECIPIENT
        )
        dossier, event = perform(
            dossier_id,
            "deliver",
            actor=user,
            access=access,
            request=request,
            details={
                "recipient": name,
                "relation": proof.relation,
                "id_holder": holder,
                "signature": unsigned is None,
                **({"unsigned_reason": unsigned.reason} if unsigned else {}),
                "at_counter": at_counter,
            },
        )
        row = record_delivery(
            proof,
            checked,
            dossier=dossier,
            item=return_item(dossier),
            point_id=_return_point(dossier),
            user=user,
            at=event.at,
            file_stem=str(dossier.code or dossier.pk),
            at_counter=at_counter,
            spot=Spot(place.latitude, place.longitude, place.accuracy_m),
            photo=proof.photo,
            request=request,
        )
    return dossier, row


def return_to_agency(dossier_id: int, *, note: str, user, access, request=None) -> Dossier:
    dossier, _event = perform(
        dossier_id, "return_to_agency", actor=user, access=access, request=request, note=note
    )
    return dossier
