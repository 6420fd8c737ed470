"""Names DC/OS derives from a `kubernetes-cluster` service name (dcos-api.md §5), and ours.

Pure string functions; they assume a cluster name that `validation` accepted.
"""

from __future__ import annotations

import re
from typing import Final

from .spec import APISERVER_VIP_PORT, ExposureSpec

VIP_DOMAIN: Final = "l4lb.thisdcos.directory"
MARATHON_APP_PREFIX: Final = "marathon-lb-"
POOL_PREFIX: Final = "edgelb-"


def flat_name(cluster_name: str) -> str:
    """`dev/kubernetes01` → `dev-kubernetes01`: one token usable as app id segment, pool and resource name."""
    return cluster_name.replace("/", "-")


def vip_host(cluster_name: str) -> str:
    # The SDK drops every "/" (lossy: dev/k01 and devk01 collide) and keeps dots.
    return f"apiserver.{cluster_name.replace('/', '')}.{VIP_DOMAIN}"


def marathon_app_id(cluster_name: str) -> str:
    # Top level on purpose: an app under /<cluster> would clash with the scheduler app (§1.6).
    return f"/{MARATHON_APP_PREFIX}{flat_name(cluster_name)}"


def default_pool_name(cluster_name: str) -> str:
    return f"{POOL_PREFIX}{flat_name(cluster_name)}"


def pool_name(spec: ExposureSpec) -> str:
    return spec.pool_name if spec.pool_name is not None else default_pool_name(spec.cluster_name)


def edge_lb_backend_name(cluster_name: str) -> str:
    # HAProxy refuses "/" in proxy names; for an unfoldered cluster this is the seed's name.
    return flat_name(cluster_name)


def seed_server_name(cluster_name: str) -> str:
    """The seed's fixed server name: `kubernetes-cluster` → `kubernetescluster`."""
    return re.sub(r"[^a-z0-9]", "", cluster_name)


def upstream(spec: ExposureSpec) -> tuple[str, int]:
    """Where HAProxy forwards to: the apiserver VIP, unless `apiserver_address` overrides it."""
    if spec.apiserver_address is None:
        return vip_host(spec.cluster_name), APISERVER_VIP_PORT
    host, _, port = spec.apiserver_address.rpartition(":")
    return host, int(port)


def exposure_url(spec: ExposureSpec) -> str | None:
    if spec.public_host is None:
        return None
    return f"https://{spec.public_host}:{spec.port}"
