"""A tiny demo relying party, to try PostID's OpenID Connect flow after `make run`.

It behaves like an outside portal: it talks to the provider over HTTP (token, JWKS,
userinfo) with the demo client's secret. Development only: 404 in production.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET
from jwcrypto import jwk, jwt

from postgov.identity.demo import (
    DEMO_PORTAL_CLIENT_ID,
    DEMO_PORTAL_SECRET,
    demo_portal_redirect_uri,
)

SESSION = "demo_portal"


def _dev_only():
    if not settings.DEV:
        raise Http404


@require_GET
def home(request):
    _dev_only()
    data = request.session.get(SESSION) or {}
    return render(
        request,
        "identity/demo_portal.html",
        {"data": data.get("result"), "issuer": settings.OIDC_ISSUER},
    )


@require_GET
def start(request):
    _dev_only()
    verifier = secrets.token_urlsafe(48)
    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    request.session[SESSION] = {"state": state, "nonce": nonce, "verifier": verifier}
    level = request.GET.get("level")
    params = {
        "client_id": DEMO_PORTAL_CLIENT_ID,
        "redirect_uri": demo_portal_redirect_uri(),
        "response_type": "code",
        "scope": "openid profile email phone address id_number",
        "state": state,
        "nonce": nonce,
        "code_challenge": base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        .decode()
        .rstrip("="),
        "code_challenge_method": "S256",
    }
    if level == "2":
        params["acr_values"] = "urn:postgov:loa:2"
    return redirect("/oidc/authorize?" + urlencode(params))


@require_GET
def callback(request):
    _dev_only()
    state = request.session.get(SESSION) or {}
    if not state or request.GET.get("state") != state.get("state"):
        return render(request, "identity/demo_portal.html", {"error": "state"})
    if "error" in request.GET:
        return render(request, "identity/demo_portal.html", {"error": request.GET.get("error")})
    issuer = settings.OIDC_ISSUER
    tokens = requests.post(
        issuer + "/oidc/token",
        data={
            "grant_type": "authorization_code",
            "code": request.GET.get("code", ""),
            "redirect_uri": demo_portal_redirect_uri(),
            "code_verifier": state["verifier"],
        },
        auth=(DEMO_PORTAL_CLIENT_ID, DEMO_PORTAL_SECRET),
        timeout=10,
    ).json()
    if "id_token" not in tokens:
        return render(request, "identity/demo_portal.html", {"error": tokens.get("error", "token")})
    keys = jwk.JWKSet.from_json(requests.get(issuer + "/oidc/jwks", timeout=10).text)
    claims = json.loads(jwt.JWT(jwt=tokens["id_token"], key=keys, algs=["RS256"]).claims)
    if claims.get("nonce") != state["nonce"]:
        return render(request, "identity/demo_portal.html", {"error": "nonce"})
    userinfo = requests.get(
        issuer + "/oidc/userinfo",
        headers={"Authorization": "Bearer " + tokens["access_token"]},
        timeout=10,
    ).json()
    request.session[SESSION] = {
        "result": {"id_token": claims, "userinfo": userinfo, "hint": tokens["id_token"]}
    }
    return redirect("identity:demo_portal")
