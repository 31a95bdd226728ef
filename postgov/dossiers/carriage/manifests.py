"""Manifests (bảng kê): loading items by scanning their labels, carrying them to the
agency, the hand-over there (the legal time of submission), and collecting results.

Outbound: the postman opens a manifest for one agency, scans the S10 labels of the sealed
dossiers and supplements waiting at the office, dispatches it (each dossier goes "on the
way"), presents it at the agency and signs; the agency's receiver counts each item against
the dispatch slip, records the fees received and confirms — that confirmation hands every
counted dossier over at one moment, the moment on the hand-over record (biên bản).

Return: the postman opens a return manifest at the agency and scans the results waiting
there (the dossier code or its label); confirming collects them all.

A scan that cannot be loaded is refused with the reason and kept (ManifestRefusal), so
the supervisor sees what was tried.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from postgov.audit.actions import record
from postgov.delivery.actions import (
    SignatureMissing,
    create_item,
    record_missing_signature,
    signature_or_reason,
)
from postgov.delivery.models import (
    Manifest,
    ManifestItem,
    ManifestRefusal,
    MissingSignature,
    PostalItem,
)
from postgov.delivery.signatures import Unsigned
from postgov.dossiers.actions import TransitionError, perform
from postgov.dossiers.linked.queries import package_return_item
from postgov.dossiers.models import Dossier, ReturnMethod
from postgov.dossiers.numbering import next_manifest_code
from postgov.dossiers.orders.actions import OrderError, item_of
from postgov.dossiers.orders.actions import step as order_step
from postgov.dossiers.orders.models import OrderKind, OrderStatus, PostalOrder
from postgov.dossiers.workflow import State
from postgov.identity.models import AGENCY_ROLES, POINT_ROLES
from postgov.lib import s10
from postgov.lib.locking import lock_one

ACTIVE = (Manifest.Status.LOADING, Manifest.Status.DISPATCHED, Manifest.Status.PRESENTED)
RESULTS_TO_COLLECT = (State.RESULT_READY, State.REFUSED, State.STOPPED)
_CODE = re.compile(r"^[0-9A-Z.\-]{6,60}$")


class ManifestError(Exception):
    """The step is not possible; the message says why, for the person doing it."""


@dataclass
class Check:
    """The agency's count of one item on the manifest."""

    result: str
    note: str = ""
    fee_received: int = 0


def _check_point(access, point_id: int) -> None:
    if not access.can_act_at_point(point_id, *POINT_ROLES):
        raise ManifestError(_("You do not work at this post office."))


def manifests_for(access):
    """The manifests a person may see: those of their post offices, and those addressed
    to their agencies."""
    return Manifest.objects.filter(
        Q(service_point__in=access.point_ids(*POINT_ROLES)) | Q(agency__in=access.agency_ids())
    )


def new_manifest(
    *, point, agency, user, access, direction=Manifest.Direction.OUTBOUND, request=None
):
    _check_point(access, point.pk)
    if agency.province_id != point.commune.province_id:
        raise ManifestError(_("This agency is in another province."))
    today = timezone.localdate()
    with transaction.atomic():
        code = next_manifest_code(
            point.code, today, outbound=direction == Manifest.Direction.OUTBOUND
        )
        manifest = Manifest.objects.create(
            code=code,
            direction=direction,
            province_id=agency.province_id,
            service_point=point,
            agency=agency,
            postman=user,
        )
        record(
            "manifest.created",
            request=request,
            actor=user,
            obj=manifest,
            service_point_id=point.pk,
            agency_id=agency.pk,
            details={"code": code, "direction": direction},
        )
    return manifest


def _refuse(manifest: Manifest, scanned: str, reason: str, user, request) -> None:
    with transaction.atomic():
        ManifestRefusal.objects.create(
            manifest=manifest, scanned=scanned[:60], reason=reason[:300], by=user
        )
        record(
            "manifest.scan_refused",
            request=request,
            actor=user,
            obj=manifest,
            service_point_id=manifest.service_point_id,
            details={"scanned": scanned[:60], "reason": reason[:300]},
        )


def scan(manifest_id: int, scanned: str, *, user, access, request=None) -> ManifestItem:
    """Load one scanned label onto the manifest, or refuse it (kept and reported)."""
    manifest = Manifest.objects.select_related("agency", "service_point").get(pk=manifest_id)
    _check_point(access, manifest.service_point_id)
    # Labels are read by a scanner that types, or typed by hand: ignore spaces and case.
    text = re.sub(r"\s", "", scanned or "").upper()[:60]
    try:
        with transaction.atomic():
            manifest = lock_one(Manifest, manifest_id)
            if manifest.status != Manifest.Status.LOADING:
                raise ManifestError(_("This manifest is closed: open a new one."))
            if manifest.direction == Manifest.Direction.OUTBOUND:
                return _load_outbound(manifest, text, user)
            return _load_result(manifest, text, user)
    except ManifestError as exc:
        _refuse(manifest, text or scanned[:60], str(exc), user, request)
        raise


