"""A software WebAuthn authenticator for tests: an EC P-256 key, attestation "none".

It answers the options our views put on the page the way a browser would post them
(the JSON that static/identity/passkeys.js builds), so the server's checks run on real
CBOR, real authenticator data and real ECDSA signatures.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn.helpers import bytes_to_base64url

UP, UV, AT = 0x01, 0x04, 0x40
ORIGIN = "http://testserver"  # Django's test client


class SoftAuthenticator:
    def __init__(self, *, user_verified: bool = True):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.sign_count = 0
        self.user_verified = user_verified
        self.user_handle = b""

    @property
    def id(self) -> str:
        return bytes_to_base64url(self.credential_id)

    def _cose_public_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,  # kty: EC2
                3: -7,  # alg: ES256
                -1: 1,  # crv: P-256
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    def _authenticator_data(self, rp_id: str, counter: int, *, attested: bool) -> bytes:
        flags = UP | (UV if self.user_verified else 0) | (AT if attested else 0)
        data = hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", counter)
        if attested:
            data += (
                bytes(16)  # AAGUID: none
                + struct.pack(">H", len(self.credential_id))
                + self.credential_id
                + self._cose_public_key()
            )
        return data

    @staticmethod
    def _client_data(kind: str, challenge: str, origin: str) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False}
        ).encode()

    def create(self, options: dict, *, origin: str = ORIGIN, challenge: str | None = None) -> str:
        """The answer to navigator.credentials.create(options), as posted by passkeys.js."""
        self.user_handle = options["user"]["id"]
        client_data = self._client_data(
            "webauthn.create", challenge or options["challenge"], origin
        )
        attestation = cbor2.dumps(
            {
                "fmt": "none",
                "attStmt": {},
                "authData": self._authenticator_data(
                    options["rp"]["id"], self.sign_count, attested=True
                ),
            }
        )
        return json.dumps(
            {
                "id": self.id,
                "rawId": self.id,
                "type": "public-key",
                "clientExtensionResults": {},
                "authenticatorAttachment": "platform",
                "response": {
                    "clientDataJSON": bytes_to_base64url(client_data),
                    "attestationObject": bytes_to_base64url(attestation),
                    "transports": ["internal"],
                },
            }
        )

    def get(
        self,
        options: dict,
        *,
        origin: str = ORIGIN,
        challenge: str | None = None,
        counter: int | None = None,
    ) -> str:
        """The answer to navigator.credentials.get(options); the counter moves on by one
        unless `counter` is given."""
        self.sign_count = self.sign_count + 1 if counter is None else counter
        auth_data = self._authenticator_data(options["rpId"], self.sign_count, attested=False)
        client_data = self._client_data("webauthn.get", challenge or options["challenge"], origin)
        signature = self.key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return json.dumps(
            {
                "id": self.id,
                "rawId": self.id,
                "type": "public-key",
                "clientExtensionResults": {},
                "response": {
                    "clientDataJSON": bytes_to_base64url(client_data),
                    "authenticatorData": bytes_to_base64url(auth_data),
                    "signature": bytes_to_base64url(signature),
                    "userHandle": self.user_handle,
                },
            }
        )
