"""Marathon-LB: a dummy Marathon app whose `HAPROXY_*` labels make Marathon-LB proxy to the apiserver.

Its options, the app definition derived from them (recipe fixes (a)-(c), see `recipe`), and the
`MarathonApp` child. The app is one idle task; Marathon-LB renders the labels into haproxy.cfg on
every agent of the `HAPROXY_GROUP`.
"""

from __future__ import annotations

import re
from typing import Any, Final, Literal

import pulumi
from pydantic import Field

from provider import MarathonApp
from provider.marathon_app import DEFAULT_WAIT_TIMEOUT_SECONDS

from .fields import AbsolutePath, GroupList, HaproxyTime, HostPort
from .load_balancer import ChildArgs, LoadBalancer
from .names import APISERVER_VIP_PORT, flat_name, vip_host
from .recipe import RecipeFixes
from .settings import Exposure, ExposureInputError

VIA: Final = "marathon-lb"
APP_PREFIX: Final = "marathon-lb-"
# Marathon-LB's self-signed default certificate inside its container (dcos-api.md §2.1).
DEFAULT_SSL_CERT: Final = "/etc/ssl/cert.pem"
# Ports Marathon-LB reserves on its agents (dcos-api.md §2.1).
RESERVED_PORTS: Final = frozenset({80, 443, 9090, 9091, *range(10000, 10151)})
# Marathon-LB's default HAPROXY_FRONTEND_HEAD (marathon-lb config.py); placeholders are filled by MLB.
FRONTEND_HEAD: Final = (
    "\nfrontend {backend}\n  bind {bindAddr}:{servicePort}{sslCert}{bindOptions}\n  mode {mode}\n"
)
# Filled by Marathon-LB per task: `<host>_<ip>_<port>`, unique within the backend.
SERVER_NAME_PLACEHOLDER: Final = "{serverName}"


class MarathonLbSettings(Exposure):
    """The options only Marathon-LB reads."""

    haproxy_group: GroupList = Field(
        "external",
        description="`HAPROXY_GROUP`: the Marathon-LB instances (`--group`) that serve the app, "
        "comma-separated; the package's default group is `external`.",
    )
    ssl_cert: AbsolutePath = Field(
        DEFAULT_SSL_CERT,
        description="The certificate file inside the Marathon-LB container for the frontend; the default is "
        "its self-signed one, so the kubeconfig skips verification unless `frontendCaPem` is set.",
    )
    backend_tls: Literal["none", "verify"] = Field(
        "none",
        description="`none`: TLS to the apiserver without checking its certificate; `verify`: checked "
        "against `caFile` (DC/OS Enterprise). Edge-LB supports `none` only.",
    )
    ca_file: AbsolutePath = Field(
        "/mnt/mesos/sandbox/.ssl/ca-bundle.crt",
        description="The CA bundle `backendTls: verify` checks the apiserver against (the DC/OS "
        "Enterprise CA in every task sandbox).",
    )
    connect_timeout: HaproxyTime = Field("10s", description="HAProxy `timeout connect` to the apiserver.")
    apiserver_address: HostPort | None = Field(
        None,
        description="`host:port` to forward to instead of the apiserver VIP "
        "`apiserver.<name without />.l4lb.thisdcos.directory:6443`. Refused with Edge-LB, which selects "
        "the kube-control-plane tasks by framework name.",
    )


def app_id(cluster_name: str) -> str:
    # Top level on purpose: an app under /<cluster> would clash with the scheduler app (§1.6).
    return f"/{APP_PREFIX}{flat_name(cluster_name)}"


def seed_server_name(cluster_name: str) -> str:
    """The seed's fixed server name: `kubernetes-cluster` → `kubernetescluster`."""
    return re.sub(r"[^a-z0-9]", "", cluster_name)


