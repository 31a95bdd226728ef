"""The counter receives a supplement the agency asked for (Form 02) and seals it."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from postgov.dossiers.actions import TransitionError
from postgov.dossiers.intake.supplements import seal_supplement, supplement_request
from postgov.dossiers.models import Dossier
from postgov.dossiers.workflow import State
from postgov.identity.access import role_required
from postgov.identity.models import POINT_ROLES
from postgov.lib.forms import StyledFormMixin


class SupplementIntakeForm(StyledFormMixin, forms.Form):
    brought = forms.MultipleChoiceField(
        label=gettext_lazy("Papers brought (as asked on Form 02)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    other = forms.CharField(
        label=gettext_lazy("Other papers brought (one per line)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    pages = forms.IntegerField(label=gettext_lazy("Number of pages"), min_value=1, max_value=500)
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=500)

    def __init__(self, *args, missing: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["brought"].choices = [(line, line) for line in missing]

    def lines(self) -> list[str]:
        data = self.cleaned_data
        return list(data["brought"]) + [ln for ln in data["other"].splitlines() if ln.strip()]


def _point_dossiers(access):
    return Dossier.objects.filter(receiving_point__in=access.point_ids(*POINT_ROLES))


@require_GET
@role_required(*POINT_ROLES)
def supplements(request):
    queryset = (
        _point_dossiers(request.access)
        .filter(status__in=[State.SUPPLEMENT_REQUESTED, State.SUPPLEMENT_SEALED])
        .select_related("agency", "procedure_version__procedure")
        .order_by("status", "updated_at")
    )
    page = Paginator(queryset, 50).get_page(request.GET.get("page"))
    return render(request, "dossiers/supplements.html", {"page_obj": page})


@require_http_methods(["GET", "POST"])
@role_required(*POINT_ROLES)
def receive_supplement(request, pk: int):
    dossier = get_object_or_404(
        _point_dossiers(request.access).select_related("agency", "procedure_version__procedure"),
        pk=pk,
    )
    asked = supplement_request(dossier)
    missing = list((asked.details or {}).get("missing", [])) if asked else []
    form = SupplementIntakeForm(request.POST if request.method == "POST" else None, missing=missing)
    if request.method == "POST" and form.is_valid():
        try:
            dossier, item = seal_supplement(
                dossier.pk,
                brought=form.lines(),
                pages=form.cleaned_data["pages"],
                note=form.cleaned_data["note"],
                user=request.user,
                access=request.access,
                request=request,
            )
        except TransitionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Supplement sealed as item %(item)s. Print its label and load it on a manifest.")
                % {"item": item.item_id},
            )
            return redirect("dossiers:supplement", pk=dossier.pk)
    item = dossier.items.filter(leg="supplement").order_by("-created_at").first()
    return render(
        request,
        "dossiers/supplement.html",
        {
            "dossier": dossier,
            "asked": asked,
            "form": form,
            "item": item if dossier.status != State.SUPPLEMENT_REQUESTED else None,
        },
        status=400 if request.method == "POST" else 200,
    )
