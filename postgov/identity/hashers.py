"""A fast salted hash for machine-generated client secrets.

Relying parties' secrets are 128 random characters (DOT's generator): no one can guess
them, so key stretching (Argon2), which exists to slow down guessing of memorised
passwords, would only cost every token request tens of milliseconds. A salted SHA-256
is enough for a secret of that entropy (NIST SP 800-63B applies stretching to memorised
secrets only). Never used for people's passwords: it is last in PASSWORD_HASHERS.
"""

from __future__ import annotations

import hashlib

from django.contrib.auth.hashers import Argon2PasswordHasher, BasePasswordHasher, mask_hash
from django.utils.crypto import constant_time_compare


class ClientSecretHasher(BasePasswordHasher):
    algorithm = "postgov_client_secret"

    def encode(self, password: str, salt: str) -> str:
        # What Django's own hashers refuse.
        if password is None:
            raise TypeError("password must be provided.")
        if not salt or "$" in salt:
            raise ValueError("salt must be provided and cannot contain $.")
        digest = hashlib.sha256(f"{salt}${password}".encode()).hexdigest()
        return f"{self.algorithm}${salt}${digest}"

    def decode(self, encoded: str) -> dict:
        algorithm, salt, digest = encoded.split("$", 2)
        assert algorithm == self.algorithm
        return {"algorithm": algorithm, "hash": digest, "salt": salt}

    def verify(self, password: str, encoded: str) -> bool:
        decoded = self.decode(encoded)
        return constant_time_compare(encoded, self.encode(password, decoded["salt"]))

    def safe_summary(self, encoded: str) -> dict:
        decoded = self.decode(encoded)
        return {
            "algorithm": decoded["algorithm"],
            "salt": mask_hash(decoded["salt"]),
            "hash": mask_hash(decoded["hash"]),
        }

    def harden_runtime(self, password: str, encoded: str) -> None:
        pass


class PostGovArgon2Hasher(Argon2PasswordHasher):
    """Argon2id with OWASP's baseline parameters (19 MiB, 2 passes, 1 lane).

    Django's default (100 MiB, 8 lanes) costs about 0.4 s of a counter PC's two cores per
    login; OWASP's Password Storage Cheat Sheet gives m=19 MiB, t=2, p=1 as the minimum
    configuration, equivalent in strength to its other options. Same algorithm name, so
    existing hashes still verify and are upgraded at the next login."""

    time_cost = 2
    memory_cost = 19456
    parallelism = 1
