"""Every change of an assisted session (decision 0022): start, consent, outcome, fee, and
turning a submitted session into a result-delivery postal order. Each step locks the
session, checks where it stands, writes a `SessionEvent` and an audit event in one
transaction. Personal data (the citizen's name, phone, ID number) never goes into the
audit details."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from postgov.agencies.models import Agency
from postgov.assisted.consent import NOTICE_VERSION
from postgov.assisted.models import (
    AssistanceTariff,
    AssistedSession,
    ConsentMethod,
    NotPossibleReason,
    Outcome,
    Portal,
    SessionEvent,
    Status,
)
from postgov.audit.actions import record
from postgov.catalog.models import ExemptCategory, Procedure
from postgov.dossiers.orders.actions import OrderError, OrderRequest, create_order
from postgov.dossiers.orders.models import OrderKind, PostalOrder
from postgov.dossiers.practice import in_practice
from postgov.identity.models import Role
from postgov.lib.locking import lock_one
from postgov.lib.phones import PhoneError, normalise_mobile
from postgov.places.models import Commune, ServicePoint

if TYPE_CHECKING:
    from postgov.identity.access import Access
    from postgov.identity.models import User

SESSION_ROLES = (Role.CLERK, Role.SUPERVISOR)
# The portal's dossier code: the receiving unit's code, the day (YYMMDD), a number.
PORTAL_CODE = re.compile(r"^([0-9A-Z.]{1,40})-(\d{6})-(\d{4,6})$")
# A password or a one-time code typed into a note: a six-digit number standing alone, or
# the words for them. The clerk never takes either (decision 0022).
_SECRET_WORDS = re.compile(r"mật\s*khẩu|password|passwd|\botp\b|mã\s*xác\s*thực", re.I)
_SIX_DIGITS = re.compile(r"(?<![\d.\-/])\d{6}(?![\d.\-/])")
RESULT_DOCUMENT = "Kết quả giải quyết thủ tục hành chính"


class AssistedError(Exception):
    """A step that cannot be taken; the message is for the clerk, in the page's language."""


def looks_like_a_secret(text: str) -> bool:
    return bool(_SECRET_WORDS.search(text or "") or _SIX_DIGITS.search(text or ""))


def _free_text(text: str, limit: int) -> str:
    clean = " ".join((text or "").split())[:limit]
    if looks_like_a_secret(clean):
        raise AssistedError(
            _(
                "This text looks like a password or a one-time code. Never write them down: "
                "the citizen types them on the portal themselves."
            )
        )
    return clean


def _step(
    session: AssistedSession,
    action: str,
    *,
    actor: User,
    request: HttpRequest | None,
    details: dict[str, Any] | None = None,
) -> None:
    details = details or {}
    SessionEvent.objects.create(
        session=session, at=timezone.now(), action=action, actor=actor, details=details
    )
    record(
        f"assisted.{action}",
        request=request,
        actor=actor,
        obj=session,
        service_point_id=session.point_id,
        details=details,
    )


def _locked(session_id: int, access: Access) -> AssistedSession:
    session = lock_one(AssistedSession, session_id)
    if not access.can_act_at_point(session.point_id, *SESSION_ROLES):
        raise AssistedError(_("This session belongs to another post office."))
    return session


@dataclass
class Start:
    point_id: int
    citizen_name: str
    portal: str
    citizen_phone: str = ""
    citizen_id_number: str = ""
    portal_detail: str = ""
    procedure: Procedure | None = None
    service_name: str = ""


def start_session(
    data: Start, *, user: User, access: Access, request: HttpRequest | None = None
) -> AssistedSession:
    """Open a session for a citizen at the counter. Refused in practice: a session is real
    work with a real citizen on a real portal, which a training class must not reach."""
    if request is not None and in_practice(request):
        raise AssistedError(
            _(
                "Assisted online sessions are not part of practice: leave the practice mode "
                "to help a citizen."
            )
        )
    if not access.can_act_at_point(data.point_id, *SESSION_ROLES):
        raise AssistedError(_("You do not work at this post office."))
    name = " ".join((data.citizen_name or "").split())[:200]
    if len(name) < 2:
        raise AssistedError(_("Write the citizen's full name."))
    if data.portal not in Portal.values:
        raise AssistedError(_("Choose the portal."))
    phone = ""
    if (data.citizen_phone or "").strip():
        try:
            phone = normalise_mobile(data.citizen_phone)
        except PhoneError as exc:
            raise AssistedError(str(exc)) from exc
    id_number = (data.citizen_id_number or "").strip()
    if id_number and not (id_number.isdigit() and len(id_number) in (9, 12)):
        raise AssistedError(_("The ID number has 12 digits (9 for an old card)."))
    service_name = _free_text(data.service_name, 300)
    if data.procedure is None and len(service_name) < 3:
        raise AssistedError(_("Choose the procedure or write the name of the online service."))
    detail = _free_text(data.portal_detail, 200)
    point = ServicePoint.objects.select_related("commune").get(pk=data.point_id)
    with transaction.atomic():
        session = AssistedSession.objects.create(
            province_id=point.commune.province_id,
            point=point,
            clerk=user,
            citizen_name=name,
            citizen_phone=phone,
            citizen_id_number=id_number,
            portal=data.portal,
            portal_detail=detail,
            procedure=data.procedure,
            service_name="" if data.procedure is not None else service_name,
            started_at=timezone.now(),
        )
        _step(
            session,
            "started",
            actor=user,
            request=request,
            details={"portal": data.portal, "procedure": getattr(data.procedure, "code", "")},
        )
    return session


