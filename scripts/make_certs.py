"""Make ./certs/ for the compose stack: a self-signed TLS certificate and the service token.

    .venv/bin/python scripts/make_certs.py [--out certs] [--days 365]

The certificate names the compose hosts (staffing, supplies, training) and localhost, and is its
own root: the bot and staffing trust it via *_TLS_ROOT_CERT_FILE. For a hospital's own PKI, put
its certificate, key and CA in the same files instead. Needs `cryptography` (a dev dependency).

The private key and the service token are secrets: each is created 0600 (its owner alone reads
it), never wider for an instant, and an older token kept from an earlier run is rewritten 0600
too. Compose mounts the files as they are and its containers run as uid 10001, so on the compose
host run this as root with `--owner 10001` (or `chown 10001` the two files afterwards).
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import secrets
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HOSTS = ("staffing", "supplies", "training", "localhost")
# Owner read/write only: the key and the token give whoever reads them the services' identity.
SECRET_MODE = 0o600


def write_secret(path: Path, data: bytes, *, owner: int | None = None) -> None:
    """Write `data` to `path` as a file only its owner can read, replacing any file there.

    The file is created with mode 0600 by os.open (never chmod-ed after: in between it would be
    readable), beside `path`, then renamed over it, so a file already there with a wider mode is
    not reused.
    """
    fresh = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    descriptor = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_EXCL, SECRET_MODE)
    try:
        with os.fdopen(descriptor, "wb") as file:
            if owner is not None:
                os.fchown(file.fileno(), owner, -1)
            file.write(data)
        os.replace(fresh, path)
    except BaseException:
        fresh.unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("certs"))
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--owner", type=int, default=None, metavar="UID",
                        help="user who owns the key and token (compose's containers: 10001; "
                             "needs root)")
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
    write_secret(args.out / "server-key.pem", key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()), owner=args.owner)
    token_file = args.out / "service-token"
    token = token_file.read_bytes() if token_file.exists() else (
        secrets.token_urlsafe(32) + "\n").encode()
    write_secret(token_file, token, owner=args.owner)
    # The scheduler credential proves a call comes from the scheduler or notifier (clinops.authz).
    credential_file = args.out / "scheduler-credential"
    credential = credential_file.read_bytes() if credential_file.exists() else (
        secrets.token_urlsafe(32) + "\n").encode()
    write_secret(credential_file, credential, owner=args.owner)
    owner = f"uid {args.owner}" if args.owner is not None else "you"
    print(f"wrote {args.out}/server.pem; server-key.pem, service-token and scheduler-credential "
          f"(kept if present) are 0600, readable by {owner} only")
    if args.owner is None:
        print("compose's containers run as uid 10001: give them the three files with "
              "--owner 10001 (as root) or chown 10001")
    return 0


if __name__ == "__main__":
    sys.exit(main())
