"""The demo accounts: staff with printed TOTP secrets, two citizens, a demo portal."""

from __future__ import annotations

import pyotp
import pytest

from postgov.agencies.models import Agency
from postgov.identity import demo
from postgov.identity.models import Level, RelyingParty, User
from postgov.places.models import ServicePoint
from tests.browser import log_in  # noqa: F401  (kept importable)

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_network(world):
    for code, commune in (("QT-001", world.commune_b), ("QT-002", world.commune_a)):
        ServicePoint.objects.create(
            code=code,
            name=code,
            kind=ServicePoint.Kind.POST_OFFICE_1,
            address="x",
            commune=commune,
            postal_code="47100",
        )
    Agency.objects.create(
        unit_code="000.00.01.H44",
        name="Sở",
        level="province",
        desk_kind=Agency.DeskKind.SERVICE_CENTRE,
        province=world.province,
        commune=world.commune_b,
        address="x",
        office_hours=[],
    )


def test_load_demo_is_idempotent_and_prints_usable_secrets(demo_network, client):
    demo.load_demo()
    counts = (User.objects.count(), RelyingParty.objects.count())
    demo.load_demo()
    assert (User.objects.count(), RelyingParty.objects.count()) == counts
    text = demo.demo_logins_text()
    secret = demo.demo_totp_secret("gdv.donghoi")
    assert secret in text and "otpauth://totp/" in text and "pyotp.TOTP" in text
    assert demo.DEMO_PORTAL_CLIENT_ID in text
    assert User.objects.get(username="congdan.muc2").level == Level.VERIFIED
    assert User.objects.get(username="congdan.muc1").level == Level.BASIC
    # The printed secret logs the clerk in.
    client.post("/accounts/login/", {"username": "gdv.donghoi", "password": demo.DEMO_PASSWORD})
    response = client.post(
        "/accounts/login/verify/",
        {"method": "totp", "code": pyotp.TOTP(secret).now(), "action": "verify"},
    )
    assert response["Location"] == "/"


def test_the_demo_has_a_national_administrator_with_a_second_factor(demo_network):
    from postgov.identity.models import Role, RoleAssignment

    demo.load_demo()
    national = User.objects.get(username="quantri.quocgia")
    assignment = RoleAssignment.objects.get(user=national)
    assert assignment.role == Role.NATIONAL_ADMIN and assignment.province_id is None
    assert national.totp_devices.filter(confirmed_at__isnull=False).exists()
    text = demo.demo_logins_text()
    assert "quantri.quocgia" in text and demo.demo_totp_secret("quantri.quocgia") in text


def test_demo_portal_is_development_only(client, settings):
    settings.DEV = False
    assert client.get("/demo-portal/").status_code == 404
    settings.DEV = True
    assert client.get("/demo-portal/").status_code == 200