def record_consent(
    session_id: int,
    *,
    method: str,
    affirmed: bool,
    paper_reference: str = "",
    user: User,
    access: Access,
    request: HttpRequest | None = None,
) -> AssistedSession:
    """The citizen's consent, on screen (they tick the notice) or on a signed paper (its
    number is kept). Nothing else happens in a session without it."""
    if method not in ConsentMethod.values:
        raise AssistedError(_("Say how the citizen gave their consent."))
    reference = " ".join((paper_reference or "").split())[:40]
    if method == ConsentMethod.SCREEN and not affirmed:
        raise AssistedError(_("The citizen must tick the notice to give their consent."))
    if method == ConsentMethod.PAPER and not reference:
        raise AssistedError(_("Write the number of the signed consent paper."))
    with transaction.atomic():
        session = _locked(session_id, access)
        if session.status != Status.STARTED:
            raise AssistedError(_("The consent of this session is already recorded."))
        session.consent_method = method
        session.consent_reference = reference if method == ConsentMethod.PAPER else ""
        session.consent_at = timezone.now()
        session.consent_notice_version = NOTICE_VERSION
        session.status = Status.CONSENTED
        session.save(
            update_fields=[
                "consent_method",
                "consent_reference",
                "consent_at",
                "consent_notice_version",
                "status",
            ]
        )
        _step(
            session,
            "consented",
            actor=user,
            request=request,
            details={"method": method, "notice": NOTICE_VERSION},
        )
    return session


def clean_portal_code(code: str) -> str:
    clean = (code or "").strip().upper()
    if not clean:
        raise AssistedError(_("Write the dossier code the portal gave."))
    if PORTAL_CODE.match(clean) is None:
        raise AssistedError(
            _("“%(code)s” is not a dossier code (unit code-YYMMDD-number).") % {"code": clean[:60]}
        )
    return clean


def _needs_consent(session: AssistedSession) -> None:
    if session.status == Status.STARTED:
        raise AssistedError(
            _("Record the citizen's consent first: nothing can be done for them without it.")
        )
    if session.status != Status.CONSENTED:
        raise AssistedError(_("This session is already closed."))


def record_outcome(
    session_id: int,
    *,
    outcome: str,
    portal_code: str = "",
    reason: str = "",
    note: str = "",
    user: User,
    access: Access,
    request: HttpRequest | None = None,
) -> AssistedSession:
    """End the session: submitted, with the portal's dossier code; or not possible, with
    a reason from the list (and words when it is "other")."""
    if outcome == Outcome.SUBMITTED:
        code = clean_portal_code(portal_code)
        clean_note = ""
    elif outcome == Outcome.NOT_POSSIBLE:
        code = ""
        if reason not in NotPossibleReason.values:
            raise AssistedError(_("Choose why it was not possible."))
        clean_note = _free_text(note, 300)
        if reason == NotPossibleReason.OTHER and len(clean_note) < 3:
            raise AssistedError(_("Say in a few words why it was not possible."))
    else:
        raise AssistedError(_("Choose the outcome."))
    with transaction.atomic():
        session = _locked(session_id, access)
        _needs_consent(session)
        session.outcome = outcome
        session.portal_code = code
        session.not_possible_reason = reason if outcome == Outcome.NOT_POSSIBLE else ""
        session.not_possible_note = clean_note
        session.ended_at = timezone.now()
        session.status = Status.ENDED
        session.save(
            update_fields=[
                "outcome",
                "portal_code",
                "not_possible_reason",
                "not_possible_note",
                "ended_at",
                "status",
            ]
        )
        details: dict[str, Any] = {"minutes": session.minutes_spent}
        if code:
            details["dossier_code"] = code
        else:
            details["reason"] = session.not_possible_reason
        _step(session, outcome, actor=user, request=request, details=details)
    return session


def tariff_in_force(
    province_id: int | None, on_date: date | None = None
) -> AssistanceTariff | None:
    """The assistance tariff valid on `on_date` (today when omitted): the province's own
    with the latest start date, else the nationwide one."""
    on = on_date or timezone.localdate()
    valid = AssistanceTariff.objects.filter(valid_from__lte=on).order_by("-valid_from", "-pk")
    own = valid.filter(province_id=province_id).first() if province_id else None
    return own or valid.filter(province__isnull=True).first()


