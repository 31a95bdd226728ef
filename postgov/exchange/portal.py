"""Sync with the National Public Service Portal (Cổng Dịch vụ công quốc gia), behind an
adapter interface.

No official public specification exists; the shape follows the open-source precedent
(OpenCPS): log in for a session token, then POST to the integration endpoint
`{"session", "madonvi", "service", "data": [...]}` with the services `DongBoHoSoMC` (push a
dossier) and `CapNhatTienDoHoSoMC` (push its progress), and look up with `TraCuuHoSo`.
Dates are `yyyyMMddHHmmss` in Asia/Ho_Chi_Minh; statuses are TrangThaiHoSo 1–10.

A dossier is pushed once it is legally received (the hand-over); every later change with
a national status is pushed as progress. Messages are queued in the change's transaction
(`PortalSyncItem`), sent in order per dossier by the worker, retried with backoff, and
the ones not yet synced are listed in the sync report. Without a configured portal they
wait in the queue (and in the report) until one is.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from postgov.agencies.models import Agency
from postgov.dossiers.models import Dossier, DossierEvent, ReturnMethod
from postgov.dossiers.orders.models import OrderEvent, OrderKind, PostalOrder
from postgov.dossiers.orders.workflow import BY_ACTION
from postgov.dossiers.workflow import STATES
from postgov.exchange.models import PortalSyncItem
from postgov.lib import outbound
from postgov.lib.locking import lock_rows
from postgov.lib.workingtime import VIETNAM

logger = logging.getLogger("postgov.portal")

DOSSIER = PortalSyncItem.Service.DOSSIER
PROGRESS = PortalSyncItem.Service.PROGRESS
MAX_ATTEMPTS = 10
BASE_DELAY = 60
MAX_ANSWER_BYTES = 5_000_000  # a lookup's answer lists a dossier's whole history
# Reasons of our own, beside the outbound guard's: the portal's own message is not kept.
LOGIN_REFUSED = "portal login refused"
MESSAGE_REFUSED = "message refused by the portal"
LABELS = {
    LOGIN_REFUSED: _("portal login refused"),
    MESSAGE_REFUSED: _("message refused by the portal"),
}


class PortalError(Exception):
    """The portal did not take the message; it will be retried. The text is a coarse
    reason (it is shown in the sync report); what the portal said, if anything, is kept
    apart in `portal_message` and never stored."""

    def __init__(self, reason: str, portal_message: str = ""):
        super().__init__(reason)
        self.portal_message = portal_message


class PortalAdapter(Protocol):
    def push(self, service: str, records: list[dict], *, updating: bool = False) -> None: ...

    def lookup(self, code: str) -> list[dict]: ...


def portal_date(moment: datetime | None) -> str:
    """2026-11-30 10:00 (any zone) -> '20261130100000' in Vietnam time; '' for none."""
    if moment is None:
        return ""
    return moment.astimezone(VIETNAM).strftime("%Y%m%d%H%M%S")


class HttpPortal:
    """The portal (or its local simulator) over HTTP, JSON in and out, through the
    outbound guard: its address comes from the environment, but the answers' details
    never reach the sync report (they go to the log, as codes)."""

    def __init__(self, base_url: str, username: str, password: str, unit_code: str, timeout=20):
        self.base_url = base_url.rstrip("/")
        self.username, self.password, self.unit_code = username, password, unit_code
        self.timeout = timeout

    def _post(self, path: str, body: dict) -> dict:
        try:
            answer = outbound.request(
                "POST",
                self.base_url + path,
                body=json.dumps(body, ensure_ascii=False).encode(),
                headers={
                    "Content-Type": "application/json; charset=utf-8",
                    "Accept": "application/json",
                },
                timeout=self.timeout,
                max_bytes=MAX_ANSWER_BYTES,
            )
            content = answer.json() if answer.body else {}
        except outbound.OutboundError as exc:
            raise PortalError(exc.reason) from exc
        if not isinstance(content, dict):
            raise PortalError(outbound.BAD_ANSWER)
        return content

    def _session(self) -> str:
        answer = self._post("/auth", {"username": self.username, "password": self.password})
        if str(answer.get("error_code")) not in ("0", "00") or not answer.get("session"):
            logger.warning("portal login refused (error_code %r)", answer.get("error_code"))
            raise PortalError(LOGIN_REFUSED, str(answer.get("message", ""))[:200])
        return answer["session"]

    def push(self, service: str, records: list[dict], *, updating: bool = False) -> None:
        body = {
            "session": self._session(),
            "madonvi": self.unit_code,
            "service": service,
            "isUpdating": "True" if updating else "False",
            "data": records,
        }
        answer = self._post("/integration", body)
        if str(answer.get("error_code")) not in ("0", "00"):
            logger.warning("portal refused %s (error_code %r)", service, answer.get("error_code"))
            raise PortalError(MESSAGE_REFUSED, str(answer.get("message", ""))[:200])

    def lookup(self, code: str) -> list[dict]:
        body = {
            "session": self._session(),
            "madonvi": self.unit_code,
            "service": "TraCuuHoSo",
            "mahoso": code,
        }
        result = self._post("/share", body).get("result") or []
        return list(result) if isinstance(result, list) else []


def error_label(reason: str) -> str:
    """A message's last error in the page's language (an older, detailed text is shown as
    "failed")."""
    return outbound.label(reason, LABELS)


def configured() -> bool:
    return bool(getattr(settings, "PORTAL_URL", ""))


def adapter() -> PortalAdapter:
    return HttpPortal(
        settings.PORTAL_URL,
        settings.PORTAL_USERNAME,
        settings.PORTAL_PASSWORD,
        settings.PORTAL_UNIT_CODE,
    )


# -- the records, in the portal's shape ----------------------------------------------------


def _agency_name(dossier: Dossier) -> str:
    # Only a dossier routed to an agency is reported (queue_sync).
    if dossier.agency is None:
        raise ValueError(f"dossier {dossier.pk} has no agency to report to the portal")
    return dossier.agency.name


def dossier_record(dossier: Dossier) -> dict:
    """DongBoHoSoMC: the dossier as the portal registers it."""
    procedure = dossier.procedure_version.procedure
    documents = [
        {"TenTepDinhKem": doc.name, "IsDeleted": "False", "MaThanhPhanHoSo": str(doc.position)}
        for doc in dossier.documents.filter(present=True)
    ]
    fees = (
        [
            {
                "TenPhiLePhi": "Lệ phí",
                "MaPhiLePhi": procedure.code,
                "HinhThucThu": "Thu hộ qua bưu chính",
                "Gia": str(dossier.procedure_fee),
                "LoaiPhiLePhi": "1",
            }
        ]
        if dossier.procedure_fee
        else []
    )
    return {
        "MaHoSo": dossier.code,
        "MaTTHC": procedure.code,
        "TenTTHC": procedure.name,
        "MaLinhVuc": "",
        "TenLinhVuc": procedure.field,
        "KenhThucHien": "3",  # via the public postal service
        "ChuHoSo": dossier.applicant_name,
        "LoaiDoiTuong": "1",
        "MaDoiTuong": "",
        "ThongTinKhac": "",
        "Email": dossier.applicant_email,
        "Fax": "",
        "SoDienThoai": dossier.applicant_phone,
        "TrichYeuHoSo": procedure.name,
        "NgayTiepNhan": portal_date(dossier.submitted_at),
        "NgayHenTra": portal_date(dossier.due_at),
        "TrangThaiHoSo": str(dossier_status(dossier)),
        "NgayTra": "",
        "ThongTinTra": "",
        "HinhThuc": "0" if dossier.return_method == ReturnMethod.AT_AGENCY else "1",
        "NgayKetThucXuLy": "",
        "DonViXuLy": _agency_name(dossier),
        "GhiChu": "Tiếp nhận qua dịch vụ bưu chính công ích",
        "TaiLieuNop": documents,
        "DanhSachLePhi": fees,
        "DanhSachTepDinhKemKhac": [],
        "DanhSachHoSoBoSung": [],
        "DanhSachGiayToKetQua": [
            {"TenGiayTo": r.name, "GiayToId": str(r.pk)} for r in dossier.result_documents.all()
        ],
    }


def dossier_status(dossier: Dossier) -> int:
    return STATES[dossier.status].national_status or 1


def progress_record(dossier: Dossier, event: DossierEvent) -> dict:
    """CapNhatTienDoHoSoMC: one step of processing."""
    return {
        "MaHoSo": dossier.code,
        "NguoiXuLy": event.actor.get_full_name() if event.actor is not None else "Hệ thống",
        "ChucDanh": "",
        "ThoiDiemXuLy": portal_date(event.at),
        "PhongBanXuLy": _agency_name(dossier),
        "NoiDungXuLy": event.note or str(event.code),
        "TrangThai": str(event.national_status),
        "NgayBatDau": portal_date(dossier.submitted_at),
        "NgayKetThucTheoQuyDinh": portal_date(dossier.due_at),
    }


# -- the queue -----------------------------------------------------------------------------


def queue_sync(dossier: Dossier, event: DossierEvent) -> None:
    """AFTER_TRANSITION hook: queue what the portal must hear of this change."""
    if event.national_status is None or not dossier.agency_id or not dossier.code:
        return
    if dossier.submitted_at is None:
        return  # not legally received yet: nothing for the portal
    queued = False
    if not PortalSyncItem.objects.filter(dossier=dossier, service=DOSSIER).exists():
        PortalSyncItem.objects.create(
            dossier=dossier,
            province_id=dossier.province_id,
            service=DOSSIER,
            payload=dossier_record(dossier),
        )
        queued = True
    if event.action != "hand_over" or not queued:
        PortalSyncItem.objects.create(
            dossier=dossier,
            province_id=dossier.province_id,
            service=PROGRESS,
            payload=progress_record(dossier, event),
        )
    if configured():
        sync_dossier.enqueue(dossier.pk)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(BASE_DELAY * 2 ** (attempts - 1), 6 * 3600))


LEASE = timedelta(minutes=2)


@task()
def sync_dossier(dossier_id: int) -> str:
    """Send the dossier's pending messages in order; stop at the first failure."""
    return _send_pending({"dossier_id": dossier_id}, lambda: sync_dossier, dossier_id)


