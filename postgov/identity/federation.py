"""Logging in through an upstream OpenID Connect provider (e.g. VNeID).

We are an ordinary relying party there: authorization code flow with PKCE, state and
nonce, the ID token verified against the provider's published keys. The upstream identity
is linked to a PostID account only through the verified ID number it asserts, only when
the provider vouches for level 2 (`max_level`), and only to an account whose number was
verified at a counter (never to a self-declared number).

A federated login is for citizens: staff accounts are refused (their sessions need
PostGov's own second factor), and it never counts as a second factor or as the
re-authentication that sensitive changes ask for (PostGov's password is not typed).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from urllib.parse import quote, urlencode

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from jwcrypto import jwk, jwt
from jwcrypto.common import JWException

from postgov.audit.actions import record
from postgov.identity import authn
from postgov.identity.actions import fingerprint
from postgov.identity.models import ExternalIdentity, Level, UpstreamProvider, User
from postgov.identity.oidc.claims import issuer
from postgov.identity.views.auth import relying_party_for_next, safe_next
from postgov.lib import outbound
from postgov.lib.sealing import seal, unseal

SESSION = "postgov_federation"
SECRET_PURPOSE = "upstream-client-secret"  # noqa: S105  (a key label)
TIMEOUT = 10


class FederationError(Exception):
    pass


def set_client_secret(provider: UpstreamProvider, secret: str) -> None:
    provider.client_secret_sealed = seal(secret, SECRET_PURPOSE) if secret else ""


def callback_url(provider: UpstreamProvider) -> str:
    return issuer() + reverse("identity:federation_callback", args=[provider.slug])


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@require_POST
def start(request, slug: str):
    provider = get_object_or_404(UpstreamProvider, slug=slug, active=True)
    next_url = safe_next(request)
    rp = relying_party_for_next(next_url)
    if rp is None or not rp.upstream_providers.filter(pk=provider.pk).exists():
        messages.error(request, _("This portal does not accept that identity provider."))
        return redirect(reverse("identity:login") + "?" + urlencode({"next": next_url}))
    verifier = secrets.token_urlsafe(48)
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    request.session[SESSION] = {
        "provider": provider.slug,
        "state": state,
        "nonce": nonce,
        "verifier": verifier,
        "next": next_url,
        "at": int(time.time()),
    }
    query = {
        "response_type": "code",
        "client_id": provider.client_id,
        "redirect_uri": callback_url(provider),
        "scope": provider.scopes,
        "state": state,
        "nonce": nonce,
        "code_challenge": _b64(hashlib.sha256(verifier.encode()).digest()),
        "code_challenge_method": "S256",
    }
    record("federation.started", request=request, obj=provider)
    return redirect(
        provider.authorization_endpoint
        + ("&" if "?" in provider.authorization_endpoint else "?")
        + urlencode(query)
    )


def _keys(provider: UpstreamProvider, kid: str | None, *, refresh: bool = False) -> jwk.JWKSet:
    stale = (
        provider.jwks_fetched_at is None
        or (timezone.now() - provider.jwks_fetched_at).total_seconds() > 60
    )
    known = {k.get("kid") for k in (provider.jwks or {}).get("keys", [])}
    if refresh or not provider.jwks or (kid not in known and stale):
        answer = outbound.request(
            "GET", provider.jwks_uri, headers={"Accept": "application/json"}, timeout=TIMEOUT
        )
        provider.jwks = answer.json()
        provider.jwks_fetched_at = timezone.now()
        provider.save(update_fields=["jwks", "jwks_fetched_at"])
    return jwk.JWKSet.from_json(json.dumps(provider.jwks))


def exchange_code(provider: UpstreamProvider, code: str, verifier: str, nonce: str) -> dict:
    secret = (
        unseal(provider.client_secret_sealed, SECRET_PURPOSE)
        if provider.client_secret_sealed
        else ""
    )
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "application/json",
    }
    if secret:
        # client_secret_basic: each part form-encoded first (RFC 6749, section 2.3.1).
        pair = f"{quote(provider.client_id, safe='')}:{quote(secret, safe='')}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    body = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": callback_url(provider),
        "code_verifier": verifier,
    }
    try:
        answer = outbound.request(
            "POST",
            provider.token_endpoint,
            body=urlencode(body).encode(),
            headers=headers,
            timeout=TIMEOUT,
        )
        id_token = answer.json().get("id_token")
    except outbound.OutboundError as exc:
        raise FederationError(f"token endpoint: {exc.reason}") from exc
    except AttributeError as exc:  # JSON, but not an object
        raise FederationError("no id_token") from exc
    if not isinstance(id_token, str):
        raise FederationError("no id_token")
    try:
        header = json.loads(base64.urlsafe_b64decode(id_token.split(".")[0] + "==="))
        keys = _keys(provider, header.get("kid"))
        token = jwt.JWT(
            jwt=id_token, key=keys, algs=["RS256", "PS256", "ES256"], check_claims={"exp": None}
        )
        claims = json.loads(token.claims)
    except (JWException, ValueError, KeyError, outbound.OutboundError) as exc:
        raise FederationError("invalid id_token") from exc
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else list(aud or [])
    if (
        claims.get("iss") != provider.issuer
        or provider.client_id not in audiences
        or claims.get("nonce") != nonce
    ):
        raise FederationError("id_token not for us")
    if not isinstance(claims.get("sub"), str):
        raise FederationError("id_token without sub")
    return claims


@require_GET
def callback(request, slug: str):
    provider = get_object_or_404(UpstreamProvider, slug=slug, active=True)
    state = request.session.pop(SESSION, None) or {}
    if (
        state.get("provider") != slug
        or request.GET.get("state") != state.get("state")
        or time.time() - state.get("at", 0) > 600
    ):
        return render(
            request,
            "identity/oidc_error.html",
            {"message": _("This login attempt has expired. Please start again.")},
            status=400,
        )
    next_url = state["next"]
    if "error" in request.GET or not request.GET.get("code"):
        messages.error(request, _("%(name)s did not log you in.") % {"name": provider.name})
        return redirect(reverse("identity:login") + "?" + urlencode({"next": next_url}))
    try:
        claims = exchange_code(
            provider, request.GET["code"][:2048], state["verifier"], state["nonce"]
        )
    except FederationError as exc:
        record("federation.failed", request=request, obj=provider, details={"reason": str(exc)})
        return render(
            request,
            "identity/oidc_error.html",
            {
                "message": _("The answer from %(name)s could not be verified.")
                % {"name": provider.name}
            },
            status=502,
        )
    link = (
        ExternalIdentity.objects.select_related("user")
        .filter(provider=provider, subject=claims["sub"])
        .first()
    )
    user = link.user if link else _account_for(provider, claims)
    if user is None:
        number = str(claims.get(provider.id_number_claim) or "")
        record(
            "federation.no_account",
            request=request,
            obj=provider,
            details={
                "id": fingerprint(number) if number else "",
                "provider_level": provider.max_level,
            },
        )
        return render(
            request,
            "identity/federation_no_account.html",
            {"provider": provider, "next": next_url},
            status=403,
        )
    if not user.is_active:
        return render(
            request,
            "identity/oidc_error.html",
            {"message": _("This account is disabled.")},
            status=403,
        )
    if authn.is_staff_member(user):
        record(
            "federation.refused_staff",
            request=request,
            actor=user,
            obj=user,
            details={"provider": provider.slug},
        )
        return render(
            request,
            "identity/oidc_error.html",
            {
                "message": _(
                    "Staff accounts cannot log in through %(name)s. Log in with your PostID "
                    "password and second factor."
                )
                % {"name": provider.name}
            },
            status=403,
        )
    if link is None:
        link = ExternalIdentity.objects.create(provider=provider, subject=claims["sub"], user=user)
        record(
            "federation.linked",
            request=request,
            actor=user,
            obj=user,
            details={"provider": provider.slug},
        )
    ExternalIdentity.objects.filter(pk=link.pk).update(last_login_at=timezone.now())
    # The upstream login is one factor PostGov did not see: no second factor, no
    # re-authentication; a portal asking for level 2 gets PostGov's own step-up.
    authn.complete_login(
        request,
        user,
        ["fed"],
        next_url,
        mfa=False,
        level_cap=provider.max_level,
        via=f"upstream:{provider.slug}",
        reauthenticated=False,
    )
    record("federation.login", request=request, actor=user, details={"provider": provider.slug})
    return redirect(next_url)


def _account_for(provider: UpstreamProvider, claims: dict) -> User | None:
    """The account a first login through `provider` links to: the one whose ID number was
    verified at a counter and equals the number asserted, and only when the provider
    vouches for level 2 (a level 1 provider's ID number is merely declared to it)."""
    if provider.max_level < Level.VERIFIED:
        return None
    number = str(claims.get(provider.id_number_claim) or "")
    if len(number) != 12:
        return None
    return User.objects.filter(
        verified_id_number=number, level=Level.VERIFIED, is_active=True
    ).first()
