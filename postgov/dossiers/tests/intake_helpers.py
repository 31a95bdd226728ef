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
