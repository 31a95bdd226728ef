"""Counter proofing: compare the ID card with the account, tick the checklist, decide.

Every step is audited with the clerk, the point and the case; the ID number appears in
the audit only as a keyed fingerprint.
"""

from __future__ import annotations

import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone

from postgov.audit.actions import record
from postgov.identity.actions import fingerprint
from postgov.identity.models import Level, ProofingCase, Role, User
from postgov.lib.idcard import IdCardData
from postgov.lib.text import fold

CHECKLIST = ("face_matches", "security_features", "not_expired")


def _audit(action: str, request, case: ProofingCase, **details) -> None:
    record(
        action,
        request=request,
        obj=case,
        role=Role.SUPERVISOR if action.startswith("proofing.review") else Role.CLERK,
        service_point_id=case.service_point_id,
        details={"account": case.user_id, **details},
    )


def card_to_json(card: IdCardData) -> dict:
    return {
        "id_number": card.id_number,
        "full_name": card.full_name,
        "birth_date": card.birth_date.isoformat(),
        "gender": card.gender,
        "address": card.address,
        "issue_date": card.issue_date.isoformat() if card.issue_date else "",
    }


def compare(user: User, card: dict) -> list[str]:
    """Which account facts differ from the card ('name', 'birth_date', 'gender', 'id_number')."""
    differences = []
    if fold(user.full_name) != fold(card["full_name"]):
        differences.append("name")
    if user.birth_date and user.birth_date.isoformat() != card["birth_date"]:
        differences.append("birth_date")
    if user.gender and user.gender != card["gender"]:
        differences.append("gender")
    if user.declared_id_number and user.declared_id_number != card["id_number"]:
        differences.append("id_number")
    return differences


@transaction.atomic
def open_case(request, *, kind: str, point, user: User | None, enrolment_code=None) -> ProofingCase:
    case = ProofingCase.objects.create(
        kind=kind, user=user, service_point=point, clerk=request.user, enrolment_code=enrolment_code
    )
    _audit("proofing.case_opened", request, case, kind=kind)
    return case


@transaction.atomic
def attach_card(request, case: ProofingCase, card: IdCardData) -> ProofingCase:
    case.card = card_to_json(card)
    case.mismatches = compare(case.user, case.card) if case.user else []
    other = User.objects.filter(verified_id_number=card.id_number).exclude(pk=case.user_id).first()
    case.conflict_user = other
    case.save(update_fields=["card", "mismatches", "conflict_user"])
    _audit(
        "proofing.card_scanned",
        request,
        case,
        id=fingerprint(card.id_number),
        mismatches=case.mismatches,
        conflict=bool(other),
    )
    return case


def _bind(user: User, case: ProofingCase) -> None:
    card = case.card
    user.verified_id_number = card["id_number"]
    user.declared_id_number = card["id_number"]
    user.full_name = card["full_name"]
    user.birth_date = card["birth_date"]
    user.gender = card["gender"]
    user.level = Level.VERIFIED
    user.verified_at = timezone.now()
    user.save(
        update_fields=[
            "verified_id_number",
            "declared_id_number",
            "full_name",
            "birth_date",
            "gender",
            "level",
            "verified_at",
        ]
    )


def _notify(user: User) -> None:
    from postgov.notify.actions import queue_message

    text = "tai khoan cua ban da duoc xac minh tai buu dien (muc 2)."
    if user.phone:
        queue_message("sms", user.phone, "identity_notice", {"text": text}, about=user)
    if user.email:
        queue_message(
            "email",
            user.email,
            "identity_notice",
            {
                "subject": "tài khoản đã được xác minh",
                "body": (
                    "Danh tính của bạn đã được kiểm tra tại bưu điện. "
                    "Tài khoản PostID của bạn đạt mức 2."
                ),
            },
            about=user,
        )


