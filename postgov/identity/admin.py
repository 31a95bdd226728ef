"""Django admin for administrators: staff accounts and roles of their province; portals,
upstream providers and signing keys for national administrators. Role grants, portal and
upstream-provider changes wait for a second administrator (`ChangeRequest`)."""

from __future__ import annotations

from importlib import import_module

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import (
    get_access_token_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)

from postgov.agencies.models import Agency
from postgov.audit.actions import record
from postgov.identity import actions, change_requests, mfa_attempts
from postgov.identity.access import STAFF_ACCOUNT_PROVINCES
from postgov.identity.admin_scope import ScopedAdmin, choices_for, is_admin
from postgov.identity.federation import set_client_secret
from postgov.identity.forms import normalise_phone
from postgov.identity.models import (
    ChangeRequest,
    ProofingCase,
    RelyingParty,
    Role,
    RoleAssignment,
    SigningKey,
    UpstreamProvider,
    User,
)
from postgov.identity.models.oidc import SCOPE_CHOICES
from postgov.identity.oidc.keys import rotate_signing_key
from postgov.lib.outbound import PublicURLField
from postgov.places.models import Province, ServicePoint

admin.site.has_permission = is_admin
admin.site.site_header = _("PostGov — Administration")
admin.site.site_title = "PostGov"
# The index says how many changes wait for this administrator's decision.
admin.site.index_template = "admin/identity/index.html"


def own_password_change(request, extra_context=None):
    """An administrator changes their own password on their account page (audited, the
    session kept), not on Django's admin form."""
    return HttpResponseRedirect(reverse("identity:password_change"))


admin.site.password_change = own_password_change

# Models an administrator has no business with here: Django's groups and permissions are
# not used (access comes from role assignments), tokens and codes are never edited by
# hand, and the task queue is looked at by national administrators only (below). Django's
# auth admin is imported first so that its registrations exist to be undone.
import_module("django.contrib.auth.admin")
for model in (
    Group,
    RelyingParty,
    DBTaskResult,
    get_access_token_model(),
    get_refresh_token_model(),
    get_id_token_model(),
    get_grant_model(),
):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


def shown_once(request, title: str, secret: str, explanation: str, onward: str):
    """A page that shows a secret once (a client secret, a one-time password): rendered
    in the response, never kept in the session or a message cookie."""
    return TemplateResponse(
        request,
        "admin/identity/shown_once.html",
        {
            **admin.site.each_context(request),
            "title": title,
            "secret": secret,
            "explanation": explanation,
            "onward": onward,
        },
    )


def change_request_url(change: ChangeRequest) -> str:
    return reverse("admin:identity_changerequest_change", args=[change.pk])


def diverted(obj) -> bool:
    """Whether a save was turned into a change request (or refused as one): the object
    itself was not saved."""
    return getattr(obj, "diverted", False)


class RequestsChanges:
    """For admins whose saves become a change request: the object is not saved, so there
    is nothing for Django to log or redirect to; the request page is where it goes."""

    def log_addition(self, request, obj, message):
        if not diverted(obj):
            return super().log_addition(request, obj, message)
        return None

    def log_change(self, request, obj, message):
        if not diverted(obj):
            return super().log_change(request, obj, message)
        return None

    def save_related(self, request, form, formsets, change):
        if not diverted(form.instance):
            super().save_related(request, form, formsets, change)

    def after_request(self, request, obj, refused_url: str):
        change = obj.change_request
        if change is None:
            # Refused (the message says why).
            return HttpResponseRedirect(refused_url)
        messages.success(
            request,
            gettext(
                "Your change is waiting for a second administrator: it takes effect once "
                "they approve it."
            ),
        )
        secret = getattr(obj, "secret_to_show", None)
        if secret:
            return shown_once(
                request,
                gettext("Client secret"),
                secret,
                gettext(
                    "Copy it now: it is shown only once. It works once a second "
                    "administrator has approved the change."
                ),
                change_request_url(change),
            )
        return HttpResponseRedirect(change_request_url(change))

    def response_add(self, request, obj, post_url_continue=None):
        if diverted(obj):
            opts = self.opts
            changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
            return self.after_request(request, obj, changelist)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if diverted(obj):
            opts = self.opts
            page = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
            return self.after_request(request, obj, page)
        return super().response_change(request, obj)

    def ask(self, request, obj, kind: str, after: dict, **where) -> None:
        """Make the change request, or say why not."""
        obj.diverted = True
        obj.change_request = None
        try:
            obj.change_request = actions.request_change(
                request, kind, after, target=obj if obj.pk else None, **where
            )
        except actions.ChangeRefused as refused:
            messages.warning(request, str(refused))


