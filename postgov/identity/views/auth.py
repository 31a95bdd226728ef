"""Logging in (password, then a second factor), re-authentication, step-up, logout."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import authenticate, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from postgov.audit.actions import record
from postgov.identity import actions, authn, mfa_attempts, otp, passkeys, throttle
from postgov.identity.forms import (
    CodeForm,
    EnrolTotpForm,
    LoginForm,
    ReauthForm,
    StyledPasswordChangeForm,
)
from postgov.identity.models import RelyingParty
from postgov.identity.printing import qr_svg


def safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    # A path on this site, nothing else: redirect() takes a bare word ("profile") for the
    # name of a view and fails when there is none.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, request.is_secure()
    ):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


def relying_party_for_next(next_url: str) -> RelyingParty | None:
    """When the login happens on the way to a portal, which portal (to show its name and
    the external providers it allows)."""
    parts = urlsplit(next_url)
    if parts.path != reverse("identity:oidc_authorize"):
        return None
    client_id = (parse_qs(parts.query).get("client_id") or [""])[0]
    if not client_id or len(client_id) > 255 or "\x00" in client_id:
        return None
    return RelyingParty.objects.filter(client_id=client_id, active=True).first()


def _login_hint(next_url: str) -> str:
    """OIDC login_hint: prefill the username when a portal knows it."""
    parts = urlsplit(next_url)
    if parts.path != reverse("identity:oidc_authorize"):
        return ""
    hint = (parse_qs(parts.query).get("login_hint") or [""])[0]
    return hint[:150] if hint.isprintable() else ""


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request):
    next_url = safe_next(request)
    force = request.GET.get("force") == "1" or request.POST.get("force") == "1"
    if request.user.is_authenticated and request.method == "GET" and not force:
        return redirect(next_url)
    form = LoginForm(
        request, data=request.POST or None, initial={"username": _login_hint(next_url)}
    )
    throttled = ""
    if request.method == "POST":
        username = request.POST.get("username", "")[:150]
        attempt = throttle.attempt(request, username)
        wait = throttle.seconds_to_wait(attempt)
        if wait:
            # The password is not even checked: a throttled guess tells nothing.
            form = LoginForm(request, initial={"username": username})
            throttled = _(
                "Too many failed attempts. Please wait %(seconds)s seconds and try again."
            ) % {"seconds": wait}
        elif form.is_valid():
            throttle.clear_failures(attempt)
            return authn.after_password(request, form.get_user(), next_url)
        else:
            throttle.record_failure(attempt)
    relying_party = relying_party_for_next(next_url)
    providers = list(relying_party.upstream_providers.filter(active=True)) if relying_party else []
    return render(
        request,
        "identity/login.html",
        {
            "form": form,
            "next": next_url,
            "force": force,
            "throttled": throttled,
            "relying_party": relying_party,
            "providers": providers,
        },
    )


def _check_second_factor(request, user, form) -> str | None:
    """The method that succeeded, or None."""
    method, code = form.cleaned_data["method"], form.cleaned_data["code"]
    if method == "totp" and otp.verify_totp(user, code):
        return "otp"
    if method == "sms" and otp.check_code(user, "login", code, destination=user.phone):
        return "sms"
    if method == "backup" and otp.verify_backup_code(user, code):
        record(
            "mfa.backup_code_used",
            request=request,
            actor=user,
            obj=user,
            details={"left": otp.backup_codes_left(user)},
        )
        return "otp"
    return None


@dataclass(frozen=True)
class _Outcome:
    """What became of a posted second factor."""

    tried: str | None = None  # the method checked; None: nothing was checked
    amr: list[str] | None = None  # its RFC 8176 values, when it was right
    refusal: mfa_attempts.Refusal | None = None  # why it was not checked, or the stop it caused


def _give_second_factor(request, user, form, *, with_passkey: bool) -> _Outcome:
    """Check the passkey answer or the code posted, as one of the account's counted
    attempts (`mfa_attempts`): the slot is taken before anything is checked."""
    if not with_passkey and not form.is_valid():
        return _Outcome()
    slot = mfa_attempts.take_slot(user)
    if isinstance(slot, mfa_attempts.Refusal):
        return _Outcome(refusal=slot)
    if with_passkey:
        tried = "passkey"
        amr = passkeys.AMR if _check_passkey(request, user) else None
    else:
        tried = form.cleaned_data["method"]
        method = _check_second_factor(request, user, form)
        amr = [method] if method else None
    if amr:
        mfa_attempts.succeeded(user)
        return _Outcome(tried=tried, amr=amr)
    return _Outcome(tried=tried, refusal=mfa_attempts.failed(request, user, slot, tried))


def _say(form, message: str, *, passkey: bool) -> str:
    """Show `message` above the passkey button (returned) or above the code form."""
    if passkey or form is None:
        return message
    form.add_error(None, message)
    return ""


def _check_passkey(request, user) -> bool:
    """A passkey's answer posted with the form (field `credential`) is good."""
    try:
        passkeys.verify_authentication(request, user, request.POST.get("credential", ""))
    except passkeys.PasskeyError:
        return False
    return True


