"""Relying parties, keys and upstream providers are managed by national administrators,
and a portal takes effect only once a second one approves it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
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
]


@pytest.mark.parametrize("name", PAGES)
def test_it_checks_access(client, world, national_admin, name):
    for who in (world.citizen, world.clerk_a, world.auditor, world.provincial_admin):
        log_in_session(client, who, mfa=True)
        assert client.get(reverse(name)).status_code in (302, 403)
    log_in_session(client, national_admin, mfa=True)
    assert client.get(reverse(name)).status_code == 200


def test_proofing_cases_are_for_the_provinces_administrators(client, world):
    name = "admin:identity_proofingcase_changelist"
    for who in (world.citizen, world.clerk_a, world.auditor):
        log_in_session(client, who, mfa=True)
        assert client.get(reverse(name)).status_code in (302, 403)
    log_in_session(client, world.provincial_admin, mfa=True)
    assert client.get(reverse(name)).status_code == 200


def test_admin_registers_a_portal_and_sees_its_secret_once(client, national_admin):
    from django.contrib.auth.hashers import check_password

    from postgov.identity.models import ChangeRequest
    from tests.personas import make_national_admin

    log_in_session(client, national_admin, mfa=True)
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
    secret = response.context["secret"]  # on the page once, never in a cookie
    assert secret in response.content.decode()
    assert not RelyingParty.objects.filter(client_id="dvc-tinh").exists()  # not yet
    change = ChangeRequest.objects.get(status="pending")
    assert check_password(secret, change.payload["after"]["client_secret"])

    log_in_session(client, make_national_admin("admin_vn2", "Lê Thị Hai"), mfa=True)
    client.post(
        reverse("admin:identity_changerequest_decide", args=[change.pk]), {"decision": "approve"}
    )
    rp = RelyingParty.objects.get(client_id="dvc-tinh")
    assert rp.allowed_scopes == ["openid", "profile", "id_number"] and rp.min_level == 2
    assert rp.client_secret.startswith("postgov_client_secret$")  # stored hashed
    assert check_password(secret, rp.client_secret)
    assert AuditEvent.objects.filter(action="oidc.client_created").exists()


def test_admin_refuses_unsafe_redirect_uris(client, national_admin, settings):
    settings.DEBUG = False
    log_in_session(client, national_admin, mfa=True)
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


def test_production_refuses_http_even_on_loopback(db, settings):
    """A developer's machine may register a portal at http://127.0.0.1; production takes
    https only, as django-oauth-toolkit's RFC 9700 check expects."""
    portal = RelyingParty(
        name="x",
        client_id="x",
        redirect_uris="http://127.0.0.1:8080/cb",
        subject_type="public",
    )
    portal.clean()
    settings.OAUTH2_PROVIDER = {
        **settings.OAUTH2_PROVIDER,
        "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    }
    with pytest.raises(ValidationError) as refused:
        portal.clean()
    assert "redirect_uris" in refused.value.message_dict