def for_request(form_class: type[forms.BaseForm], request) -> type[forms.BaseForm]:
    """The form class bound to this request's access: a class per request, so nothing
    one administrator's request sets is seen by another's."""
    return type(form_class.__name__, (form_class,), {"request": request})


# -- staff accounts ----------------------------------------------------------------------
class StaffAccountForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["username", "full_name", "email", "phone", "gender", "birth_date", "is_active"]

    def clean_phone(self):
        phone = self.cleaned_data.get("phone", "")
        return normalise_phone(phone) if phone else ""


def scope_role_fields(form: forms.BaseForm, request) -> None:
    """Role choices and places limited to what this administrator may grant."""
    for name in ("service_point", "agency", "province"):
        if name in form.fields:
            field = RoleAssignment._meta.get_field(name)
            form.fields[name].queryset = choices_for(admin.site, field, request)
    if "role" in form.fields and not request.access.is_national_admin:
        form.fields["role"].choices = [
            (value, label)
            for value, label in form.fields["role"].choices
            if value != Role.NATIONAL_ADMIN
        ]


def check_role_place(form: forms.BaseForm, request, user: User | None) -> None:
    """The role fits its place and the place is one this administrator administers."""
    data = form.cleaned_data
    if not data.get("role"):
        return
    assignment = RoleAssignment(
        user=user,
        role=data["role"],
        service_point=data.get("service_point"),
        agency=data.get("agency"),
        province=data.get("province"),
    )
    try:
        assignment.validate_constraints()
    except ValidationError as invalid:
        form.add_error(None, invalid)
        return
    if not request.access.administers(assignment.province_id_in_scope):
        form.add_error(None, gettext("You do not administer that place."))
    elif (
        user is not None
        and RoleAssignment.objects.filter(
            user=user,
            role=assignment.role,
            service_point=assignment.service_point,
            agency=assignment.agency,
            province=assignment.province,
            active=True,
        ).exists()
    ):
        form.add_error(None, gettext("This person already holds this role there."))


class NewStaffAccountForm(StaffAccountForm):
    """A staff account with the first role asked for it (and the place it applies to)."""

    role = forms.ChoiceField(label=capfirst(_("role")), choices=Role.choices)
    service_point = forms.ModelChoiceField(
        label=capfirst(_("service point")), queryset=ServicePoint.objects.none(), required=False
    )
    agency = forms.ModelChoiceField(
        label=capfirst(_("agency")), queryset=Agency.objects.none(), required=False
    )
    province = forms.ModelChoiceField(
        label=capfirst(_("province")), queryset=Province.objects.none(), required=False
    )

    class Meta(StaffAccountForm.Meta):
        fields = ["username", "full_name", "email", "phone", "gender", "birth_date"]

    request = None  # set per request by `UserAdmin.get_form`

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        scope_role_fields(self, self.request)

    def clean(self):
        cleaned = super().clean()
        check_role_place(self, self.request, None)
        return cleaned


