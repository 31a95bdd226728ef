"""The demo of the agency and return legs: dossiers at every step for the provincial
service centre (000.00.01.H44, where tiepnhan.tinh and chuyenvien.tinh work), received at
QT-001 (gdv.donghoi, buuta.donghoi, giamsat.donghoi); manifests, deliveries, an overdue
dossier and one due soon, forms 02–04, and an API key for the centre's own system. The
delivered dossiers are rated by their citizens, and the roll-ups of the demo's days are
rebuilt, so that the reports (satisfaction included) show them at once.

Idempotent: each demo dossier has a fixed intake token; one that exists is left alone.
Times are set in the past through the same actions the pages use, so deadlines, legs
and reports are what they would be.
"""

from __future__ import annotations

import io
import uuid
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from postgov.agencies.models import Agency
from postgov.catalog.models import Procedure
from postgov.delivery.models import PostalItem
from postgov.dossiers.actions import perform, rate_dossier
from postgov.dossiers.agency.actions import Who, act
from postgov.dossiers.carriage import manifests, returns
from postgov.dossiers.carriage.manifests import Check
from postgov.dossiers.clock import deadline, suggested_appointment
from postgov.dossiers.intake.sealing import seal
from postgov.dossiers.models import Dossier, DossierDocument, DossierRating, ReturnMethod
from postgov.exchange.integration import AGENCY_SCOPES, key_digest
from postgov.exchange.models import AgencyClient, ApiKey
from postgov.identity.access import Access
from postgov.identity.models import RelyingParty, User
from postgov.places.models import ServicePoint
from postgov.reports import rollups
from postgov.reports.sla import check_sla

AGENCY = "000.00.01.H44"
POINT = "QT-001"
# A fixed demo key, printed by `manage.py demo_logins`; only its hash is stored.
DEMO_API_KEY = "pgk_demo0001_PostGov-demo-key-2026-for-the-demo-only"  # noqa: S105
# A fixed demo OAuth2 client (client credentials), printed by `manage.py demo_logins`.
DEMO_CLIENT_ID = "pgc_demo_agency_system"
DEMO_CLIENT_SECRET = "PostGov-demo-client-secret-2026-for-the-demo-only"  # noqa: S105
NAMESPACE = uuid.UUID("6f1c2b7e-3d54-4b8e-9a57-2a5c0d9e4b11")

# name, ID number, procedure code, scenario, days ago it was sealed
SCENARIOS = (
    ("Trần Thị Hoa", "045185000111", "2.001417", "loading", 0),
    ("Lê Văn Nam", "045090000222", "1.002804", "sealed", 0),
    ("Phạm Minh Tuấn", "045088000333", "2.000575", "presented", 0),
    ("Nguyễn Thị Thu", "045192000444", "2.001417", "presented", 0),
    ("Hoàng Văn Sơn", "045079000555", "2.000575", "overdue", 12),
    ("Đỗ Thị Lan", "045195000666", "2.000575", "due_soon", 4),
    ("Võ Văn Hùng", "045087000777", "2.001417", "accepted", 2),
    ("Bùi Thị Mai", "045193000888", "1.012789", "supplement", 6),
    ("Mai Văn Tài", "045086000999", "2.001417", "extended", 9),
    ("Huỳnh Thị Yến", "045196001010", "1.002804", "refused", 5),
    ("Ngô Văn Đức", "045085001111", "2.001417", "result_ready", 16),
    ("Đặng Thị Hằng", "045194001212", "1.002804", "collected", 18),
    ("Phan Văn Long", "045083001313", "2.000575", "out", 10),
    ("Trương Thị Ngọc", "045197001414", "2.000575", "held", 14),
    ("Lý Văn Phúc", "045082001515", "2.001417", "delivered", 20),
    ("Trịnh Thị Kim", "045198001616", "1.002804", "delivered", 15),
    ("Cao Văn Bình", "045081001717", "2.000575", "delivered", 25),
)
# The citizens' answers to the rating SMS of the delivered dossiers, in order: stars and
# a comment, so that the satisfaction figures of the reports show.
RATINGS = (
    (5, "Nhân viên bưu điện hướng dẫn tận tình, nhận kết quả tại nhà rất tiện."),
    (4, ""),
    (3, "Kết quả đến chậm hơn ngày hẹn hai ngày."),
)


