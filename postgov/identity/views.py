"""Staff and citizen login, logout and password change."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from postgov.audit.actions import client_ip, record
from postgov.identity import throttle
from postgov.lib.forms import StyledFormMixin


class LoginForm(StyledFormMixin, AuthenticationForm):
    pass


class StyledPasswordChangeForm(StyledFormMixin, PasswordChangeForm):
    pass


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return settings.LOGIN_REDIRECT_URL


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request):
    if request.user.is_authenticated and request.method == "GET":
        return redirect(_safe_next(request))
    form = LoginForm(request, data=request.POST or None)
    throttled = ""
    if request.method == "POST":
        username = request.POST.get("username", "")[:150]
        address = client_ip(request) or "0.0.0.0"  # noqa: S104  (a key, not a bind address)
        wait = throttle.seconds_to_wait(username, address)
        if wait:
            # The password is not even checked: a throttled guess tells nothing.
            form = LoginForm(request, initial={"username": username})
            throttled = _(
                "Too many failed attempts. Please wait %(seconds)s seconds and try again."
            ) % {"seconds": wait}
        elif form.is_valid():
            throttle.clear_failures(username, address)
            login(request, form.get_user())
            return redirect(_safe_next(request))
        else:
            throttle.record_failure(username, address)
    return render(
        request,
        "identity/login.html",
        {"form": form, "next": _safe_next(request), "throttled": throttled},
    )


@sensitive_post_parameters()
@login_required
@require_http_methods(["GET", "POST"])
def password_change(request):
    form = StyledPasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        record("auth.password_changed", request=request, obj=user)
        messages.success(request, _("Your password has been changed."))
        return redirect("home")
    return render(request, "identity/password_change.html", {"form": form})
