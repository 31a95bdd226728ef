"""The project manager's spreadsheet import: upload the file, map its columns to the schema's
fields, then follow the job. The kept file and its header wait in the session between the
two pages."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from postgov.identity.access import role_required
from postgov.lib.forms import StyledFormMixin
from postgov.registers import imports
from postgov.registers.models import Membership, SchemaVersion, localised
from postgov.registers.views import member_project

Role = Membership.Role
SESSION = "registers_import"
UNMAPPED = ""


class ImportForm(StyledFormMixin, forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet (.xlsx or .csv in UTF-8)"),
        help_text=gettext_lazy("The first row names the columns."),
    )
    mode = forms.ChoiceField(
        label=gettext_lazy("What the values are"),
        choices=imports.Mode.CHOICES,
        initial=imports.Mode.PREFILL,
        widget=forms.RadioSelect,
    )
    label = forms.CharField(
        label=gettext_lazy("Label of the batch"), max_length=200, required=False
    )


class MappingForm(StyledFormMixin, forms.Form):
    """One choice of column per schema field."""

    def __init__(self, *args, fields: list[dict], header: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        columns = [(UNMAPPED, _("— no column —"))] + [
            (str(i), f"{imports.column_letter(i)} · {title}") for i, title in enumerate(header)
        ]
        for field in fields:
            self.fields[field["key"]] = forms.ChoiceField(
                label=localised(field["label"]),
                choices=columns,
                required=False,
                help_text=_("required") if field.get("required") else "",
            )

    def mapping(self) -> dict[str, int | None]:
        return {
            key: (int(value) if value not in (None, UNMAPPED) else None)
            for key, value in self.cleaned_data.items()
        }


def _pending(request, project_pk: int) -> dict | None:
    pending = request.session.get(SESSION)
    if not pending or pending.get("project") != project_pk:
        return None
    return pending


@require_http_methods(["GET", "POST"])
@role_required()
def import_upload(request, pk: int):
    project, _held = member_project(request, pk, Role.MANAGER)
    form = ImportForm(request.POST or None, request.FILES or None)
    schema = project.current_schema()
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if schema is None:
            form.add_error(None, _("This project has no schema yet."))
        else:
            try:
                path, header = imports.keep_upload(data["file"])
            except imports.ImportRefused as exc:
                form.add_error("file", str(exc))
            else:
                previous = _pending(request, project.pk)
                if previous:
                    imports.drop_upload(previous["path"])
                request.session[SESSION] = {
                    "project": project.pk,
                    "path": path,
                    "name": (data["file"].name or "")[:255],
                    "header": header,
                    "mode": data["mode"],
                    "label": data["label"],
                    "schema": schema.pk,
                }
                return redirect("registers:import_map", project.pk)
    return render(request, "registers/import_upload.html", {"project": project, "form": form})


@require_http_methods(["GET", "POST"])
@role_required()
def import_map(request, pk: int):
    project, _held = member_project(request, pk, Role.MANAGER)
    pending = _pending(request, project.pk)
    if pending is None:
        messages.info(request, _("Upload the spreadsheet first."))
        return redirect("registers:import_upload", project.pk)
    schema = SchemaVersion.objects.get(pk=pending["schema"])
    header = pending["header"]
    if request.method == "POST" and request.POST.get("cancel"):
        imports.drop_upload(pending["path"])
        del request.session[SESSION]
        messages.info(request, _("The import was cancelled; the file was not kept."))
        return redirect("registers:project", project.pk)
    guessed = imports.guess_mapping(schema.fields, header)
    form = MappingForm(
        request.POST or None,
        fields=schema.fields,
        header=header,
        initial={k: ("" if v is None else str(v)) for k, v in guessed.items()},
    )
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        mapping = form.mapping()
        found = imports.check_mapping(schema.fields, header, mapping, pending["mode"])
        if found:
            problems = found.messages()
        else:
            job = imports.start_import(
                project,
                path=pending["path"],
                name=pending["name"],
                schema=schema,
                mapping=mapping,
                mode=pending["mode"],
                label=pending["label"],
                by=request.user,
                request=request,
            )
            del request.session[SESSION]
            return redirect("registers:job", job.pk)
    elif request.method == "GET":
        # Said at once: the columns nothing matched and the required fields left without.
        problems = imports.check_mapping(schema.fields, header, guessed, pending["mode"]).messages()
    return render(
        request,
        "registers/import_map.html",
        {
            "project": project,
            "form": form,
            "pending": pending,
            "schema": schema,
            "problems": problems,
            "mode_label": dict(imports.Mode.CHOICES)[pending["mode"]],
        },
        status=422 if request.method == "POST" and problems else 200,
    )
