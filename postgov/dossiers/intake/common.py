"""What every step of an intake needs: who may receive at which post office, the applicant
as typed, the draft locked for a change, and the agencies competent for it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from postgov.agencies.models import Agency
from postgov.agencies.routing import competent_agencies
from postgov.dossiers.models import (
    Dossier,
)
from postgov.dossiers.workflow import State
from postgov.identity.models import POINT_ROLES
from postgov.lib import refcache
from postgov.lib.locking import lock_one
from postgov.places.addresses import split_address
from postgov.places.conversion import convert_old_address
from postgov.places.models import Commune, ServicePoint


class IntakeError(Exception):
    """The dossier cannot go on as it is; `problems` says what to fix, one line each."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass
class Applicant:
    name: str
    id_number: str
    phone: str
    birth_date: date | None = None
    gender: str = ""
    email: str = ""
    address: str = ""
    commune: Commune | None = None
    representative_name: str = ""
    representative_id_number: str = ""
    representative_document: str = ""

    def as_fields(self) -> dict:
        return {
            "applicant_name": self.name,
            "applicant_id_number": self.id_number,
            "applicant_phone": self.phone,
            "applicant_birth_date": self.birth_date,
            "applicant_gender": self.gender,
            "applicant_email": self.email,
            "applicant_address": split_address(self.address, self.commune),
            "applicant_commune": self.commune,
            "representative_name": self.representative_name,
            "representative_id_number": self.representative_id_number,
            "representative_document": self.representative_document,
        }


def can_receive_at(access, point_id: int | None) -> bool:
    return access.can_act_at_point(point_id, *POINT_ROLES)


def intake_points(access) -> list[ServicePoint]:
    """The points where this person receives dossiers."""
    ids = tuple(sorted(access.point_ids(*POINT_ROLES)))
    return refcache.get(
        "places.active_points",
        ids,
        lambda: list(
            ServicePoint.objects.filter(pk__in=ids, active=True).select_related("commune")
        ),
    )


def locked_draft(dossier_id: int, access) -> Dossier:
    dossier = lock_one(Dossier, dossier_id)
    if not can_receive_at(access, dossier.receiving_point_id):
        raise PermissionDenied
    if dossier.status != State.DRAFT:
        raise IntakeError([_("This dossier is already sealed and can no longer be changed.")])
    return dossier


def address_conversion(address: str):
    """The post-2025 equivalent of an old address (places' offline converter), or None
    when nothing was recognised."""
    if not address:
        return None
    result = convert_old_address(address)
    return result if result.recognised_anything else None


def routing_commune(dossier: Dossier) -> Commune:
    """Where competence is looked up: the applicant's commune, else the point's."""
    return dossier.applicant_commune or dossier.receiving_point.commune


def agencies_for(dossier: Dossier):
    """The competent agencies as a queryset, for the form that lists them."""
    return competent_agencies(dossier.procedure_version.procedure_id, routing_commune(dossier))


def competent_for(dossier: Dossier) -> list[Agency]:
    """The competent agencies, proposed one first, from the process's reference data
    (read-only instances)."""
    commune = routing_commune(dossier)
    procedure_id = dossier.procedure_version.procedure_id
    return refcache.get(
        "routing.competent_agencies",
        (procedure_id, commune.pk),
        lambda: list(competent_agencies(procedure_id, commune)),
    )


def is_competent(dossier: Dossier, agency_id: int | None) -> bool:
    return agency_id in {a.pk for a in competent_for(dossier)}
