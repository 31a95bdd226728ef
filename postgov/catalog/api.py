"""The catalog over JSON: procedures, the version in force, the postal tariff.

Everything here is public reference data (procedures are published by law), read-only.
"""

# No `from __future__ import annotations`: django-ninja reads these annotations at run time
# to build the query parameters.
from datetime import date

from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate

from postgov.catalog.models import AgencyLevel, ExemptCategory, Procedure, TariffBand
from postgov.catalog.queries import search_procedures, version_in_force, with_version_in_force
from postgov.catalog.tariffs import TariffError, postal_charge, tariff_in_force
from postgov.pagination import BoundedPageNumber
from postgov.places.models import Province

router = Router(tags=["catalog"])


class ProcedureOut(Schema):
    code: str
    name: str
    field: str
    agency_level: str
    is_demo: bool
    postal_allowed: bool | None = Field(
        None, description="Of the version in force today; null when none is in force."
    )
    url: str

    @staticmethod
    def resolve_postal_allowed(obj) -> bool | None:
        return obj.current_postal_allowed

    @staticmethod
    def resolve_url(obj) -> str:
        return reverse("catalog:procedure", args=[obj.code])


class DocumentOut(Schema):
    position: int
    name: str
    form: str = Field(description="original, copy or either")
    quantity: int
    mandatory: bool
    note: str


class FeeOut(Schema):
    option: str = Field(description="Empty when the fee applies in every case.")
    name: str
    amount: int = Field(description="VND")
    is_default: bool


class VersionSummaryOut(Schema):
    version: int
    effective_from: date
    effective_to: date | None = Field(description="Last day in force (inclusive).")


class VersionOut(VersionSummaryOut):
    processing_time: float
    time_unit: str = Field(description="working_days or working_hours")
    next_day_after_15h: bool
    postal_allowed: bool
    postal_exclusion_reason: str
    postal_check_allowed: bool
    result_type: str
    online_level: str
    legal_basis: str
    notes: str
    documents: list[DocumentOut]
    fees: list[FeeOut]

    @staticmethod
    def resolve_documents(obj) -> list:
        return list(obj.documents.all())

    @staticmethod
    def resolve_fees(obj) -> list:
        return list(obj.fees.all())


class ProcedureDetailOut(Schema):
    code: str
    name: str
    field: str
    agency_level: str
    is_demo: bool
    version: VersionOut = Field(description="The version in force on the requested date.")
    versions: list[VersionSummaryOut]


# PostgreSQL refuses a NUL character in a query: such a value is a client error (422),
# not a server error.
NO_NUL = r"^[^\x00]*$"


class ProcedureFilters(Schema):
    q: str | None = Field(
        None, max_length=200, pattern=NO_NUL, description="Words, with or without accents"
    )
    field: str | None = Field(None, max_length=200, pattern=NO_NUL)
    agency_level: AgencyLevel | None = None
    postal_allowed: bool | None = None


@router.get("/procedures", response=list[ProcedureOut], summary="Search procedures")
@paginate(BoundedPageNumber)
def procedures(request, filters: Query[ProcedureFilters]):
    queryset = search_procedures(filters.q)
    if filters.field:
        queryset = queryset.filter(field=filters.field)
    if filters.agency_level:
        queryset = queryset.filter(agency_level=filters.agency_level)
    queryset = with_version_in_force(queryset)
    if filters.postal_allowed is not None:
        queryset = queryset.filter(current_postal_allowed=filters.postal_allowed)
    return queryset.order_by("name_folded", "code")


@router.get(
    "/procedures/{code}",
    response=ProcedureDetailOut,
    summary="A procedure with the version in force (today, or on the date `on`)",
)
def procedure(request, code: str, on: date | None = None):
    found = None if "\x00" in code else Procedure.objects.filter(code=code).first()
    if found is None:
        raise HttpError(404, _("No procedure with code “%(code)s”.") % {"code": code[:40]})
    version = version_in_force(found, on)
    if version is None:
        raise HttpError(
            404,
            _("The procedure has no version in force on that date."),
        )
    return {
        "code": found.code,
        "name": found.name,
        "field": found.field,
        "agency_level": found.agency_level,
        "is_demo": found.is_demo,
        "version": version,
        "versions": list(found.versions.order_by("version")),
    }


class BandOut(Schema):
    zone: str = Field(description="in (within the province) or out")
    max_weight_g: int
    amount: int = Field(description="VND, one way")


class TariffOut(Schema):
    name: str
    province: str | None = Field(description="Province code; null for a nationwide tariff")
    valid_from: date
    remittance_fee: int = Field(description="VND per dossier")
    is_demo: bool
    bands: list[BandOut]
    charge: int | None = Field(
        None, description="The one-way charge for `zone` and `weight_g`, when both are given"
    )


@router.get("/tariff", response=TariffOut, summary="The postal tariff in force for a province")
def tariff(
    request,
    province: str = Query(..., pattern=r"^\d{2}$", description="Province code, e.g. 44"),
    on: date | None = None,
    zone: TariffBand.Zone | None = None,
    weight_g: int | None = Query(None, ge=1, le=1_000_000),
):
    found = Province.objects.filter(code=province).first()
    if found is None:
        raise HttpError(404, _("No province with code “%(code)s”.") % {"code": province})
    current = tariff_in_force(found, on)
    if current is None:
        raise HttpError(404, _("No postal tariff for this province yet."))
    charge = None
    if (zone is None) != (weight_g is None):
        raise HttpError(422, _("Give both zone and weight_g."))
    if zone is not None and weight_g is not None:  # both or neither, checked above
        try:
            charge = postal_charge(current, zone, weight_g)
        except TariffError as error:
            raise HttpError(422, str(error)) from error
    return {
        "name": current.name,
        "province": found.code if current.province_id else None,
        "valid_from": current.valid_from,
        "remittance_fee": current.remittance_fee,
        "is_demo": current.is_demo,
        "bands": list(current.bands.order_by("zone", "max_weight_g")),
        "charge": charge,
    }


class ExemptCategoryOut(Schema):
    code: str
    name: str
    legal_basis: str


@router.get(
    "/exempt-categories",
    response=list[ExemptCategoryOut],
    summary="People exempt from postal charges",
)
def exempt_categories(request):
    return list(ExemptCategory.objects.filter(active=True).order_by("name"))
