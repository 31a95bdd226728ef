"""Keys derived from one secret, for sealing (encrypting) and keyed hashing.

`settings.IDENTITY_SECRET` is the only input; each use gets its own key through HKDF
with a purpose label, so a key leaked for one purpose says nothing about another.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


class SealError(ValueError):
    """The sealed value is damaged or was sealed with another key."""


@functools.lru_cache(maxsize=32)
def _derive(secret: str, purpose: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=f"postgov:{purpose}".encode()
    ).derive(secret.encode())


def derived_key(purpose: str) -> bytes:
    return _derive(settings.IDENTITY_SECRET, purpose)


def seal(text: str, purpose: str) -> str:
    """AES-256-GCM; the purpose is bound as associated data."""
    nonce = os.urandom(12)
    sealed = AESGCM(derived_key(purpose)).encrypt(nonce, text.encode(), purpose.encode())
    return "v1:" + base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(token: str, purpose: str) -> str:
    if not token.startswith("v1:"):
        raise SealError("unknown sealing version")
    try:
        raw = base64.urlsafe_b64decode(token[3:].encode())
        return AESGCM(derived_key(purpose)).decrypt(raw[:12], raw[12:], purpose.encode()).decode()
    except Exception as exc:  # cryptography raises InvalidTag; base64 raises binascii.Error
        raise SealError("cannot unseal") from exc


def keyed_hash(value: str, purpose: str) -> str:
    """HMAC-SHA256, hex: for looking up secrets (codes) without storing them."""
    return hmac.new(derived_key(purpose), value.encode(), hashlib.sha256).hexdigest()
