"""A local stand-in for the national portal, spoken to over real HTTP.

It checks what the real one would refuse (a session, the service names, required fields,
dates as yyyyMMddHHmmss, statuses 1–10, progress only for a dossier it knows) and keeps
what it accepted, so `TraCuuHoSo` answers. Used two ways:

- tests run `PortalSimulator().serve()` — a WSGI server on a free loopback port in a
  thread — and point PORTAL_URL at it;
- the demo (`PORTAL_SIMULATOR=true`, the default in development) mounts it in the app at
  `/_simulator/portal/`, storing what it received in the shared cache, so every web
  process sees the same portal.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from collections.abc import Callable
from wsgiref.simple_server import WSGIRequestHandler, make_server

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, JsonResponse

_DATE = re.compile(r"^\d{14}$")
REQUIRED_DOSSIER = ("MaHoSo", "MaTTHC", "TenTTHC", "ChuHoSo", "NgayTiepNhan", "DonViXuLy")
STATUSES = {str(n) for n in range(1, 11)}


class MemoryStore:
    def __init__(self):
        self._data: dict[str, dict] = {}
        self._lock = threading.Lock()

    def get(self, key: str):
        with self._lock:
            return self._data.get(key)

    def set(self, key: str, value) -> None:
        with self._lock:
            self._data[key] = value


class CacheStore:
    """Django's shared cache (database or Redis): the same portal for every process."""

    def get(self, key: str):
        return cache.get(f"portal-sim:{key}")

    def set(self, key: str, value) -> None:
        cache.set(f"portal-sim:{key}", value, timeout=30 * 24 * 3600)


class PortalSimulator:
    def __init__(self, username="postgov", password="postgov", store=None):  # noqa: S107
        self.username, self.password = username, password
        self.store = store or MemoryStore()
        self.fail_next = 0  # answer 503 to the next N calls (tests of retries)
        self.calls: list[tuple[str, dict]] = []

    # -- the protocol ------------------------------------------------------------------------
    def handle(self, path: str, body: dict) -> tuple[int, dict]:
        self.calls.append((path, body))
        if self.fail_next > 0:
            self.fail_next -= 1
            return 503, {"error_code": "-1", "message": "Hệ thống đang bận"}
        if path == "/auth":
            if body.get("username") == self.username and body.get("password") == self.password:
                session = secrets.token_hex(16)
                self.store.set(f"session:{session}", True)
                return 200, {"error_code": 0, "session": session}
            return 200, {"error_code": "-1", "message": "Sai tài khoản"}
        if not self.store.get(f"session:{body.get('session', '')}"):
            return 200, {"error_code": "-1", "message": "Phiên làm việc không hợp lệ"}
        if path == "/integration":
            return self._integration(body)
        if path == "/share" and body.get("service") == "TraCuuHoSo":
            record = self.store.get(f"dossier:{body.get('mahoso', '')}")
            return 200, {"error_code": "0", "result": [record] if record else []}
        return 404, {"error_code": "-1", "message": "Không có dịch vụ"}

    def _integration(self, body: dict) -> tuple[int, dict]:
        service, data = body.get("service"), body.get("data")
        if not isinstance(data, list) or not data:
            return 200, {"error_code": "-1", "message": "Thiếu dữ liệu"}
        for record in data:
            if not isinstance(record, dict):
                return 200, {"error_code": "-1", "message": "Dữ liệu không hợp lệ"}
            if service == "DongBoHoSoMC":
                problem = self._check_dossier(record)
                if problem:
                    return 200, {"error_code": "-1", "message": problem}
                self.store.set(f"dossier:{record['MaHoSo']}", {**record, "TienDo": []})
            elif service == "CapNhatTienDoHoSoMC":
                known = self.store.get(f"dossier:{record.get('MaHoSo', '')}")
                if not known:
                    return 200, {"error_code": "-1", "message": "Hồ sơ chưa được đồng bộ"}
                if record.get("TrangThai") not in STATUSES:
                    return 200, {"error_code": "-1", "message": "Trạng thái không hợp lệ"}
                if not _DATE.match(record.get("ThoiDiemXuLy", "")):
                    return 200, {"error_code": "-1", "message": "ThoiDiemXuLy sai định dạng"}
                known["TienDo"].append(record)
                known["TrangThaiHoSo"] = record["TrangThai"]
                self.store.set(f"dossier:{record['MaHoSo']}", known)
            else:
                return 200, {"error_code": "-1", "message": "Không có dịch vụ"}
        return 200, {"error_code": "0", "message": "Thành công"}

    @staticmethod
    def _check_dossier(record: dict) -> str:
        for name in REQUIRED_DOSSIER:
            if not record.get(name):
                return f"Thiếu {name}"
        for name in ("NgayTiepNhan", "NgayHenTra", "NgayTra", "NgayKetThucXuLy"):
            value = record.get(name, "")
            if value and not _DATE.match(value):
                return f"{name} sai định dạng yyyyMMddHHmmss"
        if record.get("TrangThaiHoSo") not in STATUSES:
            return "TrangThaiHoSo không hợp lệ"
        if record.get("HinhThuc") not in ("0", "1"):
            return "HinhThuc không hợp lệ"
        return ""

    def record(self, code: str) -> dict | None:
        return self.store.get(f"dossier:{code}")

    # -- WSGI --------------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = json.loads(environ["wsgi.input"].read(length) or b"{}")
            if not isinstance(body, dict):
                raise ValueError
        except ValueError:
            status, answer = 400, {"error_code": "-1", "message": "JSON không hợp lệ"}
        else:
            status, answer = self.handle(environ.get("PATH_INFO", ""), body)
        payload = json.dumps(answer, ensure_ascii=False).encode()
        reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 503: "Service Unavailable"}
        start_response(
            f"{status} {reason.get(status, 'Error')}",
            [
                ("Content-Type", "application/json; charset=utf-8"),
                ("Content-Length", str(len(payload))),
            ],
        )
        return [payload]

    def serve(self) -> tuple[str, Callable[[], None]]:
        """Serve on 127.0.0.1 (a free port) in a thread; returns (base URL, stop)."""

        class Quiet(WSGIRequestHandler):
            def log_message(self, *args):
                pass

        server = make_server("127.0.0.1", 0, self, handler_class=Quiet)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()

        def stop():
            server.shutdown()
            server.server_close()

        return f"http://127.0.0.1:{server.server_port}", stop


def django_view(request, path: str):
    """The simulator inside the app (demo only; mounted when PORTAL_SIMULATOR is on)."""
    if not getattr(settings, "PORTAL_SIMULATOR", False) or request.method != "POST":
        raise Http404
    simulator = PortalSimulator(settings.PORTAL_USERNAME, settings.PORTAL_PASSWORD, CacheStore())
    try:
        body = json.loads(request.body or b"{}")
        if not isinstance(body, dict):
            raise ValueError
    except ValueError:
        return JsonResponse({"error_code": "-1", "message": "JSON không hợp lệ"}, status=400)
    status, answer = simulator.handle("/" + path.strip("/"), body)
    return JsonResponse(answer, status=status, json_dumps_params={"ensure_ascii": False})