def _on_active_manifest(item: PostalItem, exclude: Manifest) -> Manifest | None:
    line = (
        ManifestItem.objects.filter(item=item, manifest__status__in=ACTIVE)
        .exclude(manifest=exclude)
        .exclude(check_result=ManifestItem.Check.NOT_RECEIVED)
        .select_related("manifest")
        .first()
    )
    return line.manifest if line else None


def _load_outbound(manifest: Manifest, text: str, user) -> ManifestItem:
    text = s10.normalise(text)
    if not s10.is_valid(text):
        raise ManifestError(_("“%(code)s” is not a valid item number.") % {"code": text})
    item = (
        PostalItem.objects.select_related("dossier__agency", "order").filter(item_id=text).first()
    )
    if item is None:
        raise ManifestError(_("Unknown item %(code)s.") % {"code": text})
    if item.order is not None:
        return _load_order(manifest, item, item.order, user, OrderStatus.RECEIVED)
    dossier = item.dossier
    if dossier is None:
        raise ManifestError(_("Unknown item %(code)s.") % {"code": text})
    if item.leg == PostalItem.Leg.RETURN:
        raise ManifestError(_("%(code)s is a result going back, not a dossier.") % {"code": text})
    if dossier.agency_id != manifest.agency_id:
        raise ManifestError(
            _("%(code)s is for another agency (%(agency)s).")
            % {"code": text, "agency": dossier.agency.name if dossier.agency else "—"}
        )
    if dossier.receiving_point_id != manifest.service_point_id:
        raise ManifestError(_("%(code)s was received at another post office.") % {"code": text})
    latest_supplement = (
        dossier.items.filter(leg=PostalItem.Leg.SUPPLEMENT).order_by("-created_at").first()
    )
    if item.leg == PostalItem.Leg.OUTBOUND:
        waiting = dossier.status in (State.SEALED, State.IN_TRANSIT)
    else:
        waiting = item == latest_supplement and dossier.status in (
            State.SUPPLEMENT_SEALED,
            State.SUPPLEMENT_IN_TRANSIT,
        )
    if not waiting:
        raise ManifestError(
            _("%(code)s is not waiting to go to the agency (dossier “%(state)s”).")
            % {"code": text, "state": State(dossier.status).label}
        )
    if ManifestItem.objects.filter(manifest=manifest, item=item).exists():
        raise ManifestError(_("%(code)s is already on this manifest.") % {"code": text})
    other = _on_active_manifest(item, manifest)
    if other is not None:
        raise ManifestError(
            _("%(code)s is already on manifest %(manifest)s.")
            % {"code": text, "manifest": other.code}
        )
    # An IN_TRANSIT dossier is one the agency did not take (not received): it goes again.
    fee = dossier.procedure_fee if item.leg == PostalItem.Leg.OUTBOUND else 0
    return ManifestItem.objects.create(
        manifest=manifest, item=item, dossier=dossier, added_by=user, fee_expected=fee
    )


def _load_order(
    manifest: Manifest, item: PostalItem, order: PostalOrder, user, waiting: str
) -> ManifestItem:
    """An item of a postal order (decision 0016): a result to collect from the agency, or
    originals to carry to it, on the same manifest as counter dossiers."""
    if order.agency_id != manifest.agency_id:
        raise ManifestError(_("%(code)s belongs to another agency.") % {"code": item.item_id})
    if order.service_point_id != manifest.service_point_id:
        raise ManifestError(
            _("%(code)s is served by another post office.") % {"code": item.item_id}
        )
    if order.status != waiting:
        raise ManifestError(
            _("%(code)s is not waiting for this trip (order “%(state)s”).")
            % {"code": item.item_id, "state": OrderStatus(order.status).label}
        )
    if ManifestItem.objects.filter(manifest=manifest, item=item).exists():
        raise ManifestError(_("%(code)s is already on this manifest.") % {"code": item.item_id})
    other = _on_active_manifest(item, manifest)
    if other is not None:
        raise ManifestError(
            _("%(code)s is already on manifest %(manifest)s.")
            % {"code": item.item_id, "manifest": other.code}
        )
    return ManifestItem.objects.create(manifest=manifest, item=item, order=order, added_by=user)


