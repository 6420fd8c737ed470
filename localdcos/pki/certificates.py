"""Every certificate the sandbox makes, in one place.

* its own small PKI: a CA (served at /ca/dcos-ca.crt like Enterprise DC/OS) and the server
  certificates it signs (the sandbox's own, and the fake apiservers' behind --haproxy), so clients
  exercise real certificate verification against the sandbox;
* the self-signed server certificates DC/OS load balancers make up for themselves: Marathon-LB writes
  one to /etc/ssl/cert.pem when no certificate is configured, and an Edge-LB pool with
  `autoCertificate` gets one as `$MESOS_SANDBOX/$AUTOCERT`. Clients are expected not to trust them;
  they only have to be real enough for HAProxy to load and serve.
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from typing import Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# EC keys: generating them is instant, which keeps sandbox start-up fast in tests. The load balancers'
# own certificates are RSA-2048 on DC/OS; HAProxy's default cipher list (ECDHE-ECDSA-*) serves EC
# keys all the same.
_CURVE = ec.SECP256R1()
# Back-date a little: a client clock slightly behind ours must not see "not yet valid".
_BACKDATE = datetime.timedelta(hours=1)
_LIFETIME = datetime.timedelta(days=365)
_SELF_SIGNED_LIFETIME = datetime.timedelta(days=3650)
_Extension = tuple[x509.ExtensionType, bool]  # (extension, critical)


class SigningAuthority(Protocol):
    """A CA that can sign leaves: its certificate and its key."""

    @property
    def ca_cert_pem(self) -> bytes: ...

    @property
    def ca_key_pem(self) -> bytes: ...


@dataclass(frozen=True)
class Authority:
    ca_cert_pem: bytes
    ca_key_pem: bytes


@dataclass(frozen=True)
class Pki:
    ca_cert_pem: bytes
    server_cert_pem: bytes
    server_key_pem: bytes
    # Kept so the sandbox can sign more leaves later (the fake apiservers behind --haproxy).
    ca_key_pem: bytes = b""


def _name(common_name: str, *, organization: str | None = "localdcos") -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization)] if organization else []
    return x509.Name([*attributes, x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _certificate(
    subject: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    *,
    issuer: x509.Name,
    signing_key: ec.EllipticCurvePrivateKey,
    lifetime: datetime.timedelta = _LIFETIME,
    extensions: list[_Extension] | None = None,
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + lifetime)
    )
    for extension, critical in extensions or []:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(signing_key, hashes.SHA256())


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def new_authority() -> Authority:
    """A fresh CA with its key."""
    key = ec.generate_private_key(_CURVE)
    name = _name("localdcos Root CA")
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )
    cert = _certificate(
        name,
        key.public_key(),
        issuer=name,
        signing_key=key,
        extensions=[
            (x509.BasicConstraints(ca=True, path_length=0), True),
            (usage, True),
            (x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False),
        ],
    )
    return Authority(ca_cert_pem=_pem(cert), ca_key_pem=_key_pem(key))


def server_certificate(
    ca: SigningAuthority, hosts: list[str], common_name: str | None = None
) -> tuple[bytes, bytes]:
    """A server certificate signed by `ca` for `hosts` (IP literals become IP SANs):
    `(cert_pem, key_pem)`."""
    ca_cert = x509.load_pem_x509_certificate(ca.ca_cert_pem)
    ca_key = serialization.load_pem_private_key(ca.ca_key_pem, password=None)
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
        raise TypeError("the sandbox CA key must be an EC key")
    sans: list[x509.GeneralName] = []
    for host in hosts:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            sans.append(x509.DNSName(host))
    key = ec.generate_private_key(_CURVE)
    cert = _certificate(
        _name(common_name or (hosts[0] if hosts else "localhost")),
        key.public_key(),
        issuer=ca_cert.subject,
        signing_key=ca_key,
        extensions=[
            (x509.BasicConstraints(ca=False, path_length=None), True),
            (x509.SubjectAlternativeName(sans), False),
            (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False),
            (x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False),
        ],
    )
    return _pem(cert), _key_pem(key)


def generate(hosts: list[str]) -> Pki:
    """A fresh CA and a server certificate for `hosts` (IP literals become IP SANs)."""
    authority = new_authority()
    cert_pem, key_pem = server_certificate(authority, hosts)
    return Pki(
        ca_cert_pem=authority.ca_cert_pem,
        server_cert_pem=cert_pem,
        server_key_pem=key_pem,
        ca_key_pem=authority.ca_key_pem,
    )


def self_signed_pem(common_name: str) -> bytes:
    """A self-signed server certificate followed by its unencrypted key: the single-file layout
    HAProxy's `crt` reads."""
    key = ec.generate_private_key(_CURVE)
    name = _name(common_name, organization=None)
    cert = _certificate(name, key.public_key(), issuer=name, signing_key=key, lifetime=_SELF_SIGNED_LIFETIME)
    return _pem(cert) + _key_pem(key)
