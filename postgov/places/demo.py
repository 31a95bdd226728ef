"""The Quảng Trị demo: national units, a demo postal-code set and a demo network.

The new Quảng Trị (code 44) joins the old Quảng Bình (postal codes 47xxx) and the old
Quảng Trị (48xxx). The postal codes in `data/demo_postal_codes_quang_tri.csv` are made up
for the demo, in the national pattern: 47000/48000 for each old province, then per old
district a block (47100 Đồng Hới, 48100 Đông Hà, …) whose first code goes to the commune
named after the district's town; each code's reference point is its commune's centroid.
The service points are plausible, not a copy of the operator's network; their
coordinates are the centroids of the old wards or townships where such offices stand.

Codes are a contract with the other demos: QT-001 is "Bưu điện tỉnh Quảng Trị" (level 1,
Phường Đồng Hới) and QT-002 "Bưu điện Đông Hà" (level 1, Phường Đông Hà).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.db import transaction

from postgov.places.loading import load_admin_units
from postgov.places.models import Commune, PostalCodeSet, ServicePoint
from postgov.places.postal_codes import import_postal_codes

DEMO_POSTAL_CODES = Path(__file__).parent / "data" / "demo_postal_codes_quang_tri.csv"
DEMO_SET_NAME = "Mã bưu chính Quảng Trị (dữ liệu minh họa)"
DEMO_SET_SOURCE = "PostGov demo: codes made up in the national pattern, not official data"
DEMO_VALID_FROM = date(2025, 7, 1)

HOURS_LEVEL_1 = "Thứ Hai–Thứ Bảy 07:00–19:00; Chủ nhật 07:00–11:30"
HOURS_LEVEL_2 = "Thứ Hai–Thứ Bảy 07:00–17:30"
HOURS_LEVEL_3 = "Thứ Hai–Thứ Sáu 07:30–11:30, 13:30–17:00; Thứ Bảy 07:30–11:30"
HOURS_CULTURAL = "Thứ Hai–Thứ Bảy 07:00–11:00, 14:00–17:00"


@dataclass(frozen=True)
class DemoPoint:
    code: str
    name: str
    kind: str
    address: str
    commune_code: str
    latitude: float
    longitude: float
    postal_code: str
    opening_hours: str


K = ServicePoint.Kind
DEMO_POINTS: tuple[DemoPoint, ...] = (
    DemoPoint(
        "QT-001",
        "Bưu điện tỉnh Quảng Trị",
        K.POST_OFFICE_1,
        "2 Quang Trung",
        "18880",
        17.46852,
        106.62205,
        "47100",
        HOURS_LEVEL_1,
    ),
    DemoPoint(
        "QT-002",
        "Bưu điện Đông Hà",
        K.POST_OFFICE_1,
        "1 Trần Hưng Đạo",
        "19333",
        16.81948,
        107.10285,
        "48100",
        HOURS_LEVEL_1,
    ),
    DemoPoint(
        "QT-003",
        "Bưu điện Quảng Trị",
        K.POST_OFFICE_2,
        "28 Trần Hưng Đạo",
        "19360",
        16.75579,
        107.19424,
        "48200",
        HOURS_LEVEL_2,
    ),
    DemoPoint(
        "QT-004",
        "Bưu điện Ba Đồn",
        K.POST_OFFICE_2,
        "120 Hùng Vương",
        "19009",
        17.75398,
        106.42145,
        "47800",
        HOURS_LEVEL_2,
    ),
    DemoPoint(
        "QT-005",
        "Bưu điện Lệ Thủy",
        K.POST_OFFICE_2,
        "Khu phố 3 (thị trấn Kiến Giang cũ)",
        "19249",
        17.22409,
        106.78982,
        "47700",
        HOURS_LEVEL_2,
    ),
    DemoPoint(
        "QT-006",
        "Bưu điện Vĩnh Linh",
        K.POST_OFFICE_2,
        "25 Hùng Vương (thị trấn Hồ Xá cũ)",
        "19363",
        17.06336,
        107.01556,
        "48300",
        HOURS_LEVEL_2,
    ),
    DemoPoint(
        "QT-007",
        "Bưu điện Hướng Hóa",
        K.POST_OFFICE_2,
        "74 Lê Duẩn (thị trấn Khe Sanh cũ)",
        "19429",
        16.61927,
        106.73231,
        "48400",
        HOURS_LEVEL_2,
    ),
    DemoPoint(
        "QT-008",
        "Bưu điện Bố Trạch",
        K.POST_OFFICE_2,
        "Tiểu khu 5 (thị trấn Hoàn Lão cũ)",
        "19111",
        17.58587,
        106.52600,
        "47501",
        HOURS_LEVEL_2,
    ),
    DemoPoint(
        "QT-009",
        "Bưu điện Quảng Ninh",
        K.POST_OFFICE_2,
        "Tiểu khu 1 (thị trấn Quán Hàu cũ)",
        "19207",
        17.40442,
        106.63797,
        "47600",
        HOURS_LEVEL_2,
    ),
    DemoPoint(
        "QT-010",
        "Bưu điện Gio Linh",
        K.POST_OFFICE_2,
        "Khóa 1 (thị trấn Gio Linh cũ)",
        "19495",
        16.92914,
        107.08347,
        "48500",
        HOURS_LEVEL_2,
    ),
    DemoPoint(
        "QT-011",
        "Bưu điện Triệu Phong",
        K.POST_OFFICE_2,
        "Quốc lộ 1 (thị trấn Ái Tử cũ)",
        "19624",
        16.77126,
        107.16322,
        "48800",
        HOURS_LEVEL_2,
    ),
    DemoPoint(
        "QT-012",
        "Bưu điện Hải Lăng",
        K.POST_OFFICE_2,
        "Khóm 2 (thị trấn Diên Sanh cũ)",
        "19681",
        16.69961,
        107.26323,
        "48901",
        HOURS_LEVEL_2,
    ),
    DemoPoint(
        "QT-013",
        "Bưu điện Cam Lộ",
        K.POST_OFFICE_2,
        "Khu phố 2 (thị trấn Cam Lộ cũ)",
        "19597",
        16.79620,
        107.00375,
        "48700",
        HOURS_LEVEL_2,
    ),
    DemoPoint(
        "QT-014",
        "Bưu điện Lao Bảo",
        K.POST_OFFICE_3,
        "Khóm Ka Tăng (thị trấn Lao Bảo cũ)",
        "19432",
        16.62730,
        106.59966,
        "48401",
        HOURS_LEVEL_3,
    ),
    DemoPoint(
        "QT-015",
        "Bưu điện Phong Nha",
        K.POST_OFFICE_3,
        "Tiểu khu 2 (thị trấn Phong Nha cũ)",
        "19138",
        17.59831,
        106.29488,
        "47503",
        HOURS_LEVEL_3,
    ),
    DemoPoint(
        "QT-016",
        "Bưu điện Cửa Việt",
        K.POST_OFFICE_3,
        "Khu phố 3 (thị trấn Cửa Việt cũ)",
        "19496",
        16.90603,
        107.18113,
        "48501",
        HOURS_LEVEL_3,
    ),
    DemoPoint(
        "QT-017",
        "Điểm Bưu điện – Văn hóa xã Cồn Cỏ",
        K.CULTURAL_POST,
        "Khu trung tâm hành chính",
        "19742",
        17.15925,
        107.33900,
        "48050",
        HOURS_CULTURAL,
    ),
    DemoPoint(
        "QT-018",
        "Điểm Bưu điện – Văn hóa xã Trường Sơn",
        K.CULTURAL_POST,
        "Thôn Hà Vụng",
        "19204",
        17.22173,
        106.39348,
        "47601",
        HOURS_CULTURAL,
    ),
    DemoPoint(
        "QT-019",
        "Điểm Bưu điện – Văn hóa xã Hướng Phùng",
        K.CULTURAL_POST,
        "Thôn Hướng Choa",
        "19441",
        16.73624,
        106.59377,
        "48403",
        HOURS_CULTURAL,
    ),
    DemoPoint(
        "QT-020",
        "Điểm Bưu điện – Văn hóa xã Tân Thành",
        K.CULTURAL_POST,
        "Bản Hóa Sơn",
        "18919",
        17.71982,
        105.92299,
        "47202",
        HOURS_CULTURAL,
    ),
)


def load_demo_postal_codes() -> bool:
    """Import the demo postal codes once; True when they were imported now. A set
    imported for real (not demo) is never replaced by the demo."""
    if PostalCodeSet.objects.filter(is_demo=True, name=DEMO_SET_NAME).exists():
        return False
    if PostalCodeSet.objects.filter(is_current=True, is_demo=False).exists():
        return False
    import_postal_codes(
        DEMO_POSTAL_CODES, DEMO_SET_NAME, DEMO_VALID_FROM, source=DEMO_SET_SOURCE, is_demo=True
    )
    return True


def load_demo_points() -> tuple[int, int]:
    """Create or correct the demo points; (created, updated). Points an admin marked as
    not demo are left alone."""
    communes = {
        c.code: c for c in Commune.objects.filter(code__in={p.commune_code for p in DEMO_POINTS})
    }
    existing = {
        p.code: p for p in ServicePoint.objects.filter(code__in={p.code for p in DEMO_POINTS})
    }
    created = updated = 0
    for demo in DEMO_POINTS:
        values = {
            "name": demo.name,
            "kind": demo.kind,
            "address": demo.address,
            "commune": communes[demo.commune_code],
            "latitude": demo.latitude,
            "longitude": demo.longitude,
            "postal_code": demo.postal_code,
            "opening_hours": demo.opening_hours,
        }
        point = existing.get(demo.code)
        if point is None:
            ServicePoint.objects.create(code=demo.code, is_demo=True, **values)
            created += 1
            continue
        if not point.is_demo:
            continue
        changed = [name for name, value in values.items() if getattr(point, name) != value]
        if changed:
            for name in changed:
                setattr(point, name, values[name])
            point.save(update_fields=[*changed, "name_folded"])
            updated += 1
    return created, updated


def _state(units) -> str:
    if units.already_loaded:
        return "already loaded"
    return "loaded" if units.changed else "unchanged"


@transaction.atomic
def load_demo() -> str:
    units = load_admin_units()
    codes_loaded = load_demo_postal_codes()
    created, updated = load_demo_points()
    return (
        f"admin units {_state(units)} "
        f"({units.seconds:.1f} s); demo postal codes "
        f"{'imported' if codes_loaded else 'already there'}; service points: "
        f"{created} created, {updated} updated, {len(DEMO_POINTS) - created - updated} unchanged"
    )
