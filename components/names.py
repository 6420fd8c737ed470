"""Names DC/OS derives from a `kubernetes-cluster` service name (dcos-api.md §5), and the
resource names of this project. Pure string functions; they assume a validated cluster name.

Names that only one load balancer uses (the Marathon app id, the pool name) live in its module.
"""

from __future__ import annotations

from typing import Final

VIP_DOMAIN: Final = "l4lb.thisdcos.directory"
# The apiserver VIP port of the kubernetes-cluster package (dcos-api.md §5).
APISERVER_VIP_PORT: Final = 6443


def flat_name(cluster_name: str) -> str:
    """`dev/kubernetes01` → `dev-kubernetes01`: one token usable as app id segment, pool and resource name."""
    return cluster_name.replace("/", "-")


def component_name(source: str, override: str | None = None) -> str:
    """The component's resource name: `override`, else the flat form of `source` (the cluster name,
    or for `clusterFrom` the referenced stack, since the cluster name is unknown until it resolves)."""
    return override if override is not None else flat_name(source)


def vip_host(cluster_name: str) -> str:
    # The SDK drops every "/" (lossy: dev/k01 and devk01 collide) and keeps dots.
    return f"apiserver.{cluster_name.replace('/', '')}.{VIP_DOMAIN}"


def exposure_url(public_host: str | None, port: int) -> str | None:
    """Where clients reach the API server; unknown without a public host."""
    return None if public_host is None else f"https://{public_host}:{port}"
