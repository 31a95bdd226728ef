"""Relying parties, keys and upstream providers are managed by provincial admins only."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from postgov.audit.models import AuditEvent
from postgov.identity.models import RelyingParty, SigningKey
from postgov.identity.tests.oidc_helpers import log_in_session

pytestmark = pytest.mark.django_db

PAGES = [
    "admin:identity_relyingparty_changelist",
    "admin:identity_relyingparty_add",
    "admin:identity_signingkey_changelist",
    "admin:identity_upstreamprovider_changelist",
    "admin:identity_proofingcase_changelist",
]


@pytest.mark.parametrize("name", PAGES)
def test_it_checks_access(client, world, name):
    for who in (world.citizen, world.clerk_a, world.auditor):
        log_in_session(client, who)
        assert client.get(reverse(name)).status_code in (302, 403)
    log_in_session(client, world.provincial_admin)
    assert client.get(reverse(name)).status_code == 200


def test_admin_registers_a_portal_and_sees_its_secret_once(client, provincial_admin):
    log_in_session(client, provincial_admin)
    response = client.post(
        reverse("admin:identity_relyingparty_add"),
        {
            "name": "Cổng DVC tỉnh",
            "description": "",
            "active": "on",
            "client_id": "dvc-tinh",
            "client_type": "confidential",
            "token_endpoint_auth_method": "client_secret_basic",
            "jwks": "",
            "redirect_uris": "https://dvc.quangtri.gov.vn/oidc/callback",
            "post_logout_redirect_uris": "",
            "allowed_scopes": ["profile", "id_number"],
            "min_level": "2",
            "subject_type": "pairwise",
            "sector_identifier": "",
        },
        follow=True,
    )
    assert response.status_code == 200
    rp = RelyingParty.objects.get(client_id="dvc-tinh")
    assert rp.allowed_scopes == ["openid", "profile", "id_number"] and rp.min_level == 2
    shown = [str(m) for m in response.context["messages"]]
    assert any("shown once" in m or "chỉ hiện một lần" in m for m in shown)
    assert rp.client_secret.startswith("postgov_client_secret$")  # stored hashed
    assert AuditEvent.objects.filter(action="oidc.client_created").exists()


def test_admin_refuses_unsafe_redirect_uris(client, provincial_admin, settings):
    settings.DEBUG = False
    log_in_session(client, provincial_admin)
    response = client.post(
        reverse("admin:identity_relyingparty_add"),
        {
            "name": "x",
            "client_id": "x",
            "client_type": "confidential",
            "token_endpoint_auth_method": "client_secret_basic",
            "redirect_uris": "http://evil.example/cb",
            "min_level": "1",
            "subject_type": "public",
            "active": "on",
        },
    )
    assert response.status_code == 200 and not RelyingParty.objects.filter(client_id="x").exists()


def test_rotate_key_command(db):
    call_command("oidc_rotate_key")
    call_command("oidc_rotate_key")
    assert SigningKey.objects.filter(status="active").count() == 1
    assert SigningKey.objects.filter(status="retired").count() == 1
    assert AuditEvent.objects.filter(action="oidc.key_rotated").count() == 2
