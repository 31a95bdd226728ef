"""Logins, failed logins and logouts go to the audit trail."""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from postgov.audit.actions import record


@receiver(user_logged_in, dispatch_uid="audit_login")
def audit_login(sender, request, user, **kwargs):
    record("auth.login", actor=user, request=request)


@receiver(user_logged_out, dispatch_uid="audit_logout")
def audit_logout(sender, request, user, **kwargs):
    if user is not None:
        record("auth.logout", actor=user, request=request)
        # The session list on the account page forgets this one.
        from django.utils import timezone

        from postgov.identity.models import UserSession

        key = request.session.session_key if request is not None else None
        if key:
            UserSession.objects.filter(user=user, session_key=key, ended_at__isnull=True).update(
                ended_at=timezone.now()
            )


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def audit_login_failed(sender, credentials, request=None, **kwargs):
    username = (credentials or {}).get("username") or ""
    user = get_user_model().objects.filter(username__iexact=username).first()
    # An unknown name is not stored: it may be a mistyped password or someone's ID number.
    record(
        "auth.login_failed",
        actor=user,
        request=request,
        details={} if user else {"account": "unknown"},
    )