def _refused(form, *, passkey: bool) -> str:
    """Say why the second factor was refused: above the passkey button (returned), or
    beside the code field."""
    if passkey:
        return _("The passkey was not accepted. Try again or use a code.")
    form.add_error("code", _("This code is not valid. Check it and try again."))
    return ""


def _passkey_options(request, user, methods: list[str]) -> dict | None:
    """Options for the passkey button, when the account has passkeys (the button itself
    only appears when the browser runs JavaScript and knows WebAuthn)."""
    return passkeys.authentication_options(request, user) if "passkey" in methods else None


def _send_sms(request, user) -> None:
    if "sms" not in authn.available_factors(user):
        messages.error(request, _("SMS codes at login are not turned on for this account."))
        return
    refusal = mfa_attempts.status(user)
    if refusal is not None and refusal.stopped:
        # A code that could not be used anyway would only cost the holder an SMS.
        messages.error(request, refusal.message())
        return
    try:
        otp.send_code(user, "login", "sms", user.phone)
    except otp.TooManyCodes:
        messages.error(
            request, _("Too many codes were sent. Please wait an hour or use another method.")
        )
        return
    record("mfa.sms_sent", request=request, actor=user, obj=user)
    messages.info(
        request,
        _("A code was sent by SMS to your phone ending in %(end)s.") % {"end": user.phone[-3:]},
    )


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_verify(request):
    """Second step of the login: a passkey, a code from the app, an SMS or a backup code."""
    user, pending = authn.pending_user(request)
    if user is None:
        messages.info(request, _("Please log in again."))
        return redirect("identity:login")
    methods = authn.available_factors(user)
    code_methods = [m for m in methods if m != "passkey"]
    form = CodeForm(methods=code_methods)
    passkey_error = ""
    if request.method == "POST" and request.POST.get("action") == "send_sms":
        _send_sms(request, user)
        form = CodeForm(initial={"method": "sms"}, methods=code_methods)
    elif request.method == "POST":
        with_passkey = bool(request.POST.get("credential")) and "passkey" in methods
        if not with_passkey:
            form = CodeForm(request.POST, methods=code_methods)
        outcome = _give_second_factor(request, user, form, with_passkey=with_passkey)
        if outcome.amr:
            record(
                "auth.second_factor_ok",
                request=request,
                actor=user,
                details={"method": "passkey" if with_passkey else outcome.amr[0]},
            )
            authn.complete_login(
                request,
                user,
                sorted({*pending["amr"], *outcome.amr, "mfa"}),
                pending["next"],
                mfa=True,
            )
            response = redirect(authn.landing(user, pending["next"]))
            throttle.remember_device(request, response, user.get_username())
            return response
        if outcome.tried:
            throttle.record_failure(throttle.attempt(request, user.get_username()))
        if outcome.refusal is not None and outcome.refusal.stopped:
            request.session.pop(authn.PENDING, None)
            messages.error(request, outcome.refusal.message())
            return redirect("identity:login")
        if outcome.refusal is not None:
            passkey_error = _say(form, outcome.refusal.message(), passkey=with_passkey)
        elif outcome.tried:
            passkey_error = _refused(form, passkey=with_passkey)
    return render(
        request,
        "identity/login_verify.html",
        {
            "form": form,
            "methods": methods,
            "code_methods": code_methods,
            "user_hint": user,
            "passkey_options": _passkey_options(request, user, methods),
            "passkey_error": passkey_error,
        },
    )


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_enrol(request):
    """Staff without a second factor set one up before their first login completes."""
    user, pending = authn.pending_user(request)
    if user is None:
        return redirect("identity:login")
    if authn.available_factors(user):
        return redirect("identity:login_verify")
    device = user.totp_devices.filter(pk=pending.get("device"), confirmed_at__isnull=True).first()
    if device is None:
        device = otp.new_totp_device(user, _("Authenticator app"))
        pending["device"] = device.pk
        request.session[authn.PENDING] = pending
    form = EnrolTotpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if otp.verify_totp(user, form.cleaned_data["code"], device=device):
            device.confirmed_at = timezone.now()
            device.save(update_fields=["confirmed_at"])
            record(
                "mfa.totp_enrolled",
                request=request,
                actor=user,
                obj=user,
                details={"device": device.pk},
            )
            authn.complete_login(
                request, user, sorted({*pending["amr"], "otp", "mfa"}), pending["next"], mfa=True
            )
            messages.success(request, _("Your authenticator app is set up."))
            response = redirect(pending["next"])
            throttle.remember_device(request, response, user.get_username())
            return response
        form.add_error(
            "code", _("This code is not valid. Check the time on your phone and try again.")
        )
    secret = otp.totp_secret(device)
    return render(
        request,
        "identity/login_enrol.html",
        {"form": form, "secret": secret, "qr": qr_svg(otp.provisioning_uri(device))},
    )


