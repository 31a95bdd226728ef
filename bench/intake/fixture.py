"""Data for the intake benchmark, in the benchmark's own database: one or more provinces
each with its competent service centre, one service point and one logged-in clerk per
client, a procedure with three documents, the tariff. Prints JSON (session keys and ids) for run.py.

Run by run.py as: python bench/intake/fixture.py <clients> [<agencies>]
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "postgov.settings")
# Without POSTGOV_ENV PostGov runs as production; this is a developer's tool.
os.environ.setdefault("POSTGOV_ENV", "development")

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
from postgov.identity import authn  # noqa: E402
from postgov.identity.models import Role, RoleAssignment, User  # noqa: E402
from postgov.places.models import Commune, Province, ServicePoint  # noqa: E402

PROVINCES = [
    ("44", "Quảng Trị"),
    ("46", "Huế"),
    ("48", "Đà Nẵng"),
    ("51", "Quảng Ngãi"),
    ("42", "Hà Tĩnh"),
    ("40", "Nghệ An"),
    ("38", "Thanh Hóa"),
    ("52", "Gia Lai"),
]


def main(clients: int, agencies: int = 1) -> dict:
    """`agencies` provinces, each with its service centre competent for the procedure;
    the clients' post offices are spread over them in turn."""
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
    tariff = PostalTariff.objects.create(
        name="Cước bench", province=None, valid_from=date(2025, 7, 1), remittance_fee=8_000
    )
    for zone, amount in (("in", 26_000), ("out", 31_500)):
        TariffBand.objects.create(tariff=tariff, zone=zone, max_weight_g=2000, amount=amount)

    provinces = [_province(procedure, code, name) for code, name in PROVINCES[:agencies]]
    # Each province's agency system orders result deliveries through the agency API.
    from postgov.exchange.integration import create_api_key

    keys = {
        province.pk: (agency.unit_code, create_api_key(agency, "bench")[1])
        for province in provinces
        for agency in Agency.objects.filter(province=province)
    }
    sessions = []
    for n in range(clients):
        province = provinces[n % len(provinces)]
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
        # Staff pages need a second factor: the clerk gave one at login, as at the counter.
        now = int(time.time())
        session[authn.AUTH] = {
            "time": now,
            "amr": ["mfa", "otp", "pwd"],
            "mfa_time": now,
            "sid": None,
            "via": "bench",
            "level_cap": 2,
        }
        session.create()
        sessions.append(
            {
                "session": session.session_key,
                "point": point.pk,
                "commune": commune.pk,
                "commune_code": commune.code,
                "unit_code": keys[province.pk][0],
                "api_key": keys[province.pk][1],
            }
        )
    return {
        "procedure": procedure.pk,
        "procedure_code": procedure.code,
        "agencies": len(provinces),
        "clients": sessions,
    }


def _province(procedure, code: str, name: str) -> Province:
    """A province as the forms list it (78 communes, 45 post offices) with its service
    centre, competent for the procedure province-wide."""
    province = Province.objects.create(code=code, name=f"Tỉnh {name}", short_name=name)
    centre = Commune.objects.create(
        code=f"{code}000", province=province, name=f"Phường {name}", short_name=name, kind="phuong"
    )
    agency = Agency.objects.create(
        unit_code=f"000.00.01.H{code}",
        name=f"Trung tâm Phục vụ hành chính công tỉnh {name}",
        level="province",
        desk_kind=Agency.DeskKind.SERVICE_CENTRE,
        province=province,
        commune=centre,
        address=f"Số 1 đường trung tâm, phường {name}",
        office_hours=["07:30-11:30", "13:30-17:00"],
    )
    Competence.objects.create(agency=agency, procedure=procedure, province=province)
    for n in range(77):
        commune = Commune.objects.create(
            code=f"{code}{n + 1:03d}",
            province=province,
            name=f"Xã Minh Họa {code}-{n}",
            short_name=f"Minh Họa {code}-{n}",
            kind="xa",
        )
        if n < 45:
            ServicePoint.objects.create(
                code=f"OTHER-{code}-{n:03d}",
                name=f"Bưu điện Minh Họa {code}-{n}",
                kind="po3",
                address=f"{n} Lê Lợi",
                commune=commune,
            )
    return province


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 1)))
