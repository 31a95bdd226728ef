from django.urls import path

from postgov.identity import demo_portal, federation
from postgov.identity.oidc import views as oidc
from postgov.identity.views import account, auth, proofing, register

app_name = "identity"

urlpatterns = [
    # Logging in and out
    path("accounts/login/", auth.login_view, name="login"),
    path("accounts/login/verify/", auth.login_verify, name="login_verify"),
    path("accounts/login/setup/", auth.login_enrol, name="login_enrol"),
    path("accounts/login/confirm/", auth.reauth, name="reauth"),
    path("accounts/login/step-up/", auth.step_up, name="step_up"),
    path("accounts/logout/", auth.logout_view, name="logout"),
    path("accounts/password/", auth.password_change, name="password_change"),
    path("accounts/login/with/<slug:slug>/", federation.start, name="federation_start"),
    path(
        "accounts/login/with/<slug:slug>/callback/", federation.callback, name="federation_callback"
    ),
    # Registration and recovery
    path("accounts/register/", register.register, name="register"),
    path("accounts/register/check/", register.register_check, name="register_check"),
    path("accounts/register/verify/", register.register_verify, name="register_verify"),
    path("accounts/recover/", register.recover, name="recover"),
    path("accounts/recover/verify/", register.recover_verify, name="recover_verify"),
    # The account page
    path("accounts/me/", account.account, name="account"),
    path("accounts/me/profile/", account.profile_edit, name="profile_edit"),
    path("accounts/me/contact/", account.contact_edit, name="contact_edit"),
    path("accounts/me/sessions/", account.sessions, name="sessions"),
    path("accounts/me/portals/", account.portals, name="portals"),
    path("accounts/me/security/", account.security, name="security"),
    path("accounts/me/security/app/", account.totp_add, name="totp_add"),
    path("accounts/me/security/app/<int:pk>/remove/", account.totp_remove, name="totp_remove"),
    path("accounts/me/security/passkey/", account.passkey_add, name="passkey_add"),
    path(
        "accounts/me/security/passkey/<int:pk>/rename/",
        account.passkey_rename,
        name="passkey_rename",
    ),
    path(
        "accounts/me/security/passkey/<int:pk>/remove/",
        account.passkey_remove,
        name="passkey_remove",
    ),
    path("accounts/me/security/sms/", account.sms_login_toggle, name="sms_login_toggle"),
    path("accounts/me/security/backup-codes/", account.backup_codes_new, name="backup_codes_new"),
    path("accounts/me/activity/", account.activity, name="activity"),
    path("accounts/me/enrolment/", account.enrolment, name="enrolment"),
    # Counter proofing
    path("identity/proofing/", proofing.proofing_start, name="proofing_start"),
    path("identity/proofing/<int:pk>/", proofing.proofing_case, name="proofing_case"),
    path("identity/proofing/review/", proofing.proofing_review_queue, name="proofing_review_queue"),
    path("identity/proofing/review/<int:pk>/", proofing.proofing_review, name="proofing_review"),
    # OpenID Connect provider
    path(".well-known/openid-configuration", oidc.discovery, name="oidc_discovery"),
    path("oidc/jwks", oidc.jwks, name="oidc_jwks"),
    path("oidc/authorize", oidc.authorize, name="oidc_authorize"),
    path("oidc/authorize/consent", oidc.consent, name="oidc_consent"),
    path("oidc/token", oidc.PostGovTokenView.as_view(), name="oidc_token"),
    path("oidc/userinfo", oidc.PostGovUserInfoView.as_view(), name="oidc_userinfo"),
    path("oidc/revoke", oidc.PostGovRevokeView.as_view(), name="oidc_revoke"),
    path("oidc/introspect", oidc.introspect, name="oidc_introspect"),
    path("oidc/logout", oidc.end_session, name="oidc_logout"),
    path("oidc/portals/<int:pk>/logo", account.rp_logo, name="rp_logo"),
    # A pretend portal to try the flow after `make run` (development only)
    path("demo-portal/", demo_portal.home, name="demo_portal"),
    path("demo-portal/start", demo_portal.start, name="demo_portal_start"),
    path("demo-portal/callback", demo_portal.callback, name="demo_portal_callback"),
]
