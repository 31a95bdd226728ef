"""The cast of the tests: who works where (docs/domain.md §1).

- clerk_a, postman_a, supervisor_a work at point A (Bưu điện Đông Hà);
- clerk_b works at point B (Bưu điện Đồng Hới), same province;
- agency_receiver and agency_officer work at agency A (Trung tâm PVHCC tỉnh);
- officer_b works at agency B (UBND phường Đồng Hới);
- provincial_admin and auditor oversee the province;
- citizen has a PostID account and no staff role; outsider has an account and no role.

Outside the world (built only by the tests that need them, so every other test keeps the
same cast): `make_national_admin` (portals, upstream providers, national reference data)
and `make_second_province` (another province with its own point, agency and admin).
"""

from __future__ import annotations

from dataclasses import dataclass

from postgov.agencies.models import Agency
from postgov.identity.models import Role, RoleAssignment, User
from postgov.places.models import Commune, Province, ServicePoint

PASSWORD = "correct horse battery staple"
# Every staff persona has an authenticator app with this secret (staff must give a second
# factor at login); tests compute the code with pyotp.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def totp_code(at: float | None = None) -> str:
    import time

    import pyotp

    return pyotp.TOTP(TOTP_SECRET).at(at if at is not None else time.time())


@dataclass
class World:
    province: Province
    commune_a: Commune
    commune_b: Commune
    point_a: ServicePoint
    point_b: ServicePoint
    agency_a: Agency
    agency_b: Agency
    clerk_a: User
    clerk_b: User
    postman_a: User
    supervisor_a: User
    agency_receiver: User
    agency_officer: User
    officer_b: User
    provincial_admin: User
    auditor: User
    citizen: User
    outsider: User


def make_user(username: str, full_name: str, **extra) -> User:
    user = User(username=username, full_name=full_name, **extra)
    user.set_password(PASSWORD)
    user.save()
    return user


def give_role(user: User, role: str, **where) -> RoleAssignment:
    from django.utils import timezone

    from postgov.identity.otp import new_totp_device

    if not user.totp_devices.exists():
        device = new_totp_device(user, "Test app", secret=TOTP_SECRET)
        device.confirmed_at = timezone.now()
        device.save(update_fields=["confirmed_at"])
    return RoleAssignment.objects.create(user=user, role=role, **where)


