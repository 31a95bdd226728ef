"""State changes of PostID accounts (docs/architecture.md, "Rules that hold everywhere":
views stay thin, actions are atomic and audited). Personal data never goes into audit
details in clear."""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from postgov.audit.actions import record
from postgov.identity import change_requests
from postgov.identity.access import STAFF_ACCOUNT_PROVINCES, AccessRequest
from postgov.identity.authn import end_session_rows
from postgov.identity.models import (
    ChangeRequest,
    Consent,
    EnrolmentCode,
    Level,
    Passkey,
    RelyingParty,
    Role,
    RoleAssignment,
    UpstreamProvider,
    User,
)
from postgov.lib.locking import lock_one
from postgov.lib.sealing import keyed_hash, seal, unseal
from postgov.notify.actions import queue_message

if TYPE_CHECKING:
    from postgov.identity.passkeys import NewPasskey

ENROLMENT_PURPOSE = "enrolment-code"
ENROLMENT_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # Crockford-like: no I, L, O, U, 0, 1


def fingerprint(value: str) -> str:
    """A short keyed hash to tell values apart in the audit trail without revealing them."""
    return keyed_hash(value, "audit-fingerprint")[:16]


def masked_phone(phone: str) -> str:
    return f"***{phone[-3:]}" if phone else ""


class UsernameTaken(Exception):
    """Someone else took the username while this registration waited for its code."""


@transaction.atomic
def register_citizen(request: HttpRequest | None, data: dict[str, Any], password_hash: str) -> User:
    """Create the account of a self-registration once its phone code came back, so an
    account exists only with its phone verified. `data`: the registration form's fields
    as kept with the pending registration (dates as ISO text, communes by id)."""
    if User.objects.filter(username__iexact=data["username"]).exists():
        raise UsernameTaken
    user = User(
        username=data["username"],
        full_name=data["full_name"],
        gender=data["gender"],
        birth_date=date.fromisoformat(data["birth_date"]),
        declared_id_number=data["declared_id_number"],
        phone=data["phone"],
        email=data.get("email", ""),
        permanent_address=data["permanent_address"],
        permanent_commune_id=data["permanent_commune"],
        current_address=data["current_address"],
        current_commune_id=data["current_commune"],
        phone_verified_at=timezone.now(),
    )
    user.password = password_hash  # hashed when the form was sent; never kept in clear
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # the same username, created a moment ago
        raise UsernameTaken from exc
    details = {"phone": masked_phone(user.phone)}
    record("identity.registered", request=request, actor=user, obj=user, details=details)
    record("identity.phone_verified", request=request, actor=user, obj=user, details=details)
    return user


@transaction.atomic
def note_registration_refused(request: HttpRequest | None, reason: str) -> None:
    """A registration held back by a limit ("address", "phone"): kept in the audit trail
    (no personal data), so a wave of SMS pumping shows."""
    record(
        "identity.registration_refused",
        request=request,
        object_type="registration",
        details={"reason": reason},
    )


# -- enrolment codes ---------------------------------------------------------------------
def _normalise_code(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())[:32]


@transaction.atomic
def issue_enrolment_code(request: HttpRequest | None, user: User) -> str:
    """A new code replaces the previous one. 16 characters of a 30-symbol alphabet:
    78 bits, so guessing is hopeless even without the 7-day expiry."""
    now = timezone.now()
    user.enrolment_codes.filter(used_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=now
    )
    raw = "".join(secrets.choice(ENROLMENT_ALPHABET) for _ in range(16))
    EnrolmentCode.objects.create(
        user=user,
        code_hash=keyed_hash(raw, ENROLMENT_PURPOSE),
        code_sealed=seal(raw, ENROLMENT_PURPOSE),
        expires_at=now + timedelta(days=settings.IDENTITY_ENROLMENT_CODE_DAYS),
    )
    record("proofing.enrolment_code_issued", request=request, actor=user, obj=user)
    return raw


def current_enrolment_code(user: User) -> tuple[EnrolmentCode, str] | None:
    row = user.enrolment_codes.filter(
        used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).first()
    return (row, unseal(row.code_sealed, ENROLMENT_PURPOSE)) if row else None


