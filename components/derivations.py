"""The Marathon app and the Edge-LB V2 pool for one validated exposure (pure data, no Pulumi).

The starting point is the DC/OS recipe "Exposing the Kubernetes API via Marathon-LB or Edge-LB"
(the seed). Its documents have defects; each fix is one flag of `RecipeFixes`, all on by default.
`seed_compatible=True` switches all of them off and reproduces the seed byte for byte.

(a) `frontend_client_timeout`: the seed puts `timeout client` into the *backend*, where HAProxy
    ignores it; the frontend keeps `timeout client 30s` and idle `kubectl logs -f` streams are cut.
    Fix: a `HAPROXY_0_FRONTEND_HEAD` label rendering Marathon-LB's default frontend head plus
    `timeout client`, and no `timeout client` in the backend.
(b) `tcp_mode`: `HAPROXY_0_MODE: http` also registers the app in Marathon-LB's plain-HTTP 9091
    `X-Marathon-App-Id` frontend, so the apiserver is reachable there without TLS to the client.
    Fix: mode `tcp`. TLS is still terminated by the `ssl crt` bind and re-encrypted by the server
    line's `ssl`; in marathon-lb's config() only mode `http` apps get the 9091 ACL and the
    HTTP-only backend options, and the default backend head (`balance`, `mode`) has nothing HTTP-only.
(c) `unique_server_names`: the server line is pasted once per task, and the default upgrade
    strategy runs two tasks during every restart; HAProxy >= 2.0 (Marathon-LB >= 1.14) refuses the
    duplicate server name and the frontend vanishes. Fix: `{serverName}` (unique per task) as the
    server name, so two tasks give two valid lines to the same VIP and the API stays up.
(d) label injection: not a flag; `validation` makes newlines, braces, quotes and `#` impossible.
(e) `private_stats` and `edge_lb_stream_timeouts`: Edge-LB binds stats on 0.0.0.0 and keeps the
    template's 30 s client/server timeouts. Fix: stats on `stats_bind_address` (127.0.0.1 by
    default), frontend `timeout client`, backend `timeout server` / `timeout tunnel` miscStrs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from . import names
from .names import (
    default_pool_name,
    edge_lb_backend_name,
    exposure_url,
    flat_name,
    marathon_app_id,
    pool_name,
    vip_host,
)
from .spec import AUTOCERT, DEFAULT_SSL_CERT, SECRETS_PREFIX, VIA_MARATHON_LB, ExposureSpec

__all__ = [
    "MARATHON_LB_FRONTEND_HEAD",
    "NO_FIXES",
    "SERVER_NAME_PLACEHOLDER",
    "RecipeFixes",
    "backend_server_options",
    "default_pool_name",
    "edge_lb_backend_name",
    "edge_lb_certificates",
    "edge_lb_pool",
    "exposure_url",
    "flat_name",
    "frontend_certificate_is_self_signed",
    "frontend_head",
    "marathon_app_definition",
    "marathon_app_id",
    "marathon_lb_labels",
    "pool_name",
    "resolve_fixes",
    "vip_host",
]


@dataclass(frozen=True)
class RecipeFixes:
    """One flag per seed defect fixed here; see the module docstring for (a)-(e)."""

    frontend_client_timeout: bool = True  # (a)
    tcp_mode: bool = True  # (b)
    unique_server_names: bool = True  # (c)
    private_stats: bool = True  # (e)
    edge_lb_stream_timeouts: bool = True  # (e)


NO_FIXES: Final = RecipeFixes(
    frontend_client_timeout=False,
    tcp_mode=False,
    unique_server_names=False,
    private_stats=False,
    edge_lb_stream_timeouts=False,
)

# Marathon-LB's default HAPROXY_FRONTEND_HEAD (marathon-lb config.py); placeholders are filled by MLB.
MARATHON_LB_FRONTEND_HEAD: Final = (
    "\nfrontend {backend}\n  bind {bindAddr}:{servicePort}{sslCert}{bindOptions}\n  mode {mode}\n"
)
# Filled by Marathon-LB per task: `<host>_<ip>_<port>`, unique within the backend.
SERVER_NAME_PLACEHOLDER: Final = "{serverName}"


def resolve_fixes(seed_compatible: bool, fixes: RecipeFixes | None) -> RecipeFixes:
    if seed_compatible:
        return NO_FIXES
    return fixes if fixes is not None else RecipeFixes()


# --- Marathon-LB ------------------------------------------------------------------------------------


def frontend_head(spec: ExposureSpec) -> str:
    return f"{MARATHON_LB_FRONTEND_HEAD}  timeout client {spec.client_timeout}\n"


def backend_server_options(spec: ExposureSpec, fixes: RecipeFixes) -> str:
    """The per-task template pasted into the backend: timeouts, then a server line to the apiserver."""
    lines = [f"timeout connect {spec.connect_timeout}"]
    if not fixes.frontend_client_timeout:
        lines.append(f"timeout client {spec.client_timeout}")
    lines += [f"timeout server {spec.server_timeout}", f"timeout tunnel {spec.tunnel_timeout}"]
    server = (
        SERVER_NAME_PLACEHOLDER if fixes.unique_server_names else names.seed_server_name(spec.cluster_name)
    )
    host, port = names.upstream(spec)
    tls = "ssl verify none" if spec.backend_tls == "none" else f"ssl verify required ca-file {spec.ca_file}"
    lines.append(f"server {server} {host}:{port} {tls}")
    return "".join(f"  {line}\n" for line in lines)


def marathon_lb_labels(spec: ExposureSpec, fixes: RecipeFixes) -> dict[str, str]:
    labels = {
        "HAPROXY_GROUP": spec.haproxy_group,
        "HAPROXY_0_MODE": "tcp" if fixes.tcp_mode else "http",
        "HAPROXY_0_PORT": str(spec.port),
        "HAPROXY_0_SSL_CERT": spec.ssl_cert,
    }
    if fixes.frontend_client_timeout:
        labels["HAPROXY_0_FRONTEND_HEAD"] = frontend_head(spec)
    labels["HAPROXY_0_BACKEND_SERVER_OPTIONS"] = backend_server_options(spec, fixes)
    return labels


def marathon_app_definition(
    spec: ExposureSpec, *, seed_compatible: bool = False, fixes: RecipeFixes | None = None
) -> dict[str, Any]:
    """A dummy app (one idle task) whose labels make Marathon-LB proxy to the apiserver."""
    active = resolve_fixes(seed_compatible, fixes)
    app: dict[str, Any] = {
        "id": marathon_app_id(spec.cluster_name),
        "instances": 1,
        "cpus": 0.001,
        "mem": 16,
        "cmd": "tail -F /dev/null",
        "container": {"type": "MESOS"},
        "portDefinitions": [{"protocol": "tcp", "port": 0}],
        "labels": marathon_lb_labels(spec, active),
    }
    # Marathon's default upgrade strategy stays: during a restart the new task runs beside the old
    # one, and with unique server names both lines are valid, so the frontend never goes away. (A
    # kill-before-start strategy would leave no running task, and Marathon-LB drops the frontend.)
    return app


# --- Edge-LB ----------------------------------------------------------------------------------------


def edge_lb_certificates(spec: ExposureSpec) -> list[str]:
    if spec.certificates is not None:
        return list(spec.certificates)
    if spec.certificate_secret is not None:
        return [SECRETS_PREFIX + spec.certificate_secret_file]
    return [AUTOCERT]


def edge_lb_pool(
    spec: ExposureSpec, *, seed_compatible: bool = False, fixes: RecipeFixes | None = None
) -> dict[str, Any]:
    """An Edge-LB V2 pool: HTTPS on `port`, forwarding to the cluster's control-plane tasks."""
    active = resolve_fixes(seed_compatible, fixes)
    backend = edge_lb_backend_name(spec.cluster_name)
    certificates = edge_lb_certificates(spec)
    frontend: dict[str, Any] = {
        "bindPort": spec.port,
        "protocol": "HTTPS",
        "certificates": certificates,
        "linkBackend": {"defaultBackend": backend},
    }
    backend_doc: dict[str, Any] = {
        "name": backend,
        "protocol": "HTTPS",
        "services": [
            {
                # Framework name = service name exactly, no leading slash (dcos-api.md §5).
                "mesos": {"frameworkName": spec.cluster_name, "taskNamePattern": "kube-control-plane"},
                "endpoint": {"portName": "apiserver"},
            }
        ],
    }
    stats: dict[str, Any] = {"bindPort": spec.stats_port}
    if active.edge_lb_stream_timeouts:
        frontend["miscStrs"] = [f"timeout client {spec.client_timeout}"]
        backend_doc["miscStrs"] = [
            f"timeout server {spec.server_timeout}",
            f"timeout tunnel {spec.tunnel_timeout}",
        ]
    if active.private_stats:
        stats["bindAddress"] = spec.stats_bind_address
    pool: dict[str, Any] = {"apiVersion": "V2", "name": pool_name(spec), "count": spec.count}
    # Only generate a self-signed certificate when a frontend uses it.
    if AUTOCERT in certificates:
        pool["autoCertificate"] = True
    if spec.certificate_secret is not None:
        pool["secrets"] = [{"secret": spec.certificate_secret, "file": spec.certificate_secret_file}]
    pool["haproxy"] = {"frontends": [frontend], "backends": [backend_doc], "stats": stats}
    return pool


def frontend_certificate_is_self_signed(spec: ExposureSpec) -> bool:
    """True when clients cannot verify the frontend without a CA we do not know (the recipe's default)."""
    if spec.via == VIA_MARATHON_LB:
        return spec.ssl_cert == DEFAULT_SSL_CERT
    return AUTOCERT in edge_lb_certificates(spec)