def build_world() -> World:
    province = Province.objects.create(
        code="44", name="Tỉnh Quảng Trị", short_name="Quảng Trị", latitude=17.24, longitude=106.53
    )
    commune_a = Commune.objects.create(
        code="19333",
        province=province,
        name="Phường Đông Hà",
        short_name="Đông Hà",
        kind=Commune.Kind.WARD,
        latitude=16.802,
        longitude=107.071,
    )
    commune_b = Commune.objects.create(
        code="18880",
        province=province,
        name="Phường Đồng Hới",
        short_name="Đồng Hới",
        kind=Commune.Kind.WARD,
        latitude=17.4522,
        longitude=106.632,
    )
    point_a = ServicePoint.objects.create(
        code="TEST-A",
        name="Bưu điện Đông Hà",
        kind=ServicePoint.Kind.POST_OFFICE_1,
        address="1 Trần Hưng Đạo",
        commune=commune_a,
        postal_code="48100",
    )
    point_b = ServicePoint.objects.create(
        code="TEST-B",
        name="Bưu điện Đồng Hới",
        kind=ServicePoint.Kind.POST_OFFICE_1,
        address="2 Quang Trung",
        commune=commune_b,
        postal_code="47100",
    )
    agency_a = Agency.objects.create(
        unit_code="000.00.44.H56",
        name="Trung tâm Phục vụ hành chính công tỉnh Quảng Trị",
        level="province",
        desk_kind=Agency.DeskKind.SERVICE_CENTRE,
        province=province,
        commune=commune_b,
        address="Đồng Hới",
        office_hours=["07:30-11:30", "13:30-17:00"],
    )
    agency_b = Agency.objects.create(
        unit_code="000.01.44.H56",
        name="UBND phường Đồng Hới",
        level="commune",
        desk_kind=Agency.DeskKind.ONE_STOP,
        province=province,
        commune=commune_b,
        address="Đồng Hới",
        office_hours=["07:30-11:30", "13:30-17:00"],
    )

    clerk_a = make_user("clerk_a", "Nguyễn Thị Lan")
    give_role(clerk_a, Role.CLERK, service_point=point_a)
    clerk_b = make_user("clerk_b", "Trần Văn Bình")
    give_role(clerk_b, Role.CLERK, service_point=point_b)
    postman_a = make_user("postman_a", "Lê Văn Cường")
    give_role(postman_a, Role.POSTMAN, service_point=point_a)
    supervisor_a = make_user("supervisor_a", "Phạm Thị Dung")
    give_role(supervisor_a, Role.SUPERVISOR, service_point=point_a)
    agency_receiver = make_user("receiver_a", "Hoàng Văn Em")
    give_role(agency_receiver, Role.AGENCY_RECEIVER, agency=agency_a)
    agency_officer = make_user("officer_a", "Võ Thị Giang")
    give_role(agency_officer, Role.AGENCY_OFFICER, agency=agency_a)
    officer_b = make_user("officer_b", "Đặng Văn Hải")
    give_role(officer_b, Role.AGENCY_OFFICER, agency=agency_b)
    provincial_admin = make_user("admin_qt", "Bùi Văn Khoa", is_staff=True)
    give_role(provincial_admin, Role.PROVINCIAL_ADMIN, province=province)
    auditor = make_user("auditor_qt", "Đỗ Thị Mai")
    give_role(auditor, Role.AUDITOR, province=province)
    from django.utils import timezone

    citizen = make_user(
        "citizen",
        "Ngô Văn Nam",
        phone="0912345678",
        phone_verified_at=timezone.now(),
        email="nam@example.com",
    )
    outsider = make_user("outsider", "Người Ngoài")

    return World(
        province=province,
        commune_a=commune_a,
        commune_b=commune_b,
        point_a=point_a,
        point_b=point_b,
        agency_a=agency_a,
        agency_b=agency_b,
        clerk_a=clerk_a,
        clerk_b=clerk_b,
        postman_a=postman_a,
        supervisor_a=supervisor_a,
        agency_receiver=agency_receiver,
        agency_officer=agency_officer,
        officer_b=officer_b,
        provincial_admin=provincial_admin,
        auditor=auditor,
        citizen=citizen,
        outsider=outsider,
    )


def make_national_admin(username: str = "admin_vn", full_name: str = "Trịnh Văn Quốc") -> User:
    user = make_user(username, full_name, is_staff=True)
    give_role(user, Role.NATIONAL_ADMIN)
    return user


@dataclass
class SecondProvince:
    province: Province
    commune: Commune
    point: ServicePoint
    agency: Agency
    clerk: User
    admin: User


def make_second_province() -> SecondProvince:
    """Huế, with a point, an agency, a clerk and a provincial administrator."""
    province = Province.objects.create(
        code="46", name="Thành phố Huế", short_name="Huế", latitude=16.46, longitude=107.59
    )
    commune = Commune.objects.create(
        code="19900",
        province=province,
        name="Phường Thuận Hóa",
        short_name="Thuận Hóa",
        kind=Commune.Kind.WARD,
        latitude=16.46,
        longitude=107.59,
    )
    point = ServicePoint.objects.create(
        code="TEST-HUE",
        name="Bưu điện Huế",
        kind=ServicePoint.Kind.POST_OFFICE_1,
        address="8 Hoàng Hoa Thám",
        commune=commune,
        postal_code="49000",
    )
    agency = Agency.objects.create(
        unit_code="000.00.46.H57",
        name="Trung tâm Phục vụ hành chính công thành phố Huế",
        level="province",
        desk_kind=Agency.DeskKind.SERVICE_CENTRE,
        province=province,
        commune=commune,
        address="Huế",
        office_hours=["07:30-11:30", "13:30-17:00"],
    )
    clerk = make_user("clerk_hue", "Tôn Nữ Hoa")
    give_role(clerk, Role.CLERK, service_point=point)
    admin = make_user("admin_hue", "Nguyễn Phúc Vĩnh", is_staff=True)
    give_role(admin, Role.PROVINCIAL_ADMIN, province=province)
    return SecondProvince(province, commune, point, agency, clerk, admin)
