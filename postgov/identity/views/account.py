"""The citizen's (and staff member's) own account: profile, sessions, connected portals,
second factors, activity, enrolment code."""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from postgov.audit.actions import record
from postgov.audit.models import AuditEvent
from postgov.identity import actions, authn, otp, passkeys
from postgov.identity.forms import (
    ContactForm,
    EnrolTotpForm,
    PasskeyAddForm,
    PasskeyRenameForm,
    ProfileForm,
)
from postgov.identity.models import Passkey, RelyingParty, TotpDevice, UserSession
from postgov.identity.printing import code128_svg, qr_svg


@login_required
def account(request):
    user = request.user
    return render(
        request,
        "identity/account.html",
        {
            "u": user,
            "factors": authn.available_factors(user),
            "enrolment": actions.current_enrolment_code(user),
            "is_staff_member": authn.is_staff_member(user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        record(
            "identity.profile_changed",
            request=request,
            obj=request.user,
            details={"fields": sorted(form.changed_data)},
        )
        messages.success(request, _("Your profile has been saved."))
        return redirect("identity:account")
    return render(request, "identity/profile_edit.html", {"form": form})


@authn.recent_auth_required
@require_http_methods(["GET", "POST"])
def contact_edit(request):
    """A new phone or e-mail counts only once a code sent to it came back."""
    user = request.user
    form = ContactForm(request.POST or None)
    pending = request.session.get("postgov_contact_change")
    if request.method == "POST" and request.POST.get("action") == "confirm" and pending:
        code = request.POST.get("code", "")
        purpose = "verify_phone" if pending["kind"] == "phone" else "verify_email"
        if otp.check_code(user, purpose, code, destination=pending["value"]):
            if pending["kind"] == "phone":
                user.phone, user.phone_verified_at = pending["value"], timezone.now()
                user.save(update_fields=["phone", "phone_verified_at"])
            else:
                user.email, user.email_verified_at = pending["value"], timezone.now()
                user.save(update_fields=["email", "email_verified_at"])
            del request.session["postgov_contact_change"]
            record(
                f"identity.{pending['kind']}_changed",
                request=request,
                obj=user,
                details={"to": actions.fingerprint(pending["value"])},
            )
            messages.success(request, _("Saved and verified."))
            return redirect("identity:account")
        messages.error(request, _("This code is not valid. Check it and try again."))
    elif request.method == "POST" and form.is_valid():
        phone, email = form.cleaned_data["phone"], form.cleaned_data["email"]
        if not phone and not email:
            form.add_error(None, _("Enter a new phone number or e-mail address."))
        else:
            kind, value = ("phone", phone) if phone else ("email", email)
            try:
                otp.send_code(
                    user,
                    "verify_phone" if kind == "phone" else "verify_email",
                    "sms" if kind == "phone" else "email",
                    value,
                )
            except otp.TooManyCodes:
                form.add_error(None, _("Too many codes were sent. Please wait an hour."))
            else:
                request.session["postgov_contact_change"] = {"kind": kind, "value": value}
                pending = request.session["postgov_contact_change"]
                messages.info(request, _("We sent a code. Type it below to confirm."))
    return render(request, "identity/contact_edit.html", {"form": form, "pending": pending})


@login_required
@require_http_methods(["GET", "POST"])
def sessions(request):
    user = request.user
    if request.method == "POST":
        current = request.session.session_key
        target = request.POST.get("session")
        if target == "others":
            count = authn.end_session_rows(user, except_key=current)
            record("auth.sessions_ended", request=request, obj=user, details={"count": count})
            messages.success(request, _("You were signed out everywhere else."))
        elif target and target.isdigit():
            row = (
                UserSession.objects.filter(user=user, pk=int(target), ended_at__isnull=True)
                .exclude(session_key=current)
                .first()
            )
            if row:
                import_module(settings.SESSION_ENGINE).SessionStore(
                    session_key=row.session_key
                ).delete()
                row.ended_at = timezone.now()
                row.save(update_fields=["ended_at"])
                record("auth.session_ended", request=request, obj=user, details={"session": row.pk})
                messages.success(request, _("That session was signed out."))
        return redirect("identity:sessions")
    rows = UserSession.objects.filter(user=user, ended_at__isnull=True)[:50]
    return render(
        request, "identity/sessions.html", {"rows": rows, "current": request.session.session_key}
    )


@login_required
@require_http_methods(["GET", "POST"])
def portals(request):
    if request.method == "POST":
        rp = RelyingParty.objects.filter(pk=request.POST.get("portal") or 0).first()
        if rp is not None:
            actions.revoke_portal(request, request.user, rp)
            messages.success(
                request, _("%(name)s can no longer use your PostID account.") % {"name": rp.name}
            )
        return redirect("identity:portals")
    return render(
        request, "identity/portals.html", {"portals": actions.connected_portals(request.user)}
    )


@login_required
def security(request):
    user = request.user
    return render(
        request,
        "identity/security.html",
        {
            "devices": user.totp_devices.filter(confirmed_at__isnull=False),
            "passkeys": user.passkeys.all(),
            "backup_left": otp.backup_codes_left(user),
            "is_staff_member": authn.is_staff_member(user),
        },
    )


@authn.recent_auth_required
@require_http_methods(["GET", "POST"])
def totp_add(request):
    user = request.user
    device_id = request.session.get("postgov_totp_new")
    device = user.totp_devices.filter(pk=device_id or 0, confirmed_at__isnull=True).first()
    if device is None:
        device = otp.new_totp_device(user, request.POST.get("name") or _("Authenticator app"))
        request.session["postgov_totp_new"] = device.pk
    form = EnrolTotpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if otp.verify_totp(user, form.cleaned_data["code"], device=device):
            device.confirmed_at = timezone.now()
            device.save(update_fields=["confirmed_at"])
            request.session.pop("postgov_totp_new", None)
            record("mfa.totp_enrolled", request=request, obj=user, details={"device": device.pk})
            messages.success(request, _("Your authenticator app is set up."))
            return redirect("identity:security")
        form.add_error(
            "code", _("This code is not valid. Check the time on your phone and try again.")
        )
    return render(
        request,
        "identity/totp_add.html",
        {
            "form": form,
            "secret": otp.totp_secret(device),
            "qr": qr_svg(otp.provisioning_uri(device)),
        },
    )


@authn.recent_auth_required
@require_POST
def totp_remove(request, pk: int):
    user = request.user
    device = get_object_or_404(TotpDevice, pk=pk, user=user, confirmed_at__isnull=False)
    if (
        authn.is_staff_member(user)
        and user.totp_devices.filter(confirmed_at__isnull=False).count() == 1
        and not user.sms_login
        and not user.passkeys.exists()
    ):
        messages.error(request, _("Staff accounts must keep at least one second factor."))
        return redirect("identity:security")
    device.delete()
    record("mfa.totp_removed", request=request, obj=user, details={"device": pk})
    messages.success(request, _("The authenticator app was removed."))
    return redirect("identity:security")


@authn.recent_auth_required
@require_POST
def sms_login_toggle(request):
    user = request.user
    if not (user.phone and user.phone_verified_at):
        messages.error(request, _("Verify your phone number first."))
        return redirect("identity:security")
    user.sms_login = request.POST.get("enable") == "1"
    if (
        not user.sms_login
        and authn.is_staff_member(user)
        and not user.totp_devices.filter(confirmed_at__isnull=False).exists()
        and not user.passkeys.exists()
    ):
        messages.error(request, _("Staff accounts must keep at least one second factor."))
        return redirect("identity:security")
    user.save(update_fields=["sms_login"])
    record("mfa.sms_enabled" if user.sms_login else "mfa.sms_disabled", request=request, obj=user)
    return redirect("identity:security")


@authn.recent_auth_required
@require_http_methods(["GET", "POST"])
def passkey_add(request):
    """Register a passkey: the page carries the options, passkeys.js asks the
    authenticator and posts its answer here. Without JavaScript nothing is offered."""
    user = request.user
    form = PasskeyAddForm(request.POST or None, initial={"name": _("Passkey")})
    if request.method == "POST" and form.is_valid():
        try:
            new = passkeys.verify_registration(request, user, form.cleaned_data["credential"])
            actions.add_passkey(request, user, new, form.cleaned_data["name"] or _("Passkey"))
        except (passkeys.PasskeyError, actions.PasskeyTaken) as exc:
            record(
                "mfa.passkey_add_failed",
                request=request,
                obj=user,
                details={"reason": type(exc).__name__},
            )
            form.add_error(None, _("The passkey could not be registered. Please try again."))
        else:
            messages.success(request, _("Your passkey is set up."))
            return redirect("identity:security")
    return render(
        request,
        "identity/passkey_add.html",
        {"form": form, "passkey_options": passkeys.registration_options(request, user)},
    )


@login_required
@require_POST
def passkey_rename(request, pk: int):
    passkey = get_object_or_404(Passkey, pk=pk, user=request.user)
    form = PasskeyRenameForm(request.POST)
    if form.is_valid():
        actions.rename_passkey(request, passkey, form.cleaned_data["name"])
        messages.success(request, _("The passkey was renamed."))
    else:
        messages.error(request, _("Give the passkey a name of at most 60 characters."))
    return redirect("identity:security")


@authn.recent_auth_required
@require_POST
def passkey_remove(request, pk: int):
    user = request.user
    passkey = get_object_or_404(Passkey, pk=pk, user=user)
    if (
        authn.is_staff_member(user)
        and user.passkeys.count() == 1
        and not user.totp_devices.filter(confirmed_at__isnull=False).exists()
        and not user.sms_login
    ):
        messages.error(request, _("Staff accounts must keep at least one second factor."))
        return redirect("identity:security")
    actions.remove_passkey(request, passkey)
    messages.success(request, _("The passkey was removed."))
    return redirect("identity:security")


@authn.recent_auth_required
@require_POST
def backup_codes_new(request):
    codes = otp.new_backup_codes(request.user)
    record(
        "mfa.backup_codes_generated",
        request=request,
        obj=request.user,
        details={"count": len(codes)},
    )
    return render(request, "identity/backup_codes.html", {"codes": codes})


@login_required
def activity(request):
    user = request.user
    events = AuditEvent.objects.filter(
        Q(actor_id=user.pk) | Q(object_type="identity.user", object_id=str(user.pk))
    ).order_by("-seq")
    page = Paginator(events, 30).get_page(request.GET.get("page"))
    return render(request, "identity/activity.html", {"page_obj": page})


@login_required
@require_http_methods(["GET", "POST"])
def enrolment(request):
    user = request.user
    if request.method == "POST":
        actions.issue_enrolment_code(request, user)
        return redirect("identity:enrolment")
    current = actions.current_enrolment_code(user)
    context = {"u": user, "current": current}
    if current:
        row, raw = current
        context.update(
            {
                "code": actions.format_code(raw),
                "qr": qr_svg(raw, scale=5),
                "barcode": code128_svg(raw),
                "expires": row.expires_at,
            }
        )
    template = (
        "identity/enrolment_print.html"
        if request.GET.get("print") and current
        else "identity/enrolment.html"
    )
    return render(request, template, context)


def rp_logo(request, pk: int):
    rp = RelyingParty.objects.filter(pk=pk, active=True).first()
    if rp is None or not rp.logo:
        raise Http404
    try:
        return FileResponse(
            rp.logo.open("rb"),
            content_type="image/png" if rp.logo.name.endswith(".png") else "image/jpeg",
        )
    except OSError as exc:
        raise Http404 from exc
