"""Django admin, for provincial administrators only."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import (
    get_access_token_model,
    get_id_token_model,
    get_refresh_token_model,
)

from postgov.audit.actions import record
from postgov.identity.models import (
    ProofingCase,
    RelyingParty,
    Role,
    RoleAssignment,
    SigningKey,
    UpstreamProvider,
    User,
)
from postgov.identity.models.oidc import SCOPE_CHOICES
from postgov.lib.outbound import PublicURLField


def _is_provincial_admin(request) -> bool:
    return bool(
        request.user.is_active
        and request.user.is_authenticated
        and request.access.has_role(Role.PROVINCIAL_ADMIN)
    )


# The admin site opens to provincial administrators, whatever Django's is_staff says.
admin.site.has_permission = _is_provincial_admin
admin.site.site_header = "PostGov — Quản trị"
admin.site.site_title = "PostGov"


class ProvincialAdminMixin:
    """Provincial administrators may view, add and change; nothing is deleted (records are
    superseded, not removed)."""

    def has_module_permission(self, request):
        return _is_provincial_admin(request)

    def has_view_permission(self, request, obj=None):
        return _is_provincial_admin(request)

    def has_add_permission(self, request, *args):
        return _is_provincial_admin(request)

    def has_change_permission(self, request, obj=None):
        return _is_provincial_admin(request)

    def has_delete_permission(self, request, obj=None):
        return False


class RoleAssignmentInline(ProvincialAdminMixin, admin.TabularInline):
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ["service_point", "agency", "province"]


@admin.register(User)
class UserAdmin(ProvincialAdminMixin, BaseUserAdmin):
    list_display = ["username", "full_name", "level", "is_active", "last_login"]
    list_filter = ["level", "is_active", "assisted"]
    search_fields = ["username", "full_name"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Thông tin", {"fields": ("full_name", "email", "phone", "gender", "birth_date")}),
        ("PostID", {"fields": ("level", "verified_at", "assisted")}),
        ("Trạng thái", {"fields": ("is_active", "last_login", "date_joined")}),
    )
    readonly_fields = ["last_login", "date_joined", "level", "verified_at", "assisted"]
    inlines = [RoleAssignmentInline]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ProvincialAdminMixin, admin.ModelAdmin):
    list_display = ["user", "role", "service_point", "agency", "province", "active"]
    list_filter = ["role", "active"]
    search_fields = ["user__username", "user__full_name"]
    autocomplete_fields = ["user", "service_point", "agency", "province"]


# -- OpenID Connect: relying parties, keys, upstream providers ---------------------------
for model in (
    RelyingParty,
    get_access_token_model(),
    get_refresh_token_model(),
    get_id_token_model(),
):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
from oauth2_provider.models import get_grant_model  # noqa: E402

if admin.site.is_registered(get_grant_model()):
    admin.site.unregister(get_grant_model())


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


@admin.register(RelyingParty)
class RelyingPartyAdmin(ProvincialAdminMixin, admin.ModelAdmin):
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
        secret = None
        if not change and obj.client_type == RelyingParty.CLIENT_CONFIDENTIAL:
            secret = generate_client_secret()
            obj.client_secret = secret
        elif not change:
            obj.client_secret = ""
        super().save_model(request, obj, form, change)
        record(
            "oidc.client_changed" if change else "oidc.client_created",
            request=request,
            obj=obj,
            details={"fields": sorted(form.changed_data)},
        )
        if secret:
            messages.warning(
                request, _("Client secret (shown once, copy it now): %(s)s") % {"s": secret}
            )

    @admin.action(description=_("Generate a new client secret"))
    def new_secret(self, request, queryset):
        for rp in queryset.filter(client_type=RelyingParty.CLIENT_CONFIDENTIAL):
            secret = generate_client_secret()
            rp.client_secret = secret
            rp.save()
            record("oidc.client_secret_rotated", request=request, obj=rp)
            messages.warning(
                request, _("New secret for %(n)s (shown once): %(s)s") % {"n": rp.name, "s": secret}
            )


@admin.register(SigningKey)
class SigningKeyAdmin(ProvincialAdminMixin, admin.ModelAdmin):
    list_display = ["kid", "status", "created_at", "retired_at", "removed_at"]
    fields = ["kid", "status", "public_jwk", "created_at", "retired_at", "removed_at"]
    readonly_fields = fields
    actions = ["rotate"]

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Rotate: make a new signing key"))
    def rotate(self, request, queryset):
        from postgov.identity.oidc.keys import rotate_signing_key

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
class UpstreamProviderAdmin(ProvincialAdminMixin, admin.ModelAdmin):
    form = UpstreamProviderForm
    list_display = ["name", "issuer", "max_level", "active"]

    def save_model(self, request, obj, form, change):
        from postgov.identity.federation import set_client_secret

        if form.cleaned_data.get("client_secret"):
            set_client_secret(obj, form.cleaned_data["client_secret"])
        super().save_model(request, obj, form, change)
        record(
            "federation.provider_changed" if change else "federation.provider_created",
            request=request,
            obj=obj,
            details={"fields": sorted(form.changed_data)},
        )


@admin.register(ProofingCase)
class ProofingCaseAdmin(ProvincialAdminMixin, admin.ModelAdmin):
    list_display = ["pk", "kind", "status", "service_point", "clerk", "created_at"]
    list_filter = ["status", "kind"]
    readonly_fields = [f.name for f in ProofingCase._meta.fields]

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False
