"""What the citizen pays and how the dossier travels: the quote from the tariff, and the
route and fees chosen at the counter (agency, return method, payment)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db import models, transaction
from django.utils.translation import gettext as _

from postgov.agencies.models import Agency
from postgov.audit.actions import record
from postgov.catalog import catalog_access
from postgov.catalog.models import ExemptCategory, Fee, ProcedureVersion
from postgov.delivery.models import PostalItem
from postgov.dossiers.intake.common import IntakeError, is_competent, locked_draft
from postgov.dossiers.intake.fees import (
    FeeBreakdown,
    FeeQuestion,
    compute_fees,
    uses_outbound,
    uses_return,
    zone,
)
from postgov.dossiers.models import (
    Dossier,
    PaymentMethod,
    ReturnMethod,
)
from postgov.places import positions
from postgov.places.addresses import split_address
from postgov.places.models import Commune, ServicePoint


def default_fee(version: ProcedureVersion) -> Fee | None:
    fees = sorted(version.fees.all(), key=lambda f: (not f.is_default, f.pk))
    return fees[0] if fees else None


def _return_province_id(dossier: Dossier) -> int | None:
    if dossier.return_method == ReturnMethod.HOLD and dossier.return_point is not None:
        return dossier.return_point.commune.province_id
    commune = dossier.return_commune or dossier.applicant_commune
    return commune.province_id if commune else None


@dataclass
class Quote:
    breakdown: FeeBreakdown
    zone_out: str = ""
    zone_back: str = ""
    tariff_name: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.breakdown.total


def quote(dossier: Dossier, on: date | None = None) -> Quote:
    """What the dossier costs with its current choices and the tariff in force."""
    point_province = dossier.receiving_point.commune.province_id
    agency_province = dossier.agency.province_id if dossier.agency is not None else None
    zone_out = zone(point_province, agency_province)
    zone_back = zone(agency_province, _return_province_id(dossier))
    problems: list[str] = []
    out_charge = back_charge = remittance = 0
    tariff = catalog_access.tariff_for(point_province, on)
    needs_postage = uses_outbound(dossier.service_option) or uses_return(
        dossier.service_option, dossier.return_method
    )
    if tariff is None:
        if needs_postage:
            problems.append(
                _("No postal tariff is in force for this province: ask the administrator.")
            )
    else:
        remittance = tariff.remittance_fee
        try:
            if uses_outbound(dossier.service_option):
                out_charge = catalog_access.postal_charge(tariff, zone_out, dossier.weight_g)
            if uses_return(dossier.service_option, dossier.return_method):
                # The result's weight is unknown at the counter: the base band is prepaid.
                back_charge = catalog_access.postal_charge(
                    tariff, zone_back, PostalItem._meta.get_field("weight_g").default
                )
        except catalog_access.TariffError as exc:
            problems.append(str(exc))
    fee_amount = dossier.fee_option.amount if dossier.fee_option is not None else 0
    breakdown = compute_fees(
        FeeQuestion(
            service_option=dossier.service_option,
            return_method=dossier.return_method,
            procedure_fee=fee_amount,
            post_collects_fee=dossier.post_collects_fee,
            outbound_charge=out_charge,
            return_charge=back_charge,
            remittance_charge=remittance,
            exempt=dossier.exemption_id is not None,
        )
    )
    return Quote(breakdown, zone_out, zone_back, tariff.name if tariff else "", problems)


MONEY_FIELDS = ["procedure_fee", "postage_out", "postage_back", "remittance_fee", "total_due"]


def apply_quote(dossier: Dossier, result: Quote) -> list[str]:
    b = result.breakdown
    dossier.procedure_fee = b.procedure_fee
    dossier.postage_out = b.postage_out
    dossier.postage_back = b.postage_back
    dossier.remittance_fee = b.remittance_fee
    dossier.total_due = b.total
    return MONEY_FIELDS


@dataclass
class RouteAndFees:
    agency: Agency | None
    return_method: str
    return_address: str = ""
    return_commune: Commune | None = None
    return_point: ServicePoint | None = None
    fee_option: Fee | None = None
    post_collects_fee: bool = True
    weight_g: int = 100
    exemption: ExemptCategory | None = None
    exemption_note: str = ""
    payment_method: str = ""
    payment_reference: str = ""
    # Checked by the form (places.positions); None: the commune's centre, approximate.
    return_position: positions.Position | None = None


def apply_route_and_fees(dossier: Dossier, choices: RouteAndFees) -> None:
    """Set the choices on an (unsaved) dossier object; used to quote and to save."""
    dossier.agency = choices.agency
    dossier.return_method = choices.return_method
    dossier.return_address = split_address(choices.return_address, choices.return_commune)
    dossier.return_commune = choices.return_commune
    dossier.return_point = choices.return_point or dossier.receiving_point
    position = None
    if choices.return_method == ReturnMethod.DELIVER:
        position = choices.return_position or positions.commune_centre(choices.return_commune)
    dossier.return_latitude = position.latitude if position else None
    dossier.return_longitude = position.longitude if position else None
    dossier.return_vpostcode = position.vpostcode if position else ""
    dossier.return_position_source = position.source if position else ""
    dossier.fee_option = choices.fee_option
    dossier.post_collects_fee = choices.post_collects_fee
    dossier.weight_g = choices.weight_g
    dossier.exemption = choices.exemption
    dossier.exemption_note = choices.exemption_note if choices.exemption else ""
    dossier.payment_method = choices.payment_method
    dossier.payment_reference = (
        choices.payment_reference if choices.payment_method == PaymentMethod.TRANSFER else ""
    )


def save_route_and_fees(
    dossier_id: int, choices: RouteAndFees, *, actor, access, request=None
) -> Dossier:
    with transaction.atomic():
        dossier = locked_draft(dossier_id, access)
        check_route_and_fees(dossier, choices)
        apply_route_and_fees(dossier, choices)
        money = apply_quote(dossier, quote(dossier))
        dossier.save(update_fields=[*ROUTE_FIELDS, *money, "updated_at"])
        record(
            "dossier.fees_recorded",
            request=request,
            actor=actor,
            obj=dossier,
            service_point_id=dossier.receiving_point_id,
            details=route_details(dossier, choices),
        )
    return dossier


def check_route_and_fees(dossier: Dossier, choices: RouteAndFees) -> None:
    if choices.agency is not None and not is_competent(dossier, choices.agency.pk):
        raise IntakeError([_("This agency is not competent for the procedure here.")])
    if choices.fee_option is not None and (
        choices.fee_option.version_id != dossier.procedure_version_id
    ):
        raise IntakeError([_("This fee does not belong to the procedure.")])


ROUTE_FIELDS = [
    "agency",
    "return_method",
    "return_address",
    "return_commune",
    "return_point",
    "return_latitude",
    "return_longitude",
    "return_vpostcode",
    "return_position_source",
    "fee_option",
    "post_collects_fee",
    "weight_g",
    "exemption",
    "exemption_note",
    "payment_method",
    "payment_reference",
]


def route_details(dossier: Dossier, choices: RouteAndFees) -> dict:
    return {
        "agency": choices.agency.unit_code if choices.agency else "",
        "return": dossier.return_method,
        "total": dossier.total_due,
        "payment": dossier.payment_method,
        "exemption": choices.exemption.code if choices.exemption else "",
        "position": dossier.return_position_source,
    }


def proposed_position(dossier: Dossier) -> positions.Position | None:
    """The last confirmed position of the same citizen's same delivery address (same
    verified ID number or phone, same address text, same commune), or None."""
    if not dossier.return_address or dossier.return_commune_id is None:
        return None
    earlier = (
        Dossier.objects.filter(
            return_commune_id=dossier.return_commune_id,
            return_position_source__in=positions.CONFIRMED,
            return_latitude__isnull=False,
        )
        .filter(
            models.Q(applicant_id_number=dossier.applicant_id_number)
            | models.Q(applicant_phone=dossier.applicant_phone)
        )
        .exclude(pk=dossier.pk)
        .order_by("-updated_at", "-pk")
        .values_list("return_address", "return_latitude", "return_longitude", "return_vpostcode")
    )
    for address, latitude, longitude, code in earlier[:20]:
        if (
            latitude is not None
            and longitude is not None
            and positions.same_address(address, dossier.return_address)
        ):
            return positions.Position(latitude, longitude, positions.Source.PIN, code)
    return None
