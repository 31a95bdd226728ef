"""Self-registration with a verified phone, and account recovery."""

from __future__ import annotations

import contextlib
import time

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from postgov.audit.actions import client_ip, record
from postgov.identity import actions, authn, otp, throttle
from postgov.identity.forms import RecoveryStartForm, RegistrationForm, StyledSetPasswordForm
from postgov.identity.models import User
from postgov.identity.views.auth import _safe_next

REGISTERING = "postgov_registering"
RECOVERING = "postgov_recovering"


@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def register(request):
    if request.user.is_authenticated:
        return redirect("identity:account")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = actions.register_citizen(request, form.cleaned_data, form.cleaned_data["password1"])
        with contextlib.suppress(otp.TooManyCodes):
            otp.send_code(user, "verify_phone", "sms", user.phone)
        request.session[REGISTERING] = {
            "user": user.pk,
            "at": int(time.time()),
            "next": _safe_next(request),
        }
        return redirect("identity:register_verify")
    return render(request, "identity/register.html", {"form": form, "next": _safe_next(request)})


@require_http_methods(["GET", "POST"])
def register_verify(request):
    state = request.session.get(REGISTERING) or {}
    user = User.objects.filter(pk=state.get("user"), phone_verified_at__isnull=True).first()
    if user is None or time.time() - state.get("at", 0) > 30 * 60:
        messages.info(request, _("Please log in to continue."))
        return redirect("identity:login")
    error = ""
    if request.method == "POST" and request.POST.get("action") == "resend":
        try:
            otp.send_code(user, "verify_phone", "sms", user.phone)
            messages.info(request, _("A new code was sent."))
        except otp.TooManyCodes:
            error = _("Too many codes were sent. Please wait an hour.")
    elif request.method == "POST":
        if otp.check_code(
            user, "verify_phone", request.POST.get("code", ""), destination=user.phone
        ):
            actions.mark_phone_verified(request, user)
            del request.session[REGISTERING]
            authn.complete_login(request, user, ["pwd", "sms"], state["next"])
            messages.success(request, _("Welcome to PostID! Your phone number is verified."))
            return redirect(reverse("identity:account"))
        error = _("This code is not valid. Check it and try again.")
    return render(
        request, "identity/register_verify.html", {"phone_end": user.phone[-3:], "error": error}
    )


@require_http_methods(["GET", "POST"])
def recover(request):
    """Step 1: username and the account's phone; a code goes to that phone. The answer is
    the same whether or not they match, so the page reveals nothing."""
    form = RecoveryStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        address = client_ip(request) or "0.0.0.0"  # noqa: S104
        if throttle.seconds_to_wait("recover:" + username, address):
            messages.error(request, _("Too many attempts. Please try again later."))
            return redirect("identity:recover")
        user = User.objects.filter(
            username__iexact=username,
            phone=form.cleaned_data["phone"],
            is_active=True,
            phone_verified_at__isnull=False,
        ).first()
        if user is not None and not authn.is_staff_member(user):
            try:
                otp.send_code(user, "recovery", "sms", user.phone)
                record("identity.recovery_started", request=request, actor=user, obj=user)
            except otp.TooManyCodes:
                pass
        else:
            throttle.record_failure("recover:" + username, address)
        request.session[RECOVERING] = {"user": user.pk if user else None, "at": int(time.time())}
        return redirect("identity:recover_verify")
    return render(request, "identity/recover.html", {"form": form})


@sensitive_post_parameters("new_password1", "new_password2", "code")
@require_http_methods(["GET", "POST"])
def recover_verify(request):
    state = request.session.get(RECOVERING)
    if not state or time.time() - state.get("at", 0) > 15 * 60:
        return redirect("identity:recover")
    user = User.objects.filter(pk=state.get("user") or 0).first()
    form = StyledSetPasswordForm(user or User(), request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        # The code is checked only with a valid new password, so a typo in the password
        # does not burn the code.
        if user is not None and otp.check_code(
            user, "recovery", request.POST.get("code", ""), destination=user.phone
        ):
            actions.recover_account(request, user, form.cleaned_data["new_password1"])
            del request.session[RECOVERING]
            messages.success(request, _("Your password has been reset. Log in with it now."))
            return redirect("identity:login")
        error = _("This code is not valid. Check it and try again.")
    return render(request, "identity/recover_verify.html", {"form": form, "error": error})
