"""The plain, validated description of one exposure, and the defaults every layer shares.

`ExposureSpec` is what `validation.validate_exposure` returns and what `derivations` consumes; it holds
no Pulumi Output, so everything derived from it can be unit-tested as plain data.
Credentials (a kubeconfig token) and the frontend CA are deliberately not part of it: they only feed
the kubeconfig, and keeping them out stops a secret from making the app definition or pool secret.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Final, Literal

Via = Literal["marathon-lb", "edge-lb"]
BackendTls = Literal["none", "verify"]

VIA_MARATHON_LB: Final = "marathon-lb"
VIA_EDGE_LB: Final = "edge-lb"
VIAS: Final = (VIA_MARATHON_LB, VIA_EDGE_LB)
BACKEND_TLS_MODES: Final = ("none", "verify")

# The apiserver VIP port of the kubernetes-cluster package (dcos-api.md §5).
APISERVER_VIP_PORT: Final = 6443

DEFAULT_PORT: Final = 6443
# Marathon-LB's package default `--group` (dcos-api.md §2.1).
DEFAULT_HAPROXY_GROUP: Final = "external"
# Marathon-LB's self-signed default certificate inside its container (dcos-api.md §2.1).
DEFAULT_SSL_CERT: Final = "/etc/ssl/cert.pem"
# The DC/OS Enterprise CA bundle in every task sandbox; the seed verifies the apiserver against it.
DEFAULT_CA_FILE: Final = "/mnt/mesos/sandbox/.ssl/ca-bundle.crt"
DEFAULT_CONNECT_TIMEOUT: Final = "10s"
# One day: `kubectl logs -f` / `exec` streams must not be cut while idle.
DEFAULT_STREAM_TIMEOUT: Final = "86400s"
DEFAULT_COUNT: Final = 1
# Edge-LB's self-signed certificate placeholder, generated when `autoCertificate` is true.
AUTOCERT: Final = "$AUTOCERT"
# Where Edge-LB writes a pool secret's file, referenced as `$SECRETS/<file>` in `certificates`.
SECRETS_PREFIX: Final = "$SECRETS/"
DEFAULT_CERTIFICATE_SECRET_FILE: Final = "apiserver-cert"  # noqa: S105 (a file name)
# The seed's stats port; Edge-LB's own default 9090 would clash with Marathon-LB's.
DEFAULT_STATS_PORT: Final = 6090
# Recipe fix (e): Edge-LB binds stats to 0.0.0.0 unless told otherwise.
DEFAULT_STATS_BIND_ADDRESS: Final = "127.0.0.1"
DEFAULT_WAIT_TIMEOUT_SECONDS: Final = 300.0


@dataclass(frozen=True)
class ExposureSpec:
    """One cluster's exposure, with every default applied. Build it through `validate_exposure`."""

    cluster_name: str
    via: Via = VIA_MARATHON_LB
    port: int = DEFAULT_PORT
    # Marathon-LB only
    haproxy_group: str = DEFAULT_HAPROXY_GROUP
    ssl_cert: str = DEFAULT_SSL_CERT
    backend_tls: BackendTls = "none"
    ca_file: str = DEFAULT_CA_FILE
    connect_timeout: str = DEFAULT_CONNECT_TIMEOUT
    # both
    client_timeout: str = DEFAULT_STREAM_TIMEOUT
    server_timeout: str = DEFAULT_STREAM_TIMEOUT
    tunnel_timeout: str = DEFAULT_STREAM_TIMEOUT
    # Edge-LB only
    pool_name: str | None = None
    count: int = DEFAULT_COUNT
    certificates: tuple[str, ...] | None = None
    certificate_secret: str | None = None
    certificate_secret_file: str = DEFAULT_CERTIFICATE_SECRET_FILE
    stats_port: int = DEFAULT_STATS_PORT
    stats_bind_address: str = DEFAULT_STATS_BIND_ADDRESS
    # common
    apiserver_address: str | None = None
    public_host: str | None = None


SPEC_FIELDS: Final = frozenset(f.name for f in fields(ExposureSpec))