def upstream(exposure: MarathonLbSettings) -> tuple[str, int]:
    """Where HAProxy forwards to: the apiserver VIP, unless `apiserver_address` overrides it."""
    if exposure.apiserver_address is None:
        return vip_host(exposure.cluster_name), APISERVER_VIP_PORT
    host, _, port = exposure.apiserver_address.rpartition(":")
    return host, int(port)


def frontend_head(exposure: MarathonLbSettings) -> str:
    return f"{FRONTEND_HEAD}  timeout client {exposure.client_timeout}\n"


def backend_server_options(exposure: MarathonLbSettings, fixes: RecipeFixes) -> str:
    """The per-task template pasted into the backend: timeouts, then a server line to the apiserver."""
    lines = [f"timeout connect {exposure.connect_timeout}"]
    if not fixes.frontend_client_timeout:
        lines.append(f"timeout client {exposure.client_timeout}")
    lines += [f"timeout server {exposure.server_timeout}", f"timeout tunnel {exposure.tunnel_timeout}"]
    server = SERVER_NAME_PLACEHOLDER if fixes.unique_server_names else seed_server_name(exposure.cluster_name)
    host, port = upstream(exposure)
    tls = (
        "ssl verify none"
        if exposure.backend_tls == "none"
        else f"ssl verify required ca-file {exposure.ca_file}"
    )
    lines.append(f"server {server} {host}:{port} {tls}")
    return "".join(f"  {line}\n" for line in lines)


def labels(exposure: MarathonLbSettings, fixes: RecipeFixes) -> dict[str, str]:
    result = {
        "HAPROXY_GROUP": exposure.haproxy_group,
        "HAPROXY_0_MODE": "tcp" if fixes.tcp_mode else "http",
        "HAPROXY_0_PORT": str(exposure.port),
        "HAPROXY_0_SSL_CERT": exposure.ssl_cert,
    }
    if fixes.frontend_client_timeout:
        result["HAPROXY_0_FRONTEND_HEAD"] = frontend_head(exposure)
    result["HAPROXY_0_BACKEND_SERVER_OPTIONS"] = backend_server_options(exposure, fixes)
    return result


def app_definition(exposure: MarathonLbSettings, fixes: RecipeFixes) -> dict[str, Any]:
    """A dummy app (one idle task) whose labels make Marathon-LB proxy to the apiserver."""
    # Marathon's default upgrade strategy stays: during a restart the new task runs beside the old
    # one, and with unique server names both lines are valid, so the frontend never goes away. (A
    # kill-before-start strategy would leave no running task, and Marathon-LB drops the frontend.)
    return {
        "id": app_id(exposure.cluster_name),
        "instances": 1,
        "cpus": 0.001,
        "mem": 16,
        "cmd": "tail -F /dev/null",
        "container": {"type": "MESOS"},
        "portDefinitions": [{"protocol": "tcp", "port": 0}],
        "labels": labels(exposure, fixes),
    }


class MarathonLb(LoadBalancer[MarathonLbSettings]):
    via = VIA
    settings = MarathonLbSettings
    id_output = "appId"
    child_suffix = "marathon-app"
    default_wait_timeout_seconds = DEFAULT_WAIT_TIMEOUT_SECONDS

    def _check(self, exposure: MarathonLbSettings) -> None:
        if exposure.port in RESERVED_PORTS:
            raise ExposureInputError(
                "port",
                f"{exposure.port} is reserved by Marathon-LB (80, 443, 9090, 9091, 10000-10150); "
                "pick another port",
            )

    def _derive(self, exposure: MarathonLbSettings, fixes: RecipeFixes) -> dict[str, Any]:
        return app_definition(exposure, fixes)

    def _self_signed(self, exposure: MarathonLbSettings) -> bool:
        return exposure.ssl_cert == DEFAULT_SSL_CERT

    def create_child(
        self, component_name: str, document: pulumi.Output[dict[str, Any]], args: ChildArgs
    ) -> pulumi.Output[str]:
        return MarathonApp(self.child_name(component_name), definition=document, **args).app_id


MARATHON_LB: Final = MarathonLb()
