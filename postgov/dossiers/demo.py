"""Demo dossiers at QT-001 (Bưu điện tỉnh Quảng Trị, Đồng Hới) and QT-002 (Bưu điện Đông
Hà), in several states, and home-pickup bookings, made through the same intake functions
as the counter (so they carry real codes, S10 numbers, events, audit and SMS).

Idempotent: each demo dossier has a fixed intake token and each booking a fixed note, so
loading the demo again finds them and creates nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from postgov.catalog import catalog_access
from postgov.catalog.models import Procedure
from postgov.delivery import actions as delivery
from postgov.delivery import scheduling
from postgov.delivery.models import PickupBooking
from postgov.dossiers.intake import common as intake_common
from postgov.dossiers.intake import drafts, pricing, sealing
from postgov.dossiers.models import Dossier
from postgov.identity.access import Access
from postgov.identity.models import User
from postgov.places.models import Commune, ServicePoint

NAMESPACE = uuid.UUID("6f1c2d0e-8a4b-4c35-9d2e-2f1b7c9a5e01")


@dataclass(frozen=True)
class DemoDossier:
    key: str
    point: str
    clerk: str
    procedure: str
    name: str
    id_number: str
    birth: date
    gender: str
    phone: str
    address: str
    commune: str
    state: str  # draft, sealed, dispatched
    payment: str = "cash"
    missing: bool = False
    service: str = "both"


DEMO_DOSSIERS: tuple[DemoDossier, ...] = (
    DemoDossier(
        "qt001-trich-luc",
        "QT-001",
        "gdv.donghoi",
        "2.000635",
        "Nguyễn Thị Hồng Nhung",
        "044192003456",
        date(1992, 5, 14),
        "female",
        "0912345601",
        "Số 15 Lý Thường Kiệt, Phường Đồng Hới",
        "18880",
        "sealed",
    ),
    DemoDossier(
        "qt001-ly-lich",
        "QT-001",
        "gdv.donghoi",
        "2.001417",
        "Trần Văn Quang",
        "044098001122",
        date(1998, 9, 2),
        "male",
        "0935222333",
        "Thôn Đức Trạch, Xã Bố Trạch",
        "18880",
        "sealed",
        payment="transfer",
    ),
    DemoDossier(
        "qt001-xac-nhan-hon-nhan",
        "QT-001",
        "gdv.donghoi",
        "1.004873",
        "Lê Minh Tuấn",
        "044090007788",
        date(1990, 1, 20),
        "male",
        "0905777888",
        "Tổ dân phố 3, Phường Đồng Hới",
        "18880",
        "dispatched",
    ),
    DemoDossier(
        "qt001-thuong-tru-nhap",
        "QT-001",
        "gdv.donghoi",
        "1.004194",
        "Phạm Thị Lan Anh",
        "044187004455",
        date(1987, 11, 3),
        "female",
        "0988123456",
        "Số 4 Trần Hưng Đạo, Phường Đồng Hới",
        "18880",
        "draft",
        missing=True,
    ),
    DemoDossier(
        "qt002-ban-sao-so-goc",
        "QT-002",
        "gdv.dongha",
        "2.000815",
        "Hoàng Văn Sơn",
        "045085002233",
        date(1985, 7, 9),
        "male",
        "0914555666",
        "Khu phố 5, Phường Đông Hà",
        "19333",
        "sealed",
    ),
    DemoDossier(
        "qt002-khai-sinh-nhap",
        "QT-002",
        "gdv.dongha",
        "1.001193",
        "Võ Thị Thu Hà",
        "045195006677",
        date(1995, 3, 28),
        "female",
        "0977888999",
        "Khu phố 1, Phường Đông Hà",
        "19333",
        "draft",
    ),
)

DEMO_BOOKINGS = (
    # note (identifies the demo booking), name, phone, address, commune, procedure, postman
    (
        "Demo: nhà có cổng xanh, gọi trước 15 phút",
        "Đặng Thị Hoa",
        "0915123987",
        "Số 27 Hữu Nghị, Phường Đồng Hới",
        "18880",
        "2.000635",
        "buuta.donghoi",
    ),
    (
        "Demo: người cao tuổi, ở nhà cả ngày",
        "Nguyễn Văn Thọ",
        "0946321654",
        "Thôn Phú Hội, Phường Đồng Hới",
        "18880",
        "1.004873",
        "",
    ),
)


def _next_working_day() -> date:
    day = timezone.localdate() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _make(spec: DemoDossier) -> bool:
    token = uuid.uuid5(NAMESPACE, spec.key)
    if Dossier.objects.filter(intake_token=token).exists():
        return False
    user = User.objects.get(username=spec.clerk)
    access = Access.for_user(user)
    point = ServicePoint.objects.select_related("commune").get(code=spec.point)
    version = catalog_access.cached_version_in_force(Procedure.objects.get(code=spec.procedure))
    dossier = drafts.start_draft(
        token=token,
        point=point,
        version=version,
        service_option=spec.service,
        applicant=intake_common.Applicant(
            name=spec.name,
            id_number=spec.id_number,
            phone=spec.phone,
            birth_date=spec.birth,
            gender=spec.gender,
            address=spec.address,
            commune=Commune.objects.get(code=spec.commune),
        ),
        actor=user,
        access=access,
    )
    documents = list(dossier.documents.all())
    lines = [
        drafts.ChecklistLine(
            doc.pk,
            present=not (spec.missing and index == 0),
            form=doc.form,
            pages=1 + index % 3,
        )
        for index, doc in enumerate(documents)
    ]
    drafts.save_checklist(dossier.pk, lines, actor=user, access=access)
    pricing.save_route_and_fees(
        dossier.pk,
        pricing.RouteAndFees(
            agency=dossier.agency,
            return_method=dossier.return_method,
            return_address=dossier.return_address,
            return_commune=dossier.return_commune,
            return_point=dossier.return_point,
            fee_option=dossier.fee_option,
            payment_method=spec.payment,
            payment_reference="FT26DEMO" + spec.id_number[-4:]
            if spec.payment == "transfer"
            else "",
        ),
        actor=user,
        access=access,
    )
    if spec.state in ("sealed", "dispatched"):
        sealing.seal(dossier.pk, actor=user, access=access)
    if spec.state == "dispatched":
        sealing.dispatch([dossier.pk], actor=user, access=access)
    return True


def _book(note, name, phone, address, commune_code, procedure_code, postman) -> bool:
    if PickupBooking.objects.filter(note=note).exists():
        return False
    commune = Commune.objects.get(code=commune_code)
    booking = delivery.book_pickup(
        procedure=Procedure.objects.get(code=procedure_code),
        name=name,
        phone=phone,
        address=address,
        commune=commune,
        day=scheduling.first_collection_day(commune.province_id),
        window="morning",
        note=note,
    )
    if postman:
        supervisor = User.objects.get(username="giamsat.donghoi")
        delivery.assign_pickup(
            booking.pk,
            User.objects.get(username=postman),
            actor=supervisor,
            access=Access.for_user(supervisor),
        )
    return True


@transaction.atomic
def load_demo() -> str:
    dossiers = sum(_make(spec) for spec in DEMO_DOSSIERS)
    bookings = sum(_book(*row) for row in DEMO_BOOKINGS)
    return (
        f"{dossiers} demo dossiers created ({len(DEMO_DOSSIERS) - dossiers} already there), "
        f"{bookings} pickup bookings created"
    )
