"""Building drafts through the intake functions, as the wizard does."""

from __future__ import annotations

import uuid

from postgov.dossiers.intake import common as intake_common
from postgov.dossiers.intake import drafts, pricing, sealing
from postgov.identity.access import Access


def applicant(world, **overrides) -> intake_common.Applicant:
    values = {
        "name": "Nguyễn Văn An",
        "id_number": "045090001234",
        "phone": "0912345678",
        "address": "Thôn Tân Định, Xã Vĩnh Linh",
        "commune": world.commune_a,
        **overrides,
    }
    return intake_common.Applicant(**values)


def draft(world, version, user=None, *, point=None, service_option="both", **overrides):
    user = user or world.clerk_a
    return drafts.start_draft(
        token=uuid.uuid4(),
        point=point or world.point_a,
        version=version,
        service_option=service_option,
        applicant=applicant(world, **overrides),
        actor=user,
        access=Access.for_user(user),
    )


def tick_all(dossier, user=None):
    user = user or dossier.received_by
    lines = [
        drafts.ChecklistLine(d.pk, True, d.form or "original", 2) for d in dossier.documents.all()
    ]
    return drafts.save_checklist(dossier.pk, lines, actor=user, access=Access.for_user(user))


def pay(dossier, user=None, **choices):
    user = user or dossier.received_by
    values = {
        "agency": dossier.agency,
        "return_method": dossier.return_method,
        "return_address": dossier.return_address,
        "return_commune": dossier.return_commune,
        "return_point": dossier.return_point,
        "fee_option": dossier.fee_option,
        "payment_method": "cash",
        **choices,
    }
    return pricing.save_route_and_fees(
        dossier.pk, pricing.RouteAndFees(**values), actor=user, access=Access.for_user(user)
    )


def ready(world, version, user=None, **overrides):
    dossier = draft(world, version, user, **overrides)
    tick_all(dossier, user)
    return pay(dossier, user)


def seal(dossier, user=None, **kwargs):
    user = user or dossier.received_by
    return sealing.seal(dossier.pk, actor=user, access=Access.for_user(user), **kwargs)


def sealed_in_one_pass(world, version, user=None, access=None):
    """A counter intake in one pass, as the JSON intake makes it: every document present
    as an original, the result delivered home, the fee in cash. The sealed dossier."""
    user = user or world.clerk_a
    access = access or Access.for_user(user)
    checklist = {
        rule.position: drafts.ChecklistLine(0, True, "original", 1)
        for rule in version.documents.all()
    }
    opened = drafts.open_draft(
        token=uuid.uuid4(),
        point=world.point_a,
        version=version,
        service_option="both",
        applicant=applicant(world),
        checklist=checklist,
        actor=user,
        access=access,
    )
    choices = pricing.RouteAndFees(
        agency=intake_common.competent_for(opened.dossier)[0],
        return_method="deliver",
        return_address="Số 5 Lê Lợi",
        return_commune=world.commune_a,
        fee_option=pricing.default_fee(version),
        payment_method="cash",
    )
    dossier, _ = sealing.seal(
        opened.dossier.pk,
        actor=user,
        access=access,
        choices=choices,
        draft=opened.dossier,
        documents=opened.documents,
    )
    return dossier