@admin.register(User)
class UserAdmin(ScopedAdmin, admin.ModelAdmin):
    """Staff accounts of the administrator's provinces. No password is ever set here:
    `issue_one_time_password` gives one to hand over, and ends every session."""

    province_path = STAFF_ACCOUNT_PROVINCES
    form = StaffAccountForm
    list_display = ["username", "full_name", "is_active", "last_login"]
    list_filter = ["is_active"]
    search_fields = ["username", "full_name"]
    ordering = ["username"]
    actions = ["issue_one_time_password", "lift_second_factor_stop"]
    readonly_fields = [
        "roles_held",
        "level",
        "phone_verified_at",
        "email_verified_at",
        "last_login",
        "date_joined",
    ]

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return (
                (None, {"fields": ("username", "full_name", "email", "phone")}),
                (
                    _("First role (takes effect once a second administrator approves)"),
                    {"fields": ("role", "service_point", "agency", "province")},
                ),
            )
        return (
            (None, {"fields": ("username", "full_name", "gender", "birth_date")}),
            (
                _("Contact"),
                {"fields": ("email", "email_verified_at", "phone", "phone_verified_at")},
            ),
            (_("Roles"), {"fields": ("roles_held",)}),
            (_("Status"), {"fields": ("is_active", "level", "last_login", "date_joined")}),
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = for_request(NewStaffAccountForm, request)
        return super().get_form(request, obj, change=change, **kwargs)

    def has_view_permission(self, request, obj=None):
        if not is_admin(request):
            return False
        return obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_change_permission(self, request, obj=None):
        if not is_admin(request):
            return False
        return obj is None or request.access.can_administer_account(obj)

    def has_add_permission(self, request, *args):
        return is_admin(request)

    def save_model(self, request, obj, form, change):
        if change:
            actions.update_staff_account(request, obj, form.changed_data)
            return
        first_role = {
            "role": form.cleaned_data["role"],
            "service_point": getattr(form.cleaned_data.get("service_point"), "pk", None),
            "agency": getattr(form.cleaned_data.get("agency"), "pk", None),
            "province": getattr(form.cleaned_data.get("province"), "pk", None),
        }
        actions.create_staff_account(request, obj, first_role)

    def response_add(self, request, obj, post_url_continue=None):
        messages.success(
            request,
            gettext(
                "The account is created without a password. Its role takes effect once a "
                "second administrator approves it; then issue a one-time password."
            ),
        )
        if IS_POPUP_VAR in request.POST:
            return super().response_add(request, obj, post_url_continue)
        return HttpResponseRedirect(reverse("admin:identity_user_change", args=[obj.pk]))

    @admin.display(description=_("roles"))
    def roles_held(self, obj):
        rows = obj.role_assignments.select_related("service_point", "agency", "province").order_by(
            "-active", "pk"
        )
        held = format_html_join(
            "",
            "<li>{}{}</li>",
            ((str(row), "" if row.active else " — " + gettext("inactive")) for row in rows),
        )
        pending = obj.change_requests_about.filter(status=ChangeRequest.Status.PENDING)
        waiting = format_html_join(
            "",
            '<li><a href="{}">{}</a> — {}</li>',
            (
                (change_request_url(change), change_requests.title(change), gettext("waiting"))
                for change in pending
            ),
        )
        ask = reverse("admin:identity_roleassignment_add") + f"?user={obj.pk}"
        return format_html(
            '<ul>{}{}</ul><a href="{}">{}</a>', held, waiting, ask, gettext("Ask for a role")
        )

    @admin.action(description=_("Issue a one-time password (ends every session)"))
    def issue_one_time_password(self, request, queryset):
        if queryset.count() != 1:
            messages.error(request, gettext("Choose exactly one account."))
            return None
        user = queryset.get()
        if not request.access.can_administer_account(user):
            messages.error(request, gettext("You cannot change this account."))
            return None
        password = actions.issue_one_time_password(request, user)
        return shown_once(
            request,
            gettext("One-time password for %(user)s") % {"user": user.get_username()},
            password,
            gettext(
                "Hand it over in person. It is shown only once and must be changed at the "
                "first login; the account's second factors still apply."
            ),
            reverse("admin:identity_user_change", args=[user.pk]),
        )

    @admin.action(description=_("Accept second factors again (after too many wrong ones)"))
    def lift_second_factor_stop(self, request, queryset):
        """Once the holder was reached (by phone, in person): the stop ends now rather
        than at its time, and the wrong attempts counted so far are forgotten."""
        lifted = refused = 0
        for user in queryset:
            if not request.access.can_administer_account(user):
                refused += 1
            elif mfa_attempts.lift_stop(user, by=request.user, request=request):
                lifted += 1
        if refused:
            messages.error(
                request, gettext("You cannot change %(n)d of these accounts.") % {"n": refused}
            )
        messages.info(
            request, gettext("Second factors accepted again: %(n)d accounts.") % {"n": lifted}
        )


# -- roles -------------------------------------------------------------------------------
class RoleAssignmentForm(forms.ModelForm):
    request = None  # set per request by `RoleAssignmentAdmin.get_form`

    class Meta:
        model = RoleAssignment
        fields = ["user", "role", "service_point", "agency", "province"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "role" in self.fields and not self.request.access.is_national_admin:
            self.fields["role"].choices = [
                c for c in self.fields["role"].choices if c[0] != Role.NATIONAL_ADMIN
            ]

    def clean(self):
        cleaned = super().clean()
        check_role_place(self, self.request, cleaned.get("user"))
        return cleaned


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(RequestsChanges, ScopedAdmin, admin.ModelAdmin):
    """A grant becomes a change request; taking a role away takes effect at once."""

    province_path = ("service_point__commune__province", "agency__province", "province")
    list_display = ["user", "role", "service_point", "agency", "province", "active"]
    list_filter = ["role", "active"]
    search_fields = ["user__username", "user__full_name"]
    autocomplete_fields = ["user", "service_point", "agency", "province"]

    def province_of(self, obj):
        return obj.province_id_in_scope

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = for_request(RoleAssignmentForm, request)
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["user", "role", "service_point", "agency", "province", "created_at"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["user", "role", "service_point", "agency", "province"]
        return ["user", "role", "service_point", "agency", "province", "active", "created_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            values = {
                name: change_requests.stored_value(obj, name)
                for name in ("user", "role", "service_point", "agency", "province")
            }
            obj.diverted, obj.change_request = True, None
            try:
                obj.change_request = actions.request_role(request, values)
            except actions.ChangeRefused as refused:
                messages.warning(request, str(refused))
        elif "active" in form.changed_data and not obj.active:
            actions.revoke_role(request, obj)
        elif "active" in form.changed_data:
            self.ask(
                request,
                obj,
                ChangeRequest.Kind.ROLE_ASSIGNMENT,
                {"active": True},
                subject_user=obj.user,
                province_id=obj.province_id_in_scope,
            )


# -- changes waiting for a second administrator -----------------------------------------
class AwaitingMeFilter(admin.SimpleListFilter):
    title = _("decision")
    parameter_name = "awaiting"

    def lookups(self, request, model_admin):
        return [("me", _("waiting for my decision"))]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return request.access.decidable(queryset)
        return queryset


@admin.register(ChangeRequest)
class ChangeRequestAdmin(ScopedAdmin, admin.ModelAdmin):
    """Requests are read here and decided with the Approve / Reject buttons."""

    province_path = "province"
    read_only = True
    list_display = ["pk", "requested_at", "kind", "what", "province", "requested_by", "status"]
    list_display_links = ["pk", "what"]
    list_filter = [AwaitingMeFilter, "status", "kind"]
    list_select_related = ["province", "requested_by"]
    fields = [
        "kind",
        "what",
        "changes",
        "province",
        "requested_by",
        "requested_at",
        "status",
        "decided_by",
        "decided_at",
        "decision_note",
    ]
    readonly_fields = fields

    @admin.display(description=_("what"))
    def what(self, obj):
        return change_requests.title(obj)

    @admin.display(description=_("changes"))
    def changes(self, obj):
        rows = format_html_join(
            "",
            "<tr><th>{}</th><td>{}</td><td>{}</td></tr>",
            ((line.label, line.before, line.after) for line in change_requests.describe(obj)),
        )
        return format_html(
            '<table class="pg-change-diff"><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr>'
            "</thead><tbody>{}</tbody></table>",
            pgettext("change request", "Field"),
            pgettext("change request", "Now"),
            pgettext("change request", "After approval"),
            rows,
        )

    def get_urls(self):
        decide = self.admin_site.admin_view(self.decide_view)
        return [
            path("<path:object_id>/decide/", decide, name="identity_changerequest_decide"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        change = self.get_object(request, object_id)
        extra_context = {
            **(extra_context or {}),
            "can_decide": change is not None and request.access.can_decide(change),
            "is_pending": change is not None and change.status == ChangeRequest.Status.PENDING,
            "own_request": change is not None and change.requested_by_id == request.user.pk,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def decide_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        change = get_object_or_404(self.get_queryset(request), pk=object_id)
        if not request.access.can_decide(change):
            raise PermissionDenied
        try:
            if request.POST.get("decision") == "approve":
                actions.approve_change(request, change.pk)
                messages.success(request, gettext("Approved: the change is in effect."))
            elif request.POST.get("decision") == "reject":
                actions.reject_change(request, change.pk, request.POST.get("note", ""))
                messages.success(request, gettext("Rejected: nothing was changed."))
            else:
                messages.error(request, gettext("Choose Approve or Reject."))
        except actions.ChangeRefused as refused:
            messages.error(request, str(refused))
        return HttpResponseRedirect(change_request_url(change))


# -- OpenID Connect: relying parties, keys, upstream providers ---------------------------
class RelyingPartyForm(forms.ModelForm):
    allowed_scopes = forms.MultipleChoiceField(
        label=_("allowed scopes"),
        choices=SCOPE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    jwks = forms.JSONField(label=_("public keys (JWKS) for private_key_jwt"), required=False)

    class Meta:
        model = RelyingParty
        fields = [
            "name",
            "description",
            "logo",
            "active",
            "client_id",
            "client_type",
            "token_endpoint_auth_method",
            "jwks",
            "redirect_uris",
            "post_logout_redirect_uris",
            "allowed_scopes",
            "min_level",
            "subject_type",
            "sector_identifier",
            "skip_authorization",
            "upstream_providers",
        ]

    def clean_jwks(self):
        return self.cleaned_data.get("jwks") or {}

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        if logo and hasattr(logo, "size") and logo.size > 200_000:
            raise forms.ValidationError(_("The logo must be smaller than 200 KB."))
        return logo


def _new_client_secret() -> tuple[str, str]:
    """A client secret and the hash kept in the request (then in the portal's row)."""
    secret = generate_client_secret()
    return secret, make_password(secret, hasher=settings.OAUTH2_PROVIDER["CLIENT_SECRET_HASHER"])


@admin.register(RelyingParty)
class RelyingPartyAdmin(RequestsChanges, ScopedAdmin, admin.ModelAdmin):
    """National objects. Every change (redirect URIs, secret, scopes, levels...) waits for
    a second national administrator; switching a portal off takes effect at once."""

    form = RelyingPartyForm
    list_display = ["name", "client_id", "client_type", "min_level", "subject_type", "active"]
    list_filter = ["active", "min_level", "subject_type"]
    search_fields = ["name", "client_id"]
    actions = ["new_secret"]
    filter_horizontal = ["upstream_providers"]

    def get_queryset(self, request):
        # Agencies' machine clients (client credentials) are managed, audited and revoked
        # on the agency's integration page, never edited here as if they were portals.
        return (
            super()
            .get_queryset(request)
            .exclude(authorization_grant_type=RelyingParty.GRANT_CLIENT_CREDENTIALS)
        )

    def save_model(self, request, obj, form, change):
        if change and form.changed_data == ["active"] and not obj.active:
            actions.deactivate_national_object(request, obj)
            return
        names = form.changed_data if change else list(form.fields)
        if "logo" in names:
            upload = form.cleaned_data.get("logo")
            if upload and hasattr(upload, "read"):
                # Stored now so the request can name it; it shows once approved.
                obj.logo.save(upload.name, upload, save=False)
            elif upload is False:
                obj.logo = ""
        after = {}
        for name in names:
            if name == "upstream_providers":
                after[name] = sorted(p.pk for p in form.cleaned_data.get(name) or [])
            elif name in change_requests.REQUESTABLE[ChangeRequest.Kind.RELYING_PARTY]:
                after[name] = change_requests.stored_value(obj, name)
        secret = None
        if not change:
            if obj.client_type == RelyingParty.CLIENT_CONFIDENTIAL:
                secret, after["client_secret"] = _new_client_secret()
            else:
                after["client_secret"] = ""
        self.ask(request, obj, ChangeRequest.Kind.RELYING_PARTY, after)
        if obj.change_request is not None:
            obj.secret_to_show = secret

    @admin.action(description=_("Generate a new client secret"))
    def new_secret(self, request, queryset):
        confidential = list(queryset.filter(client_type=RelyingParty.CLIENT_CONFIDENTIAL))
        if len(confidential) != 1:
            messages.error(request, gettext("Choose exactly one confidential portal."))
            return None
        rp = confidential[0]
        secret, hashed = _new_client_secret()
        change = actions.request_change(
            request, ChangeRequest.Kind.RELYING_PARTY, {"client_secret": hashed}, target=rp
        )
        return shown_once(
            request,
            gettext("New secret for %(n)s") % {"n": rp.name},
            secret,
            gettext(
                "Copy it now: it is shown only once. It replaces the current secret once a "
                "second administrator has approved the change."
            ),
            change_request_url(change),
        )


@admin.register(SigningKey)
class SigningKeyAdmin(ScopedAdmin, admin.ModelAdmin):
    read_only = True
    list_display = ["kid", "status", "created_at", "retired_at", "removed_at"]
    fields = ["kid", "status", "public_jwk", "created_at", "retired_at", "removed_at"]
    readonly_fields = fields
    actions = ["rotate"]

    @admin.action(description=_("Rotate: make a new signing key"))
    def rotate(self, request, queryset):
        if not request.access.is_national_admin:
            raise PermissionDenied
        key = rotate_signing_key()
        record("oidc.key_rotated", request=request, obj=key, details={"kid": key.kid})
        messages.success(request, _("New signing key %(kid)s is active.") % {"kid": key.kid})


class UpstreamProviderForm(forms.ModelForm):
    # Requested by the server (keys, tokens) or part of the same provider: public only.
    issuer = PublicURLField(label=_("issuer"), assume_scheme="https")
    authorization_endpoint = PublicURLField(
        label=_("authorization endpoint"), assume_scheme="https"
    )
    token_endpoint = PublicURLField(label=_("token endpoint"), assume_scheme="https")
    jwks_uri = PublicURLField(label=_("JWKS URI"), assume_scheme="https")
    client_secret = forms.CharField(
        label=_("client secret"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the current one."),
    )

    class Meta:
        model = UpstreamProvider
        fields = [
            "slug",
            "name",
            "active",
            "issuer",
            "authorization_endpoint",
            "token_endpoint",
            "jwks_uri",
            "client_id",
            "scopes",
            "id_number_claim",
            "max_level",
        ]


@admin.register(UpstreamProvider)
class UpstreamProviderAdmin(RequestsChanges, ScopedAdmin, admin.ModelAdmin):
    """National objects: a provider may vouch for ID numbers up to its level, so every
    change waits for a second national administrator; switching it off is immediate."""

    form = UpstreamProviderForm
    list_display = ["name", "issuer", "max_level", "active"]

    def save_model(self, request, obj, form, change):
        if change and form.changed_data == ["active"] and not obj.active:
            actions.deactivate_national_object(request, obj)
            return
        names = form.changed_data if change else list(form.fields)
        fields = change_requests.REQUESTABLE[ChangeRequest.Kind.UPSTREAM_PROVIDER]
        after = {name: change_requests.stored_value(obj, name) for name in names if name in fields}
        if form.cleaned_data.get("client_secret"):
            # Sealed before it is kept in the request, as in the provider's row.
            set_client_secret(obj, form.cleaned_data["client_secret"])
            after["client_secret_sealed"] = obj.client_secret_sealed
        self.ask(request, obj, ChangeRequest.Kind.UPSTREAM_PROVIDER, after)


@admin.register(ProofingCase)
class ProofingCaseAdmin(ScopedAdmin, admin.ModelAdmin):
    province_path = "service_point__commune__province"
    read_only = True
    list_display = ["pk", "kind", "status", "service_point", "clerk", "created_at"]
    list_filter = ["status", "kind"]
    readonly_fields = [f.name for f in ProofingCase._meta.fields]


@admin.register(DBTaskResult)
class TaskResultAdmin(ScopedAdmin, DBTaskResultAdmin):
    """The background task queue, for national administrators to look at."""

    read_only = True
