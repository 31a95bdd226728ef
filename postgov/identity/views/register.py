"""Self-registration with a verified phone (`identity/registration.py`: the steps and
limits), and account recovery."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from postgov.audit.actions import client_ip, record
from postgov.identity import actions, authn, otp, registration, throttle
from postgov.identity.forms import RecoveryStartForm, RegistrationForm, StyledSetPasswordForm
from postgov.identity.models import User
from postgov.lib import challenge
from postgov.lib.redirects import safe_next

RECOVERING = "postgov_recovering"


def _next(request) -> str:
    return safe_next(request, reverse(settings.LOGIN_REDIRECT_URL))


@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def register(request):
    """Step 1: the form. Nothing is created: what was typed waits in the session."""
    if request.user.is_authenticated:
        return redirect("identity:account")
    state = registration.pending(request)
    keep_password = bool(state and state.get("password"))
    form = RegistrationForm(
        request.POST or None, initial=registration.initial(state), keep_password=keep_password
    )
    next_url = state["next"] if state and request.method == "GET" else _next(request)
    status = 200
    if request.method == "POST":
        posts = registration.count_post(request)
        if form.is_valid():
            state = registration.keep(
                request, form.cleaned_data, form.cleaned_data.get("password1") or "", next_url
            )
            if registration.needs_challenge(posts):
                return redirect("identity:register_check")
            try:
                registration.send_code(request, state)
            except registration.Refused as refused:
                form = RegistrationForm(request.POST, keep_password=True)
                form.is_valid()
                form.add_error(None, str(refused))
                status = 429
            else:
                return redirect("identity:register_verify")
    return render(
        request,
        "identity/register.html",
        {"form": form, "next": next_url, "pending": bool(state)},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def register_check(request):
    """Step 1½, after repeated posts from one client: the challenge, then the code."""
    state = registration.pending(request)
    if state is None:
        return redirect("identity:register")
    if state.get("code"):  # passed already: a code went out
        return redirect("identity:register_verify")
    error, status = "", 200
    if request.method == "POST":
        verdict = challenge.check(
            request.POST.get("challenge", ""),
            request.POST.get("challenge_answer", ""),
            registration.CHALLENGE_PURPOSE,
            registration.client(request),
        )
        if verdict.passed:
            try:
                registration.send_code(request, state)
            except registration.Refused as refused:
                messages.error(request, str(refused))
                return redirect("identity:register")
            return redirect("identity:register_verify")
        status = 400
        if verdict.wait_seconds:
            error = _("Please wait %(seconds)d more seconds, then press “Continue”.") % {
                "seconds": verdict.wait_seconds
            }
        else:
            error = _("This check has expired or was not completed. Please try again.")
    issued = challenge.issue(registration.CHALLENGE_PURPOSE, registration.client(request))
    response = render(
        request,
        "identity/register_check.html",
        {"challenge": issued, "error": error},
        status=status,
    )
    response["Cache-Control"] = "no-store"
    return response


@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def register_verify(request):
    """Step 2: the code sent to the phone. Only now is the account created."""
    state = registration.pending(request)
    if state is None:
        messages.info(request, _("Your registration has expired. Please fill in the form again."))
        return redirect("identity:register")
    if not state.get("code"):
        return redirect("identity:register_check")
    error, status = "", 200
    if request.method == "POST" and request.POST.get("action") == "resend":
        try:
            registration.send_code(request, state)
        except registration.Refused as refused:
            error, status = str(refused), 429
        else:
            messages.info(request, _("A new code was sent."))
    elif request.method == "POST":
        try:
            user = registration.complete(request, state, request.POST.get("code", ""))
        except actions.UsernameTaken:
            messages.error(request, _("This username was taken meanwhile; please choose another."))
            return redirect("identity:register")
        if user is not None:
            authn.complete_login(request, user, ["pwd", "sms"], state["next"])
            messages.success(request, _("Welcome to PostID! Your phone number is verified."))
            return redirect(reverse("identity:account"))
        error = _("This code is not valid. Check it and try again.")
    return render(
        request,
        "identity/register_verify.html",
        {"phone_end": state["data"]["phone"][-3:], "error": error},
        status=status,
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
