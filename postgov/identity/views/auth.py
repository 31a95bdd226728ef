"""Logging in (password, then a second factor), re-authentication, step-up, logout."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from postgov.audit.actions import client_ip, record
from postgov.identity import authn, otp, passkeys, throttle
from postgov.identity.forms import (
    CodeForm,
    EnrolTotpForm,
    LoginForm,
    ReauthForm,
    StyledPasswordChangeForm,
)
from postgov.identity.models import RelyingParty
from postgov.identity.printing import qr_svg


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    # A path on this site, nothing else: redirect() takes a bare word ("profile") for the
    # name of a view and fails when there is none.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, request.is_secure()
    ):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


def _address(request) -> str:
    return client_ip(request) or "0.0.0.0"  # noqa: S104  (a key, not a bind address)


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
    next_url = _safe_next(request)
    force = request.GET.get("force") == "1" or request.POST.get("force") == "1"
    if request.user.is_authenticated and request.method == "GET" and not force:
        return redirect(next_url)
    form = LoginForm(
        request, data=request.POST or None, initial={"username": _login_hint(next_url)}
    )
    throttled = ""
    if request.method == "POST":
        username = request.POST.get("username", "")[:150]
        address = _address(request)
        wait = throttle.seconds_to_wait(username, address)
        if wait:
            # The password is not even checked: a throttled guess tells nothing.
            form = LoginForm(request, initial={"username": username})
            throttled = _(
                "Too many failed attempts. Please wait %(seconds)s seconds and try again."
            ) % {"seconds": wait}
        elif form.is_valid():
            throttle.clear_failures(username, address)
            return authn.after_password(request, form.get_user(), next_url)
        else:
            throttle.record_failure(username, address)
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
    if not (user.phone and user.phone_verified_at):
        messages.error(request, _("This account has no verified phone number."))
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
        tried, amr = None, None  # the method tried, and its amr values when it succeeded
        if request.POST.get("credential") and "passkey" in methods:
            tried = "passkey"
            amr = passkeys.AMR if _check_passkey(request, user) else None
        else:
            form = CodeForm(request.POST, methods=code_methods)
            if form.is_valid():
                tried = form.cleaned_data["method"]
                method = _check_second_factor(request, user, form)
                amr = [method] if method else None
        if amr:
            record(
                "auth.second_factor_ok",
                request=request,
                actor=user,
                details={"method": "passkey" if tried == "passkey" else amr[0]},
            )
            authn.complete_login(
                request, user, sorted({*pending["amr"], *amr, "mfa"}), pending["next"], mfa=True
            )
            return redirect(authn.landing(user, pending["next"]))
        if tried:
            pending["failures"] = pending.get("failures", 0) + 1
            request.session[authn.PENDING] = pending
            record(
                "auth.second_factor_failed", request=request, actor=user, details={"method": tried}
            )
            throttle.record_failure(user.get_username(), _address(request))
            if pending["failures"] >= 5:
                request.session.pop(authn.PENDING, None)
                messages.error(request, _("Too many wrong codes. Please log in again."))
                return redirect("identity:login")
            passkey_error = _refused(form, passkey=tried == "passkey")
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
            return redirect(pending["next"])
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
    next_url = _safe_next(request)
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
        address = _address(request)
        wait = throttle.seconds_to_wait(user.get_username(), address)
        ok = (
            not wait
            and authenticate(
                request, username=user.get_username(), password=form.cleaned_data["password"]
            )
            is not None
        )
        method, amr = None, None
        if ok and with_passkey:
            method = "passkey"
            amr = passkeys.AMR if _check_passkey(request, user) else None
        elif ok and methods:
            method = _check_second_factor(request, user, code_form)
            amr = [method] if method else None
        if ok and (not methods or amr):
            request.session[authn.REAUTH] = int(timezone.now().timestamp())
            if amr:
                authn.second_factor_done(request, user, method, amr)
            record("auth.reauthenticated", request=request)
            return redirect(next_url)
        throttle.record_failure(user.get_username(), address)
        record("auth.reauth_failed", request=request)
        form.add_error(None, _("The password or the second factor is not right."))
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
    """A second factor for a portal that asks for level 2."""
    user = request.user
    next_url = _safe_next(request)
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
        wait = throttle.seconds_to_wait(user.get_username(), _address(request))
        if wait:
            # Guessing codes from a stolen session is slowed like guessing passwords.
            form.add_error(
                None,
                _("Too many failed attempts. Please wait %(seconds)s seconds and try again.")
                % {"seconds": wait},
            )
        elif with_passkey or form.is_valid():
            if with_passkey:
                tried = "passkey"
                amr = passkeys.AMR if _check_passkey(request, user) else None
            else:
                tried = form.cleaned_data["method"]
                method = _check_second_factor(request, user, form)
                amr = [method] if method else None
            if amr:
                authn.second_factor_done(request, user, "passkey" if with_passkey else amr[0], amr)
                authn.mark_fresh(request, next_url)
                return redirect(next_url)
            throttle.record_failure(user.get_username(), _address(request))
            record("auth.second_factor_failed", request=request, details={"method": tried})
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
        },
    )


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
        user = form.save()
        if user.password_must_change:
            user.password_must_change = False
            user.save(update_fields=["password_must_change"])
        update_session_auth_hash(request, user)
        authn.refresh_session_key(request)
        record("auth.password_changed", request=request, obj=user)
        messages.success(request, _("Your password has been changed."))
        return redirect(_safe_next(request))
    return render(request, "identity/password_change.html", {"form": form})
