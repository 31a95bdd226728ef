"""OpenID Connect endpoints: discovery, keys, authorization (with consent), token,
userinfo, revocation, introspection and RP-initiated logout.

DOT/oauthlib do the protocol mechanics (codes, PKCE, tokens); these views add what DOT
lacks: exact parameter checks, prompt/max_age/acr_values/step-up decisions, consent that
is remembered, and error handling that never redirects to an unregistered address.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.contrib.auth import logout
from django.core import signing
from django.db import transaction
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from jwcrypto import jwt
from jwcrypto.common import JWException
from oauth2_provider.exceptions import FatalClientError, OAuthToolkitError
from oauth2_provider.models import (
    get_access_token_model,
    get_refresh_token_model,
    refresh_token_expire_timedelta,
)
from oauth2_provider.signals import app_authorized
from oauth2_provider.views import RevokeTokenView, TokenView, UserInfoView
from oauth2_provider.views.mixins import OAuthLibMixin
from oauthlib.common import Request as OauthlibRequest
from oauthlib.common import add_params_to_uri

from postgov.audit.actions import record
from postgov.identity import authn
from postgov.identity.models import AuthorizationCode, Consent, Level, RelyingParty
from postgov.identity.oidc import params as P
from postgov.identity.oidc.claims import (
    SCOPES,
    SERVICE_SCOPES,
    SUPPORTED_CLAIMS,
    issuer,
    subject_for,
)
from postgov.identity.oidc.keys import published_jwks

AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()
CONSENT_SALT = "postgov.oidc.consent"
OPTIONAL_PROMPTS = ("login", "select_account")
# client_credentials: only for machine clients (an agency's system), which use nothing else.
GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials")


def _url(name: str) -> str:
    return issuer() + reverse(name)


# -- discovery and keys -----------------------------------------------------------------
@require_GET
def discovery(request):
    data = {
        "issuer": issuer(),
        "authorization_endpoint": _url("identity:oidc_authorize"),
        "token_endpoint": _url("identity:oidc_token"),
        "userinfo_endpoint": _url("identity:oidc_userinfo"),
        "jwks_uri": _url("identity:oidc_jwks"),
        "revocation_endpoint": _url("identity:oidc_revoke"),
        "introspection_endpoint": _url("identity:oidc_introspect"),
        "end_session_endpoint": _url("identity:oidc_logout"),
        "scopes_supported": [*SCOPES, *SERVICE_SCOPES],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": list(GRANT_TYPES),
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
            "none",
        ],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256", "PS256", "ES256"],
        "revocation_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
            "none",
        ],
        "introspection_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
        ],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": SUPPORTED_CLAIMS,
        "claims_parameter_supported": True,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "acr_values_supported": [authn.LOA1, authn.LOA2],
        "prompt_values_supported": ["none", "login", "consent", "select_account", "create"],
        "ui_locales_supported": ["vi", "en"],
        "claims_locales_supported": ["vi"],
        "authorization_response_iss_parameter_supported": True,
        "frontchannel_logout_supported": False,
        "backchannel_logout_supported": False,
        "service_documentation": settings.SITE_URL + "/",
    }
    response = JsonResponse(data)
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_GET
def jwks(request):
    response = JsonResponse(published_jwks())
    response["Access-Control-Allow-Origin"] = "*"
    # Short: a rotated key must reach relying parties well before the old one leaves.
    response["Cache-Control"] = "public, max-age=300"
    return response


# -- authorization ----------------------------------------------------------------------
class _Core(OAuthLibMixin):
    pass


def _error_page(request, message: str, status: int = 400):
    return render(request, "identity/oidc_error.html", {"message": message}, status=status)


def _redirect(uri: str, params: list[tuple[str, str]]) -> HttpResponseRedirect:
    response = HttpResponseRedirect(add_params_to_uri(uri, params))
    response["Cache-Control"] = "no-store"
    return response


def error_redirect(redirect_uri: str, error: str, description: str = "", state: str | None = None):
    parts = [("error", error)]
    if description:
        parts.append(("error_description", description))
    if state:
        parts.append(("state", state))
    parts.append(("iss", issuer()))
    return _redirect(redirect_uri, parts)


def _acr_for_level(level: int) -> str:
    return authn.LOA2 if level >= 2 else authn.LOA1


def _required_level(rp: RelyingParty, acr_list: list[str], claims: dict) -> tuple[int, list[str]]:
    """The level needed and the acr values asked for, in order of preference."""
    wanted = [v for v in acr_list if v in authn.ACR_LEVEL]
    essential = ((claims or {}).get("id_token") or {}).get("acr")
    if isinstance(essential, dict) and essential.get("essential"):
        values = essential.get("values") or ([essential["value"]] if essential.get("value") else [])
        # The claims parameter is the portal's JSON: anything may stand where a string or
        # a list of strings belongs.
        values = values if isinstance(values, list) else []
        known = [v for v in values if isinstance(v, str) and v in authn.ACR_LEVEL]
        if known:
            wanted = known
    needed = min((authn.ACR_LEVEL[v] for v in wanted), default=1)
    return max(rp.min_level, needed), wanted


def _hint_user_ok(request, hint: str, rp: RelyingParty) -> bool:
    """An id_token_hint must be ours and name the logged-in user (OIDC Core 3.1.2.1)."""
    claims = load_id_token_claims(hint)
    if claims is None:
        return False
    return claims.get("sub") == subject_for(request.user, rp)


def _here(request) -> str:
    if request.method == "GET":
        return request.get_full_path()
    return reverse("identity:oidc_authorize") + "?" + request.POST.urlencode()


@never_cache
@csrf_exempt  # OIDC Core 3.1.2.1: the authorization endpoint takes POST from any site
@require_http_methods(["GET", "POST"])
def authorize(request):
    query = request.GET if request.method == "GET" else request.POST
    client_id = P.safe_single(query, "client_id")
    rp = RelyingParty.objects.filter(client_id=client_id).first() if client_id else None
    if rp is None or not rp.active:
        return _error_page(
            request, _("The portal that sent you here is not registered with PostID.")
        )
    redirect_uri = P.safe_single(query, "redirect_uri")
    if not redirect_uri or not rp.redirect_uri_allowed(redirect_uri):
        return _error_page(
            request,
            _(
                "The portal sent you with a return address that is not registered. "
                "For your safety you are not sent back."
            ),
        )
    state = P.safe_single(query, "state")
    try:
        p = P.check(query)
    except P.ParamError as exc:
        return error_redirect(redirect_uri, exc.error, exc.description, state)
    if rp.is_public and "code_challenge" not in p:
        return error_redirect(redirect_uri, "invalid_request", "PKCE (S256) is required.", state)
    try:
        _core_scopes, _credentials = _Core.get_oauthlib_core().validate_authorization_request(
            request
        )
    except FatalClientError:
        return _error_page(request, _("This request from the portal is not valid."))
    except OAuthToolkitError as exc:
        error = exc.oauthlib_error
        return error_redirect(redirect_uri, error.error, error.description or "", state)

    allowed = set(rp.allowed_scopes or []) | {"openid"}
    scopes = [s for s in p["scopes"] if s in SCOPES and s in allowed]
    prompt = p["prompt_set"]
    here = _here(request)
    user = request.user

    # 1. Who is there.
    if not user.is_authenticated:
        if "none" in prompt:
            return error_redirect(redirect_uri, "login_required", "", state)
        if "create" in prompt:
            return HttpResponseRedirect(
                reverse("identity:register") + "?" + urlencode({"next": here})
            )
        return HttpResponseRedirect(reverse("identity:login") + "?" + urlencode({"next": here}))
    fresh = authn.peek_fresh(request, here)
    auth = authn.auth_context(request)
    too_old = "max_age_int" in p and time.time() - auth["time"] > p["max_age_int"]
    if (prompt & set(OPTIONAL_PROMPTS) or too_old) and not fresh:
        if "none" in prompt:
            return error_redirect(
                redirect_uri, "login_required", "Re-authentication needed.", state
            )
        return HttpResponseRedirect(
            reverse("identity:login") + "?" + urlencode({"next": here, "force": "1"})
        )
    hint = p.get("id_token_hint")
    if hint and not _hint_user_ok(request, hint, rp):
        if "none" in prompt:
            return error_redirect(
                redirect_uri,
                "login_required",
                "The id_token_hint does not match the session.",
                state,
            )
        if not fresh:
            logout(request)
            return HttpResponseRedirect(reverse("identity:login") + "?" + urlencode({"next": here}))

    # 2. How sure we are (acr), step-up when a portal asks for level 2.
    required, wanted = _required_level(rp, p["acr_list"], p.get("claims_dict") or {})
    if required >= 2 and user.level < Level.VERIFIED:
        deny = error_redirect(
            redirect_uri,
            "unmet_authentication_requirements",
            "A level 2 (verified at the counter) account is required.",
            state,
        )
        if "none" in prompt:
            return deny
        return render(
            request,
            "identity/oidc_level_required.html",
            {"rp": rp, "return_url": deny["Location"]},
            status=403,
        )
    level = authn.session_level(request, user, fresh_mfa=fresh and "mfa" in auth["amr"])
    if required >= 2 and level < 2:
        if "none" in prompt:
            return error_redirect(
                redirect_uri, "interaction_required", "A second factor is needed.", state
            )
        return HttpResponseRedirect(reverse("identity:step_up") + "?" + urlencode({"next": here}))
    acr = next((v for v in wanted if authn.ACR_LEVEL[v] <= level), _acr_for_level(level))
    if user.level < Level.VERIFIED:
        scopes = [s for s in scopes if s != "id_number"]
    auth_info = {"time": auth["time"], "acr": acr, "amr": auth["amr"]}

    # 3. Consent, remembered per portal.
    consent = Consent.objects.filter(user=user, relying_party=rp).first()
    covered = consent is not None and set(scopes) <= set(consent.scopes)
    if rp.skip_authorization or (covered and "consent" not in prompt):
        authn.consume_fresh(request, here)
        return _issue_code(request, rp, p, scopes, auth_info, state)
    if "none" in prompt:
        return error_redirect(redirect_uri, "consent_required", "", state)
    authn.consume_fresh(request, here)
    pending = signing.dumps(
        {
            "user": user.pk,
            "client_id": rp.client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "nonce": p.get("nonce"),
            "code_challenge": p.get("code_challenge"),
            "code_challenge_method": p.get("code_challenge_method"),
            "claims": p.get("claims"),
            "scopes": scopes,
            "auth": auth_info,
        },
        salt=CONSENT_SALT,
        compress=True,
    )
    return render(
        request,
        "identity/oidc_consent.html",
        {
            "rp": rp,
            "pending": pending,
            "scopes": [(s, SCOPES[s]) for s in scopes],
            "previous": set(consent.scopes) if consent else set(),
        },
    )


def _issue_code(request, rp, p: dict, scopes: list[str], auth_info: dict, state: str | None):
    credentials = {
        "client_id": rp.client_id,
        "redirect_uri": p["redirect_uri"],
        "response_type": "code",
        "state": state,
        "postgov_auth": auth_info,
    }
    for name in ("nonce", "code_challenge", "code_challenge_method"):
        if p.get(name):
            credentials[name] = p[name]
    if p.get("claims"):
        credentials["claims"] = json.loads(p["claims"])
    try:
        uri, _headers, _body, _status = _Core.get_oauthlib_core().create_authorization_response(
            request, scopes, credentials, allow=True
        )
    except OAuthToolkitError as exc:
        error = exc.oauthlib_error
        return error_redirect(p["redirect_uri"], error.error, error.description or "", state)
    record(
        "oidc.authorized",
        request=request,
        obj=rp,
        details={"scopes": scopes, "acr": auth_info["acr"]},
    )
    return _redirect(_without_issuer(uri), [("iss", issuer())])


def _without_issuer(uri: str) -> str:
    """The response's address without the `iss` django-oauth-toolkit adds: it derives its
    own from the request, and the response must name PostID's one issuer (RFC 9207)."""
    parts = urlsplit(uri)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "iss"]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


