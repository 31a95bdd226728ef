"""ID-token signing keys: kept in the database (private part sealed), rotated by a
command, published as a JWKS that keeps retired keys until their tokens expire."""

from __future__ import annotations

import json
import time
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from jwcrypto import jwk
from oauth2_provider.settings import oauth2_settings

from postgov.identity.models import SigningKey
from postgov.lib.sealing import seal, unseal

PURPOSE = "oidc-signing-key"


def _new_key() -> SigningKey:
    key = jwk.JWK.generate(kty="RSA", size=2048)
    kid = key.thumbprint()
    public = json.loads(key.export_public())
    public.update({"kid": kid, "alg": "RS256", "use": "sig"})
    pem = key.export_to_pem(private_key=True, password=None).decode()
    return SigningKey(
        kid=kid,
        private_pem_sealed=seal(pem, PURPOSE),
        public_jwk=public,
        status=SigningKey.Status.ACTIVE,
    )


@transaction.atomic
def rotate_signing_key(*, keep_seconds: int | None = None) -> SigningKey:
    """Make a new active key; the old one is retired (still in the JWKS). Retired keys
    older than `keep_seconds` (default: the ID-token lifetime plus a day) are removed."""
    now = timezone.now()
    keep = (
        keep_seconds
        if keep_seconds is not None
        else oauth2_settings.ID_TOKEN_EXPIRE_SECONDS + 86400
    )
    SigningKey.objects.filter(status=SigningKey.Status.ACTIVE).update(
        status=SigningKey.Status.RETIRED, retired_at=now
    )
    SigningKey.objects.filter(
        status=SigningKey.Status.RETIRED, retired_at__lt=now - timedelta(seconds=keep)
    ).update(status=SigningKey.Status.REMOVED, removed_at=now)
    key = _new_key()
    key.save()
    _cache.clear()
    _current.clear()
    return key


_cache: dict[str, jwk.JWK] = {}
# The active key, remembered for a short while per process: a rotation reaches every
# node within CURRENT_TTL seconds, and the previous key stays valid in the JWKS anyway.
CURRENT_TTL = 30
_current: dict[str, tuple[float, SigningKey]] = {}


def _jwk_for(row: SigningKey) -> jwk.JWK:
    cached = _cache.get(row.kid)
    if cached is None:
        cached = jwk.JWK.from_pem(unseal(row.private_pem_sealed, PURPOSE).encode())
        _cache[row.kid] = cached
    return cached


def current_signing_key() -> SigningKey:
    cached = _current.get("row")
    if cached and time.monotonic() - cached[0] < CURRENT_TTL:
        return cached[1]
    row = SigningKey.objects.filter(status=SigningKey.Status.ACTIVE).first()
    if row is None:
        # First use on a fresh database: create the first key (concurrent creators are
        # serialised by the unique constraint on the active key).
        try:
            row = rotate_signing_key()
        except Exception:  # IntegrityError from a concurrent first rotation
            row = SigningKey.objects.get(status=SigningKey.Status.ACTIVE)
    _current["row"] = (time.monotonic(), row)
    return row


def current_signing_jwk() -> jwk.JWK:
    return _jwk_for(current_signing_key())


def verification_jwk(kid: str | None) -> jwk.JWK | None:
    """The key (active or retired) that signed a token, by its kid."""
    if not kid or not isinstance(kid, str) or len(kid) > 64:
        return None
    row = SigningKey.objects.filter(kid=kid).exclude(status=SigningKey.Status.REMOVED).first()
    return _jwk_for(row) if row else None


def published_jwks() -> dict:
    current_signing_key()
    rows = SigningKey.objects.exclude(status=SigningKey.Status.REMOVED).order_by("-created_at")
    return {"keys": [row.public_jwk for row in rows]}