def _load_result(manifest: Manifest, text: str, user) -> ManifestItem:
    order = PostalOrder.objects.filter(code=text, kind=OrderKind.RESULT_DELIVERY).first()
    if order is not None:
        return _load_order(manifest, item_of(order), order, user, OrderStatus.ORDERED)
    if s10.is_valid(text):
        item = (
            PostalItem.objects.filter(item_id=s10.normalise(text))
            .select_related("dossier", "order")
            .first()
        )
        if item is not None and item.order is not None:
            return _load_order(manifest, item, item.order, user, OrderStatus.ORDERED)
        dossier = item.dossier if item else None
    elif _CODE.match(text):
        dossier = Dossier.objects.filter(code=text).first()
    else:
        dossier = None
    if dossier is None:
        raise ManifestError(_("Unknown item or dossier %(code)s.") % {"code": text})
    if dossier.agency_id != manifest.agency_id:
        raise ManifestError(_("%(code)s belongs to another agency.") % {"code": text})
    if dossier.status not in RESULTS_TO_COLLECT:
        raise ManifestError(
            _("The result of %(code)s is not ready to collect (dossier “%(state)s”).")
            % {"code": dossier.code, "state": State(dossier.status).label}
        )
    if dossier.return_method == ReturnMethod.AT_AGENCY:
        raise ManifestError(
            _("The citizen collects %(code)s at the agency itself.") % {"code": dossier.code}
        )
    if (dossier.return_point_id or dossier.receiving_point_id) != manifest.service_point_id:
        raise ManifestError(
            _("The result of %(code)s goes back through another post office.")
            % {"code": dossier.code}
        )
    if ManifestItem.objects.filter(
        dossier=dossier, manifest__status__in=ACTIVE, manifest__direction="return"
    ).exists():
        raise ManifestError(_("%(code)s is already on a manifest.") % {"code": dossier.code})
    # The return item is usually allocated at sealing (the citizen paid its postage then,
    # decision 0002); a dossier without one gets its number now — unless it is a part of
    # a linked package, whose results all travel in the package's one item (decision 0024).
    item = dossier.items.filter(leg=PostalItem.Leg.RETURN).order_by("-created_at").first()
    if item is None:
        item = package_return_item(dossier) or create_item(dossier, PostalItem.Leg.RETURN)
    return ManifestItem.objects.create(manifest=manifest, item=item, dossier=dossier, added_by=user)


def remove(manifest_id: int, line_id: int, *, user, access, request=None) -> None:
    with transaction.atomic():
        manifest = lock_one(Manifest, manifest_id)
        _check_point(access, manifest.service_point_id)
        if manifest.status != Manifest.Status.LOADING:
            raise ManifestError(_("This manifest is closed."))
        line = ManifestItem.objects.filter(manifest=manifest, pk=line_id).first()
        if line is None:
            raise ManifestError(_("This item is not on the manifest."))
        record(
            "manifest.item_removed",
            request=request,
            actor=user,
            obj=manifest,
            service_point_id=manifest.service_point_id,
            details={"item": line.item.item_id},
        )
        # A return item that was never carried is simply not used; its number is not reused.
        line.delete()


def dispatch(manifest_id: int, *, user, access, request=None, at=None) -> Manifest:
    """Close the loading: every dossier and supplement on it goes "on the way"."""
    with transaction.atomic():
        manifest = lock_one(Manifest, manifest_id)
        _check_point(access, manifest.service_point_id)
        if manifest.direction != Manifest.Direction.OUTBOUND:
            raise ManifestError(_("A return manifest is collected, not dispatched."))
        if manifest.status != Manifest.Status.LOADING:
            raise ManifestError(_("This manifest has already left."))
        lines = list(manifest.items.select_related("item", "dossier"))
        if not lines:
            raise ManifestError(_("Scan at least one item first."))
        for line in lines:
            if line.dossier is None:
                _order_step(line, "dispatch", user, manifest, at)
                continue
            action = (
                "dispatch" if line.item.leg == PostalItem.Leg.OUTBOUND else "dispatch_supplement"
            )
            if line.dossier.status in (State.SEALED, State.SUPPLEMENT_SEALED):
                _perform(line.dossier_id, action, user, access, request, manifest, at=at)
        manifest.status = Manifest.Status.DISPATCHED
        manifest.dispatched_at = at or timezone.now()
        manifest.fees_expected = sum(line.fee_expected for line in lines)
        manifest.save(update_fields=["status", "dispatched_at", "fees_expected"])
        record(
            "manifest.dispatched",
            request=request,
            actor=user,
            obj=manifest,
            service_point_id=manifest.service_point_id,
            agency_id=manifest.agency_id,
            details={"items": len(lines), "fees": manifest.fees_expected},
        )
    return manifest


