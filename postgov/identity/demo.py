"""Demo users, one per role, at the demo network's first points and agencies."""

from __future__ import annotations

from django.db import transaction

from postgov.agencies.models import Agency
from postgov.identity.models import Role, RoleAssignment, User
from postgov.places.models import Province, ServicePoint

DEMO_PASSWORD = "PostGov-demo-2026"  # noqa: S105  (printed by make run, demo only)

# username, full name, role, where (service point code / agency unit code / province code)
DEMO_USERS: tuple[tuple[str, str, str, str], ...] = (
    ("gdv.donghoi", "Nguyễn Thị Lan", Role.CLERK, "QT-001"),
    ("gdv.dongha", "Trần Văn Bình", Role.CLERK, "QT-002"),
    ("buuta.donghoi", "Lê Văn Cường", Role.POSTMAN, "QT-001"),
    ("giamsat.donghoi", "Phạm Thị Dung", Role.SUPERVISOR, "QT-001"),
    ("tiepnhan.tinh", "Hoàng Văn Em", Role.AGENCY_RECEIVER, "000.00.01.H44"),
    ("chuyenvien.tinh", "Võ Thị Giang", Role.AGENCY_OFFICER, "000.00.01.H44"),
    ("quantri.qt", "Bùi Văn Khoa", Role.PROVINCIAL_ADMIN, "44"),
    ("kiemtoan.qt", "Đỗ Thị Mai", Role.AUDITOR, "44"),
)


def _where(role: str, code: str) -> dict:
    if role in (Role.CLERK, Role.POSTMAN, Role.SUPERVISOR):
        return {"service_point": ServicePoint.objects.get(code=code)}
    if role in (Role.AGENCY_RECEIVER, Role.AGENCY_OFFICER):
        return {"agency": Agency.objects.get(unit_code=code)}
    return {"province": Province.objects.get(code=code)}


@transaction.atomic
def load_demo() -> str:
    created = 0
    for username, full_name, role, code in DEMO_USERS:
        user, is_new = User.objects.get_or_create(
            username=username,
            defaults={"full_name": full_name, "is_staff": role == Role.PROVINCIAL_ADMIN},
        )
        if is_new:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            created += 1
        RoleAssignment.objects.get_or_create(user=user, role=role, **_where(role, code))
    return f"{created} demo users created, {len(DEMO_USERS) - created} already there"


# Other demos print their own lines (e.g. an agency's API key): modules with a
# `demo_logins_lines()` function.
EXTRA_LINES: tuple[str, ...] = ("postgov.reports.demo",)


def demo_logins_text() -> str:
    from importlib import import_module

    lines = ["", f"Demo logins (password for all: {DEMO_PASSWORD})", "-" * 60]
    for username, _full_name, role, code in DEMO_USERS:
        lines.append(f"  {Role(role).label:<28} {username:<18} ({code})")
    for module in EXTRA_LINES:
        lines += import_module(module).demo_logins_lines()
    lines.append("")
    return "\n".join(lines)