def _who(user) -> dict:
    return {"actor": user, "access": Access.for_user(user)}


def _ago(days: float, hour: int = 9) -> datetime:
    moment = timezone.localtime() - timedelta(days=days)
    return moment.replace(hour=hour, minute=15, second=0, microsecond=0)


def _seal(index, name, id_number, procedure, point, agency, clerk, sealed_at) -> Dossier:
    """A counter intake as the clerk's pages make it, sealed on the day it happened."""
    version = procedure.versions.order_by("-version").first()
    fee = version.fees.order_by("-is_default", "id").first()
    address = f"Số {10 + index} Hùng Vương, phường Đồng Hới, tỉnh Quảng Trị"
    hold = index % 7 == 0
    draft = Dossier.objects.create(
        intake_token=uuid.uuid5(NAMESPACE, f"agency-demo-{index}"),
        province_id=agency.province_id,
        procedure_version=version,
        fee_option=fee,
        receiving_point=point,
        agency=agency,
        received_by=clerk,
        applicant_name=name,
        applicant_id_number=id_number,
        applicant_phone=f"09120{index:05d}",
        applicant_address=address,
        return_method=ReturnMethod.HOLD if hold else ReturnMethod.DELIVER,
        return_address="" if hold else address,
        return_commune=None if hold else point.commune,
        return_point=point if hold else None,
        payment_method="cash",
    )
    DossierDocument.objects.bulk_create(
        DossierDocument(
            dossier=draft,
            required=document,
            position=position,
            name=document.name,
            present=True,
            form="copy" if document.form == "copy" else "original",
            pages=1,
        )
        for position, document in enumerate(version.documents.all(), start=1)
    )
    dossier, _sealed_now = seal(draft.pk, at=sealed_at, **_who(clerk))
    return dossier


def _signature() -> bytes:
    """A scribble as the phone's pad would send it: the demo's steps are signed."""
    image = Image.new("RGBA", (300, 90), (0, 0, 0, 0))
    points = [(10 + step * 25, 45 + (20 if step % 2 else -20)) for step in range(11)]
    ImageDraw.Draw(image).line(points, fill=(11, 42, 91, 255), width=3)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _hand_over(dossiers, point, agency, postman, receiver, at) -> None:
    access = Access.for_user(postman)
    manifest = manifests.new_manifest(point=point, agency=agency, user=postman, access=access)
    for dossier in dossiers:
        item = dossier.items.get(leg=PostalItem.Leg.OUTBOUND)
        manifests.scan(manifest.pk, item.item_id, user=postman, access=access)
    manifests.dispatch(manifest.pk, user=postman, access=access, at=at - timedelta(hours=1))
    manifests.present(
        manifest.pk,
        user=postman,
        access=access,
        at=at - timedelta(minutes=10),
        signature=_signature(),
    )
    checks = {line.pk: Check("ok", fee_received=line.fee_expected) for line in manifest.items.all()}
    manifests.confirm_handover(
        manifest.pk,
        checks,
        user=receiver,
        access=Access.for_user(receiver),
        at=at,
        signature=_signature(),
    )