@task()
def sync_order(order_id: int) -> str:
    """Send a postal order's pending progress messages in order (decision 0016)."""
    return _send_pending({"order_id": order_id}, lambda: sync_order, order_id)


def _send_pending(owner: dict, task_of, owner_id: int) -> str:
    """Send one owner's pending messages in order; stop at the first failure.

    The messages are claimed for a short lease in one transaction and sent outside it, so
    a slow portal holds no database lock (and two workers never send the same dossier)."""
    if not configured():
        return "portal not configured"
    now = timezone.now()
    with transaction.atomic():
        items = lock_rows(
            PortalSyncItem.objects.filter(**owner).exclude(
                status__in=[PortalSyncItem.Status.SYNCED, PortalSyncItem.Status.FAILED]
            )
        )
        if any(item.sending_until and item.sending_until > now for item in items):
            return "being sent by another worker"
        PortalSyncItem.objects.filter(pk__in=[item.pk for item in items]).update(
            sending_until=now + LEASE
        )
    portal = adapter()
    sent = 0
    for index, item in enumerate(items):
        item.attempts += 1
        try:
            portal.push(item.service, [item.payload], updating=item.attempts > 1)
        except PortalError as exc:
            item.last_error = str(exc)[:300]
            if item.attempts >= MAX_ATTEMPTS:
                item.status = PortalSyncItem.Status.FAILED
                item.next_attempt_at = None
            else:
                item.status = PortalSyncItem.Status.RETRYING
                item.next_attempt_at = timezone.now() + backoff(item.attempts)
            item.sending_until = None
            with transaction.atomic():
                item.save(
                    update_fields=[
                        "attempts",
                        "last_error",
                        "status",
                        "next_attempt_at",
                        "sending_until",
                    ]
                )
                rest = [later.pk for later in items[index + 1 :]]
                PortalSyncItem.objects.filter(pk__in=rest).update(sending_until=None)
                if item.status == PortalSyncItem.Status.RETRYING:
                    task_of().using(run_after=item.next_attempt_at).enqueue(owner_id)
            return f"stopped after {sent}: {item.last_error}"
        item.status = PortalSyncItem.Status.SYNCED
        item.synced_at = timezone.now()
        item.last_error = ""
        item.sending_until = None
        item.save(update_fields=["attempts", "status", "synced_at", "last_error", "sending_until"])
        sent += 1
    return f"{sent} synced"


