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


# -- intake: a catalog slice, a tariff and competences ---------------------------------------

QR_AN = (
    "045090001234|191234567|Nguyễn Văn An|15031990|Nam|"
    "Thôn Tân Định, Xã Vĩnh Linh, Huyện Vĩnh Linh, Quảng Trị|01082021"
)
QR_NEW_CARD = (
    "045195000321||Trần Thị Bích Ngọc|02021995|Nữ|Khu phố 2, Phường Đông Hà, Quảng Trị|"
    "10092024|045195000321|Trần Văn Hùng|Lê Thị Hoa"
)


def make_intake_catalog(world):
    """What a counter intake needs besides the personas: a procedure with mandatory and
    optional documents and two fee options, the tariff in force with both zones, the
    agencies competent for it, an exemption category. Returns the procedure version."""
    from postgov.agencies.models import Competence
    from postgov.catalog.models import ExemptCategory, PostalTariff, TariffBand

    version = make_procedure(
        code="1.004227",
        name="Cấp bản sao trích lục hộ tịch",
        processing_time=2,
    )
    version.procedure.field = "Hộ tịch"
    version.procedure.save()
    if not version.documents.filter(position=3).exists():
        version.documents.filter(position=2).update(name="Giấy chứng minh nhân thân", form="copy")
        RequiredDocument.objects.create(
            version=version, position=3, name="Giấy ủy quyền", form="original", mandatory=False
        )
        version.fees.all().delete()
        Fee.objects.create(
            version=version,
            option="Bản sao trích lục",
            name="Lệ phí",
            amount=8_000,
            is_default=True,
        )
        Fee.objects.create(
            version=version, option="Cấp lại", name="Lệ phí", amount=15_000, is_default=False
        )
    tariff, created = PostalTariff.objects.get_or_create(
        name="Cước BCCI Quảng Trị 2025",
        defaults={
            "province": world.province,
            "valid_from": date(2025, 7, 1),
            "remittance_fee": 8_000,
        },
    )
    if created:
        for zone, weight, amount in [
            ("in", 100, 26_000),
            ("in", 500, 30_000),
            ("in", 2000, 42_000),
            ("out", 100, 31_500),
            ("out", 500, 36_000),
            ("out", 2000, 52_000),
        ]:
            TariffBand.objects.create(tariff=tariff, zone=zone, max_weight_g=weight, amount=amount)
    Competence.objects.get_or_create(
        agency=world.agency_a, procedure=version.procedure, province=world.province, commune=None
    )
    Competence.objects.get_or_create(
        agency=world.agency_b,
        procedure=version.procedure,
        province=world.province,
        commune=world.commune_b,
    )
    ExemptCategory.objects.get_or_create(
        code="NCC", defaults={"name": "Người có công với cách mạng"}
    )
    return version


def make_excluded_procedure():
    return make_procedure(
        code="2.000488",
        name="Đăng ký kết hôn",
        postal_allowed=False,
        postal_exclusion_reason="hai bên nam, nữ phải có mặt khi đăng ký",
    )
