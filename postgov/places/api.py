"""Reference data over JSON: provinces, communes, service points, postal codes, Vpostcodes
and the old → new address converter. Public and read-only; errors are problem+json (the
aggregator in postgov/api.py turns HttpError into RFC 9457).

No `from __future__ import annotations` here: django-ninja builds its parameter models
from the annotations in its own namespace, where string annotations do not resolve."""

from datetime import date

from django.db.models import Prefetch, Q
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate

from postgov.lib.text import search_terms
from postgov.lib.vpostcode import VpostcodeError
from postgov.pagination import BoundedPageNumber
from postgov.places import postal_codes
from postgov.places.conversion import MAX_ADDRESS_LENGTH, convert_old_address
from postgov.places.models import Commune, LegacyProvince, Province, ServicePoint

router = Router(tags=["places"])

PAGE_SIZE = 50
# Query text must not hold NUL: PostgreSQL refuses it in a query (a 500 otherwise).
TEXT = {"max_length": 100, "pattern": r"^[^\x00]*$"}
PROVINCE = r"^[0-9]{2}$"
COMMUNE = r"^[0-9]{5}$"


class UnitOut(Schema):
    code: str
    name: str


class ProvinceOut(Schema):
    code: str
    name: str
    short_name: str
    latitude: float | None
    longitude: float | None
    predecessors: list[UnitOut] = Field(
        description="The provinces before 1 July 2025 that form this one."
    )

    @staticmethod
    def resolve_predecessors(obj: Province) -> list[LegacyProvince]:
        return list(obj.predecessors.all())


class CommuneOut(Schema):
    code: str
    name: str
    short_name: str
    kind: str = Field(description="xa (commune), phuong (ward) or dac_khu (special zone)")
    province: UnitOut
    latitude: float | None
    longitude: float | None
    area_km2: float | None


class ServicePointOut(Schema):
    code: str
    name: str
    kind: str = Field(description="po1, po2, po3 (post office levels) or vhx (cultural post)")
    kind_label: str
    address: str
    commune: UnitOut
    province: UnitOut
    latitude: float | None
    longitude: float | None
    opening_hours: str
    postal_code: str
    phone: str
    is_demo: bool

    @staticmethod
    def resolve_kind_label(obj: ServicePoint) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_province(obj: ServicePoint) -> Province:
        return obj.commune.province


class ServicePointDetailOut(ServicePointOut):
    vpostcode: str = Field(description="12 characters; empty when it cannot be computed")

    @staticmethod
    def resolve_vpostcode(obj: ServicePoint) -> str:
        return postal_codes.vpostcode_of_point(obj)


class CodeSetOut(Schema):
    name: str
    valid_from: date
    is_demo: bool


class PostalCodeOut(Schema):
    code: str
    name: str
    kind: str
    province: UnitOut | None
    commune: UnitOut | None
    latitude: float | None = Field(description="reference point of the postal area")
    longitude: float | None
    code_set: CodeSetOut


class VpostcodeOut(Schema):
    vpostcode: str
    pretty: str
    full_code: str = Field(description="the 11-digit Open Location Code")
    latitude: float
    longitude: float
    postal_code: PostalCodeOut
    osm_url: str


class OldUnitsOut(Schema):
    province: UnitOut | None
    district: UnitOut | None
    commune: UnitOut | None


class NewUnitsOut(Schema):
    province: UnitOut | None
    commune: CommuneOut | None


class ConversionOut(Schema):
    found: bool
    street: str
    old: OldUnitsOut
    new: NewUnitsOut
    new_address: str
    alternatives: list[CommuneOut] = Field(
        description="Other new communes the address may be in (a split commune), or the "
        "candidates when only the old district was recognised."
    )
    message: str = Field(description="What was not recognised, in the language of Accept-Language.")


def _not_found(message: str) -> HttpError:
    return HttpError(404, message)


@router.get("/provinces", response=list[ProvinceOut], summary="The 34 provinces")
def provinces(request):
    return Province.objects.prefetch_related(
        Prefetch("predecessors", queryset=LegacyProvince.objects.order_by("code"))
    ).order_by("code")


