"""Edge-LB: an Edge-LB V2 pool serving HTTPS on `port` and forwarding to the control-plane tasks.

Its options, the pool derived from them (recipe fix (e), see `recipe`), and the `EdgeLBPool`
child. Edge-LB finds the backends itself from the framework name, so there is no upstream address.
"""

from __future__ import annotations

from typing import Any, Final

import pulumi
from pydantic import Field

from provider import EdgeLBPool
from provider.edgelb_pool import DEFAULT_WAIT_TIMEOUT_SECONDS

from .fields import Certificates, Count, IPv4, PoolName, Port, SecretFile, SecretPath, pool_name_problem
from .load_balancer import ChildArgs, Claim, LoadBalancer
from .names import flat_name
from .recipe import RecipeFixes
from .settings import Exposure, ExposureInputError

VIA: Final = "edge-lb"
POOL_PREFIX: Final = "edgelb-"
# Edge-LB's self-signed certificate placeholder, generated when `autoCertificate` is true.
AUTOCERT: Final = "$AUTOCERT"
# Where Edge-LB writes a pool secret's file, referenced as `$SECRETS/<file>` in `certificates`.
SECRETS_PREFIX: Final = "$SECRETS/"


class EdgeLbSettings(Exposure):
    """The options only Edge-LB reads."""

    pool_name: PoolName | None = Field(
        None,
        description="The pool's name; default `edgelb-<name with / as ->`. Set it when the cluster name "
        "contains `.` (pool names may not).",
    )
    count: Count = Field(
        1, description="How many HAProxy instances the pool runs (one per public agent: hostname:UNIQUE)."
    )
    certificates: Certificates | None = Field(
        None,
        description="The frontend's certificates: `$AUTOCERT` (self-signed, the default without "
        "`certificateSecret`), `$SECRETS/<file>` or `$ENVFILE/<file>`.",
    )
    certificate_secret: SecretPath | None = Field(
        None,
        description="A DC/OS secret holding a signed certificate and key (PEM); the frontend then serves "
        "`$SECRETS/<certificateSecretFile>` instead of `$AUTOCERT`.",
    )
    certificate_secret_file: SecretFile = Field(
        "apiserver-cert",
        description="The file name Edge-LB writes `certificateSecret` to inside the pool.",
    )
    stats_port: Port = Field(
        6090,
        description="The HAProxy stats port, reserved on the agent (Edge-LB's own 9090 would clash with "
        "Marathon-LB's).",
    )
    stats_bind_address: IPv4 = Field(
        "127.0.0.1", description="Where the stats page listens; Edge-LB's own default is every address."
    )


def default_pool_name(cluster_name: str) -> str:
    return f"{POOL_PREFIX}{flat_name(cluster_name)}"


def pool_name(exposure: EdgeLbSettings) -> str:
    return exposure.pool_name if exposure.pool_name is not None else default_pool_name(exposure.cluster_name)


def backend_name(cluster_name: str) -> str:
    # HAProxy refuses "/" in proxy names; for an unfoldered cluster this is the seed's name.
    return flat_name(cluster_name)


def certificates(exposure: EdgeLbSettings) -> list[str]:
    if exposure.certificates is not None:
        return list(exposure.certificates)
    if exposure.certificate_secret is not None:
        return [SECRETS_PREFIX + exposure.certificate_secret_file]
    return [AUTOCERT]


def pool(exposure: EdgeLbSettings, fixes: RecipeFixes) -> dict[str, Any]:
    """An Edge-LB V2 pool: HTTPS on `port`, forwarding to the cluster's control-plane tasks."""
    backend = backend_name(exposure.cluster_name)
    certs = certificates(exposure)
    frontend: dict[str, Any] = {
        "bindPort": exposure.port,
        "protocol": "HTTPS",
        "certificates": certs,
        "linkBackend": {"defaultBackend": backend},
    }
    backend_doc: dict[str, Any] = {
        "name": backend,
        "protocol": "HTTPS",
        "services": [
            {
                # Framework name = service name exactly, no leading slash (dcos-api.md §5).
                "mesos": {"frameworkName": exposure.cluster_name, "taskNamePattern": "kube-control-plane"},
                "endpoint": {"portName": "apiserver"},
            }
        ],
    }
    stats: dict[str, Any] = {"bindPort": exposure.stats_port}
    if fixes.edge_lb_stream_timeouts:
        frontend["miscStrs"] = [f"timeout client {exposure.client_timeout}"]
        backend_doc["miscStrs"] = [
            f"timeout server {exposure.server_timeout}",
            f"timeout tunnel {exposure.tunnel_timeout}",
        ]
    if fixes.private_stats:
        stats["bindAddress"] = exposure.stats_bind_address
    document: dict[str, Any] = {"apiVersion": "V2", "name": pool_name(exposure), "count": exposure.count}
    # Only generate a self-signed certificate when a frontend uses it.
    if AUTOCERT in certs:
        document["autoCertificate"] = True
    if exposure.certificate_secret is not None:
        document["secrets"] = [
            {"secret": exposure.certificate_secret, "file": exposure.certificate_secret_file}
        ]
    document["haproxy"] = {"frontends": [frontend], "backends": [backend_doc], "stats": stats}
    return document


class EdgeLb(LoadBalancer[EdgeLbSettings]):
    via = VIA
    settings = EdgeLbSettings
    id_output = "poolName"
    child_suffix = "edgelb-pool"
    default_wait_timeout_seconds = DEFAULT_WAIT_TIMEOUT_SECONDS
    unsupported = {
        "backend_tls": "only 'none' with via=edge-lb: an HTTPS backend always renders 'ssl verify none'",
        "apiserver_address": "is only used with via=marathon-lb; Edge-LB selects the kube-control-plane "
        "tasks by framework name",
    }

    def _check(self, exposure: EdgeLbSettings) -> None:
        # An explicit pool_name passed its field rule; the derived one is checked here.
        problem = pool_name_problem(pool_name(exposure))
        if problem is not None:
            raise ExposureInputError(
                "pool_name", f"{problem}: it is derived from the cluster name, set pool_name explicitly"
            )
        secret_file = SECRETS_PREFIX + exposure.certificate_secret_file
        for cert in exposure.certificates or ():
            if cert.startswith(SECRETS_PREFIX) and (
                exposure.certificate_secret is None or cert != secret_file
            ):
                raise ExposureInputError(
                    "certificates",
                    f"{cert!r} needs certificate_secret with certificate_secret_file "
                    f"{cert.removeprefix(SECRETS_PREFIX)!r}",
                )
        if exposure.stats_port == exposure.port:
            raise ExposureInputError("stats_port", f"must differ from port: both are {exposure.port}")

    def _claims(self, exposure: EdgeLbSettings) -> list[Claim]:
        # Edge-LB reserves the stats port as a Mesos resource on the agent, even when bound to 127.0.0.1.
        return [
            Claim("public port", str(exposure.stats_port), "stats_port"),
            Claim("Edge-LB pool name", pool_name(exposure), "pool_name"),
        ]

    def _derive(self, exposure: EdgeLbSettings, fixes: RecipeFixes) -> dict[str, Any]:
        return pool(exposure, fixes)

    def _self_signed(self, exposure: EdgeLbSettings) -> bool:
        return AUTOCERT in certificates(exposure)

    def create_child(
        self, component_name: str, document: pulumi.Output[dict[str, Any]], args: ChildArgs
    ) -> pulumi.Output[str]:
        return EdgeLBPool(self.child_name(component_name), pool=document, **args).pool_name


EDGE_LB: Final = EdgeLb()
