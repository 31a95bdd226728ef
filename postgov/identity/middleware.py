"""Per-request identity plumbing: session timeouts, the access object, and no staff
session without a second factor."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from postgov.audit.actions import record
from postgov.identity import authn
from postgov.identity.access import Access
from postgov.identity.models import UserSession
from postgov.lib.problems import problem

_STARTED = "postgov_session_started"
_SEEN = "postgov_session_seen"
_REFUSAL_RECORDED = "postgov_second_factor_refusal_recorded"


class SessionTimeoutMiddleware:
    """Ends a session after `SESSION_IDLE_TIMEOUT` of inactivity, or after
    `SESSION_ABSOLUTE_TIMEOUT` whatever the activity."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            started = request.session.get(_STARTED, now)
            seen = request.session.get(_SEEN, now)
            idle = now - seen > settings.SESSION_IDLE_TIMEOUT
            expired = now - started > settings.SESSION_ABSOLUTE_TIMEOUT
            if idle or expired:
                record(
                    "auth.session_timeout",
                    actor=request.user,
                    request=request,
                    details={"reason": "idle" if idle else "absolute"},
                )
                logout(request)
                if request.path.startswith("/api/"):
                    return self.get_response(request)
                return redirect_to_login(request.get_full_path())
            if _STARTED not in request.session:
                # Only the first time: any assignment marks the session modified, and a
                # modified session is written back on every request.
                request.session[_STARTED] = started
            # Writing the session on every request costs a write; once a minute is enough.
            if now - seen >= 60 or _SEEN not in request.session:
                request.session[_SEEN] = now
                _touch_session_row(request)
        return self.get_response(request)


class AccessMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.access = SimpleLazyObject(lambda: Access.for_user(request.user))
        return self.get_response(request)


class SecondFactorMiddleware:
    """No staff member works in a session without a completed second factor.

    Checked for every request rather than in each view, so that no page, admin screen or
    API endpoint, present or future, can forget it, and whatever made the session:
    PostGov's login always asks staff for the second factor, but a session of a citizen
    who was granted a role since, a session from Django's own login, or one from before
    this check has none. Such a session may only finish authenticating: pages go to the
    second-factor step (or, with no factor to give, to a new login that enrols one), API
    calls get 403 as problem details.
    """

    # Where a staff member with a password-only session may still go: to finish the
    # login or to leave.
    OPEN = frozenset(
        {
            "identity:login",
            "identity:login_verify",
            "identity:login_enrol",
            "identity:step_up",
            "identity:logout",
            "identity:oidc_logout",
            "set_language",
            "healthz",
            "readyz",
        }
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._refused(request):
            return self._refusal(request)
        return self.get_response(request)

    def _refused(self, request) -> bool:
        user = request.user
        if not user.is_authenticated or authn.second_factor_given(request):
            return False
        if not (request.access.is_staff_member or user.is_staff or user.is_superuser):
            return False
        return _view_name(request) not in self.OPEN

    def _refusal(self, request):
        user = request.user
        if not request.session.get(_REFUSAL_RECORDED):
            # Once per session: the trail shows the session, not every click of it.
            request.session[_REFUSAL_RECORDED] = True
            record(
                "auth.second_factor_required",
                request=request,
                actor=user,
                details={"path": request.path[:200], "method": request.method},
            )
        if request.path.startswith("/api/"):
            return problem(
                request,
                403,
                _("Staff must complete the second factor of their login before using the API."),
                title=_("Second factor required"),
            )
        here = _here(request)
        if authn.available_factors(user):
            return redirect(reverse("identity:step_up") + "?" + urlencode({"next": here}))
        # No factor to give: a staff login enrols an authenticator app first.
        logout(request)
        messages.info(
            request,
            _("Staff accounts need a second factor. Log in again to set one up."),
        )
        return redirect_to_login(here)


class PasswordChangeMiddleware:
    """A password that a clerk or an administrator set is changed by its holder before the
    account does anything else.

    The login sends such an account to the password page, but a session could leave it
    for any other address; checked here for every request, as the second factor is. API
    calls get 403 as problem details."""

    # Where such a session may still go: the password page, the second factor, or away.
    OPEN = SecondFactorMiddleware.OPEN | {"identity:password_change"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and user.password_must_change
            and _view_name(request) not in self.OPEN
        ):
            return self._refusal(request)
        return self.get_response(request)

    def _refusal(self, request):
        if request.path.startswith("/api/"):
            return problem(
                request,
                403,
                _("Change the password you were given before using the API."),
                title=_("Password change required"),
            )
        messages.info(request, _("Choose your own password before you go on."))
        return redirect(
            reverse("identity:password_change") + "?" + urlencode({"next": _here(request)})
        )


def _view_name(request) -> str:
    """The name of the view the request goes to; "" for an address that has none."""
    try:
        return resolve(request.path_info).view_name
    except Resolver404:
        return ""


def _here(request) -> str:
    """Where to come back to after the step asked first: the page itself for a GET, its
    address without the form for a POST."""
    return request.get_full_path() if request.method == "GET" else request.path


def _touch_session_row(request) -> None:
    """Keep the account page's session list current (last seen, and the session key,
    which Django changes on login and password change)."""
    auth = request.session.get("postgov_auth") or {}
    if auth.get("sid"):
        UserSession.objects.filter(pk=auth["sid"]).update(
            last_seen_at=timezone.now(), session_key=request.session.session_key or ""
        )