@router.get("/communes", response=list[CommuneOut], summary="Communes, by province and name")
@paginate(BoundedPageNumber, page_size=PAGE_SIZE)
def communes(
    request,
    province: str | None = Query(None, description="province code, e.g. 44", pattern=PROVINCE),
    q: str | None = Query(None, description="name or code, diacritics optional", **TEXT),
):
    rows = Commune.objects.select_related("province").order_by("province__code", "name_folded")
    if province:
        found = Province.objects.filter(code=province).first()
        if found is None:
            raise _not_found(_("Province %(code)s not found.") % {"code": province})
        rows = rows.filter(province=found)
    for term in search_terms(q):
        rows = rows.filter(Q(name_folded__contains=term) | Q(code=term))
    return rows


@router.get("/points", response=list[ServicePointOut], summary="Active service points")
@paginate(BoundedPageNumber, page_size=PAGE_SIZE)
def points(
    request,
    q: str | None = Query(None, description="name, address or postal code", **TEXT),
    kind: ServicePoint.Kind | None = None,
    commune: str | None = Query(None, description="commune code", pattern=COMMUNE),
    province: str | None = Query(None, description="province code", pattern=PROVINCE),
):
    rows = ServicePoint.objects.filter(active=True).select_related("commune__province")
    for term in search_terms(q):
        rows = rows.filter(
            Q(name_folded__contains=term)
            | Q(commune__name_folded__contains=term)
            | Q(postal_code__startswith=term)
            | Q(code__iexact=term)
        )
    if kind:
        rows = rows.filter(kind=kind)
    if commune:
        rows = rows.filter(commune__code=commune)
    if province:
        rows = rows.filter(commune__province__code=province)
    return rows.order_by("code")


@router.get("/points/{code}", response=ServicePointDetailOut, summary="One service point")
def point(request, code: str):
    if "\x00" in code:  # PostgreSQL refuses NUL in a query; no code holds one anyway
        raise _not_found(_("Service point not found."))
    found = ServicePoint.objects.select_related("commune__province").filter(code=code).first()
    if found is None:
        raise _not_found(_("Service point %(code)s not found.") % {"code": code})
    return found


@router.get(
    "/postal-codes/{code}", response=PostalCodeOut, summary="A postal code of the current set"
)
def postal_code(request, code: str):
    if not code.isascii() or not code.isdigit() or len(code) != 5:
        raise HttpError(422, _("A postal code has 5 digits: %(code)s.") % {"code": repr(code[:20])})
    found = postal_codes.lookup(code)
    if found is None:
        raise _not_found(_("Postal code %(code)s not found.") % {"code": code})
    return found


@router.get("/vpostcode/{code}", response=VpostcodeOut, summary="Where a Vpostcode points")
def vpostcode(request, code: str):
    try:
        place = postal_codes.locate_vpostcode(code)
    except VpostcodeError as exc:
        raise HttpError(422, str(exc)) from None
    except postal_codes.UnknownPostalArea as exc:
        raise HttpError(404, str(exc)) from None
    return {
        "vpostcode": str(place.vpostcode),
        "pretty": place.vpostcode.pretty,
        "full_code": place.full_code,
        "latitude": place.latitude,
        "longitude": place.longitude,
        "postal_code": place.postal_code,
        "osm_url": postal_codes.osm_url(place.latitude, place.longitude),
    }


@router.get(
    "/convert",
    response=ConversionOut,
    summary="Convert an address from before 1 July 2025",
    description="Offline: the address is neither stored, logged nor sent anywhere. "
    "Answers 422 (problem+json) when no unit at all is recognised.",
)
def convert(request, address: str = Query(..., max_length=MAX_ADDRESS_LENGTH)):
    result = convert_old_address(address)
    if not result.recognised_anything:
        raise HttpError(422, result.message)
    return {
        "found": result.found,
        "street": result.street,
        "old": {
            "province": result.old_province,
            "district": result.old_district,
            "commune": result.old_commune,
        },
        "new": {"province": result.province, "commune": result.commune},
        "new_address": result.new_address,
        "alternatives": result.alternatives,
        "message": result.message,
    }
