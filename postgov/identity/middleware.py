"""Per-request identity plumbing: session timeouts and the access object."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.utils.functional import SimpleLazyObject

from postgov.identity.access import Access

_STARTED = "postgov_session_started"
_SEEN = "postgov_session_seen"


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
                from postgov.audit.actions import record

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


def _touch_session_row(request) -> None:
    """Keep the account page's session list current (last seen, and the session key,
    which Django changes on login and password change)."""
    from django.utils import timezone

    from postgov.identity.models import UserSession

    auth = request.session.get("postgov_auth") or {}
    if auth.get("sid"):
        UserSession.objects.filter(pk=auth["sid"]).update(
            last_seen_at=timezone.now(), session_key=request.session.session_key or ""
        )