@transaction.atomic
def decide(
    request, case: ProofingCase, *, checklist: dict, fraud: bool, note: str, fail: bool = False
) -> ProofingCase:
    """The clerk's decision. Anything doubtful goes to the supervisor, never passes."""
    case = ProofingCase.objects.select_for_update().get(pk=case.pk)
    if case.status != ProofingCase.Status.OPEN:
        return case
    case.checklist = {k: bool(checklist.get(k)) for k in CHECKLIST}
    case.note = note[:2000]
    case.fraud_suspected = fraud
    case.decided_at = timezone.now()
    if fraud or case.conflict_user_id:
        case.status = ProofingCase.Status.REVIEW
    elif fail or not all(case.checklist.values()):
        case.status = ProofingCase.Status.FAILED
    else:
        case.status = ProofingCase.Status.PASSED
    case.save(update_fields=["checklist", "note", "fraud_suspected", "decided_at", "status"])
    if case.status == ProofingCase.Status.PASSED:
        try:
            with transaction.atomic():
                _bind(case.user, case)
        except IntegrityError:
            # Bound elsewhere meanwhile: a supervisor decides.
            case.status = ProofingCase.Status.REVIEW
            case.save(update_fields=["status"])
        else:
            _consume_code(case)
            _notify(case.user)
            record(
                "identity.level_raised",
                request=request,
                obj=case.user,
                service_point_id=case.service_point_id,
                details={"level": 2, "case": case.pk},
            )
    _audit(f"proofing.{case.status}", request, case, checklist=case.checklist, fraud=fraud)
    return case


def _consume_code(case: ProofingCase) -> None:
    if case.enrolment_code_id:
        case.enrolment_code.used_at = timezone.now()
        case.enrolment_code.save(update_fields=["used_at"])


@transaction.atomic
def review(
    request, case: ProofingCase, *, approve: bool, note: str, unbind_other: bool = False
) -> ProofingCase:
    case = ProofingCase.objects.select_for_update().get(pk=case.pk)
    if case.status != ProofingCase.Status.REVIEW:
        return case
    case.review_note = note[:2000]
    case.reviewed_by = request.user
    if approve:
        other = (
            User.objects.filter(verified_id_number=case.card.get("id_number"))
            .exclude(pk=case.user_id)
            .first()
        )
        if other is not None:
            if not unbind_other:
                raise ValueError("conflict")
            other.verified_id_number = ""
            other.level = Level.BASIC
            other.save(update_fields=["verified_id_number", "level"])
            record(
                "identity.verification_withdrawn",
                request=request,
                obj=other,
                service_point_id=case.service_point_id,
                details={"case": case.pk},
            )
        _bind(case.user, case)
        _consume_code(case)
        _notify(case.user)
        record(
            "identity.level_raised",
            request=request,
            obj=case.user,
            service_point_id=case.service_point_id,
            details={"level": 2, "case": case.pk},
        )
        case.status = ProofingCase.Status.APPROVED
    else:
        case.status = ProofingCase.Status.REJECTED
    case.save(update_fields=["review_note", "reviewed_by", "status"])
    _audit(f"proofing.review_{case.status}", request, case)
    return case


@transaction.atomic
def assisted_registration(
    request, case: ProofingCase, *, username: str, phone: str, current_address: str, current_commune
) -> tuple[User, str, list[str]]:
    """Counter-only account for someone with no phone or e-mail: the card is in hand, so
    the account starts at level 2 once the checklist passes; a one-time password is
    printed (changed at first login) with backup codes as the second factor."""
    from postgov.identity.otp import new_backup_codes

    card = case.card
    password = "-".join(secrets.token_hex(2) for _ in range(4))
    user = User(
        username=username,
        full_name=card["full_name"],
        birth_date=card["birth_date"],
        gender=card["gender"],
        declared_id_number=card["id_number"],
        phone=phone,
        permanent_address=card["address"][:300],
        current_address=current_address,
        current_commune=current_commune,
        assisted=True,
        password_must_change=True,
    )
    user.set_password(password)
    user.save()
    case.user = user
    case.save(update_fields=["user"])
    record(
        "identity.registered_at_counter",
        request=request,
        obj=user,
        service_point_id=case.service_point_id,
        details={"case": case.pk},
    )
    codes = new_backup_codes(user)
    return user, password, codes
