"""Counter proofing: compare the ID card with the account, tick the checklist, decide.

Every step is audited with the clerk, the point and the case; the ID number appears in
the audit only as a keyed fingerprint.

A clerk confirms alone only a card that is the account's own person, give or take one
small correction (`assess`). Anything more can take over someone else's account, so a
supervisor of the point decides and the account holder is told.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from postgov.audit.actions import record
from postgov.identity.actions import fingerprint, revoke_all_tokens
from postgov.identity.models import Level, ProofingCase, Role, User
from postgov.identity.otp import new_backup_codes
from postgov.lib.idcard import IdCardData
from postgov.lib.locking import lock_one
from postgov.lib.text import edit_distance, fold, unaccent
from postgov.notify.actions import queue_message

CHECKLIST = ("face_matches", "security_features", "not_expired")
PROOFING_ROLES = (Role.CLERK, Role.SUPERVISOR)
Match = ProofingCase.Match

# A typo in the name is at most this many single-letter slips (a letter missing, extra,
# wrong, or two letters swapped; a missing space counts as one) once both names are
# folded: missing or wrong diacritics are no difference at all.
NAME_EDITS_ALLOWED = 2

# How one fact of the card compares with the account's.
SAME = "same"
FILLED = "filled"  # the account never declared it: the card supplies it
CORRECTION = "correction"
BEYOND = "beyond"


@dataclass(frozen=True)
class CardCheck:
    """The card against the account: each fact's state and, when the clerk may not
    confirm alone, why (`reasons`: 'id_number', 'gender', 'name', 'birth_date',
    'two_corrections', 'untied')."""

    facts: dict[str, str]
    reasons: tuple[str, ...]

    @property
    def match(self) -> str:
        if self.reasons:
            return Match.MISMATCH
        if CORRECTION in self.facts.values():
            return Match.CORRECTION
        return Match.SAME

    @property
    def differences(self) -> list[str]:
        return [name for name, state in self.facts.items() if state in (CORRECTION, BEYOND)]


class ReviewRefused(Exception):
    """The supervisor's decision cannot be recorded as asked. `reason`: 'own_case' (the
    supervisor opened the case: someone else decides), 'no_account' (an assisted
    registration has no account to raise), 'id_number_taken' (another account is
    verified with the card's number: withdraw it first)."""

    def __init__(self, reason: str, other: User | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.other = other


def _audit(action: str, request, case: ProofingCase, **details) -> None:
    record(
        action,
        request=request,
        obj=case,
        role=Role.SUPERVISOR if action.startswith("proofing.review") else Role.CLERK,
        service_point_id=case.service_point_id,
        details={"account": case.user_id, **details},
    )


def _require_point(request, case: ProofingCase, *roles: str) -> None:
    if not request.access.can_act_at_point(case.service_point_id, *(roles or PROOFING_ROLES)):
        raise PermissionDenied


def card_to_json(card: IdCardData) -> dict:
    return {
        "id_number": card.id_number,
        "full_name": card.full_name,
        "birth_date": card.birth_date.isoformat(),
        "gender": card.gender,
        "address": card.address,
        "issue_date": card.issue_date.isoformat() if card.issue_date else "",
    }


def _date_parts_differing(one: date, other: date) -> int:
    return sum(getattr(one, part) != getattr(other, part) for part in ("day", "month", "year"))


def assess(user: User, card: dict) -> CardCheck:
    """Whether the card is the account's own person, give or take one small correction.

    The clerk may confirm alone when: the ID number is the account's (or the account has
    none); the gender is the account's (or it has none); at most one of the name (within
    `NAME_EDITS_ALLOWED` slips once folded) and the date of birth (exactly one of day,
    month, year) differs; and the account's ID number or date of birth is exactly the
    card's, so that more than a name ties the card to the account."""
    facts: dict[str, str] = {}
    reasons: list[str] = []

    numbers = {n for n in (user.verified_id_number, user.declared_id_number) if n}
    if not numbers:
        facts["id_number"] = FILLED
    elif numbers == {card["id_number"]}:
        facts["id_number"] = SAME
    else:
        facts["id_number"] = BEYOND
        reasons.append("id_number")

    account_name, card_name = fold(user.full_name), fold(card["full_name"])
    if not account_name:
        facts["name"] = FILLED
    elif account_name == card_name:
        facts["name"] = SAME
    elif edit_distance(account_name, card_name) <= NAME_EDITS_ALLOWED:
        facts["name"] = CORRECTION
    else:
        facts["name"] = BEYOND
        reasons.append("name")

    card_birth = date.fromisoformat(card["birth_date"])
    if user.birth_date is None:
        facts["birth_date"] = FILLED
    elif user.birth_date == card_birth:
        facts["birth_date"] = SAME
    elif _date_parts_differing(user.birth_date, card_birth) == 1:
        facts["birth_date"] = CORRECTION
    else:
        facts["birth_date"] = BEYOND
        reasons.append("birth_date")

    if not user.gender:
        facts["gender"] = FILLED
    elif user.gender == card["gender"]:
        facts["gender"] = SAME
    else:
        facts["gender"] = BEYOND
        reasons.append("gender")

    if list(facts.values()).count(CORRECTION) > 1:
        reasons.append("two_corrections")
    if not reasons and SAME not in (facts["id_number"], facts["birth_date"]):
        # A name alone is shared by many people ('Nguyễn Văn An').
        reasons.append("untied")
    return CardCheck(facts=facts, reasons=tuple(reasons))


def verified_channels(user: User) -> list[tuple[str, str]]:
    """Where the account holder can be told something they did not ask for: only a phone
    or e-mail address they proved is theirs."""
    channels = []
    if user.phone and user.phone_verified_at:
        channels.append(("sms", user.phone))
    if user.email and user.email_verified_at:
        channels.append(("email", user.email))
    return channels


def _tell(user: User, template: str, point_name: str) -> list[str]:
    """Queue `template` to the holder's verified phone and e-mail; the SMS goes without
    diacritics. Returns the channels used."""
    used = []
    for channel, recipient in verified_channels(user):
        point = unaccent(point_name) if channel == "sms" else point_name
        queue_message(channel, recipient, template, {"point": point}, about=user)
        used.append(channel)
    return used


def _tell_holder_of_attempt(request, case: ProofingCase) -> None:
    """Once per case: someone presented a card that is not the account's at this point.
    Nothing about the card or its holder is in the message."""
    if case.user is None or case.holder_notified_at is not None:
        return
    channels = _tell(case.user, "identity_proofing_attempt", case.service_point.name)
    if channels:
        case.holder_notified_at = timezone.now()
        case.save(update_fields=["holder_notified_at"])
    _audit("proofing.holder_notified", request, case, channels=channels)


@transaction.atomic
def open_case(request, *, kind: str, point, user: User | None, enrolment_code=None) -> ProofingCase:
    case = ProofingCase.objects.create(
        kind=kind, user=user, service_point=point, clerk=request.user, enrolment_code=enrolment_code
    )
    _audit("proofing.case_opened", request, case, kind=kind)
    return case


def card_refused(request, case: ProofingCase) -> None:
    """A scan that is not an ID card's QR: kept in the trail, the case unchanged."""
    _require_point(request, case)
    _audit("proofing.card_refused", request, case)


@transaction.atomic
def confirm_account(request, case: ProofingCase) -> ProofingCase:
    """The holder of a walk-in account showed the code sent to its verified phone."""
    case = lock_one(ProofingCase, case.pk)
    _require_point(request, case)
    case.checklist = {**case.checklist, "account_confirmed": True}
    case.save(update_fields=["checklist"])
    _audit("proofing.account_confirmed", request, case)
    return case


@transaction.atomic
def fail_without_account(request, case: ProofingCase) -> ProofingCase:
    """An assisted case whose checks did not pass: no account is created, the case ends."""
    case = lock_one(ProofingCase, case.pk)
    _require_point(request, case)
    if case.status == ProofingCase.Status.OPEN:
        case.status = ProofingCase.Status.FAILED
        case.save(update_fields=["status"])
        _audit("proofing.failed", request, case)
    return case


@transaction.atomic
def attach_card(request, case: ProofingCase, card: IdCardData) -> ProofingCase:
    """Read (or read again) the card of an open case and compare it with the account.
    A card beyond a small correction tells the account holder at once, before anyone
    decides anything."""
    case = lock_one(ProofingCase, case.pk)
    _require_point(request, case)
    if case.status != ProofingCase.Status.OPEN:
        return case
    previous = case.card.get("id_number", "")
    case.card = card_to_json(card)
    check = assess(case.user, case.card) if case.user else None
    case.mismatches = check.differences if check else []
    case.card_match = check.match if check else ""
    other = _verified_elsewhere(card.id_number, case)
    case.conflict_user = other
    case.save(update_fields=["card", "mismatches", "card_match", "conflict_user"])
    extra = {"same_card": previous == card.id_number} if previous else {}
    _audit(
        "proofing.card_rescanned" if previous else "proofing.card_scanned",
        request,
        case,
        id=fingerprint(card.id_number),
        mismatches=case.mismatches,
        match=case.card_match,
        reasons=list(check.reasons) if check else [],
        conflict=bool(other),
        **extra,
    )
    if case.card_match == Match.MISMATCH:
        _tell_holder_of_attempt(request, case)
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


def other_verified_account(case: ProofingCase) -> User | None:
    """Another account already verified with the card's number (accounts never merge)."""
    number = case.card.get("id_number")
    if not number:
        return None
    return _verified_elsewhere(number, case)


def _verified_elsewhere(number: str, case: ProofingCase) -> User | None:
    found = User.objects.filter(verified_id_number=number)
    if case.user_id is not None:
        found = found.exclude(pk=case.user_id)
    return found.first()


@transaction.atomic
def decide(
    request, case: ProofingCase, *, checklist: dict, fraud: bool, note: str, fail: bool = False
) -> ProofingCase:
    """The clerk's decision. The clerk may always refuse; anything doubtful — fraud
    suspected, the number verified on another account, a card beyond a small correction —
    goes to the supervisor and never passes here."""
    case = lock_one(ProofingCase, case.pk)
    _require_point(request, case)
    if case.status != ProofingCase.Status.OPEN or not case.card:
        return case
    if case.user is not None:
        # Compared again: the account's name may have been edited since the scan.
        check = assess(case.user, case.card)
        case.mismatches, case.card_match = check.differences, check.match
    case.checklist = {k: bool(checklist.get(k)) for k in CHECKLIST}
    case.note = note[:2000]
    case.fraud_suspected = fraud
    case.decided_at = timezone.now()
    if fraud or case.conflict_user_id:
        case.status = ProofingCase.Status.REVIEW
    elif fail or not all(case.checklist.values()):
        case.status = ProofingCase.Status.FAILED
    elif case.card_match == Match.MISMATCH:
        case.status = ProofingCase.Status.REVIEW
    else:
        case.status = ProofingCase.Status.PASSED
    case.save(
        update_fields=[
            "mismatches",
            "card_match",
            "checklist",
            "note",
            "fraud_suspected",
            "decided_at",
            "status",
        ]
    )
    if case.status == ProofingCase.Status.PASSED:
        user = case.user
        if user is None:
            raise ValueError(f"proofing case {case.pk} passed without an account")
        try:
            with transaction.atomic():
                _bind(user, case)
        except IntegrityError:
            # The number was verified on another account since the scan: it never moves
            # without a supervisor.
            case.status = ProofingCase.Status.REVIEW
            case.conflict_user = other_verified_account(case)
            case.save(update_fields=["status", "conflict_user"])
        else:
            _consume_code(case)
            _notify(user)
            record(
                "identity.level_raised",
                request=request,
                obj=user,
                service_point_id=case.service_point_id,
                details={"level": 2, "case": case.pk},
            )
    if case.card_match == Match.MISMATCH:
        _tell_holder_of_attempt(request, case)
    _audit(
        f"proofing.{case.status}",
        request,
        case,
        checklist=case.checklist,
        fraud=fraud,
        match=case.card_match,
        conflict=bool(case.conflict_user_id),
    )
    return case


def _consume_code(case: ProofingCase) -> None:
    if case.enrolment_code is not None:
        case.enrolment_code.used_at = timezone.now()
        case.enrolment_code.save(update_fields=["used_at"])


def _withdraw_verification(request, case: ProofingCase, other: User) -> None:
    """The supervisor found the other account's verification fraudulent: it drops to
    level 1, loses its tokens, and its holder is told."""
    other.verified_id_number = ""
    other.level = Level.BASIC
    other.save(update_fields=["verified_id_number", "level"])
    revoke_all_tokens(other)
    channels = _tell(other, "identity_verification_withdrawn", case.service_point.name)
    record(
        "identity.verification_withdrawn",
        request=request,
        obj=other,
        role=Role.SUPERVISOR,
        service_point_id=case.service_point_id,
        details={"case": case.pk, "told": channels},
    )


@transaction.atomic
def review(
    request, case: ProofingCase, *, approve: bool, note: str, unbind_other: bool = False
) -> ProofingCase:
    """A supervisor of the case's point decides, with a reason, on a case the clerk could
    not confirm. Approve binds the card to the account and raises it to level 2; reject
    leaves the account as it was. Raises `ReviewRefused` when it cannot be done as asked
    (nothing is changed then)."""
    case = lock_one(ProofingCase, case.pk)
    _require_point(request, case, Role.SUPERVISOR)
    if case.status != ProofingCase.Status.REVIEW:
        return case
    if case.clerk_id == request.user.pk:
        # The point of the review is a second person.
        raise ReviewRefused("own_case")
    case.review_note = note[:2000]
    case.reviewed_by = request.user
    case.reviewed_at = timezone.now()
    withdrawn = None
    if approve:
        if case.user is None:
            raise ReviewRefused("no_account")
        other = other_verified_account(case)
        if other is not None:
            if not unbind_other:
                raise ReviewRefused("id_number_taken", other)
            _withdraw_verification(request, case, other)
            withdrawn = other.pk
        try:
            with transaction.atomic():
                _bind(case.user, case)
        except IntegrityError as exc:
            # Verified on yet another account a moment ago: the supervisor looks again.
            raise ReviewRefused("id_number_taken", other_verified_account(case)) from exc
        _consume_code(case)
        _notify(case.user)
        record(
            "identity.level_raised",
            request=request,
            obj=case.user,
            role=Role.SUPERVISOR,
            service_point_id=case.service_point_id,
            details={"level": 2, "case": case.pk},
        )
        case.status = ProofingCase.Status.APPROVED
    else:
        case.status = ProofingCase.Status.REJECTED
        # The code brought to a refused attempt is not tried again elsewhere.
        _consume_code(case)
        if case.user is not None:
            _tell(case.user, "identity_proofing_refused", case.service_point.name)
    case.save(update_fields=["review_note", "reviewed_by", "reviewed_at", "status"])
    _audit(
        f"proofing.review_{case.status}",
        request,
        case,
        reason=case.review_note,
        match=case.card_match,
        mismatches=case.mismatches,
        fraud=case.fraud_suspected,
        conflict=bool(case.conflict_user_id),
        withdrawn=withdrawn,
        clerk=case.clerk_id,
    )
    return case


@transaction.atomic
def assisted_registration(
    request, case: ProofingCase, *, username: str, phone: str, current_address: str, current_commune
) -> tuple[User, str, list[str]]:
    """Counter-only account for someone with no phone or e-mail: the card is in hand, so
    the account starts at level 2 once the checklist passes; a one-time password is
    printed (changed at first login) with backup codes as the second factor."""
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