def record_fee(
    session_id: int,
    *,
    exemption: ExemptCategory | None = None,
    exemption_note: str = "",
    user: User,
    access: Access,
    request: HttpRequest | None = None,
) -> AssistedSession:
    """The assistance fee from the tariff in force (its own amount, nothing by default, for a
    session that could not be done), or nothing for an exempt citizen whose proof (a card's
    number, a certificate) is written down. Closes the session."""
    proof = " ".join((exemption_note or "").split())[:200]
    if exemption is not None and len(proof) < 2:
        raise AssistedError(
            _("Write the proof of the exemption (e.g. the number of the card shown).")
        )
    if exemption is not None and not exemption.active:
        raise AssistedError(_("This exemption is no longer in force."))
    with transaction.atomic():
        session = _locked(session_id, access)
        if session.status in (Status.STARTED, Status.CONSENTED):
            raise AssistedError(_("Record the outcome of the session before its fee."))
        if session.status == Status.CLOSED:
            raise AssistedError(_("The fee of this session is already recorded."))
        tariff = tariff_in_force(session.province_id, timezone.localdate(session.started_at))
        if tariff is None:
            raise AssistedError(
                _("No assistance tariff is in force: ask the provincial administrator to set one.")
            )
        session.tariff = tariff
        session.fee_base = (
            tariff.amount_not_possible if session.outcome == Outcome.NOT_POSSIBLE else tariff.amount
        )
        session.fee_due = 0 if exemption is not None else session.fee_base
        session.exemption = exemption
        session.exemption_note = proof if exemption is not None else ""
        session.fee_recorded_at = timezone.now()
        session.receipt_number = (
            f"HT{timezone.localtime(session.fee_recorded_at):%y%m%d}-{session.pk:06d}"
        )
        session.status = Status.CLOSED
        session.save(
            update_fields=[
                "tariff",
                "fee_base",
                "fee_due",
                "exemption",
                "exemption_note",
                "fee_recorded_at",
                "receipt_number",
                "status",
            ]
        )
        _step(
            session,
            "fee_recorded",
            actor=user,
            request=request,
            details={
                "amount": session.fee_due,
                "tariff": tariff.amount,
                "exemption": exemption.code if exemption else "",
            },
        )
    return session


@dataclass
class ReturnByPost:
    recipient_name: str
    recipient_phone: str
    address: str
    commune: Commune
    procedure: Procedure | None = None
    note: str = ""


def return_by_post(
    session_id: int,
    data: ReturnByPost,
    *,
    user: User,
    access: Access,
    request: HttpRequest | None = None,
) -> PostalOrder:
    """ "The result will come by post": a result-delivery order for the agency that
    received the dossier on the portal (found by the unit code in the dossier code), made
    with the orders' own `create_order` and linked to the session, in one transaction.
    A second time is refused."""
    try:
        with transaction.atomic():
            session = _locked(session_id, access)
            if session.order is not None:
                raise AssistedError(
                    _("The result of this session is already ordered by post (order %(code)s).")
                    % {"code": session.order.code}
                )
            if session.outcome != Outcome.SUBMITTED:
                raise AssistedError(
                    _("Only a dossier submitted on the portal can have its result sent by post.")
                )
            unit = session.portal_code.rsplit("-", 2)[0]
            agency = Agency.objects.filter(unit_code__iexact=unit).first()
            if agency is None:
                raise AssistedError(
                    _(
                        "No agency has the unit code %(unit)s of this dossier code: the "
                        "agency does not take postal orders yet."
                    )
                    % {"unit": unit}
                )
            procedure = session.procedure or data.procedure
            if procedure is None:
                raise AssistedError(_("Choose the procedure of the dossier."))
            order = create_order(
                agency.pk,
                OrderRequest(
                    kind=OrderKind.RESULT_DELIVERY,
                    portal_code=session.portal_code,
                    procedure_code=procedure.code,
                    recipient_name=data.recipient_name,
                    recipient_phone=data.recipient_phone,
                    address=data.address,
                    commune_code=data.commune.code,
                    documents=[{"name": RESULT_DOCUMENT, "original": True}],
                    note=data.note,
                ),
                actor=user,
                via="assisted",
                request=request,
            )
            session.order = order
            session.save(update_fields=["order"])
            _step(
                session,
                "return_by_post",
                actor=user,
                request=request,
                details={"order": order.code, "dossier_code": session.portal_code},
            )
    except OrderError as exc:
        # The order's own refusal was rolled back with the rest: keep the trace.
        with transaction.atomic():
            record(
                "assisted.return_refused",
                request=request,
                actor=user,
                object_type="assisted.assistedsession",
                object_id=session_id,
                details={"reason": exc.code},
            )
        raise AssistedError(str(exc)) from exc
    return order