def _scenario(index, row, people, point, agency) -> None:
    name, id_number, code, scenario, days = row
    clerk, postman, receiver, officer = people
    procedure = Procedure.objects.get(code=code)
    sealed_at = _ago(days, hour=8)
    dossier = _seal(index, name, id_number, procedure, point, agency, clerk, sealed_at)
    if scenario == "sealed":
        return
    if scenario == "loading":
        manifest = manifests.new_manifest(
            point=point, agency=agency, user=postman, access=Access.for_user(postman)
        )
        item = dossier.items.get(leg=PostalItem.Leg.OUTBOUND)
        manifests.scan(manifest.pk, item.item_id, user=postman, access=Access.for_user(postman))
        return
    if scenario == "presented":
        return  # both "presented" dossiers go on one manifest below
    handed_at = sealed_at + timedelta(days=1, hours=1)
    _hand_over([dossier], point, agency, postman, receiver, handed_at)
    officer_who = Who(**{"actor": officer, "access": Access.for_user(officer)})
    receiver_who = Who(actor=receiver, access=Access.for_user(receiver))
    if scenario == "refused":
        act(dossier.pk, "refuse", receiver_who, reason_code="NOT_COMPETENT",
            note="Thủ tục thuộc thẩm quyền của Sở Xây dựng")  # fmt: skip
        return
    perform(dossier.pk, "accept", at=handed_at + timedelta(hours=2), **_who(receiver))
    if scenario in ("overdue", "due_soon", "accepted"):
        if scenario != "accepted":
            perform(
                dossier.pk, "start_processing", at=handed_at + timedelta(hours=3), **_who(officer)
            )
        return
    if scenario == "supplement":
        act(dossier.pk, "request_supplement", officer_who,
            missing=["Bản chính Giấy chứng nhận quyền sử dụng đất đã cấp",
                     "Sơ đồ thửa đất có xác nhận của UBND xã"])  # fmt: skip
        return
    if scenario == "extended":
        dossier.refresh_from_db()
        if dossier.due_at is None:
            raise ValueError(f"dossier {dossier.pk} was accepted without a due date")
        act(dossier.pk, "extend", officer_who, new_due=dossier.due_at + timedelta(days=5),
            note="Cần xác minh lý lịch tại nơi cư trú trước đây")  # fmt: skip
        return
    dossier.refresh_from_db()
    late = {}
    if deadline(dossier).late:
        # Published after its due date: with Form 04, as the rules want.
        late = {
            "late_reason": "Chờ kết quả xác minh của cơ quan phối hợp",
            "new_due": suggested_appointment(dossier, timezone.now()),
        }
    version = procedure.versions.first()
    if version is None:
        raise ValueError(f"procedure {procedure.code} has no version")
    act(dossier.pk, "result_ready", officer_who,
        documents=[{"name": version.result_type or procedure.name,
                    "number": f"{index:03d}/2026"}], **late)  # fmt: skip
    if scenario == "result_ready":
        return
    access = Access.for_user(postman)
    manifest = manifests.new_manifest(
        point=point, agency=agency, user=postman, access=access, direction="return"
    )
    if dossier.code is None:
        raise ValueError(f"dossier {dossier.pk} was sealed without a code")
    manifests.scan(manifest.pk, dossier.code, user=postman, access=access)
    manifests.collect(manifest.pk, user=postman, access=access)
    dossier.refresh_from_db()
    if scenario == "collected":
        return
    if dossier.return_method == ReturnMethod.HOLD:
        returns.hold(dossier.pk, user=postman, access=access)
    else:
        returns.out_for_delivery(dossier.pk, user=postman, access=access)
    if scenario == "out":
        return
    if scenario == "held" and dossier.return_method == ReturnMethod.DELIVER:
        for _attempt in range(2):
            returns.failed_attempt(
                dossier.pk, reason_code="ABSENT", action_code="RETRY", user=postman, access=access
            )
            dossier.refresh_from_db()
            if dossier.status == "result_collected":
                returns.out_for_delivery(dossier.pk, user=postman, access=access)
        return
    if scenario == "delivered":
        returns.deliver(
            dossier.pk,
            returns.Proof(
                name,
                id_number[-4:],
                "self",
                signature=_signature(),
                place=returns.Place(17.4689, 106.6223),
            ),
            user=postman,
            access=access,
            at_counter=dossier.return_method == ReturnMethod.HOLD,
        )


