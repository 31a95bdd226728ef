"""Builders for test data beyond the personas: procedures and dossiers."""

from __future__ import annotations

import uuid
from datetime import date

from postgov.catalog.models import Fee, Procedure, ProcedureVersion, RequiredDocument
from postgov.dossiers.models import Dossier


def make_procedure(code: str = "1.001193", name: str = "Đăng ký khai sinh", **version_fields):
    procedure, _ = Procedure.objects.get_or_create(
        code=code, defaults={"name": name, "field": "Hộ tịch", "agency_level": "commune"}
    )
    fields = {
        "effective_from": date(2025, 7, 1),
        "processing_time": 3,
        "result_type": "Giấy khai sinh",
        **version_fields,
    }
    version, created = ProcedureVersion.objects.get_or_create(
        procedure=procedure, version=1, defaults=fields
    )
    if created:
        RequiredDocument.objects.create(
            version=version, position=1, name="Tờ khai đăng ký khai sinh", form="original"
        )
        RequiredDocument.objects.create(
            version=version, position=2, name="Giấy chứng sinh", form="original"
        )
        Fee.objects.create(version=version, name="Lệ phí", amount=0, is_default=True)
    return version


def make_dossier(world, *, status: str = "draft", point=None, agency=None, **fields) -> Dossier:
    version = fields.pop("procedure_version", None) or make_procedure()
    point = point or world.point_a
    values = {
        "intake_token": uuid.uuid4(),
        "status": status,
        "province": world.province,
        "procedure_version": version,
        "receiving_point": point,
        "agency": agency or world.agency_a,
        "received_by": world.clerk_a,
        "applicant_name": "Nguyễn Văn An",
        "applicant_id_number": "045090001234",
        "applicant_phone": "0912345678",
        **fields,
    }
    return Dossier.objects.create(**values)