# -- postal orders (decision 0016) ---------------------------------------------------------
# The dossier was filed online: the portal knows it already. It hears of each step the
# post takes with its result or originals, as progress of that dossier.

ORDER_STATUS = {"deliver": 10, "receive_originals": 4, "dispatch": 4, "hand_over": 4}


def order_progress_record(order: PostalOrder, event: OrderEvent) -> dict:
    status = ORDER_STATUS.get(event.action, 9 if order.kind == OrderKind.RESULT_DELIVERY else 4)
    label = BY_ACTION[event.action].label
    item = order.items.values_list("item_id", flat=True).first()
    return {
        "MaHoSo": order.portal_code,
        "NguoiXuLy": event.actor.get_full_name() if event.actor is not None else "Hệ thống",
        "ChucDanh": "",
        "ThoiDiemXuLy": portal_date(event.at),
        "PhongBanXuLy": f"Bưu điện — {order.service_point.name}",
        "NoiDungXuLy": f"{label} ({order.code}, {item})",
        "TrangThai": str(status),
        "NgayBatDau": portal_date(order.created_at),
        "NgayKetThucTheoQuyDinh": "",
    }


def queue_order_sync(order: PostalOrder, event: OrderEvent) -> None:
    """AFTER_ORDER_STEP hook: the portal hears of the step, in the step's transaction."""
    with translation.override("vi"):
        payload = order_progress_record(order, event)
    PortalSyncItem.objects.create(
        order=order, province_id=order.province_id, service=PROGRESS, payload=payload
    )
    if configured():
        sync_order.enqueue(order.pk)


