from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from postgov.catalog.actions import publish_draft_version
from postgov.catalog.models import (
    CatalogImport,
    ExemptCategory,
    Fee,
    PostalTariff,
    Procedure,
    ProcedureVersion,
    RequiredDocument,
    TariffBand,
)
from postgov.identity.admin_scope import ScopedAdmin, ScopedInline

# The catalog is national: procedures carry the national database's codes and every
# province receives the same versions. Every administrator reads it (an agency's
# competence names procedures); national administrators change it.


@admin.register(Procedure)
class ProcedureAdmin(ScopedAdmin, admin.ModelAdmin):
    reference = True
    list_display = ["code", "name", "field", "agency_level", "is_demo"]
    list_filter = ["agency_level", "field", "is_demo"]
    search_fields = ["code", "name", "name_folded"]


class PublishedVersionReadOnly:
    """Documents and fees of a published version are part of it: read-only once saved.
    A new version gets its own documents and fees."""

    def has_add_permission(self, request, obj=None):
        return obj is None and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)


class RequiredDocumentInline(PublishedVersionReadOnly, ScopedInline, admin.TabularInline):
    model = RequiredDocument
    extra = 3


class FeeInline(PublishedVersionReadOnly, ScopedInline, admin.TabularInline):
    model = Fee
    extra = 1


class NewVersionForm(forms.ModelForm):
    """A new version: its number and end date follow from the versions before it."""

    class Meta:
        model = ProcedureVersion
        fields = [
            "procedure",
            "effective_from",
            "processing_time",
            "time_unit",
            "next_day_after_15h",
            "postal_allowed",
            "postal_exclusion_reason",
            "postal_check_allowed",
            "result_type",
            "online_level",
            "legal_basis",
            "notes",
        ]

    def clean(self):
        cleaned = super().clean()
        procedure, start = cleaned.get("procedure"), cleaned.get("effective_from")
        if procedure is not None and start is not None:
            latest = procedure.versions.order_by("-effective_from", "-version").first()
            if latest is not None and start < latest.effective_from:
                self.add_error(
                    "effective_from",
                    _("A new version cannot start before the latest one (v%(n)s, from %(day)s).")
                    % {"n": latest.version, "day": latest.effective_from.strftime("%d/%m/%Y")},
                )
        if not cleaned.get("postal_allowed") and not cleaned.get("postal_exclusion_reason"):
            self.add_error(
                "postal_exclusion_reason",
                _("Say why the procedure may not be sent by post."),
            )
        return cleaned


@admin.register(ProcedureVersion)
class ProcedureVersionAdmin(ScopedAdmin, admin.ModelAdmin):
    reference = True
    list_display = ["procedure", "version", "effective_from", "effective_to", "postal_allowed"]
    list_filter = ["postal_allowed", "time_unit"]
    search_fields = ["procedure__name", "procedure__code"]
    autocomplete_fields = ["procedure"]
    inlines = [RequiredDocumentInline, FeeInline]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = NewVersionForm
        return super().get_form(request, obj, change=change, **kwargs)

    def has_change_permission(self, request, obj=None):
        # A dossier points at the version it was received under: a published version is
        # never edited (publish a new one instead), so the change page is read-only.
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if change:  # pragma: no cover (the change page is read-only)
            raise PermissionError("published versions are not edited")
        publish_draft_version(obj, request=request)


class TariffBandInline(ScopedInline, admin.TabularInline):
    model = TariffBand
    extra = 0
    ordering = ["zone", "max_weight_g"]


@admin.register(PostalTariff)
class PostalTariffAdmin(ScopedAdmin, admin.ModelAdmin):
    """A province's tariff is its administrators'; a nationwide one (no province) is
    read by all and changed by national administrators."""

    province_path = "province"
    nationwide_rows = True
    list_display = ["name", "province", "valid_from", "remittance_fee", "is_demo"]
    list_filter = ["province", "is_demo"]
    autocomplete_fields = ["province"]
    inlines = [TariffBandInline]


@admin.register(ExemptCategory)
class ExemptCategoryAdmin(ScopedAdmin, admin.ModelAdmin):
    reference = True
    list_display = ["code", "name", "legal_basis", "active"]
    list_filter = ["active"]
    search_fields = ["code", "name"]


@admin.register(CatalogImport)
class CatalogImportAdmin(ScopedAdmin, admin.ModelAdmin):
    """The record of imported files, to look at (the import page is where files go in),
    for national administrators."""

    read_only = True

    list_display = ["file_name", "status", "uploaded_by", "uploaded_at", "applied_at"]
    list_filter = ["status"]
    exclude = ["content"]
    readonly_fields = [
        "file_name",
        "file_format",
        "sha256",
        "uploaded_by",
        "uploaded_at",
        "status",
        "report",
        "applied_by",
        "applied_at",
    ]