def _order_step(line: ManifestItem, action: str, user, manifest: Manifest, at, **details) -> None:
    """A postal order's step on a manifest: the manifest's step checked who may take it."""
    if line.order_id is None:
        raise ManifestError(_("This item is not on the manifest."))
    try:
        order_step(
            line.order_id,
            action,
            actor=user,
            at=at,
            details={"manifest": manifest.code, "item": line.item.item_id, **details},
        )
    except OrderError as exc:
        raise ManifestError(str(exc)) from exc


def _perform(dossier_id, action, user, access, request, manifest, **kwargs):
    try:
        return perform(
            dossier_id,
            action,
            actor=user,
            access=access,
            request=request,
            details={"manifest": manifest.code, **kwargs.pop("details", {})},
            **kwargs,
        )
    except TransitionError as exc:
        raise ManifestError(str(exc)) from exc


def _signed_or_reason(signature, unsigned, message) -> Unsigned | None:
    try:
        return signature_or_reason(signature, unsigned, message)
    except SignatureMissing as exc:
        raise ManifestError(str(exc)) from exc


def _sign(manifest: Manifest, field: str, signature, unsigned: Unsigned | None) -> list[str]:
    """Put the signature drawn on the screen on `field` (not saved yet); the fields to save."""
    if unsigned is not None:
        return []
    side = field.removesuffix("_signature")
    getattr(manifest, field).save(f"{manifest.code}-{side}.png", ContentFile(signature), save=False)
    return [field]


def _keep_reason(manifest: Manifest, step: str, unsigned: Unsigned, user, at, request) -> None:
    """Why this half of the manifest was not signed on the screen, for the supervisor."""
    record_missing_signature(
        step,
        unsigned,
        point_id=manifest.service_point_id,
        user=user,
        at=at,
        manifest=manifest,
        request=request,
    )


def present(
    manifest_id: int,
    *,
    user,
    access,
    signature: bytes | None = None,
    unsigned: Unsigned | None = None,
    request=None,
    at=None,
):
    """The postman, at the agency, presents the manifest and signs their half (or says
    why they cannot sign on the screen)."""
    unsigned = _signed_or_reason(
        signature,
        unsigned,
        _(
            "Sign on the screen before presenting the manifest. If you cannot, choose why "
            "and say what happened."
        ),
    )
    with transaction.atomic():
        manifest = lock_one(Manifest, manifest_id)
        _check_point(access, manifest.service_point_id)
        if manifest.status != Manifest.Status.DISPATCHED:
            raise ManifestError(_("Only a manifest on the way can be presented."))
        manifest.status = Manifest.Status.PRESENTED
        manifest.presented_at = at or timezone.now()
        signed = _sign(manifest, "postman_signature", signature, unsigned)
        manifest.save(update_fields=["status", "presented_at", *signed])
        if unsigned is not None:
            _keep_reason(
                manifest,
                MissingSignature.Step.PRESENTED,
                unsigned,
                user,
                manifest.presented_at,
                request,
            )
        record(
            "manifest.presented",
            request=request,
            actor=user,
            obj=manifest,
            service_point_id=manifest.service_point_id,
            agency_id=manifest.agency_id,
            details={
                "signature": unsigned is None,
                **({"unsigned_reason": unsigned.reason} if unsigned else {}),
            },
        )
    return manifest


