"""Exports for the project manager: start one, download its ZIP, print its hand-over record.
Anyone else gets a 404, as for the project's other manager pages."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from postgov.identity.access import role_required
from postgov.registers import exports, jobs
from postgov.registers.models import Job, Membership
from postgov.registers.views import member_project

Role = Membership.Role


@require_POST
@role_required()
def export_start(request, pk: int):
    project, _held = member_project(request, pk, Role.MANAGER)
    try:
        job = exports.start_export(project, by=request.user, request=request)
    except jobs.JobFailed as exc:
        messages.error(request, str(exc))
        return redirect("registers:project", project.pk)
    return redirect("registers:job", job.pk)


def _export(request, pk: int) -> Job:
    job = Job.objects.filter(pk=pk, kind=Job.Kind.EXPORT).select_related("project").first()
    if job is None or job.state != Job.State.DONE:
        raise Http404
    member_project(request, job.project_id, Role.MANAGER)
    return job


@require_GET
@role_required()
def export_download(request, pk: int):
    job = _export(request, pk)
    handle = exports.open_export(job, by=request.user, request=request)
    return FileResponse(
        handle, as_attachment=True, filename=job.result["name"], content_type="application/zip"
    )


@require_GET
@role_required()
def export_handover(request, pk: int):
    job = _export(request, pk)
    pdf = exports.handover_pdf(job, by=request.user, request=request)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="bien-ban-giao-nhan-{job.pk}.pdf"'
    return response
