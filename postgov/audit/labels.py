"""What an audit event says, in words: its action as a label in the page's language and its
details as "label: value" lines, for the audit trail and a person's own activity page.

Every action recorded has a label here; a workflow step of a dossier ("dossier.<step>")
takes its step's label. A test finds the actions recorded in the code and fails when one
has no label.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

ACTION_LABELS = {
    "admin.add": gettext_lazy("Added in the administration"),
    "admin.change": gettext_lazy("Changed in the administration"),
    "admin.delete": gettext_lazy("Deleted in the administration"),
    "admin.other": gettext_lazy("Other change in the administration"),
    "agencies.adjusted_days": gettext_lazy("Working days adjusted"),
    "agency.api_key_created": gettext_lazy("API key created"),
    "agency.api_key_revoked": gettext_lazy("API key revoked"),
    "agency.oauth_client_created": gettext_lazy("OAuth2 client created"),
    "agency.oauth_client_revoked": gettext_lazy("OAuth2 client revoked"),
    "agency.webhook_created": gettext_lazy("Webhook created"),
    "agency.webhook_disabled": gettext_lazy("Webhook disabled"),
    "agency.webhook_enabled": gettext_lazy("Webhook enabled"),
    "agency.webhook_resent": gettext_lazy("Webhook delivery sent again"),
    "audit.verified": gettext_lazy("Audit chain verified"),
    "audit.searched": gettext_lazy("Audit trail searched"),
    "auth.login": gettext_lazy("Signed in"),
    "auth.login_failed": gettext_lazy("Sign-in failed"),
    "auth.logout": gettext_lazy("Signed out"),
    "auth.password_changed": gettext_lazy("Password changed"),
    "auth.reauth_failed": gettext_lazy("Password confirmation failed"),
    "auth.reauthenticated": gettext_lazy("Password confirmed again"),
    "auth.second_factor_failed": gettext_lazy("Second factor refused"),
    "auth.second_factor_ok": gettext_lazy("Second factor accepted"),
    "auth.second_factor_required": gettext_lazy("Second factor asked for"),
    "auth.session_ended": gettext_lazy("Session ended"),
    "auth.session_timeout": gettext_lazy("Session timed out"),
    "auth.sessions_ended": gettext_lazy("Other sessions ended"),
    "auth.step_up": gettext_lazy("Stronger sign-in given"),
    "catalog.demo_tariff_loaded": gettext_lazy("Demo postal tariff loaded"),
    "catalog.exempt_category_created": gettext_lazy("Exemption category created"),
    "catalog.import_applied": gettext_lazy("Catalogue import applied"),
    "catalog.import_checked": gettext_lazy("Catalogue import checked"),
    "catalog.import_rejected": gettext_lazy("Catalogue import rejected"),
    "catalog.imported": gettext_lazy("Catalogue imported"),
    "catalog.procedure_changed": gettext_lazy("Procedure changed"),
    "catalog.procedure_created": gettext_lazy("Procedure created"),
    "catalog.version_published": gettext_lazy("Procedure version published"),
    "citizen.dossier_viewed": gettext_lazy("Citizen opened one of their dossiers"),
    "citizen.dossiers_viewed": gettext_lazy("Citizen opened their dossiers"),
    "citizen.pickups_viewed": gettext_lazy("Citizen opened their pickups"),
    "dossier.acknowledged": gettext_lazy("Dossier acknowledged"),
    "dossier.applicant_saved": gettext_lazy("Applicant saved"),
    "dossier.checklist_saved": gettext_lazy("Checklist saved"),
    "dossier.draft_created": gettext_lazy("Draft dossier created"),
    "dossier.fees_recorded": gettext_lazy("Fees recorded"),
    "dossier.printed": gettext_lazy("Dossier forms printed"),
    "dossier.scan_attached": gettext_lazy("Scan attached"),
    "dossier.sealed": gettext_lazy("Dossier sealed"),
    "dossier.supplement_item": gettext_lazy("Supplement sent"),
    "federation.failed": gettext_lazy("Sign-in through another provider failed"),
    "federation.linked": gettext_lazy("Account linked to another provider"),
    "federation.login": gettext_lazy("Signed in through another provider"),
    "federation.no_account": gettext_lazy("No account for the provider's person"),
    "federation.provider_changed": gettext_lazy("Identity provider changed"),
    "federation.provider_created": gettext_lazy("Identity provider created"),
    "federation.provider_deactivated": gettext_lazy("Identity provider deactivated"),
    "federation.refused_staff": gettext_lazy("Staff sign-in through another provider refused"),
    "federation.started": gettext_lazy("Sign-in through another provider started"),
    "identity.account_changed_by_admin": gettext_lazy("Account changed by an administrator"),
    "identity.change_approved": gettext_lazy("Change request approved"),
    "identity.change_rejected": gettext_lazy("Change request rejected"),
    "identity.change_requested": gettext_lazy("Change requested"),
    "identity.level_raised": gettext_lazy("Assurance level raised"),
    "identity.password_issued_by_admin": gettext_lazy("Password issued by an administrator"),
    "identity.phone_verified": gettext_lazy("Phone number verified"),
    "identity.profile_changed": gettext_lazy("Profile changed"),
    "identity.recovered": gettext_lazy("Account recovered"),
    "identity.recovery_started": gettext_lazy("Account recovery started"),
    "identity.registered": gettext_lazy("Account registered"),
    "identity.registered_at_counter": gettext_lazy("Account registered at the counter"),
    "identity.registration_refused": gettext_lazy("Registration refused"),
    "identity.role_granted": gettext_lazy("Role granted"),
    "identity.role_revoked": gettext_lazy("Role revoked"),
    "identity.staff_account_created": gettext_lazy("Staff account created"),
    "identity.verification_withdrawn": gettext_lazy("Verification withdrawn"),
    "manifest.collected": gettext_lazy("Results collected at the agency"),
    "manifest.created": gettext_lazy("Manifest created"),
    "manifest.dispatched": gettext_lazy("Manifest dispatched"),
    "manifest.handed_over": gettext_lazy("Manifest handed over"),
    "manifest.item_removed": gettext_lazy("Item taken off a manifest"),
    "manifest.presented": gettext_lazy("Manifest presented at the agency"),
    "manifest.scan_refused": gettext_lazy("Scan refused on a manifest"),
    "mfa.attempts_stop_lifted": gettext_lazy("Second-factor block lifted"),
    "mfa.attempts_stopped": gettext_lazy("Second factor blocked after failed tries"),
    "mfa.backup_code_used": gettext_lazy("Backup code used"),
    "mfa.backup_codes_generated": gettext_lazy("Backup codes generated"),
    "mfa.passkey_add_failed": gettext_lazy("Passkey not added"),
    "mfa.passkey_added": gettext_lazy("Passkey added"),
    "mfa.passkey_removed": gettext_lazy("Passkey removed"),
    "mfa.passkey_renamed": gettext_lazy("Passkey renamed"),
    "mfa.passkey_sign_count_regressed": gettext_lazy("Passkey counter went back (possible copy)"),
    "mfa.sms_disabled": gettext_lazy("Text-message codes turned off"),
    "mfa.sms_enabled": gettext_lazy("Text-message codes turned on"),
    "mfa.sms_sent": gettext_lazy("Text-message code sent"),
    "mfa.totp_enrolled": gettext_lazy("Authenticator app added"),
    "mfa.totp_removed": gettext_lazy("Authenticator app removed"),
    "notify.attachments_purged": gettext_lazy("Message attachments deleted"),
    "oidc.authorized": gettext_lazy("Portal sign-in authorised"),
    "oidc.client_changed": gettext_lazy("Portal changed"),
    "oidc.client_created": gettext_lazy("Portal registered"),
    "oidc.client_deactivated": gettext_lazy("Portal deactivated"),
    "oidc.client_secret_rotated": gettext_lazy("Portal secret renewed"),
    "oidc.code_reuse_detected": gettext_lazy("A sign-in code was used twice (tokens withdrawn)"),
    "oidc.consent_denied": gettext_lazy("Portal access refused"),
    "oidc.consent_granted": gettext_lazy("Portal access allowed"),
    "oidc.consent_revoked": gettext_lazy("Portal access withdrawn"),
    "oidc.key_rotated": gettext_lazy("Signing key renewed"),
    "oidc.refresh_token_reuse": gettext_lazy("A renewal token was used twice (tokens withdrawn)"),
    "oidc.rp_logout": gettext_lazy("Signed out from a portal"),
    "oidc.token_issued": gettext_lazy("Portal sign-in completed"),
    "oidc.token_revoked": gettext_lazy("Portal token withdrawn"),
    "pickup.assigned": gettext_lazy("Pickup assigned to a postman"),
    "pickup.booked": gettext_lazy("Pickup booked"),
    "pickup.cancelled_by_citizen": gettext_lazy("Pickup cancelled by the citizen"),
    "pickup.collected": gettext_lazy("Dossier collected at home"),
    "pickup.moved_by_citizen": gettext_lazy("Pickup moved by the citizen"),
    "pickup.visit_failed": gettext_lazy("Pickup visit failed"),
    "places.admin_units_loaded": gettext_lazy("Administrative units loaded"),
    "places.postal_codes_imported": gettext_lazy("Postal codes imported"),
    "proofing.account_confirmed": gettext_lazy("Account confirmed at the counter"),
    "proofing.card_refused": gettext_lazy("ID card refused"),
    "proofing.card_rescanned": gettext_lazy("ID card scanned again"),
    "proofing.card_scanned": gettext_lazy("ID card scanned"),
    "proofing.case_opened": gettext_lazy("Identity check opened"),
    "proofing.enrolment_code_issued": gettext_lazy("Enrolment code issued"),
    "proofing.failed": gettext_lazy("Identity check failed"),
    "proofing.holder_notified": gettext_lazy("Card holder notified"),
    "proofing.passed": gettext_lazy("Identity check passed"),
    "proofing.review": gettext_lazy("Identity check sent for review"),
    "proofing.review_approved": gettext_lazy("Identity check approved on review"),
    "proofing.review_rejected": gettext_lazy("Identity check rejected on review"),
    "registers.batch_uploaded": gettext_lazy("Register scans uploaded"),
    "registers.keying_submitted": gettext_lazy("Register record keyed"),
    "registers.keying_taken_over": gettext_lazy(
        "Register keying taken over after its time ran out"
    ),
    "registers.member_added": gettext_lazy("Digitisation project member added"),
    "registers.project_created": gettext_lazy("Digitisation project created"),
    "registers.record_settled": gettext_lazy("Register record settled by a verifier"),
    "registers.record_viewed": gettext_lazy("Register record opened"),
    "registers.schema_saved": gettext_lazy("Register schema saved"),
    "reports.portal_retry": gettext_lazy("National portal sync retried"),
    "reports.reconciliation_exported": gettext_lazy("Reconciliation exported"),
    "signature.missing": gettext_lazy("Handed over without a signature"),
    "signature.missing_reviewed": gettext_lazy("Missing signature reviewed"),
    "tracking.anomaly": gettext_lazy("Unusual tracking look-ups"),
}

DETAIL_LABELS = {
    "account": gettext_lazy("account"),
    "acr": gettext_lazy("assurance"),
    "agency": gettext_lazy("agency"),
    "amount": gettext_lazy("amount"),
    "as": gettext_lazy("opened as"),
    "attempt": gettext_lazy("attempt"),
    "batch": gettext_lazy("batch"),
    "before": gettext_lazy("before"),
    "case": gettext_lazy("case"),
    "change": gettext_lazy("change"),
    "channel": gettext_lazy("channel"),
    "checked": gettext_lazy("checked"),
    "checklist": gettext_lazy("checklist"),
    "client_id": gettext_lazy("portal"),
    "code": gettext_lazy("code"),
    "count": gettext_lazy("count"),
    "date": gettext_lazy("date"),
    "decisions": gettext_lazy("decisions"),
    "device": gettext_lazy("device"),
    "dossier": gettext_lazy("dossier"),
    "dossiers": gettext_lazy("dossiers"),
    "due_at": gettext_lazy("due"),
    "event": gettext_lazy("event"),
    "failures": gettext_lazy("failures"),
    "fees": gettext_lazy("fees"),
    "fees_expected": gettext_lazy("fees expected"),
    "fees_received": gettext_lazy("fees received"),
    "fields": gettext_lazy("fields"),
    "file_name": gettext_lazy("file"),
    "form": gettext_lazy("form"),
    "fraud": gettext_lazy("suspected fraud"),
    "from": gettext_lazy("from"),
    "grant_type": gettext_lazy("grant"),
    "handed_over": gettext_lazy("handed over"),
    "id": gettext_lazy("number"),
    "id_holder": gettext_lazy("ID checked of"),
    "is_demo": gettext_lazy("demo data"),
    "item": gettext_lazy("item"),
    "items": gettext_lazy("items"),
    "kind": gettext_lazy("kind"),
    "late": gettext_lazy("late"),
    "level": gettext_lazy("level"),
    "level_after": gettext_lazy("level after"),
    "level_before": gettext_lazy("level before"),
    "manifest": gettext_lazy("manifest"),
    "match": gettext_lazy("match"),
    "method": gettext_lazy("method"),
    "missing": gettext_lazy("missing"),
    "name": gettext_lazy("name"),
    "new_due": gettext_lazy("new due date"),
    "note": gettext_lazy("note"),
    "pages": gettext_lazy("pages"),
    "passkey": gettext_lazy("passkey"),
    "phone": gettext_lazy("phone"),
    "pickup": gettext_lazy("pickup"),
    "postman": gettext_lazy("postman"),
    "postman_name": gettext_lazy("postman"),
    "previous": gettext_lazy("previous"),
    "previous_due": gettext_lazy("previous due date"),
    "problems": gettext_lazy("problems"),
    "procedure": gettext_lazy("procedure"),
    "provider": gettext_lazy("provider"),
    "province": gettext_lazy("province"),
    "reason": gettext_lazy("reason"),
    "reason_label": gettext_lazy("reason"),
    "receipt": gettext_lazy("receipt"),
    "recipient": gettext_lazy("recipient"),
    "records": gettext_lazy("records"),
    "reference": gettext_lazy("reference"),
    "relation": gettext_lazy("relation"),
    "role": gettext_lazy("role"),
    "scope": gettext_lazy("scope"),
    "scopes": gettext_lazy("scopes"),
    "seal": gettext_lazy("seal"),
    "service": gettext_lazy("service"),
    "session": gettext_lazy("session"),
    "signature": gettext_lazy("signature"),
    "size": gettext_lazy("size"),
    "slot": gettext_lazy("entry"),
    "source": gettext_lazy("source"),
    "status": gettext_lazy("status"),
    "step": gettext_lazy("step"),
    "target": gettext_lazy("target"),
    "to": gettext_lazy("to"),
    "tokens_revoked": gettext_lazy("tokens withdrawn"),
    "total": gettext_lazy("total"),
    "type": gettext_lazy("type"),
    "unsigned_reason": gettext_lazy("why unsigned"),
    "until": gettext_lazy("until"),
    "user": gettext_lazy("person"),
    "version": gettext_lazy("version"),
    "via": gettext_lazy("via"),
    "window": gettext_lazy("time slot"),
}


def action_label(action: str) -> str:
    """'oidc.code_reuse_detected' -> 'A sign-in code was used twice (tokens withdrawn)'."""
    if action in ACTION_LABELS:
        return str(ACTION_LABELS[action])
    family, _dot, step = action.partition(".")
    if family == "dossier":
        # At call time: the audit trail sits below the apps it names (pyproject's import contracts).
        from postgov.dossiers.workflow import BY_ACTION

        if step in BY_ACTION:
            return str(BY_ACTION[step].label)
    return action


def _choice_label(key: str, value: str) -> str | None:
    """A code stored in the details (a role, a dossier state) as the words it stands for."""
    # At call time: the audit trail sits below the apps it names (pyproject's import contracts).
    from postgov.dossiers.workflow import State
    from postgov.identity.models import Role

    if key == "role" and value in Role.values:
        return str(Role(value).label)
    if key in ("from", "to", "status", "previous", "target") and value in State.values:
        return str(State(value).label)
    return None


def _value(key: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dict):
        return "; ".join(f"{detail_label(k)}: {_value(k, v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_value(key, v) for v in value) or "—"
    if isinstance(value, str):
        return _choice_label(key, value) or value
    return str(value)


def detail_label(key: str) -> str:
    return str(DETAIL_LABELS[key]) if key in DETAIL_LABELS else key.replace("_", " ")


def detail_lines(details: dict | None) -> list[tuple[str, str]]:
    """The details of an event as (label, value) pairs, in the page's language."""
    if not isinstance(details, dict):
        return []
    return [(detail_label(key), _value(key, value)) for key, value in details.items()]
