"""private_key_jwt client authentication (OIDC Core 9, RFC 7523): the portal signs a
short JWT with its own key; we verify it with the public keys registered for it."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.urls import reverse
from jwcrypto import jwk, jws, jwt
from jwcrypto.common import JWException

from postgov.identity.models import RelyingParty, UsedClientAssertion
from postgov.identity.oidc.claims import issuer

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALGORITHMS = ["RS256", "PS256", "ES256"]
MAX_LIFETIME = 10 * 60


def _audiences() -> set[str]:
    base = issuer()
    return {
        base,
        base + reverse("identity:oidc_token"),
        base + reverse("identity:oidc_introspect"),
        base + reverse("identity:oidc_revoke"),
    }


def verify_assertion(assertion: str, request) -> RelyingParty | None:
    if not assertion or len(assertion) > 8192:
        return None
    try:
        unverified = jws.JWS()
        unverified.deserialize(assertion)
        payload = json.loads(unverified.objects["payload"].decode())
        client_id = payload.get("iss")
        if (
            not isinstance(client_id, str)
            or payload.get("sub") != client_id
            or len(client_id) > 255
        ):
            return None
        client = RelyingParty.objects.filter(client_id=client_id, active=True).first()
        if client is None or not client.jwks:
            return None
        keys = jwk.JWKSet.from_json(json.dumps(client.jwks))
        token = jwt.JWT(jwt=assertion, key=keys, algs=ALGORITHMS, check_claims={"exp": None})
        claims = json.loads(token.claims)
    except (JWException, ValueError, KeyError, TypeError, OverflowError):
        # OverflowError: jwcrypto reads "exp": Infinity (valid JSON for Python) as int.
        return None
    aud = claims.get("aud")
    audiences = {aud} if isinstance(aud, str) else set(aud or [])
    now = time.time()
    exp, jti = claims.get("exp"), claims.get("jti")
    if not audiences & _audiences() or not isinstance(jti, str) or not jti or len(jti) > 255:
        return None
    if not isinstance(exp, int | float) or exp < now or exp > now + MAX_LIFETIME:
        return None
    try:
        with transaction.atomic():
            UsedClientAssertion.objects.create(
                relying_party=client, jti=jti, expires_at=datetime.fromtimestamp(exp, tz=UTC)
            )
    except IntegrityError:
        return None  # replayed
    return client
