"""A kubeconfig for one exposed API server: the options that only feed it, and its rendering (pure).

The frontend CA and the token are kept out of the exposure settings on purpose: they only feed the
kubeconfig, and keeping them apart stops a secret from making the app definition or pool secret.
"""

from __future__ import annotations

import base64
import re
import textwrap
from typing import Annotated, Any, Final

import yaml
from pydantic import BeforeValidator, Field

from .fields import refuse
from .settings import Settings

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


PEM_MARKER: Final = "-----BEGIN CERTIFICATE-----"
_TOKEN_RE: Final = re.compile(r"[A-Za-z0-9._~+/=:-]+")


def _pem(value: object) -> object:
    if not isinstance(value, str) or PEM_MARKER not in value:
        raise refuse(f"must be PEM text containing {PEM_MARKER!r}")
    return value


def _token(value: object) -> object:
    # Never echo the value: it is a credential.
    if not isinstance(value, str) or _TOKEN_RE.fullmatch(value) is None:
        raise refuse("must be a single token without whitespace or quotes")
    return value


FrontendCaPem = Annotated[str, BeforeValidator(_pem)]
KubeconfigToken = Annotated[str, BeforeValidator(_token)]


class FrontendTrust(Settings):
    """The per-cluster kubeconfig option of the stack config."""

    frontend_ca_pem: FrontendCaPem | None = Field(
        None,
        description="PEM of the CA that signed the frontend certificate: the kubeconfig then verifies it "
        "instead of skipping verification for a self-signed certificate.",
    )


class KubeconfigSettings(FrontendTrust):
    """Everything the kubeconfig needs besides the exposure."""

    kubeconfig_token: KubeconfigToken | None = Field(
        None,
        description="A Kubernetes bearer token for the kubeconfig's user; it makes the kubeconfig a secret "
        "output.",
    )


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
