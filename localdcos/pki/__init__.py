"""The one place the sandbox makes certificates: its CA, the server certificates the CA signs, and the
self-signed ones load balancers make up for themselves."""

from localdcos.pki.certificates import (
    Authority,
    Pki,
    SigningAuthority,
    generate,
    new_authority,
    self_signed_pem,
    server_certificate,
)

__all__ = [
    "Authority",
    "Pki",
    "SigningAuthority",
    "generate",
    "new_authority",
    "self_signed_pem",
    "server_certificate",
]