def find_enrolment_code(code: str) -> EnrolmentCode | None:
    raw = _normalise_code(code)
    if len(raw) != 16:
        return None
    return (
        EnrolmentCode.objects.select_related("user")
        .filter(
            code_hash=keyed_hash(raw, ENROLMENT_PURPOSE),
            used_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .first()
    )


def format_code(raw: str) -> str:
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


# -- connected portals ---------------------------------------------------------------------
def connected_portals(user: User) -> list[dict[str, Any]]:
    AccessToken = get_access_token_model()
    RefreshToken = get_refresh_token_model()
    portals = {}
    for consent in Consent.objects.filter(user=user).select_related("relying_party"):
        portals[consent.relying_party_id] = {
            "rp": consent.relying_party,
            "scopes": consent.scopes,
            "since": consent.granted_at,
            "active_tokens": 0,
        }
    live = RefreshToken.objects.filter(user=user, revoked__isnull=True).values_list(
        "application_id", flat=True
    )
    for app_id in list(live) + list(
        AccessToken.objects.filter(user=user, expires__gt=timezone.now()).values_list(
            "application_id", flat=True
        )
    ):
        if app_id in portals:
            portals[app_id]["active_tokens"] += 1
        elif app_id:
            rp = RelyingParty.objects.filter(pk=app_id).first()
            if rp:
                portals[app_id] = {"rp": rp, "scopes": [], "since": None, "active_tokens": 1}
    return sorted(portals.values(), key=lambda p: p["rp"].name)


@transaction.atomic
def revoke_portal(request: HttpRequest | None, user: User, rp: RelyingParty) -> None:
    AccessToken = get_access_token_model()
    RefreshToken = get_refresh_token_model()
    Consent.objects.filter(user=user, relying_party=rp).delete()
    RefreshToken.objects.filter(user=user, application=rp, revoked__isnull=True).update(
        revoked=timezone.now()
    )
    AccessToken.objects.filter(user=user, application=rp).delete()
    record("oidc.consent_revoked", request=request, obj=rp)


def revoke_all_tokens(user: User) -> None:
    AccessToken = get_access_token_model()
    RefreshToken = get_refresh_token_model()
    RefreshToken.objects.filter(user=user, revoked__isnull=True).update(revoked=timezone.now())
    AccessToken.objects.filter(user=user).delete()


# -- passkeys ----------------------------------------------------------------------------
class PasskeyTaken(Exception):
    """The credential is already registered (to this or another account)."""


@transaction.atomic
def add_passkey(request: HttpRequest | None, user: User, new: NewPasskey, name: str) -> Passkey:
    """Save a passkey checked by `passkeys.verify_registration`."""
    if Passkey.objects.filter(credential_id=new.credential_id).exists():
        raise PasskeyTaken
    passkey = Passkey.objects.create(
        user=user,
        name=(name or "").strip()[:60] or "Passkey",
        credential_id=new.credential_id,
        public_key=new.public_key,
        sign_count=new.sign_count,
        transports=new.transports,
        aaguid=new.aaguid,
        backed_up=new.backed_up,
    )
    record(
        "mfa.passkey_added",
        request=request,
        obj=user,
        details={"passkey": passkey.pk, "aaguid": new.aaguid, "transports": new.transports},
    )
    return passkey


@transaction.atomic
def rename_passkey(request: HttpRequest | None, passkey: Passkey, name: str) -> None:
    passkey.name = name.strip()[:60] or passkey.name
    passkey.save(update_fields=["name"])
    record(
        "mfa.passkey_renamed", request=request, obj=passkey.user, details={"passkey": passkey.pk}
    )


@transaction.atomic
def remove_passkey(request: HttpRequest | None, passkey: Passkey) -> None:
    pk, user = passkey.pk, passkey.user
    passkey.delete()
    record("mfa.passkey_removed", request=request, obj=user, details={"passkey": pk})


@transaction.atomic
def change_password(request: HttpRequest | None, user: User, password: str) -> User:
    """The holder chose a new password (the form checked the old one and the rules); one a
    clerk or an administrator set is now the holder's own."""
    user.set_password(password)
    user.password_must_change = False
    user.save(update_fields=["password", "password_must_change"])
    record("auth.password_changed", request=request, obj=user)
    return user


# -- recovery ----------------------------------------------------------------------------
@transaction.atomic
def recover_account(request: HttpRequest | None, user: User, password: str) -> None:
    """A password reset by a code to the phone proves the phone, not the person: the
    account drops to level 1 until the person is checked again at a counter. The
    verified ID number stays bound (so no second account can take it)."""
    previous = user.level
    user.set_password(password)
    user.level = Level.BASIC
    user.password_must_change = False
    user.save(update_fields=["password", "level", "password_must_change"])
    end_session_rows(user)
    revoke_all_tokens(user)
    record(
        "identity.recovered",
        request=request,
        actor=user,
        obj=user,
        details={"level_before": previous, "level_after": 1},
    )
    text = (
        "mat khau tai khoan cua ban vua duoc dat lai. "
        "Neu khong phai ban, hay den buu dien gan nhat."
    )
    if user.phone:
        queue_message("sms", user.phone, "identity_notice", {"text": text}, about=user)
    if user.email:
        queue_message(
            "email",
            user.email,
            "identity_notice",
            {
                "subject": "mật khẩu đã được đặt lại",
                "body": (
                    "Mật khẩu tài khoản PostID của bạn vừa được đặt lại. Tài khoản trở về "
                    "mức 1 cho đến khi bạn xác minh lại tại bưu điện."
                ),
            },
            about=user,
        )


# -- administration: four eyes on grants, portals and upstream providers ------------------
class ChangeRefused(Exception):
    """The change cannot be made as asked; the message says why, for the page."""


# Fields the model's own save() fills, left out of the check before applying a change.
_SET_ON_SAVE: dict[str, tuple[str, ...]] = {
    ChangeRequest.Kind.RELYING_PARTY: ("authorization_grant_type", "algorithm")
}


def _applied_event(change: ChangeRequest, created: bool) -> str:
    if change.kind == ChangeRequest.Kind.ROLE_ASSIGNMENT:
        return "identity.role_granted"
    if change.kind == ChangeRequest.Kind.RELYING_PARTY:
        return "oidc.client_created" if created else "oidc.client_changed"
    return "federation.provider_created" if created else "federation.provider_changed"


@transaction.atomic
def request_change(
    request: AccessRequest,
    kind: str,
    after: dict[str, Any],
    *,
    target: models.Model | None = None,
    subject_user: User | None = None,
    province_id: int | None = None,
) -> ChangeRequest:
    """Keep a change for a second administrator instead of making it. `after`: the new
    values by field (as `change_requests.stored_value` gives them; secrets already hashed
    or sealed). Only the values that differ from the target's are kept."""
    if not request.access.administers(province_id):
        raise PermissionDenied
    unknown = set(after) - set(change_requests.REQUESTABLE[kind])
    if unknown:
        raise ValueError(f"not requestable: {sorted(unknown)}")
    before: dict[str, Any] = {}
    if target is not None:
        # The row as stored: a form has already put the new values on `target`.
        stored = type(target).objects.get(pk=target.pk)  # type: ignore[attr-defined]
        current = change_requests.snapshot(stored, set(after) - change_requests.SECRET_FIELDS)
        after = {
            name: value
            for name, value in after.items()
            if name in change_requests.SECRET_FIELDS or current[name] != value
        }
        before = {name: current[name] for name in after if name in current}
    if not after:
        raise ChangeRefused(_("Nothing was changed."))
    change = ChangeRequest.objects.create(
        kind=kind,
        target_id=target.pk if target is not None else None,
        subject_user=subject_user,
        province_id=province_id,
        payload={"after": after, "before": before},
        requested_by=request.user,
    )
    record(
        "identity.change_requested",
        request=request,
        obj=change,
        details={
            "kind": kind,
            "target": change.target_id,
            "fields": sorted(after),
            "province": province_id,
            "for": subject_user.pk if subject_user is not None else None,
        },
    )
    return change


def request_role(
    request: AccessRequest, values: dict[str, Any], *, new_account: bool = False
) -> ChangeRequest:
    """Ask for a role: `values` holds user, role and the place (service_point, agency or
    province, by primary key). An inactive identical assignment is asked back rather
    than doubled. A provincial administrator asks only for accounts they see: staff of
    their provinces, or an account they have just created (`new_account`)."""
    access = request.access
    accounts = access.administered(User.objects.filter(pk=values["user"]), *STAFF_ACCOUNT_PROVINCES)
    if not new_account and not accounts.exists():
        raise PermissionDenied
    values = {**values, "active": True}
    place: dict[str, Any] = {k: values.get(k) for k in ("service_point", "agency", "province")}
    existing = (
        RoleAssignment.objects.filter(
            user_id=values["user"],
            role=values["role"],
            service_point_id=place["service_point"],
            agency_id=place["agency"],
            province_id=place["province"],
        )
        .order_by("-active", "pk")
        .first()
    )
    if existing is not None and existing.active:
        raise ChangeRefused(_("This person already holds this role there."))
    user = User.objects.get(pk=values["user"])
    province_id = change_requests.role_scope(values)
    if existing is not None:
        return request_change(
            request,
            ChangeRequest.Kind.ROLE_ASSIGNMENT,
            {"active": True},
            target=existing,
            subject_user=user,
            province_id=province_id,
        )
    return request_change(
        request,
        ChangeRequest.Kind.ROLE_ASSIGNMENT,
        values,
        subject_user=user,
        province_id=province_id,
    )


@transaction.atomic
def approve_change(request: AccessRequest, change_id: int) -> ChangeRequest:
    """A second administrator approves: the change is applied now, in this transaction,
    and both the decision and the change are audited. Refused when the object changed
    since the request (approving would undo that change) or no longer validates."""
    change = lock_one(ChangeRequest, change_id)
    if change.status != ChangeRequest.Status.PENDING:
        raise ChangeRefused(_("This change was already decided."))
    if not request.access.can_decide(change):
        raise PermissionDenied
    model = change_requests.KIND_MODELS[change.kind]
    after = change.payload["after"]
    created = change.target_id is None
    if change.target_id is None:
        target = model()
    else:
        try:
            target = lock_one(model, change.target_id)
        except ObjectDoesNotExist:  # the model's DoesNotExist
            raise ChangeRefused(_("The object of this change no longer exists.")) from None
        moved = change_requests.changed_fields(change, target)
        if moved:
            labels = ", ".join(
                str(cast(models.Field[Any, Any], model._meta.get_field(name)).verbose_name)
                for name in moved
            )
            raise ChangeRefused(
                _(
                    "Someone changed %(fields)s since this request was made: reject it and "
                    "ask again."
                )
                % {"fields": labels}
            )
    many = change_requests.set_values(target, after)
    try:
        target.full_clean(exclude=_SET_ON_SAVE.get(change.kind, ()))
    except ValidationError as invalid:
        raise ChangeRefused(" ".join(invalid.messages)) from None
    target.save()
    for name, keys in many.items():
        getattr(target, name).set(keys)
    change.status = ChangeRequest.Status.APPROVED
    change.decided_by = request.user
    change.decided_at = timezone.now()
    change.result_id = target.pk
    change.save(update_fields=["status", "decided_by", "decided_at", "result_id"])
    record(
        "identity.change_approved",
        request=request,
        obj=change,
        details={"kind": change.kind, "target": target.pk, "requested_by": change.requested_by_id},
    )
    record(
        _applied_event(change, created),
        request=request,
        obj=target,
        details={
            "fields": sorted(after),
            "change_request": change.pk,
            "requested_by": change.requested_by_id,
            "approved_by": request.user.pk,
        },
    )
    if change.kind == ChangeRequest.Kind.RELYING_PARTY and not created and "client_secret" in after:
        record("oidc.client_secret_rotated", request=request, obj=target)
    return change


@transaction.atomic
def reject_change(request: AccessRequest, change_id: int, note: str = "") -> ChangeRequest:
    change = lock_one(ChangeRequest, change_id)
    if change.status != ChangeRequest.Status.PENDING:
        raise ChangeRefused(_("This change was already decided."))
    if not request.access.can_decide(change):
        raise PermissionDenied
    change.status = ChangeRequest.Status.REJECTED
    change.decided_by = request.user
    change.decided_at = timezone.now()
    change.decision_note = (note or "").strip()[:500]
    change.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    record(
        "identity.change_rejected",
        request=request,
        obj=change,
        details={"kind": change.kind, "requested_by": change.requested_by_id},
    )
    return change


@transaction.atomic
def revoke_role(request: AccessRequest, assignment: RoleAssignment) -> None:
    """Taking a role away takes effect at once (a compromised account must not wait for
    a second administrator); it is audited like a grant."""
    if not request.access.administers(assignment.province_id_in_scope):
        raise PermissionDenied
    assignment = lock_one(RoleAssignment, assignment.pk)
    if not assignment.active:
        return
    assignment.active = False
    assignment.save(update_fields=["active"])
    record(
        "identity.role_revoked",
        request=request,
        obj=assignment,
        details={"user": assignment.user_id, "role": assignment.role},
    )


@transaction.atomic
def deactivate_national_object(
    request: AccessRequest, obj: RelyingParty | UpstreamProvider
) -> None:
    """Switching a portal or an upstream provider off takes effect at once, like a
    revocation; switching it back on is a change for a second administrator."""
    if not request.access.is_national_admin:
        raise PermissionDenied
    obj = lock_one(type(obj), obj.pk)
    if not obj.active:
        return
    obj.active = False
    obj.save(update_fields=["active"])
    action = (
        "oidc.client_deactivated"
        if isinstance(obj, RelyingParty)
        else "federation.provider_deactivated"
    )
    record(action, request=request, obj=obj)


# -- staff accounts in the admin ----------------------------------------------------------
@transaction.atomic
def create_staff_account(
    request: AccessRequest, user: User, first_role: dict[str, Any]
) -> tuple[User, ChangeRequest]:
    """Save `user` (new) as a staff account with no password (one is issued with
    `issue_one_time_password`) and ask for its first role: it works only once a second
    administrator approves."""
    user.set_unusable_password()
    user.save()
    record("identity.staff_account_created", request=request, obj=user)
    change = request_role(request, {"user": user.pk, **first_role}, new_account=True)
    return user, change


@transaction.atomic
def update_staff_account(request: AccessRequest, user: User, changed: list[str]) -> None:
    """Save what an administrator changed on a staff account. A new phone or e-mail
    address is unverified until its holder proves it (the model clears the proof); a
    deactivated account is signed out everywhere."""
    if not request.access.can_administer_account(user):
        raise PermissionDenied
    user.save()
    details: dict[str, Any] = {"fields": sorted(changed)}
    if "phone" in changed:
        details["phone"] = masked_phone(user.phone)
    record("identity.account_changed_by_admin", request=request, obj=user, details=details)
    if "is_active" in changed and not user.is_active:
        end_session_rows(user)
        revoke_all_tokens(user)


@transaction.atomic
def issue_one_time_password(request: AccessRequest, user: User) -> str:
    """The admin's only way to a staff member's password: a random one, shown once to
    hand over in person, changed at first login. Every session and token of the account
    ends, the holder is told, and it is audited. Second factors stay, so the password
    alone opens nothing."""
    if not request.access.can_administer_account(user):
        raise PermissionDenied
    password = "-".join(secrets.token_hex(3) for _ in range(4))
    user.set_password(password)
    user.password_must_change = True
    user.save(update_fields=["password", "password_must_change"])
    end_session_rows(user)
    revoke_all_tokens(user)
    record("identity.password_issued_by_admin", request=request, obj=user)
    text = (
        "mot quan tri vien vua cap mat khau tam thoi cho tai khoan cua ban. "
        "Neu ban khong yeu cau, hay bao ngay cho quan tri."
    )
    if user.phone:
        queue_message("sms", user.phone, "identity_notice", {"text": text}, about=user)
    if user.email:
        queue_message(
            "email",
            user.email,
            "identity_notice",
            {
                "subject": "mật khẩu tạm thời",
                "body": (
                    "Một quản trị viên vừa cấp mật khẩu tạm thời cho tài khoản PostGov của "
                    "bạn; mọi phiên đăng nhập đã kết thúc. Nếu bạn không yêu cầu, hãy báo "
                    "ngay cho quản trị."
                ),
            },
            about=user,
        )
    return password


@transaction.atomic
def grant_national_admin_from_console(user: User) -> RoleAssignment:
    """The first national administrator, granted by someone with access to the server
    (`manage.py grant_national_admin`): nobody could approve it in the admin yet."""
    assignment = (
        RoleAssignment.objects.filter(user=user, role=Role.NATIONAL_ADMIN).order_by("pk").first()
    )
    if assignment is None:
        assignment = RoleAssignment.objects.create(user=user, role=Role.NATIONAL_ADMIN)
    elif not assignment.active:
        assignment.active = True
        assignment.save(update_fields=["active"])
    record(
        "identity.role_granted",
        obj=assignment,
        details={"role": Role.NATIONAL_ADMIN, "user": user.pk, "via": "command"},
    )
    return assignment