def check_dossier(agency: Agency, code: str) -> tuple[str, str] | None:
    """DOSSIER_CHECKS hook: the portal must know the dossier and not have its result
    returned already. Without a configured portal, nothing to ask."""
    if not configured():
        return None
    try:
        found = adapter().lookup(code)
    except PortalError:
        return "portal_unavailable", str(
            _("The national portal cannot be reached to check the dossier; try again later.")
        )
    if not found:
        return "unknown_dossier", str(
            _("The national portal does not know dossier %(code)s.") % {"code": code}
        )
    if str(found[0].get("TrangThaiHoSo", "")) == "10":
        return "already_delivered", str(
            _("The national portal says the result of %(code)s was already returned.")
            % {"code": code}
        )
    return None


def retry_pending(limit: int = 500) -> int:
    """Re-queue dossiers whose messages wait with no task planned (portal configured after
    they were queued, or a worker lost). Called by the SLA task."""
    if not configured():
        return 0
    now = timezone.now()
    for order_id in set(
        PortalSyncItem.objects.filter(order__isnull=False)
        .exclude(status__in=[PortalSyncItem.Status.SYNCED, PortalSyncItem.Status.FAILED])
        .values_list("order_id", flat=True)
        .distinct()[:limit]
    ):
        sync_order.enqueue(order_id)
    waiting = (
        PortalSyncItem.objects.filter(status=PortalSyncItem.Status.PENDING, dossier__isnull=False)
        .values_list("dossier_id", flat=True)
        .distinct()[:limit]
    )
    overdue_retries = (
        PortalSyncItem.objects.filter(
            status=PortalSyncItem.Status.RETRYING,
            next_attempt_at__lt=now - timedelta(hours=1),
            dossier__isnull=False,
        )
        .values_list("dossier_id", flat=True)
        .distinct()[:limit]
    )
    ids = set(waiting) | set(overdue_retries)
    for dossier_id in ids:
        sync_dossier.enqueue(dossier_id)
    return len(ids)


def not_synced_report(province_ids=None):
    """What is not yet on the portal: messages not synced (by status) and dossiers
    received by an agency that have no message at all."""
    items = PortalSyncItem.objects.exclude(status=PortalSyncItem.Status.SYNCED)
    received = Dossier.objects.filter(submitted_at__isnull=False)
    if province_ids is not None:
        items = items.filter(province__in=province_ids)
        received = received.filter(province__in=province_ids)
    counts = dict(items.values_list("status").annotate(n=Count("id")).order_by())
    missing = received.exclude(
        Exists(PortalSyncItem.objects.filter(dossier=OuterRef("pk"), service=DOSSIER))
    )
    return {
        "counts": counts,
        "items": items.select_related("dossier").order_by("status", "created_at"),
        "missing": missing,
    }