@sensitive_post_parameters("password", "code")
@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def reauth(request):
    """Type the password again (and a second factor if the account has one)."""
    user = request.user
    next_url = safe_next(request)
    needs_code = authn.has_second_factor(user) or authn.is_staff_member(user)
    methods = authn.available_factors(user) if needs_code else []
    code_methods = [m for m in methods if m != "passkey"]
    with_passkey = bool(request.POST.get("credential")) and "passkey" in methods
    form = ReauthForm(request.POST or None)
    code_form = CodeForm(request.POST or None, methods=code_methods) if code_methods else None
    if request.method == "POST" and request.POST.get("action") == "send_sms":
        _send_sms(request, user)
        form, code_form = ReauthForm(), CodeForm(initial={"method": "sms"}, methods=code_methods)
    elif (
        request.method == "POST"
        and form.is_valid()
        and (not methods or with_passkey or (code_form is not None and code_form.is_valid()))
    ):
        attempt = throttle.attempt(request, user.get_username())
        wait = throttle.seconds_to_wait(attempt)
        ok = (
            not wait
            and authenticate(
                request, username=user.get_username(), password=form.cleaned_data["password"]
            )
            is not None
        )
        outcome = _Outcome()
        if ok and methods:
            outcome = _give_second_factor(request, user, code_form, with_passkey=with_passkey)
        if ok and (not methods or outcome.amr):
            request.session[authn.REAUTH] = int(timezone.now().timestamp())
            if outcome.amr:
                authn.second_factor_done(
                    request, user, "passkey" if with_passkey else outcome.amr[0], outcome.amr
                )
            record("auth.reauthenticated", request=request)
            return redirect(next_url)
        if outcome.refusal is not None and not outcome.tried:
            # The password was right; the second factor may not be tried now.
            form.add_error(None, outcome.refusal.message())
        else:
            throttle.record_failure(attempt)
            record("auth.reauth_failed", request=request)
            form.add_error(None, _("The password or the second factor is not right."))
            if outcome.refusal is not None:
                form.add_error(None, outcome.refusal.message())
    elif request.method == "POST" and form.is_valid() and code_form is None:
        form.add_error(None, _("Confirm with your passkey."))
    return render(
        request,
        "identity/reauth.html",
        {
            "form": form,
            "code_form": code_form,
            "methods": methods,
            "next": next_url,
            "passkey_options": _passkey_options(request, user, methods),
        },
    )


