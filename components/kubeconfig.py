"""A kubeconfig for one exposed API server (pure text rendering)."""

from __future__ import annotations

import base64
import textwrap
from typing import Any, Final

import yaml

SELF_SIGNED_NOTE: Final = (
    "TLS verification is skipped (insecure-skip-tls-verify: true) because the load balancer presents "
    "a self-signed certificate (Marathon-LB's /etc/ssl/cert.pem or Edge-LB's $AUTOCERT) that no CA "
    "can vouch for. Pass frontend_ca_pem (config frontendCaPem) or use a signed certificate to verify it."
)
SYSTEM_TRUST_NOTE: Final = (
    "The frontend certificate is verified against the system trust store; pass frontend_ca_pem "
    "(config frontendCaPem) if it was signed by a private CA."
)
CA_NOTE: Final = "The frontend certificate is verified against the given frontend_ca_pem."


def tls_note(*, self_signed: bool, ca_pem: str | None) -> str:
    if ca_pem is not None:
        return CA_NOTE
    return SELF_SIGNED_NOTE if self_signed else SYSTEM_TRUST_NOTE


def render_kubeconfig(
    *, name: str, url: str, self_signed: bool, ca_pem: str | None = None, token: str | None = None
) -> str:
    """YAML for `kubectl --kubeconfig`; the TLS decision is stated in a leading comment, never silent."""
    cluster: dict[str, Any] = {"server": url}
    if ca_pem is not None:
        cluster["certificate-authority-data"] = base64.b64encode(ca_pem.encode()).decode()
    elif self_signed:
        cluster["insecure-skip-tls-verify"] = True
    context: dict[str, Any] = {"cluster": name}
    users: list[dict[str, Any]] = []
    if token is not None:
        context["user"] = name
        users.append({"name": name, "user": {"token": token}})
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": cluster}],
        "users": users,
        "contexts": [{"name": name, "context": context}],
        "current-context": name,
        "preferences": {},
    }
    comment = "".join(
        f"# {line}\n" for line in textwrap.wrap(tls_note(self_signed=self_signed, ca_pem=ca_pem), 96)
    )
    return comment + yaml.safe_dump(document, sort_keys=False, default_flow_style=False)
