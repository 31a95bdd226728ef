"""Demo users, one per role, at the demo network's first points and agencies (and a
national administrator, who can approve the provincial administrator's role grants); two
demo citizens (level 1 and level 2) and a demo portal to try the OpenID Connect flow.

Staff log in with a second factor: each demo staff account has an authenticator-app
secret derived from its username, printed by `manage.py demo_logins`.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import date
from importlib import import_module

import pyotp
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from postgov.agencies.models import Agency
from postgov.demo import require_development
from postgov.identity.models import (
    ADMIN_ROLES,
    AGENCY_ROLES,
    POINT_ROLES,
    Level,
    RelyingParty,
    Role,
    RoleAssignment,
    TotpDevice,
    User,
)
from postgov.identity.otp import new_totp_device
from postgov.places.models import Commune, Province, ServicePoint

DEMO_PASSWORD = "PostGov-demo-2026"  # noqa: S105  (printed by make run, demo only)
DEMO_PORTAL_CLIENT_ID = "demo-portal"
DEMO_PORTAL_SECRET = "demo-portal-secret-not-for-production"  # noqa: S105

# username, full name, role, where (service point code / agency unit code / province code;
# empty for the national role)
DEMO_USERS: tuple[tuple[str, str, str, str], ...] = (
    ("gdv.donghoi", "Nguyễn Thị Lan", Role.CLERK, "QT-001"),
    ("gdv.dongha", "Trần Văn Bình", Role.CLERK, "QT-002"),
    ("buuta.donghoi", "Lê Văn Cường", Role.POSTMAN, "QT-001"),
    ("giamsat.donghoi", "Phạm Thị Dung", Role.SUPERVISOR, "QT-001"),
    ("tiepnhan.tinh", "Hoàng Văn Em", Role.AGENCY_RECEIVER, "000.00.01.H44"),
    ("chuyenvien.tinh", "Võ Thị Giang", Role.AGENCY_OFFICER, "000.00.01.H44"),
    ("quantri.qt", "Bùi Văn Khoa", Role.PROVINCIAL_ADMIN, "44"),
    ("kiemtoan.qt", "Đỗ Thị Mai", Role.AUDITOR, "44"),
    ("quantri.quocgia", "Trịnh Văn Quốc", Role.NATIONAL_ADMIN, ""),
)
# username, full name, level, gender, birth date, ID number, phone
DEMO_CITIZENS = (
    (
        "congdan.muc1",
        "Ngô Văn Nam",
        Level.BASIC,
        "male",
        date(1990, 5, 17),
        "045090123456",
        "0912000001",
    ),
    (
        "congdan.muc2",
        "Lê Thị Hoa",
        Level.VERIFIED,
        "female",
        date(1985, 3, 2),
        "045185654321",
        "0912000002",
    ),
)


def demo_totp_secret(username: str) -> str:
    """Deterministic, so the printed secret is the same on every machine (demo only)."""
    digest = hashlib.sha256(f"postgov-demo-totp:{username}".encode()).digest()[:20]
    return base64.b32encode(digest).decode()


def _where(role: str, code: str) -> dict:
    if role in POINT_ROLES:
        return {"service_point": ServicePoint.objects.get(code=code)}
    if role in AGENCY_ROLES:
        return {"agency": Agency.objects.get(unit_code=code)}
    if role == Role.NATIONAL_ADMIN:
        return {}
    return {"province": Province.objects.get(code=code)}


def _ensure_totp(user: User) -> None:
    if not TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists():
        device = new_totp_device(user, "Demo", secret=demo_totp_secret(user.username))
        device.confirmed_at = timezone.now()
        device.save(update_fields=["confirmed_at"])


def demo_portal_redirect_uri() -> str:
    return settings.SITE_URL + "/demo-portal/callback"


@transaction.atomic
def load_demo() -> str:
    created = 0
    for username, full_name, role, code in DEMO_USERS:
        user, is_new = User.objects.get_or_create(
            username=username,
            defaults={"full_name": full_name, "is_staff": role in ADMIN_ROLES},
        )
        if is_new:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            created += 1
        RoleAssignment.objects.get_or_create(user=user, role=role, **_where(role, code))
        _ensure_totp(user)
    commune = Commune.objects.filter(province__code="44").order_by("code").first()
    for username, full_name, level, gender, born, number, phone in DEMO_CITIZENS:
        user, is_new = User.objects.get_or_create(
            username=username,
            defaults={
                "full_name": full_name,
                "gender": gender,
                "birth_date": born,
                "declared_id_number": number,
                "phone": phone,
                "phone_verified_at": timezone.now(),
                "current_address": "12 Lê Lợi",
                "current_commune": commune,
                "permanent_address": "12 Lê Lợi",
                "permanent_commune": commune,
            },
        )
        if is_new:
            user.set_password(DEMO_PASSWORD)
            if level == Level.VERIFIED:
                user.level, user.verified_id_number, user.verified_at = (
                    level,
                    number,
                    timezone.now(),
                )
            user.save()
            created += 1
    portal, is_new = RelyingParty.objects.get_or_create(
        client_id=DEMO_PORTAL_CLIENT_ID,
        defaults={
            "name": "Cổng dịch vụ công thử nghiệm (demo)",
            "description": "Cổng thử nghiệm để dùng thử đăng nhập PostID.",
            "client_type": RelyingParty.CLIENT_CONFIDENTIAL,
            "token_endpoint_auth_method": "client_secret_basic",
            "client_secret": DEMO_PORTAL_SECRET,
            "redirect_uris": demo_portal_redirect_uri(),
            "post_logout_redirect_uris": settings.SITE_URL + "/demo-portal/",
            "allowed_scopes": ["openid", "profile", "email", "phone", "address", "id_number"],
            "subject_type": RelyingParty.SubjectType.PAIRWISE,
        },
    )
    created += int(is_new)
    return f"{created} demo accounts and portals created"


# Other demos print their own lines (e.g. an agency's API key): modules with a
# `demo_logins_lines()` function.
EXTRA_LINES: tuple[str, ...] = ("postgov.reports.demo",)


def demo_logins_text() -> str:
    require_development()
    lines = ["", f"Demo logins (password for all: {DEMO_PASSWORD})", "-" * 78]
    lines.append("Staff give a second factor: add the secret to an authenticator app, or run")
    lines.append("  python -c 'import pyotp; print(pyotp.TOTP(\"SECRET\").now())'")
    for username, _full_name, role, code in DEMO_USERS:
        secret = demo_totp_secret(username)
        where = code or "national"
        lines.append(f"  {Role(role).label:<26} {username:<18} ({where})  TOTP secret {secret}")
        lines.append(
            f"      {pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name='PostGov')}"
        )
    lines.append("")
    lines.append("Citizens (PostID):")
    for username, _n, level, *_rest in DEMO_CITIZENS:
        lines.append(f"  level {int(level)}: {username}")
    lines.append(
        "  SMS and e-mail codes (nothing leaves this machine): "
        + settings.SITE_URL
        + reverse("notify:sent_messages")
    )
    lines.append("")
    lines.append(
        "Demo portal (OpenID Connect relying party): " + settings.SITE_URL + "/demo-portal/"
    )
    lines.append(f"  client_id {DEMO_PORTAL_CLIENT_ID}  client_secret {DEMO_PORTAL_SECRET}")
    lines.append("  discovery " + settings.OIDC_ISSUER + "/.well-known/openid-configuration")
    for module in EXTRA_LINES:
        lines.append("")
        lines += import_module(module).demo_logins_lines()
    lines.append("")
    return "\n".join(lines)
