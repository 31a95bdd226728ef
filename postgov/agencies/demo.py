"""Demo agencies of the new Quảng Trị and who is competent for the demo procedures.

Unit codes follow the QCVN 102:2016 shape but are demo values, flagged `is_demo`.
"""

from __future__ import annotations

from django.db import transaction

from postgov.agencies.models import Agency, Competence
from postgov.catalog.models import AgencyLevel, Procedure
from postgov.places.models import Commune, Province

OFFICE_HOURS = ["07:30-11:30", "13:30-17:00"]

# unit code, name, short name, level, desk, commune code, address, integration, fields
PROVINCIAL = (
    (
        "000.00.01.H44",
        "Trung tâm Phục vụ hành chính công tỉnh Quảng Trị",
        "TT PVHCC tỉnh",
        AgencyLevel.PROVINCE,
        Agency.DeskKind.SERVICE_CENTRE,
        "18880",
        "Số 6 Hùng Vương, phường Đồng Hới",
        Agency.Integration.WEB,
        (),
    ),
    (
        "000.00.05.H44",
        "Sở Tư pháp tỉnh Quảng Trị",
        "Sở Tư pháp",
        AgencyLevel.PROVINCE,
        Agency.DeskKind.ONE_STOP,
        "18880",
        "Số 15 Quang Trung, phường Đồng Hới",
        Agency.Integration.WEB,
        ("Lý lịch tư pháp",),
    ),
    (
        "000.00.08.H44",
        "Sở Tài chính tỉnh Quảng Trị",
        "Sở Tài chính",
        AgencyLevel.PROVINCE,
        Agency.DeskKind.ONE_STOP,
        "18880",
        "Số 2 Hùng Vương, phường Đồng Hới",
        Agency.Integration.WEB,
        ("Đăng ký kinh doanh",),
    ),
    (
        "000.00.12.H44",
        "Sở Xây dựng tỉnh Quảng Trị",
        "Sở Xây dựng",
        AgencyLevel.PROVINCE,
        Agency.DeskKind.ONE_STOP,
        "19333",
        "Số 42 Trần Hưng Đạo, phường Đông Hà",
        Agency.Integration.WEB,
        ("Đường bộ",),
    ),
    (
        "000.20.20.H44",
        "Văn phòng Đăng ký đất đai tỉnh Quảng Trị",
        "VP ĐKĐĐ",
        AgencyLevel.PROVINCE,
        Agency.DeskKind.ONE_STOP,
        "18880",
        "Số 10 Lý Thường Kiệt, phường Đồng Hới",
        Agency.Integration.API,
        ("Đất đai",),
    ),
    (
        "000.00.22.H44",
        "Trung tâm Dịch vụ việc làm tỉnh Quảng Trị",
        "TT DVVL",
        AgencyLevel.PROVINCE,
        Agency.DeskKind.ONE_STOP,
        "19333",
        "Số 8 Lê Lợi, phường Đông Hà",
        Agency.Integration.WEB,
        ("Việc làm",),
    ),
    (
        "G15.44",
        "Bảo hiểm xã hội tỉnh Quảng Trị",
        "BHXH tỉnh",
        AgencyLevel.CENTRAL,
        Agency.DeskKind.ONE_STOP,
        "18880",
        "Số 1 Trần Hưng Đạo, phường Đồng Hới",
        Agency.Integration.API,
        ("Bảo hiểm xã hội", "Bảo hiểm y tế"),
    ),
    (
        "G01.44.PA08",
        "Phòng Quản lý xuất nhập cảnh, Công an tỉnh Quảng Trị",
        "PA08 Công an tỉnh",
        AgencyLevel.CENTRAL,
        Agency.DeskKind.ONE_STOP,
        "18880",
        "Số 23 Lý Thường Kiệt, phường Đồng Hới",
        Agency.Integration.WEB,
        ("Xuất nhập cảnh",),
    ),
)

# Commune centres: (unit code, commune code, short place name, address)
COMMUNE_CENTRES = (
    ("000.01.18880.H44", "18880", "phường Đồng Hới", "Số 3 Lê Lợi, phường Đồng Hới"),
    ("000.01.19333.H44", "19333", "phường Đông Hà", "Số 1 Hùng Vương, phường Đông Hà"),
    ("000.01.19360.H44", "19360", "phường Quảng Trị", "Số 5 Trần Hưng Đạo, phường Quảng Trị"),
    ("000.01.19009.H44", "19009", "phường Ba Đồn", "Số 2 Hùng Vương, phường Ba Đồn"),
    ("000.01.19363.H44", "19363", "xã Vĩnh Linh", "Thị trấn cũ Hồ Xá, xã Vĩnh Linh"),
    ("000.01.19249.H44", "19249", "xã Lệ Thủy", "Khu phố 3, xã Lệ Thủy"),
)
COMMUNE_FIELDS = ("Hộ tịch", "Chứng thực", "Cư trú", "Xây dựng")


@transaction.atomic
def load_demo() -> str:
    province = Province.objects.get(code="44")
    created = 0
    for code, name, short, level, desk, commune_code, address, integration, _ in PROVINCIAL:
        _, is_new = Agency.objects.get_or_create(
            unit_code=code,
            defaults=dict(
                name=name,
                short_name=short,
                level=level,
                desk_kind=desk,
                province=province,
                commune=Commune.objects.get(code=commune_code),
                address=address,
                office_hours=OFFICE_HOURS,
                integration=integration,
                is_demo=True,
                phone="0232 3822 000",
                email=f"motcua.{code.replace('.', '')}@quangtri.gov.vn",
            ),
        )
        created += is_new
    for code, commune_code, place, address in COMMUNE_CENTRES:
        _, is_new = Agency.objects.get_or_create(
            unit_code=code,
            defaults=dict(
                name=f"Trung tâm Phục vụ hành chính công {place}",
                short_name=f"TT PVHCC {place}",
                level=AgencyLevel.COMMUNE,
                desk_kind=Agency.DeskKind.SERVICE_CENTRE,
                province=province,
                commune=Commune.objects.get(code=commune_code),
                address=address,
                office_hours=OFFICE_HOURS,
                is_demo=True,
            ),
        )
        created += is_new
    competences = _load_competences(province)
    return f"{created} demo agencies created, {competences} competences added"


def _load_competences(province: Province) -> int:
    added = 0
    by_field: dict[str, list[Agency]] = {}
    for row in PROVINCIAL:
        agency = Agency.objects.get(unit_code=row[0])
        for field in row[8]:
            by_field.setdefault(field, []).append(agency)
    centres = [
        (Agency.objects.get(unit_code=code), Commune.objects.get(code=commune_code))
        for code, commune_code, _, _ in COMMUNE_CENTRES
    ]
    for procedure in Procedure.objects.filter(is_demo=True):
        targets: list[tuple[Agency, Commune | None]]
        if procedure.agency_level == AgencyLevel.COMMUNE or procedure.field in COMMUNE_FIELDS:
            targets = [(agency, commune) for agency, commune in centres]
        else:
            targets = [(agency, None) for agency in by_field.get(procedure.field, [])]
        for agency, commune in targets:
            _, is_new = Competence.objects.get_or_create(
                agency=agency, procedure=procedure, province=province, commune=commune
            )
            added += is_new
    return added
