"""Reference data about agencies (public)."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate

from postgov.agencies.models import Agency
from postgov.agencies.routing import competent_agencies
from postgov.agencies.views import filter_agencies
from postgov.catalog.models import Procedure
from postgov.places.models import Commune

router = Router(tags=["agencies"])


class AgencyOut(Schema):
    unit_code: str
    name: str
    short_name: str
    level: str
    desk_kind: str
    province_code: str
    commune_code: str | None
    address: str
    office_hours: list[str]
    phone: str
    email: str
    integration: str

    @staticmethod
    def resolve_province_code(obj: Agency) -> str:
        return obj.province.code

    @staticmethod
    def resolve_commune_code(obj: Agency) -> str | None:
        return obj.commune.code if obj.commune is not None else None


@router.get("/", response=list[AgencyOut], summary="List agencies")
@paginate
def list_agencies(request, q: str = "", level: str = "", desk: str = ""):
    _form, queryset = filter_agencies({"q": q, "level": level, "desk": desk})
    return queryset


@router.get("/competent", response=list[AgencyOut], summary="Agencies competent for a procedure")
def competent(request, procedure: str, commune: str):
    """The agencies that process `procedure` (national code) for an applicant of `commune`
    (current commune code), the commune's own first."""
    # PostgreSQL refuses NUL in a query; no code holds one anyway.
    proc = None if "\x00" in procedure else Procedure.objects.filter(code=procedure).first()
    place = (
        None
        if "\x00" in commune
        else Commune.objects.select_related("province").filter(code=commune).first()
    )
    if proc is None:
        raise HttpError(404, _("No procedure with this code."))
    if place is None:
        raise HttpError(404, _("No commune with this code."))
    return list(competent_agencies(proc, place).select_related("province", "commune"))


@router.get("/{unit_code}", response=AgencyOut, summary="One agency")
def get_agency(request, unit_code: str):
    if "\x00" in unit_code:  # PostgreSQL refuses NUL in a query; no code holds one anyway
        raise Http404
    return get_object_or_404(
        Agency.objects.select_related("province", "commune"), unit_code=unit_code
    )
