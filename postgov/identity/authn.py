"""The login flow and what a session knows about how its user authenticated.

Logging in is a small state machine run by views: password (or, for citizens, an
upstream provider) -> second factor when the account needs one ->
`django.contrib.auth.login`. Until the last step the user is not logged in; the
half-done login lives in the session under PENDING, for a few minutes.

The session then carries AUTH: when the person last proved who they are (auth_time),
with what (amr, RFC 8176 values) and when they last gave a second factor (mfa_time).
The OpenID provider derives `auth_time` and `acr` from it, and
`middleware.SecondFactorMiddleware` refuses every request of a staff member whose
session has no second factor, however the session was made.
"""

from __future__ import annotations

import hashlib
import time
from functools import wraps
from importlib import import_module
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from postgov.audit.actions import client_ip, record
from postgov.identity import throttle
from postgov.identity.models import Level, User, UserSession

PENDING = "postgov_pending_login"
AUTH = "postgov_auth"
FRESH = "postgov_fresh_for"
REAUTH = "postgov_reauth_at"
PENDING_SECONDS = 5 * 60

LOA1 = "urn:postgov:loa:1"
LOA2 = "urn:postgov:loa:2"
ACR_LEVEL = {LOA1: 1, LOA2: 2}


def is_staff_member(user: User) -> bool:
    """Staff give a second factor at every login. Django's own staff flags count too:
    such an account could reach the admin if a role were ever granted."""
    return bool(
        user.is_staff or user.is_superuser or user.role_assignments.filter(active=True).exists()
    )


def has_second_factor(user: User) -> bool:
    return (
        user.totp_devices.filter(confirmed_at__isnull=False).exists()
        or user.passkeys.exists()
        or bool(user.sms_login and user.phone and user.phone_verified_at)
    )


def available_factors(user: User) -> list[str]:
    """Second factors this account can give now: 'passkey', 'totp', 'sms', 'backup'.
    SMS only when the holder turned SMS codes at login on: a phone number alone is not a
    factor the holder chose (and may be easier to take over than an app)."""
    factors = []
    if user.passkeys.exists():
        factors.append("passkey")
    if user.totp_devices.filter(confirmed_at__isnull=False).exists():
        factors.append("totp")
    if user.sms_login and user.phone and user.phone_verified_at:
        factors.append("sms")
    if user.backup_codes.filter(used_at__isnull=True).exists():
        factors.append("backup")
    return factors


def needs_second_factor_at_login(user: User) -> bool:
    return is_staff_member(user) or has_second_factor(user)


# -- the pending login -------------------------------------------------------------------
def start_pending(request, user: User, amr: list[str], next_url: str, **extra) -> None:
    request.session[PENDING] = {
        "user": user.pk,
        "at": int(time.time()),
        "amr": amr,
        "next": next_url,
        **extra,
    }


def pending_user(request) -> tuple[User | None, dict]:
    data = request.session.get(PENDING) or {}
    if not data or int(time.time()) - data.get("at", 0) > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        return None, {}
    user_id = data.get("user")
    if user_id is None:
        return None, data
    return User.objects.filter(pk=user_id, is_active=True).first(), data


def after_password(request, user: User, next_url: str, amr: list[str] | None = None, **extra):
    """The first factor is done: finish the login or ask for the second factor."""
    amr = amr or ["pwd"]
    if needs_second_factor_at_login(user):
        start_pending(request, user, amr, next_url, **extra)
        if not available_factors(user):
            # Staff must enrol an authenticator app before their first login completes.
            return redirect("identity:login_enrol")
        return redirect("identity:login_verify")
    complete_login(request, user, amr, next_url, **extra)
    response = redirect(landing(user, next_url))
    throttle.remember_device(request, response, user.get_username())
    return response


def landing(user: User, next_url: str) -> str:
    """Where a completed login goes: a password set by a clerk is changed first."""
    if user.password_must_change:
        return reverse("identity:password_change") + "?" + urlencode({"next": next_url})
    return next_url


