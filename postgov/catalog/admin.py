from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from postgov.catalog.actions import (
    publish_draft_version,
    save_linked_procedure,
)
from postgov.catalog.linked import LinkedSpec, MemberSpec, member_problems, spec_of
from postgov.catalog.models import (
    CatalogImport,
    ExemptCategory,
    Fee,
    LinkedProcedure,
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


class LinkedProcedureForm(forms.ModelForm):
    """The members as lines, one per member: its step, its procedure code and, after “>”,
    the codes of the members its result feeds — “1 1.001193 > 1.004194, 1.000105”."""

    members_text = forms.CharField(
        label=_("members"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "One line per member: step, procedure code, then “>” and the codes its result "
            "feeds, e.g. “1 1.001193 > 1.004194, 1.000105”."
        ),
    )

    class Meta:
        model = LinkedProcedure
        fields = ["code", "name", "description"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            spec = spec_of(self.instance)
            self.initial["members_text"] = "\n".join(
                f"{m.step} {m.procedure}" + (f" > {', '.join(m.feeds)}" if m.feeds else "")
                for m in spec.members
            )

    def clean_members_text(self) -> list[MemberSpec]:
        members = []
        for number, line in enumerate(self.cleaned_data["members_text"].splitlines(), 1):
            if not line.strip():
                continue
            head, _sep, tail = line.partition(">")
            words = head.split()
            if len(words) != 2 or not words[0].isdigit():
                raise forms.ValidationError(
                    _("Line %(n)s: write the step, then the procedure code.") % {"n": number}
                )
            feeds = tuple(code.strip() for code in tail.split(",") if code.strip())
            members.append(MemberSpec(words[1], int(words[0]), feeds))
        problems = member_problems(members)
        known = set(
            Procedure.objects.filter(code__in=[m.procedure for m in members]).values_list(
                "code", flat=True
            )
        )
        problems += [
            _("There is no procedure %(code)s.") % {"code": m.procedure}
            for m in members
            if m.procedure not in known
        ]
        if problems:
            raise forms.ValidationError(problems)
        return members


@admin.register(LinkedProcedure)
class LinkedProcedureAdmin(ScopedAdmin, admin.ModelAdmin):
    reference = True
    form = LinkedProcedureForm
    list_display = ["code", "name", "active", "is_demo"]
    search_fields = ["code", "name"]

    def save_model(self, request, obj, form, change):
        spec = LinkedSpec(
            form.cleaned_data["code"],
            form.cleaned_data["name"],
            form.cleaned_data.get("description", ""),
            form.cleaned_data["members_text"],
        )
        # The form checked the same rules: the action finds nothing more to refuse.
        obj.pk = save_linked_procedure(spec, request=request).pk

    def save_related(self, request, form, formsets, change):
        """The members were written by `save_linked_procedure`."""