def confirm_handover(
    manifest_id: int,
    checks: dict[int, Check],
    *,
    user,
    access,
    request=None,
    at=None,
    signature: bytes | None = None,
    unsigned: Unsigned | None = None,
):
    """The receiver's half: each item counted; those received are handed over now — the
    legal time of submission — with the fees received for them. The receiver signs on the
    screen, or says why they cannot."""
    unsigned = _signed_or_reason(
        signature,
        unsigned,
        _(
            "Sign on the screen to confirm the hand-over. If you cannot, choose why and say "
            "what happened."
        ),
    )
    with transaction.atomic():
        manifest = lock_one(Manifest, manifest_id)
        if not access.can_act_for_agency(manifest.agency_id, *AGENCY_ROLES):
            raise ManifestError(_("Only the agency's receivers confirm a hand-over."))
        if manifest.status != Manifest.Status.PRESENTED:
            raise ManifestError(_("The postman has not presented this manifest yet."))
        lines = list(manifest.items.select_related("item", "dossier"))
        missing = [line for line in lines if line.pk not in checks]
        if missing:
            raise ManifestError(_("Count every item on the manifest."))
        # `at` replays a hand-over recorded on paper (and builds the demo); else: now.
        moment = at or timezone.now()
        postman = manifest.postman
        received_fees = 0
        handed = 0
        for line in lines:
            check = checks[line.pk]
            if check.result not in (
                ManifestItem.Check.OK,
                ManifestItem.Check.DISCREPANCY,
                ManifestItem.Check.NOT_RECEIVED,
            ):
                raise ManifestError(_("Choose the result of the count for every item."))
            if check.result == ManifestItem.Check.DISCREPANCY and not check.note.strip():
                raise ManifestError(_("Say what differs from the dispatch slip."))
            fee = max(0, min(int(check.fee_received or 0), 10_000_000_000))
            if check.result == ManifestItem.Check.NOT_RECEIVED:
                fee = 0
            line.check_result = check.result
            line.check_note = check.note.strip()[:300]
            line.fee_received = fee
            line.save(update_fields=["check_result", "check_note", "fee_received"])
            if check.result == ManifestItem.Check.NOT_RECEIVED:
                continue
            handed += 1
            received_fees += fee
            details = {
                "postman": postman.pk,
                "postman_name": postman.get_full_name(),
                "count": check.result,
                "count_note": line.check_note,
                "item": line.item.item_id,
            }
            if line.order_id is not None:
                _order_step(line, "hand_over", user, manifest, moment, count=check.result)
            elif line.item.leg == PostalItem.Leg.OUTBOUND:

                def apply(dossier, fee=fee):
                    dossier.fees_handed_over = fee
                    dossier.fees_handed_over_at = moment
                    return ["fees_handed_over", "fees_handed_over_at"]

                details["fee_received"] = fee
                _perform(
                    line.dossier_id,
                    "hand_over",
                    user,
                    access,
                    request,
                    manifest,
                    at=moment,
                    apply=apply,
                    note=line.check_note,
                    details=details,
                )
            else:
                _perform(
                    line.dossier_id,
                    "supplement_received",
                    user,
                    access,
                    request,
                    manifest,
                    at=moment,
                    note=line.check_note,
                    details=details,
                )
        manifest.status = Manifest.Status.HANDED_OVER
        manifest.handed_over_at = moment
        manifest.received_by = user
        manifest.fees_received = received_fees
        signed = _sign(manifest, "receiver_signature", signature, unsigned)
        manifest.save(
            update_fields=["status", "handed_over_at", "received_by", "fees_received", *signed]
        )
        if unsigned is not None:
            _keep_reason(manifest, MissingSignature.Step.RECEIVED, unsigned, user, moment, request)
        record(
            "manifest.handed_over",
            request=request,
            actor=user,
            obj=manifest,
            agency_id=manifest.agency_id,
            details={
                "handed_over": handed,
                "not_received": len(lines) - handed,
                "fees_expected": manifest.fees_expected,
                "fees_received": received_fees,
                "signature": unsigned is None,
                **({"unsigned_reason": unsigned.reason} if unsigned else {}),
            },
        )
    return manifest


def collect(manifest_id: int, *, user, access, request=None, at=None) -> Manifest:
    """Return manifest: the results scanned at the agency are collected by the post."""
    with transaction.atomic():
        manifest = lock_one(Manifest, manifest_id)
        _check_point(access, manifest.service_point_id)
        if manifest.direction != Manifest.Direction.RETURN:
            raise ManifestError(_("Only a return manifest collects results."))
        if manifest.status != Manifest.Status.LOADING:
            raise ManifestError(_("These results were already collected."))
        lines = list(manifest.items.select_related("item"))
        if not lines:
            raise ManifestError(_("Scan at least one result first."))
        moment = at or timezone.now()
        for line in lines:
            if line.order_id is not None:
                _order_step(line, "collect", user, manifest, moment)
                continue
            _perform(
                line.dossier_id,
                "collect_result",
                user,
                access,
                request,
                manifest,
                at=moment,
                details={"item": line.item.item_id},
            )
        manifest.status = Manifest.Status.COLLECTED
        manifest.dispatched_at = manifest.handed_over_at = moment
        manifest.save(update_fields=["status", "dispatched_at", "handed_over_at"])
        record(
            "manifest.collected",
            request=request,
            actor=user,
            obj=manifest,
            service_point_id=manifest.service_point_id,
            agency_id=manifest.agency_id,
            details={"items": len(lines)},
        )
    return manifest