@sensitive_post_parameters("code")
@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def step_up(request):
    """A second factor for a portal that asks for level 2, or for a staff member whose
    session has none yet (see `middleware.SecondFactorMiddleware`)."""
    user = request.user
    next_url = safe_next(request)
    if authn.auth_context(request).get("level_cap", 2) < 2 and not authn.is_staff_member(user):
        # A login through a provider that cannot vouch for level 2: a second factor on
        # top of it would not make it level 2 either; PostID's own login can.
        messages.info(request, _("Log in with your PostID password to continue."))
        return redirect(
            reverse("identity:login") + "?" + urlencode({"next": next_url, "force": "1"})
        )
    methods = authn.available_factors(user)
    code_methods = [m for m in methods if m != "passkey"]
    form = CodeForm(methods=code_methods)
    passkey_error = ""
    if request.method == "POST" and request.POST.get("action") == "send_sms":
        _send_sms(request, user)
        form = CodeForm(initial={"method": "sms"}, methods=code_methods)
    elif request.method == "POST":
        with_passkey = bool(request.POST.get("credential")) and "passkey" in methods
        if not with_passkey:
            form = CodeForm(request.POST, methods=code_methods)
        attempt = throttle.attempt(request, user.get_username())
        wait = throttle.seconds_to_wait(attempt)
        if wait:
            # Guessing codes from a stolen session is slowed like guessing passwords.
            passkey_error = _say(
                form,
                _("Too many failed attempts. Please wait %(seconds)s seconds and try again.")
                % {"seconds": wait},
                passkey=with_passkey,
            )
        else:
            outcome = _give_second_factor(request, user, form, with_passkey=with_passkey)
            if outcome.amr:
                authn.second_factor_done(
                    request, user, "passkey" if with_passkey else outcome.amr[0], outcome.amr
                )
                authn.mark_fresh(request, next_url)
                return redirect(next_url)
            if outcome.tried:
                throttle.record_failure(attempt)
            if outcome.refusal is not None:
                passkey_error = _say(form, outcome.refusal.message(), passkey=with_passkey)
            elif outcome.tried:
                passkey_error = _refused(form, passkey=with_passkey)
    return render(
        request,
        "identity/step_up.html",
        {
            "form": form,
            "methods": methods,
            "code_methods": code_methods,
            "next": next_url,
            "passkey_options": _passkey_options(request, user, methods),
            "passkey_error": passkey_error,
            "for_staff": authn.is_staff_member(user) and not authn.second_factor_given(request),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def admin_login(request):
    """The admin's login page is PostGov's own: password, then the second factor. Django's
    login form would give a password-only session."""
    target = request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = ""
    target = target or reverse("admin:index")
    if request.user.is_authenticated:
        if admin.site.has_permission(request):
            return redirect(target)
        # Sending a signed-in person back to the login would loop (it goes to `next`).
        raise PermissionDenied
    return redirect(reverse("identity:login") + "?" + urlencode({"next": target}))


@require_POST
@csrf_protect
def logout_view(request):
    logout(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)


@sensitive_post_parameters()
@login_required
@require_http_methods(["GET", "POST"])
def password_change(request):
    form = StyledPasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = actions.change_password(request, request.user, form.cleaned_data["new_password1"])
        update_session_auth_hash(request, user)
        authn.refresh_session_key(request)
        messages.success(request, _("Your password has been changed."))
        return redirect(safe_next(request))
    return render(request, "identity/password_change.html", {"form": form})
