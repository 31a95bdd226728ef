"""Federated login (an upstream OpenID provider): refused for staff, links by ID number
only from providers that vouch for level 2, and never counts as a second factor or as
re-authentication. The provider's answer is mocked at one seam: `exchange_code`, where
PostID would call the provider's token endpoint and check its ID token."""

from __future__ import annotations

import pytest
from django.urls import reverse

from postgov.audit.models import AuditEvent
from postgov.identity import authn, federation
from postgov.identity.models import ExternalIdentity, Level, RelyingParty, UpstreamProvider
from postgov.identity.tests.oidc_helpers import make_rp

pytestmark = pytest.mark.django_db

NUMBER = "045090123456"
PORTAL_NEXT = "/oidc/authorize?client_id=portal&redirect_uri=x"


def provider(level: int) -> UpstreamProvider:
    """An upstream provider that vouches for `level`, accepted by the portal."""
    upstream = UpstreamProvider.objects.create(
        slug=f"idp{level}",
        name=f"IdP {level}",
        issuer="https://idp.example",
        authorization_endpoint="https://idp.example/auth",
        token_endpoint="https://idp.example/token",
        jwks_uri="https://idp.example/jwks",
        client_id="postgov",
        id_number_claim="id_number",
        max_level=level,
    )
    portal = RelyingParty.objects.filter(client_id="portal").first() or make_rp()
    portal.upstream_providers.add(upstream)
    return upstream


def verified(user, number: str = NUMBER):
    user.level, user.verified_id_number = Level.VERIFIED, number
    user.save(update_fields=["level", "verified_id_number"])
    return user


def federated_login(client, monkeypatch, upstream: UpstreamProvider, claims: dict):
    """Start at PostID, come back from the provider with `claims` in its ID token."""
    response = client.post(
        reverse("identity:federation_start", args=[upstream.slug]), {"next": PORTAL_NEXT}
    )
    assert response.status_code == 302 and response["Location"].startswith(
        upstream.authorization_endpoint
    )
    state = client.session[federation.SESSION]["state"]
    monkeypatch.setattr(federation, "exchange_code", lambda *args, **kwargs: dict(claims))
    return client.get(
        reverse("identity:federation_callback", args=[upstream.slug]),
        {"code": "upstream-code", "state": state},
    )


# -- staff ---------------------------------------------------------------------------------
def test_staff_are_refused_and_nothing_is_linked(client, monkeypatch, provincial_admin):
    verified(provincial_admin)
    upstream = provider(2)
    response = federated_login(client, monkeypatch, upstream, {"sub": "u1", "id_number": NUMBER})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
    assert not ExternalIdentity.objects.exists()
    assert AuditEvent.objects.filter(
        action="federation.refused_staff", actor_id=provincial_admin.pk
    ).exists()


def test_staff_with_an_old_link_are_refused(client, monkeypatch, clerk_a):
    upstream = provider(2)
    ExternalIdentity.objects.create(provider=upstream, subject="u1", user=clerk_a)
    response = federated_login(client, monkeypatch, upstream, {"sub": "u1"})
    assert response.status_code == 403 and "_auth_user_id" not in client.session


def test_a_citizen_granted_a_role_later_is_refused_too(client, monkeypatch, citizen, world):
    from postgov.identity.models import Role
    from tests.personas import give_role

    upstream = provider(2)
    verified(citizen)
    assert federated_login(client, monkeypatch, upstream, {"sub": "u1", "id_number": NUMBER})[
        "Location"
    ].startswith("/oidc/authorize")
    client.logout()
    give_role(citizen, Role.CLERK, service_point=world.point_a)
    response = federated_login(client, monkeypatch, upstream, {"sub": "u1"})
    assert response.status_code == 403 and "_auth_user_id" not in client.session


# -- linking by ID number -----------------------------------------------------------------
def test_a_level_1_provider_cannot_link_by_id_number(client, monkeypatch, citizen):
    verified(citizen)
    upstream = provider(1)
    response = federated_login(client, monkeypatch, upstream, {"sub": "u1", "id_number": NUMBER})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
    assert not ExternalIdentity.objects.exists()
    assert AuditEvent.objects.filter(action="federation.no_account").exists()


def test_a_level_2_provider_links_by_the_verified_id_number(client, monkeypatch, citizen):
    verified(citizen)
    upstream = provider(2)
    response = federated_login(client, monkeypatch, upstream, {"sub": "u1", "id_number": NUMBER})
    assert response["Location"] == PORTAL_NEXT
    assert ExternalIdentity.objects.get(provider=upstream).user == citizen


def test_a_level_2_provider_never_links_a_declared_number(client, monkeypatch, citizen):
    citizen.declared_id_number = NUMBER
    citizen.save(update_fields=["declared_id_number"])
    response = federated_login(client, monkeypatch, provider(2), {"sub": "u1", "id_number": NUMBER})
    assert response.status_code == 403 and not ExternalIdentity.objects.exists()


# -- what a federated session is worth ---------------------------------------------------
def test_a_federated_login_is_no_second_factor_and_no_reauthentication(
    client, monkeypatch, citizen
):
    verified(citizen)
    federated_login(client, monkeypatch, provider(2), {"sub": "u1", "id_number": NUMBER})
    assert client.session["_auth_user_id"] == str(citizen.pk)
    auth = client.session[authn.AUTH]
    assert auth["mfa_time"] is None and auth["amr"] == ["fed"]
    assert authn.REAUTH not in client.session
    # A sensitive change asks for PostID's password first.
    response = client.get(reverse("identity:totp_add"))
    assert response["Location"].startswith(reverse("identity:reauth"))


def test_a_level_1_federated_session_steps_up_through_postid_login(client, monkeypatch, citizen):
    verified(citizen)
    upstream = provider(1)
    ExternalIdentity.objects.create(provider=upstream, subject="u1", user=citizen)
    federated_login(client, monkeypatch, upstream, {"sub": "u1"})
    assert client.session[authn.AUTH]["level_cap"] == 1
    # A second factor on top of it would not make level 2: PostID's own login does.
    response = client.get(reverse("identity:step_up") + "?next=/")
    assert response["Location"].startswith(reverse("identity:login"))
    assert "force=1" in response["Location"]