@never_cache
@csrf_protect
@require_POST
def consent(request):
    if not request.user.is_authenticated:
        return _error_page(
            request, _("Your session has ended. Please go back to the portal and start again.")
        )
    try:
        data = signing.loads(request.POST.get("pending", ""), salt=CONSENT_SALT, max_age=15 * 60)
    except signing.BadSignature:
        return _error_page(
            request,
            _("This consent form has expired. Please go back to the portal and start again."),
        )
    rp = RelyingParty.objects.filter(client_id=data["client_id"], active=True).first()
    if (
        rp is None
        or data["user"] != request.user.pk
        or not rp.redirect_uri_allowed(data["redirect_uri"])
    ):
        return _error_page(request, _("This consent form is not for you."))
    if request.POST.get("decision") != "allow":
        record("oidc.consent_denied", request=request, obj=rp)
        return error_redirect(
            data["redirect_uri"], "access_denied", "The user declined.", data["state"]
        )
    chosen = set(request.POST.getlist("scope")) | {"openid"}
    scopes = [s for s in data["scopes"] if s in chosen]
    with transaction.atomic():
        row, created = Consent.objects.get_or_create(
            user=request.user, relying_party=rp, defaults={"scopes": scopes}
        )
        if not created:
            row.scopes = sorted(set(scopes))
            row.save(update_fields=["scopes", "updated_at"])
        record("oidc.consent_granted", request=request, obj=rp, details={"scopes": scopes})
    p = {
        k: data.get(k)
        for k in ("redirect_uri", "nonce", "code_challenge", "code_challenge_method", "claims")
    }
    return _issue_code(request, rp, p, scopes, data["auth"], data["state"])


