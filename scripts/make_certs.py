"""Make ./certs/ for the compose stack: a self-signed TLS certificate and the service token.

    .venv/bin/python scripts/make_certs.py [--out certs] [--days 365]

The certificate names the compose hosts (staffing, supplies, training) and localhost, and is its
own root: the bot and staffing trust it via *_TLS_ROOT_CERT_FILE. For a hospital's own PKI, put
its certificate, key and CA in the same files instead. Needs `cryptography` (a dev dependency).
"""

from __future__ import annotations

import argparse
import ipaddress
import secrets
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HOSTS = ("staffing", "supplies", "training", "localhost")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("certs"))
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args(argv)
    now = datetime.now(UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "clinops-services")])
    names = [x509.DNSName(host) for host in HOSTS]
    names.append(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=args.days))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "server.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file = args.out / "server-key.pem"
    key_file.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    token_file = args.out / "service-token"
    if not token_file.exists():
        token_file.write_text(secrets.token_urlsafe(32) + "\n")
    # Compose mounts these files as they are: the containers' user (uid 10001) must read them.
    for path in (key_file, token_file):
        path.chmod(0o644)
    print(f"wrote {args.out}/server.pem, server-key.pem, service-token (kept if present)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
