"""Makes a self-signed TLS certificate for nginx when the directory has none (compose's
`certs` step): enough to try the stack; put the real certificate in its place
(fullchain.pem, privkey.pem) for anything else."""

from __future__ import annotations

import datetime
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def make(directory: Path, host: str) -> bool:
    cert, key = directory / "fullchain.pem", directory / "privkey.pem"
    if cert.exists() and key.exists():
        return False
    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=90))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .sign(private, hashes.SHA256())
    )
    key.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key.chmod(0o600)
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return True


if __name__ == "__main__":
    target, host = Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "localhost"
    print("self-signed certificate made" if make(target, host) else "certificate kept")