@transaction.atomic
def load_demo() -> str:
    agency = Agency.objects.get(unit_code=AGENCY)
    point = ServicePoint.objects.get(code=POINT)
    people = tuple(
        User.objects.get(username=name)
        for name in ("gdv.donghoi", "buuta.donghoi", "tiepnhan.tinh", "chuyenvien.tinh")
    )
    created = 0
    presented = []
    for index, row in enumerate(SCENARIOS, start=1):
        if Dossier.objects.filter(
            intake_token=uuid.uuid5(NAMESPACE, f"agency-demo-{index}")
        ).exists():
            continue
        _scenario(index, row, people, point, agency)
        created += 1
        if row[3] == "presented":
            presented.append(
                Dossier.objects.get(intake_token=uuid.uuid5(NAMESPACE, f"agency-demo-{index}"))
            )
    if presented:
        postman = people[1]
        access = Access.for_user(postman)
        manifest = manifests.new_manifest(point=point, agency=agency, user=postman, access=access)
        for dossier in presented:
            item = dossier.items.get(leg=PostalItem.Leg.OUTBOUND)
            manifests.scan(manifest.pk, item.item_id, user=postman, access=access)
        manifests.dispatch(manifest.pk, user=postman, access=access)
        manifests.present(manifest.pk, user=postman, access=access, signature=_signature())
    key_created = False
    prefix = DEMO_API_KEY.split("_")[1]
    if not ApiKey.objects.filter(prefix=prefix).exists():
        ApiKey.objects.create(
            agency=agency,
            name="Demo",
            prefix=prefix,
            key_hash=key_digest(DEMO_API_KEY),
            approved_at=timezone.now(),
        )
        key_created = True
    client_created = _demo_oauth_client(agency)

    rated = _rate_delivered()
    if created or rated:
        # The reports read the roll-ups: the demo's days made now, not at the next refresh.
        rollups.rebuild(timezone.localdate() - timedelta(days=max(row[4] for row in SCENARIOS)))
    flagged = check_sla() if created else None
    return (
        f"{created} demo dossiers at the agency and on the way back"
        + (f", SLA: {flagged.overdue} overdue, {flagged.due_soon} due soon" if flagged else "")
        + (f", {rated} ratings" if rated else "")
        + (", demo API key created" if key_created else "")
        + (", demo OAuth2 client created" if client_created else "")
    )


def _rate_delivered() -> int:
    """The delivered demo dossiers rated as their citizens would from the SMS link (once:
    a rated dossier is left alone); how many were rated now."""
    tokens = [uuid.uuid5(NAMESPACE, f"agency-demo-{n}") for n in range(1, len(SCENARIOS) + 1)]
    waiting = DossierRating.objects.filter(
        dossier__intake_token__in=tokens, stars__isnull=True
    ).order_by("dossier_id")
    rated = 0
    for rated, rating in enumerate(waiting, start=1):
        stars, comment = RATINGS[(rated - 1) % len(RATINGS)]
        rate_dossier(rating, stars, comment)
    return rated


def _demo_oauth_client(agency: Agency) -> bool:
    """The demo agency system's OAuth2 client, once (its secret is stored hashed)."""
    if RelyingParty.objects.filter(client_id=DEMO_CLIENT_ID).exists():
        return False
    application = RelyingParty.objects.create(
        name="Demo: hệ thống một cửa của TT PVHCC tỉnh",
        client_id=DEMO_CLIENT_ID,
        client_secret=DEMO_CLIENT_SECRET,
        client_type=RelyingParty.CLIENT_CONFIDENTIAL,
        authorization_grant_type=RelyingParty.GRANT_CLIENT_CREDENTIALS,
        token_endpoint_auth_method=RelyingParty.AuthMethod.SECRET_BASIC,
        redirect_uris="",
        allowed_scopes=list(AGENCY_SCOPES),
        skip_authorization=True,
    )
    AgencyClient.objects.create(
        agency=agency, application=application, name="Demo", approved_at=timezone.now()
    )
    return True


def demo_logins_lines() -> list[str]:
    return [
        f"  Agency API ({AGENCY})    X-API-Key: {DEMO_API_KEY}",
        f"  Agency API OAuth2 client credentials: client_id {DEMO_CLIENT_ID}"
        f"  client_secret {DEMO_CLIENT_SECRET}",
        "      POST /oidc/token grant_type=client_credentials"
        " scope='agency.dossiers.read agency.dossiers.write' (HTTP Basic),"
        " then Authorization: Bearer <access_token>",
        "  API docs: /api/docs — e.g. GET /api/v1/agency/dossiers",
    ]