def complete_login(
    request,
    user: User,
    amr: list[str],
    next_url: str,
    *,
    mfa: bool = False,
    level_cap: int = 2,
    via: str = "password",
    reauthenticated: bool = True,
) -> None:
    """Log the user in (new session key), remember how, record the session.
    `reauthenticated`: the person typed their PostID password, so sensitive changes are
    open for a while (a login through another provider never counts as that)."""
    request.session.pop(PENDING, None)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    now = int(time.time())
    row = UserSession.objects.create(
        user=user,
        session_key=request.session.session_key or "",
        ip=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:200],
        amr=amr,
    )
    request.session[AUTH] = {
        "time": now,
        "amr": amr,
        "mfa_time": now if mfa else None,
        "sid": row.pk,
        "via": via,
        "level_cap": level_cap,
    }
    if reauthenticated:
        request.session[REAUTH] = now
    mark_fresh(request, next_url)
    if request.session.session_key is None:
        request.session.save()
        UserSession.objects.filter(pk=row.pk).update(session_key=request.session.session_key)


def second_factor_done(request, user: User, method: str, amr: list[str] | None = None) -> None:
    """A second factor was given while already logged in (step-up or re-auth); `amr` are
    its RFC 8176 values when they are not just `method` (a passkey: "hwk", "user")."""
    auth = auth_context(request)
    now = int(time.time())
    amr = sorted({*auth["amr"], "mfa", *(amr or [method])})
    request.session[AUTH] = {**auth, "amr": amr, "mfa_time": now}
    request.session[REAUTH] = now
    record("auth.step_up", request=request, obj=user, details={"method": method})


# -- what the session knows --------------------------------------------------------------
def auth_context(request) -> dict:
    auth = request.session.get(AUTH)
    if auth:
        return dict(auth)
    # A session made some other way (Django's own login, a session from before AUTH was
    # kept): the login time is the last login, one factor, nothing more.
    last = request.user.last_login if request.user.is_authenticated else None
    return {
        "time": int(last.timestamp()) if last else int(time.time()),
        "amr": ["pwd"],
        "mfa_time": None,
        "sid": None,
        "via": "unknown",
        "level_cap": 2,
    }


def second_factor_given(request) -> bool:
    """This session's login (or a step-up since) included a second factor."""
    return bool(auth_context(request).get("mfa_time"))


def session_level(request, user: User, *, fresh_mfa: bool) -> int:
    """The assurance this session gives: level 2 needs a proofed account and a second
    factor given recently enough (OIDC_LOA2_MFA_MAX_AGE) or for this very request."""
    auth = auth_context(request)
    if user.level < Level.VERIFIED or auth.get("level_cap", 2) < 2:
        return 1
    if fresh_mfa:
        return 2
    mfa_time = auth.get("mfa_time")
    if mfa_time and time.time() - mfa_time <= settings.OIDC_LOA2_MFA_MAX_AGE:
        return 2
    return 1


def _url_key(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:32]


def mark_fresh(request, next_url: str) -> None:
    """The person just (re)authenticated on the way to `next_url`: that page may treat the
    authentication as fresh once (prompt=login, max_age, step-up) without looping."""
    request.session[FRESH] = _url_key(next_url)


def consume_fresh(request, url: str) -> bool:
    if request.session.get(FRESH) == _url_key(url):
        del request.session[FRESH]
        return True
    return False


def peek_fresh(request, url: str) -> bool:
    return request.session.get(FRESH) == _url_key(url)


# -- re-authentication before sensitive changes ------------------------------------------
def recently_authenticated(request) -> bool:
    at = request.session.get(REAUTH, 0)
    return time.time() - at <= settings.IDENTITY_REAUTH_SECONDS


def recent_auth_required(view):
    """Sensitive changes (second factors, phone, e-mail) need a password typed in the
    last IDENTITY_REAUTH_SECONDS."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not recently_authenticated(request):
            return redirect(
                reverse("identity:reauth") + "?" + urlencode({"next": request.get_full_path()})
            )
        return view(request, *args, **kwargs)

    return wrapper


def end_session_rows(user: User, *, except_key: str | None = None) -> int:
    """Sign the user out of every other session (the session store rows are deleted)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    rows = UserSession.objects.filter(user=user, ended_at__isnull=True)
    if except_key:
        rows = rows.exclude(session_key=except_key)
    count = 0
    for row in rows:
        if row.session_key:
            store(session_key=row.session_key).delete()
        count += 1
    rows.update(ended_at=timezone.now())
    return count


def refresh_session_key(request) -> None:
    """After the session key changed (password change), keep the session row pointing at
    it so 'sign out elsewhere' still finds it."""
    auth = request.session.get(AUTH)
    if auth and auth.get("sid"):
        UserSession.objects.filter(pk=auth["sid"]).update(
            session_key=request.session.session_key or ""
        )