# -- token, userinfo, revocation, introspection -----------------------------------------
def _oauth_error(error: str, description: str, status: int = 400) -> JsonResponse:
    response = JsonResponse({"error": error, "error_description": description}, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _bad_form(request) -> JsonResponse | None:
    for key, values in request.POST.lists():
        for value in values:
            if len(value) > 8192 or "\x00" in value:
                return _oauth_error("invalid_request", f"Malformed {key[:40]} parameter.")
    return None


class PostGovTokenView(TokenView):
    def authorization_flow_token_response(self, request, *args, **kwargs):
        """DOT's, without reading back the token it has just written when no one listens
        to `app_authorized` (nothing in PostGov does; a receiver that connects still gets
        the token, read back as DOT reads it), and with the code and refresh grants in
        one transaction: they write their ID token and then their access and refresh
        tokens, and would otherwise wait for the disk at two commits instead of one. The
        refresh token's row lock is taken at the end either way, after the signature. A
        client_credentials grant commits once already (its token and its audit event);
        an outer transaction would only add a savepoint."""
        several_writes = request.POST.get("grant_type") != "client_credentials"
        with transaction.atomic() if several_writes else contextlib.nullcontext():
            url, headers, body, status = self.create_token_response(request)
            if status == 200 and app_authorized.has_listeners(self):
                access_token = json.loads(body).get("access_token")
                if access_token is not None:
                    checksum = hashlib.sha256(access_token.encode()).hexdigest()
                    token = AccessToken.objects.get(token_checksum=checksum)
                    app_authorized.send(sender=self, request=request, token=token)
        response = HttpResponse(content=body, status=status)
        for key, value in headers.items():
            response[key] = value
        return response

    def post(self, request, *args, **kwargs):
        bad = _bad_form(request)
        if bad is not None:
            return bad
        if request.POST.get("grant_type") not in GRANT_TYPES:
            return _oauth_error(
                "unsupported_grant_type",
                "Use authorization_code, refresh_token or client_credentials.",
            )
        response = super().post(request, *args, **kwargs)
        # Some errors (a bad `resource` indicator) are raised by the library's validator
        # outside the grant's own error handling and come back without the JSON headers;
        # their text quotes the request, so it must never be read as a page.
        response["Content-Type"] = "application/json"
        response["Cache-Control"] = "no-store"
        return response


class PostGovUserInfoView(UserInfoView):
    def _create_userinfo_response(self, request):
        if "access_token" in request.GET:
            return _oauth_error(
                "invalid_request", "Send the access token in the Authorization header or the body."
            )
        if request.method == "POST" and _bad_form(request) is not None:
            return _oauth_error("invalid_request", "Malformed request.")
        return super()._create_userinfo_response(request)


class PostGovRevokeView(RevokeTokenView):
    def post(self, request, *args, **kwargs):
        bad = _bad_form(request)
        return bad if bad is not None else super().post(request, *args, **kwargs)


def _authenticated_client(request) -> RelyingParty | None:
    core = _Core.get_oauthlib_core()
    uri, method, body, headers = core._extract_params(request)
    oauth_request = OauthlibRequest(uri, method, body, headers)
    validator = core.server.request_validator
    if not validator.client_authentication_required(oauth_request):
        return None  # public clients cannot introspect
    if not validator.authenticate_client(oauth_request):
        return None
    return oauth_request.client


@csrf_exempt
@require_POST
def introspect(request):
    """RFC 7662, for the portal that owns the token (authenticated as at the token endpoint)."""
    bad = _bad_form(request)
    if bad is not None:
        return bad
    client = _authenticated_client(request)
    if client is None:
        response = _oauth_error("invalid_client", "Client authentication failed.", status=401)
        response["WWW-Authenticate"] = 'Basic realm="PostID"'
        return response
    token = request.POST.get("token")
    if not token:
        return _oauth_error("invalid_request", "Missing token parameter.")
    checksum = hashlib.sha256(token.encode()).hexdigest()
    inactive = JsonResponse({"active": False}, headers={"Cache-Control": "no-store"})
    access = (
        AccessToken.objects.select_related("user", "application")
        .filter(token_checksum=checksum)
        .first()
    )
    data: dict
    if (
        access is not None
        and access.is_valid()
        and access.application_id == client.pk
        and access.user
        and access.user.is_active
    ):
        data = {
            "active": True,
            "token_type": "Bearer",
            "scope": access.scope,
            "exp": int(access.expires.timestamp()),
            "iat": int(access.created.timestamp()),
        }
        user, family = (
            access.user,
            RefreshToken.objects.filter(access_token=access)
            .values_list("token_family", flat=True)
            .first(),
        )
    else:
        refresh = (
            RefreshToken.objects.select_related("user", "access_token")
            .filter(token_checksum=checksum, revoked__isnull=True)
            .first()
        )
        if (
            refresh is None
            or refresh.application_id != client.pk
            or not refresh.user.is_active
            or refresh.access_token is None
        ):
            return inactive
        # The token endpoint refuses a refresh token this long after its access token
        # expired (sliding); introspection must not call it active meanwhile.
        lifetime = refresh_token_expire_timedelta()
        expires = refresh.access_token.expires + lifetime if lifetime else None
        if expires is not None and expires <= timezone.now():
            return inactive
        data = {
            "active": True,
            "token_type": "refresh_token",
            "scope": refresh.access_token.scope,
            "iat": int(refresh.created.timestamp()),
        }
        if expires is not None:
            data["exp"] = int(expires.timestamp())
        user, family = refresh.user, refresh.token_family
    grant = AuthorizationCode.objects.filter(token_family=family).first() if family else None
    data.update(
        {
            "client_id": client.client_id,
            "aud": client.client_id,
            "iss": issuer(),
            "sub": subject_for(user, client),
        }
    )
    if grant is not None and grant.acr:
        data["acr"] = grant.acr
    return JsonResponse(data, headers={"Cache-Control": "no-store"})


# -- logout ------------------------------------------------------------------------------
def load_id_token_claims(token: str, *, accept_expired: bool = True) -> dict | None:
    """Claims of an ID token we signed (with any published key), or None."""
    if not isinstance(token, str) or len(token) > 8192 or token.count(".") != 2:
        return None
    validator_class = _Core.get_validator_class()
    key = validator_class()._get_key_for_token(token)
    if key is None:
        return None
    try:
        parsed = jwt.JWT(
            key=key, jwt=token, algs=["RS256"], check_claims={} if accept_expired else None
        )
        claims = json.loads(parsed.claims)
    except (JWException, ValueError, TypeError):
        return None
    if not isinstance(claims, dict) or claims.get("iss") != issuer():
        return None
    return claims


@never_cache
@csrf_exempt
@require_http_methods(["GET", "POST"])
def end_session(request):
    """RP-initiated logout 1.0: only to registered post-logout addresses; a bad hint is
    an error page, never a redirect."""
    query = request.GET if request.method == "GET" else request.POST
    hint = P.safe_single(query, "id_token_hint")
    client_id = P.safe_single(query, "client_id")
    post_logout = P.safe_single(query, "post_logout_redirect_uri")
    state = P.safe_single(query, "state")
    rp = None
    hint_claims = None
    if "id_token_hint" in query:
        hint_claims = load_id_token_claims(hint or "")
        if hint_claims is None:
            return _error_page(
                request,
                _(
                    "The portal's logout request is not valid "
                    "(the ID token hint was not issued by PostID)."
                ),
            )
        aud = hint_claims.get("aud")
        audiences = [aud] if isinstance(aud, str) else list(aud or [])
        rp = RelyingParty.objects.filter(client_id__in=audiences[:5]).first()
        if client_id and (rp is None or rp.client_id != client_id):
            return _error_page(
                request, _("The portal's logout request is not valid (client mismatch).")
            )
    elif client_id:
        rp = RelyingParty.objects.filter(client_id=client_id).first()
    if post_logout and (rp is None or not rp.post_logout_redirect_uri_allowed(post_logout)):
        return _error_page(
            request,
            _(
                "The portal asked to send you to an address it has not registered. "
                "You were not sent there."
            ),
        )
    user = request.user if request.user.is_authenticated else None
    hint_matches = bool(
        user and hint_claims and rp and hint_claims.get("sub") == subject_for(user, rp)
    )
    confirmed = request.method == "POST" and query.get("confirm") == "yes"
    if confirmed and CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {}):
        # Our own confirmation form carries a CSRF token; another site cannot press it.
        confirmed = False
    if user and not hint_matches and not confirmed:
        return render(
            request,
            "identity/oidc_logout_confirm.html",
            {
                "rp": rp,
                "params": {
                    k: v
                    for k, v in (
                        ("id_token_hint", hint),
                        ("client_id", client_id),
                        ("post_logout_redirect_uri", post_logout),
                        ("state", state),
                    )
                    if v
                },
            },
        )
    if user:
        if rp is not None:
            for token in AccessToken.objects.filter(user=user, application=rp):
                RefreshToken.objects.filter(access_token=token).update(revoked=timezone.now())
                token.delete()
        record("oidc.rp_logout", request=request, obj=rp, details={"hint": bool(hint_claims)})
        logout(request)
    if post_logout:
        return _redirect(post_logout, [("state", state)] if state else [])
    return render(request, "identity/oidc_logged_out.html", {"rp": rp})
