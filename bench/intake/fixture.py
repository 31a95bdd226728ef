"""Data for the intake benchmark, in the benchmark's own database: one province, one
service point and one logged-in clerk per client, a procedure with three documents, the
tariff, a province-wide competent agency. Prints JSON (session keys and ids) for run.py.

Run by run.py as: python bench/intake/fixture.py <clients>
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "postgov.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402

from postgov.agencies.models import Agency, Competence  # noqa: E402
from postgov.catalog.models import (  # noqa: E402
    Fee,
    PostalTariff,
    Procedure,
    ProcedureVersion,
    RequiredDocument,
    TariffBand,
)
from postgov.identity.models import Role, RoleAssignment, User  # noqa: E402
from postgov.places.models import Commune, Province, ServicePoint  # noqa: E402


def main(clients: int) -> dict:
    province = Province.objects.create(code="44", name="Tỉnh Quảng Trị", short_name="Quảng Trị")
    centre_commune = Commune.objects.create(
        code="18880",
        province=province,
        name="Phường Đồng Hới",
        short_name="Đồng Hới",
        kind="phuong",
    )
    agency = Agency.objects.create(
        unit_code="000.00.01.H44",
        name="Trung tâm Phục vụ hành chính công tỉnh Quảng Trị",
        level="province",
        desk_kind=Agency.DeskKind.SERVICE_CENTRE,
        province=province,
        commune=centre_commune,
        address="Số 6 Hùng Vương, phường Đồng Hới",
        office_hours=["07:30-11:30", "13:30-17:00"],
    )
    procedure = Procedure.objects.create(
        code="2.001417",
        name="Cấp Phiếu lý lịch tư pháp số 1",
        field="Lý lịch tư pháp",
        agency_level="province",
    )
    version = ProcedureVersion.objects.create(
        procedure=procedure,
        version=1,
        effective_from=date(2025, 7, 1),
        processing_time=10,
        result_type="Phiếu lý lịch tư pháp số 1",
    )
    for position, (name, form, mandatory) in enumerate(
        [
            ("Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp", "original", True),
            ("Bản chụp giấy tờ tùy thân", "copy", True),
            ("Văn bản ủy quyền", "original", False),
        ],
        start=1,
    ):
        RequiredDocument.objects.create(
            version=version, position=position, name=name, form=form, mandatory=mandatory
        )
    Fee.objects.create(
        version=version, option="Thông thường", name="Lệ phí", amount=200_000, is_default=True
    )
    Fee.objects.create(version=version, option="Sinh viên", name="Lệ phí", amount=100_000)
    Competence.objects.create(agency=agency, procedure=procedure, province=province)
    tariff = PostalTariff.objects.create(
        name="Cước bench", province=province, valid_from=date(2025, 7, 1), remittance_fee=8_000
    )
    for zone, amount in (("in", 26_000), ("out", 31_500)):
        TariffBand.objects.create(tariff=tariff, zone=zone, max_weight_g=2000, amount=amount)

    # A province's worth of places, as the forms list them: 78 communes, 45 post offices.
    for n in range(clients, 78):
        Commune.objects.create(
            code=f"8{n:04d}",
            province=province,
            name=f"Xã Minh Họa {n}",
            short_name=f"Minh Họa {n}",
            kind="xa",
        )
    others = Commune.objects.filter(province=province).exclude(pk=centre_commune.pk)
    for n, commune in enumerate(others[: max(0, 45 - clients)]):
        ServicePoint.objects.create(
            code=f"OTHER-{n:03d}",
            name=f"Bưu điện Minh Họa {n}",
            kind="po3",
            address=f"{n} Lê Lợi",
            commune=commune,
        )
    sessions = []
    for n in range(clients):
        commune = Commune.objects.create(
            code=f"9{n:04d}",
            province=province,
            name=f"Phường Bench {n}",
            short_name=f"Bench {n}",
            kind="phuong",
        )
        point = ServicePoint.objects.create(
            code=f"BENCH-{n:03d}",
            name=f"Bưu điện Bench {n}",
            kind="po1",
            address=f"{n} Trần Hưng Đạo",
            commune=commune,
        )
        clerk = User.objects.create(username=f"bench{n}", full_name=f"Giao dịch viên {n}")
        RoleAssignment.objects.create(user=clerk, role=Role.CLERK, service_point=point)
        session = SessionStore()
        session[SESSION_KEY] = str(clerk.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = clerk.get_session_auth_hash()
        session.create()
        sessions.append(
            {
                "session": session.session_key,
                "point": point.pk,
                "commune": commune.pk,
                "commune_code": commune.code,
            }
        )
    return {
        "procedure": procedure.pk,
        "procedure_code": procedure.code,
        "agency": agency.pk,
        "clients": sessions,
    }


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]))))
