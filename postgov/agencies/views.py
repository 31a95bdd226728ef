"""Public pages: the agencies that receive and process dossiers."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from postgov.agencies.models import Agency
from postgov.catalog.models import AgencyLevel
from postgov.lib.text import search_terms


def filter_agencies(params) -> tuple[dict, object]:
    queryset = Agency.objects.filter(active=True).select_related("province", "commune")
    # No name holds a NUL, and PostgreSQL refuses one in a query.
    query = (params.get("q") or "")[:100].replace("\x00", "")
    for term in search_terms(query):
        queryset = queryset.filter(name_folded__contains=term)
    level = params.get("level") or ""
    if level in AgencyLevel.values:
        queryset = queryset.filter(level=level)
    desk = params.get("desk") or ""
    if desk in Agency.DeskKind.values:
        queryset = queryset.filter(desk_kind=desk)
    return {"q": query, "level": level, "desk": desk}, queryset


@require_GET
def agencies(request):
    filters, queryset = filter_agencies(request.GET)
    page = Paginator(queryset, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "agencies/agencies.html",
        {
            "page_obj": page,
            "filters": filters,
            "levels": AgencyLevel.choices,
            "desks": Agency.DeskKind.choices,
        },
    )


@require_GET
def agency(request, unit_code: str):
    if "\x00" in unit_code:  # PostgreSQL refuses NUL in a query; no code holds one anyway
        raise Http404
    obj = get_object_or_404(
        Agency.objects.select_related("province", "commune", "parent"), unit_code=unit_code
    )
    competences = obj.competences.select_related("procedure", "commune").order_by("procedure__name")
    return render(request, "agencies/agency.html", {"agency": obj, "competences": competences})
