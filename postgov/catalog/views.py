"""The public catalog browser, exports, and the provincial admins' import page."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from postgov.agencies.routing import receiving_points
from postgov.catalog import actions, checklist, declarations
from postgov.catalog.exchange import export_csv, export_json
from postgov.catalog.forms import CatalogUploadForm, PointSearchForm, ProcedureFilterForm
from postgov.catalog.models import CatalogImport, Procedure, ProcedureVersion
from postgov.catalog.queries import (
    known_fields,
    search_procedures,
    version_in_force,
    with_version_in_force,
)
from postgov.identity.access import role_required
from postgov.identity.models import Role
from postgov.lib.text import search_terms

PAGE_SIZE = 20


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


@require_GET
def procedures(request):
    form = ProcedureFilterForm(request.GET or None, fields=known_fields())
    criteria = {}
    if form.is_bound:
        # Validation leaves an invalid filter out of cleaned_data: the others still apply,
        # and the form says what was wrong with that one.
        form.is_valid()
        criteria = form.cleaned_data
    queryset = search_procedures(criteria.get("q"))
    if criteria.get("field"):
        queryset = queryset.filter(field=criteria["field"])
    if criteria.get("level"):
        queryset = queryset.filter(agency_level=criteria["level"])
    queryset = with_version_in_force(queryset)
    if criteria.get("postal") in ("yes", "no"):
        queryset = queryset.filter(current_postal_allowed=criteria["postal"] == "yes")
    page_obj = Paginator(queryset.order_by("name_folded", "code"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    versions = ProcedureVersion.objects.in_bulk([p.current_version_id for p in page_obj])
    context = {
        "form": form,
        "page_obj": page_obj,
        "rows": [(p, versions.get(p.current_version_id)) for p in page_obj],
        "can_import": request.access.has_role(Role.NATIONAL_ADMIN),
    }
    template = "catalog/_procedure_results.html" if _is_htmx(request) else "catalog/procedures.html"
    response = render(request, template, context)
    # The same URL answers a whole page or a fragment: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


def _version_status(version: ProcedureVersion, current: ProcedureVersion | None, today) -> str:
    if current is not None and version.pk == current.pk:
        return "current"
    return "upcoming" if version.effective_from > today else "previous"


def _procedure(code: str) -> Procedure:
    if "\x00" in code:  # PostgreSQL refuses NUL in a query; no code has one
        raise Http404("no such procedure")
    return get_object_or_404(Procedure, code=code)


@require_GET
def procedure(request, code: str):
    procedure = _procedure(code)
    today = timezone.localdate()
    versions = list(procedure.versions.order_by("-version"))
    current = version_in_force(procedure, today)
    requested = request.GET.get("version")
    if requested:
        shown = next((v for v in versions if str(v.version) == requested.strip()), None)
        if shown is None:
            raise Http404("no such version")
    else:
        upcoming = sorted(
            (v for v in versions if v.effective_from > today), key=lambda v: v.effective_from
        )
        shown = current or (upcoming[0] if upcoming else (versions[0] if versions else None))
    fees = list(shown.fees.all()) if shown else []
    # Ways on from the version in force: a pickup and the post offices only when it may
    # go by post; the form to print when the catalog lists one.
    by_post = current is not None and current.postal_allowed
    return render(
        request,
        "catalog/procedure.html",
        {
            "procedure": procedure,
            "by_post": by_post,
            "declaration": declarations.declaration_document(current),
            "shown": shown,
            "shown_status": _version_status(shown, current, today) if shown else None,
            "documents": list(shown.documents.all()) if shown else [],
            "fixed_fees": [f for f in fees if not f.option],
            "option_fees": [f for f in fees if f.option],
            "versions": [(v, _version_status(v, current, today)) for v in versions],
        },
    )


@require_GET
def procedure_points(request, code: str):
    """The post offices that receive the procedure, by the agencies competent for it."""
    procedure = _procedure(code)
    current = version_in_force(procedure, timezone.localdate())
    by_post = current is not None and current.postal_allowed
    form = PointSearchForm(request.GET or None)
    points = receiving_points(procedure).select_related("commune__province")
    if not by_post:
        points = points.none()
    if form.is_bound and form.is_valid():
        for term in search_terms(form.cleaned_data["q"])[:8]:
            points = points.filter(
                Q(name_folded__contains=term) | Q(commune__name_folded__contains=term)
            )
    page_obj = Paginator(
        points.order_by("commune__province__code", "name_folded", "code"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "catalog/procedure_points.html",
        {
            "procedure": procedure,
            "version": current,
            "by_post": by_post,
            "form": form,
            "page_obj": page_obj,
            "markers": [
                {
                    "lat": p.latitude,
                    "lon": p.longitude,
                    "name": p.name,
                    "detail": p.address,
                    "url": reverse("places:service_point", args=[p.code]),
                    "kind": "point",
                }
                for p in page_obj
                if p.latitude is not None and p.longitude is not None
            ],
        },
    )


@require_GET
def checklist_pdf(request, code: str):
    """The version in force as a checklist to print (A4, or A5 with `?paper=a5`), with a
    QR code to this page."""
    procedure = _procedure(code)
    # Anything but a known paper size prints on A4: a link mangled in a message still works.
    paper = "A5" if request.GET.get("paper", "").upper() == "A5" else "A4"
    current = version_in_force(procedure, timezone.localdate())
    if current is None:
        raise Http404("no version in force")
    page_url = settings.SITE_URL + reverse("catalog:procedure", args=[procedure.code])
    response = HttpResponse(
        checklist.render(current, page_url, paper), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'inline; filename="{checklist.file_name(current, paper)}"'
    return response


@require_GET
def declaration_form(request, code: str):
    """The procedure's declaration form as a PDF to print (`catalog.declarations`)."""
    procedure = _procedure(code)
    current = version_in_force(procedure, timezone.localdate())
    document = declarations.declaration_document(current)
    if current is None or document is None:
        raise Http404("no form for this procedure")
    response = HttpResponse(declarations.render(current, document), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{declarations.file_name(current)}"'
    return response


def _download(content: bytes, content_type: str, extension: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    name = f"postgov-catalog-{timezone.localdate():%Y-%m-%d}.{extension}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# The catalog is public information (procedures are published by law), so are its exports.
@require_GET
def export_json_view(request):
    return _download(export_json(), "application/json; charset=utf-8", "json")


@require_GET
def export_csv_view(request):
    return _download(export_csv(), "text/csv; charset=utf-8", "csv")


@role_required(Role.NATIONAL_ADMIN)
@require_http_methods(["GET", "POST"])
def import_upload(request):
    # Not `request.POST or None`: a POST without a file has an empty POST and must still
    # bind the form, to say the file is missing.
    form = CatalogUploadForm(request.POST, request.FILES) if request.method == "POST" else None
    if form is not None and form.is_valid():
        upload = form.cleaned_data["file"]
        checked = actions.check_catalog_upload(upload.name, upload.read(), request=request)
        return redirect("catalog:import_detail", pk=checked.pk)
    recent = CatalogImport.objects.defer("content").select_related("uploaded_by")[:10]
    return render(
        request, "catalog/import.html", {"form": form or CatalogUploadForm(), "recent": recent}
    )


def in_language(problem: dict | str) -> str:
    """A stored problem in the page's language (reports stored before both texts were
    kept hold one string)."""
    if isinstance(problem, str):
        return problem
    return problem.get((get_language() or "vi")[:2]) or problem.get("vi", "")


@role_required(Role.NATIONAL_ADMIN)
@require_GET
def import_detail(request, pk: int):
    upload = get_object_or_404(
        CatalogImport.objects.defer("content").select_related("uploaded_by", "applied_by"), pk=pk
    )
    report = upload.report or {}
    changes = [p for p in report.get("procedures", []) if p.get("status") != "unchanged"]
    return render(
        request,
        "catalog/import_detail.html",
        {
            "upload": upload,
            "problems": [in_language(problem) for problem in report.get("problems", [])],
            "problem_total": report.get("problem_total", 0),
            "counts": report.get("counts", {}),
            "changes": changes,
        },
    )


@role_required(Role.NATIONAL_ADMIN)
@require_POST
def import_apply(request, pk: int):
    upload = get_object_or_404(CatalogImport.objects.defer("content"), pk=pk)
    try:
        plan = actions.apply_catalog_upload(upload, request=request)
    except actions.CatalogImportRejected as rejected:
        messages.error(
            request,
            _("Nothing was imported: %(count)s problem(s) found.") % {"count": rejected.total},
        )
    except IntegrityError:
        # Another import created the same procedure at the same moment; this one rolled
        # back whole and may simply be applied again.
        messages.error(
            request, _("Another import changed the catalog at the same time. Please try again.")
        )
    else:
        counts = plan.counts()
        messages.success(
            request,
            _(
                "Imported: %(new)s new procedure(s), %(changed)s changed, "
                "%(new_versions)s new version(s)."
            )
            % counts,
        )
    return redirect("catalog:import_detail", pk=upload.pk)
