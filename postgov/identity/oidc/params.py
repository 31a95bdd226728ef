"""Checks on authorization-request parameters before anything trusts them."""

from __future__ import annotations

import json

LIMITS = {
    "client_id": 255,
    "redirect_uri": 2000,
    "response_type": 50,
    "response_mode": 20,
    "scope": 1000,
    "state": 2048,
    "nonce": 255,
    "prompt": 100,
    "max_age": 10,
    "display": 20,
    "ui_locales": 100,
    "claims_locales": 100,
    "login_hint": 255,
    "id_token_hint": 8192,
    "acr_values": 500,
    "claims": 4096,
    "code_challenge": 128,
    "code_challenge_method": 10,
}
PROMPTS = {"none", "login", "consent", "select_account", "create"}
PKCE_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


class ParamError(Exception):
    def __init__(self, error: str, description: str):
        super().__init__(description)
        self.error, self.description = error, description


def _has_control(value: str) -> bool:
    return any(ord(ch) < 32 or ord(ch) == 127 for ch in value)


def safe_single(params, name: str) -> str | None:
    """One value of a parameter, or None when absent, repeated, oversized or damaged."""
    values = params.getlist(name)
    if len(values) != 1:
        return None
    value = values[0]
    if len(value) > LIMITS.get(name, 2048) or _has_control(value):
        return None
    return value


def check(params) -> dict:
    """Validate and normalise; raise ParamError with an OAuth error code."""
    out: dict = {}
    for name in LIMITS:
        values = params.getlist(name)
        if len(values) > 1:
            raise ParamError("invalid_request", f"Duplicate {name} parameter.")
        if not values:
            continue
        value = values[0]
        if len(value) > LIMITS[name]:
            raise ParamError("invalid_request", f"The {name} parameter is too long.")
        if _has_control(value):
            raise ParamError("invalid_request", f"The {name} parameter has control characters.")
        out[name] = value
    if "request" in params:
        raise ParamError("request_not_supported", "Request objects are not supported.")
    if "request_uri" in params:
        raise ParamError("request_uri_not_supported", "request_uri is not supported.")
    if "registration" in params:
        raise ParamError("registration_not_supported", "registration is not supported.")
    response_type = out.get("response_type")
    if not response_type:
        raise ParamError("invalid_request", "Missing response_type parameter.")
    if response_type != "code":
        raise ParamError("unsupported_response_type", "Only response_type=code is supported.")
    if out.get("response_mode", "query") != "query":
        raise ParamError("invalid_request", "Only response_mode=query is supported.")
    scopes = out.get("scope", "").split()
    if "openid" not in scopes:
        raise ParamError("invalid_scope", "The openid scope is required.")
    out["scopes"] = list(dict.fromkeys(scopes))
    prompt = set(out.get("prompt", "").split())
    if "none" in prompt and len(prompt) > 1:
        raise ParamError("invalid_request", "prompt=none cannot be combined with other values.")
    if prompt - PROMPTS:
        raise ParamError("invalid_request", "Unsupported prompt value.")
    out["prompt_set"] = prompt
    if "max_age" in out:
        # isascii: "²" or "١٢" pass isdigit() and int() refuses or misreads them.
        if not (out["max_age"].isascii() and out["max_age"].isdigit()):
            raise ParamError("invalid_request", "max_age must be a non-negative integer.")
        out["max_age_int"] = int(out["max_age"])
    challenge = out.get("code_challenge")
    method = out.get("code_challenge_method")
    if challenge is not None:
        if not 43 <= len(challenge) <= 128 or set(challenge) - PKCE_CHARS:
            raise ParamError("invalid_request", "Malformed code_challenge.")
        if method != "S256":
            raise ParamError("invalid_request", "code_challenge_method must be S256.")
    elif method is not None:
        raise ParamError("invalid_request", "code_challenge_method without code_challenge.")
    if "claims" in out:
        try:
            claims = json.loads(out["claims"])
        except (ValueError, RecursionError):  # RecursionError: nesting deep within the limit
            raise ParamError("invalid_request", "The claims parameter is not JSON.") from None
        if not isinstance(claims, dict) or not all(isinstance(v, dict) for v in claims.values()):
            raise ParamError("invalid_request", "The claims parameter must be a JSON object.")
        out["claims_dict"] = claims
    out["acr_list"] = out.get("acr_values", "").split()
    return out
