"""The agency's side of a manifest: its receiver counts what the postman presents, records
the fees received and confirms the hand-over (the legal time of submission), then prints the
hand-over record."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from postgov.delivery.forms import SignForm
from postgov.delivery.models import Manifest, ManifestItem
from postgov.dossiers.carriage.handover_record import handover_record_pdf
from postgov.dossiers.carriage.manifests import Check, ManifestError, confirm_handover
from postgov.identity.access import role_required
from postgov.identity.models import AGENCY_ROLES


def _agency_manifest(request, pk: int) -> Manifest:
    return get_object_or_404(
        Manifest.objects.filter(agency__in=request.access.agency_ids(*AGENCY_ROLES)).select_related(
            "service_point", "postman", "agency"
        ),
        pk=pk,
        direction=Manifest.Direction.OUTBOUND,
    )


@require_http_methods(["GET", "POST"])
@role_required(*AGENCY_ROLES)
def manifest_receive(request, pk: int):
    manifest = _agency_manifest(request, pk)
    lines = list(
        manifest.items.select_related("item", "dossier__procedure_version__procedure").order_by(
            "added_at", "id"
        )
    )
    errors: list[str] = []
    sign_form = SignForm()
    if request.method == "POST":
        checks = {}
        for line in lines:
            result = request.POST.get(f"check_{line.pk}", "")
            fee_text = (request.POST.get(f"fee_{line.pk}") or "0").replace(".", "").strip()
            checks[line.pk] = Check(
                result=result,
                note=(request.POST.get(f"note_{line.pk}") or "")[:300],
                fee_received=int(fee_text) if fee_text.isdigit() else 0,
            )
            # What was posted, shown again if the hand-over is refused.
            line.posted = checks[line.pk]  # type: ignore[attr-defined]
        sign_form = SignForm(request.POST)
        try:
            if not sign_form.is_valid():
                raise ManifestError(" ".join(str(e) for e in sign_form.non_field_errors()))
            confirm_handover(
                manifest.pk,
                checks,
                user=request.user,
                access=request.access,
                request=request,
                signature=sign_form.signature_png(),
                unsigned=sign_form.unsigned(),
            )
        except ManifestError as exc:
            errors.append(str(exc))
        else:
            messages.success(
                request,
                _("Hand-over confirmed. The legal time of submission is now. Print the record."),
            )
            return redirect("carriage:agency_manifest", pk=manifest.pk)
    return render(
        request,
        "carriage/agency_manifest.html",
        {
            "manifest": manifest,
            "lines": lines,
            "errors": errors,
            "checks": ManifestItem.Check.choices[1:],
            "sign_form": sign_form,
            "missing_signatures": manifest.missing_signatures.all(),
        },
        status=400 if errors else 200,
    )


@require_GET
@role_required(*AGENCY_ROLES)
def manifest_record(request, pk: int):
    manifest = _agency_manifest(request, pk)
    response = HttpResponse(handover_record_pdf(manifest), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="bien-ban-{manifest.code}.pdf"'
    return response
