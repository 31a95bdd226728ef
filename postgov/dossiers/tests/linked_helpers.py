"""A linked procedure of three members for the tests: birth registration (step 1) feeding
permanent residence and a health-insurance card (step 2, side by side), all handled by
agency A, and helpers to take a package in and move its parts."""

from __future__ import annotations

import uuid

from postgov.agencies.models import Competence
from postgov.catalog.actions import save_linked_procedure
from postgov.catalog.linked import LinkedSpec, MemberSpec
from postgov.catalog.models import Fee, RequiredDocument
from postgov.dossiers.linked import actions as linked_actions
from postgov.dossiers.linked.queries import document_key, package_checklist
from postgov.identity.access import Access
from tests.agency_helpers import move
from tests.factories import make_intake_catalog, make_procedure

BIRTH, RESIDENCE, INSURANCE = "1.001193", "1.004194", "1.000105"
SHARED_ID = "Căn cước của người đi đăng ký"


def linked_world(world):
    make_intake_catalog(world)  # the tariff and the exemption category
    birth = make_procedure(BIRTH, "Đăng ký khai sinh", processing_time=1)
    residence = make_procedure(RESIDENCE, "Đăng ký thường trú", processing_time=7)
    insurance = make_procedure(INSURANCE, "Cấp thẻ BHYT cho trẻ em dưới 6 tuổi", processing_time=5)
    for version in (birth, residence, insurance):
        if not version.documents.filter(name=SHARED_ID).exists():
            RequiredDocument.objects.create(
                version=version, position=9, name=SHARED_ID, form="either"
            )
        Competence.objects.get_or_create(
            agency=world.agency_a,
            procedure=version.procedure,
            province=world.province,
            commune=None,
        )
    Fee.objects.filter(version=residence).update(amount=20_000)
    return save_linked_procedure(
        LinkedSpec(
            "LT.TE6",
            "Khai sinh, thường trú, thẻ BHYT cho trẻ dưới 6 tuổi",
            "",
            [
                MemberSpec(BIRTH, 1, (RESIDENCE, INSURANCE)),
                MemberSpec(RESIDENCE, 2),
                MemberSpec(INSURANCE, 2),
            ],
        )
    )


def intake(world, linked, **overrides) -> linked_actions.PackageIntake:
    from postgov.dossiers.tests.intake_helpers import applicant

    values = {
        "token": uuid.uuid4(),
        "linked": linked,
        "point": world.point_a,
        "applicant": applicant(world),
        "present": {line.key for line in package_checklist(linked)},
        "return_address": "Số 5 Lê Lợi",
        "return_commune": world.commune_a,
        "payment_method": "cash",
        **overrides,
    }
    return linked_actions.PackageIntake(**values)


def take_in(world, linked, **overrides):
    user = world.clerk_a
    return linked_actions.take_in(
        intake(world, linked, **overrides), actor=user, access=Access.for_user(user)
    )


def part(package, code):
    return package.parts.select_related("dossier").get(
        dossier__procedure_version__procedure__code=code
    )


def at_agency(world, dossier):
    """Dispatched, handed over, accepted and in processing at agency A."""
    dossier = move(dossier, "dispatch", world.postman_a)
    dossier = move(dossier, "hand_over", world.agency_receiver)
    dossier = move(dossier, "accept", world.agency_receiver)
    return move(dossier, "start_processing", world.agency_officer)


def shared_key() -> str:
    return document_key(SHARED_ID)
