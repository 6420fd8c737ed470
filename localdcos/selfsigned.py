"""Self-signed server certificates of the kind DC/OS load balancers make up for themselves.

Marathon-LB writes one to /etc/ssl/cert.pem when no certificate is configured, and an Edge-LB pool
with `autoCertificate` gets one as `$MESOS_SANDBOX/$AUTOCERT`. Clients are expected not to trust
them; they only have to be real enough for HAProxy to load and serve.
"""

from __future__ import annotations

import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def self_signed_pem(common_name: str, *, days: int = 3650) -> bytes:
    """Certificate followed by its unencrypted key, the single-file layout HAProxy's `crt` reads."""
    # EC rather than the RSA-2048 the real ones use: generation is instant and HAProxy's default
    # cipher list (ECDHE-ECDSA-*) serves it all the same.
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
