"""Marathon apps -> the services a Marathon-LB instance sees (MLB's `get_apps`, MLB 1.12.1-1.15.0).

A service is one service-port index of one app. Labels are parsed for every app, in or out of the
instance's groups, exactly as MLB does, so a malformed value (`HAPROXY_0_PORT=abc`) raises here for
the whole instance: that is MLB's "Unexpected error!" failure class and callers rely on it.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from localdcos.marathon_lb.templates import TEMPLATE_LABELS

Resolver = Callable[[str], str | None]

# MLB 1.12.x drops only tasks that are going or gone, so STAGING/STARTING tasks already count.
EXCLUDED_STATES_1_12 = frozenset({"TASK_KILLING", "TASK_KILLED", "TASK_FINISHED", "TASK_ERROR"})
# 1.14.0 keeps RUNNING plus the possibly-still-running LOST/UNREACHABLE only.
EXCLUDED_STATES_1_14 = EXCLUDED_STATES_1_12 | {
    "TASK_STAGING",
    "TASK_STARTING",
    "TASK_FAILED",
    "TASK_DROPPED",
    "TASK_GONE",
    "TASK_GONE_BY_OPERATOR",
    "TASK_UNKNOWN",
}
_HTTP_CHECKS = ("HTTP", "HTTPS", "MESOS_HTTP", "MESOS_HTTPS")


@dataclass
class Backend:
    host: str
    ip: str
    port: int
    draining: bool = False


@dataclass
class Service:
    app_id: str
    service_port: int
    index: int
    health_check: dict[str, Any] | None
    enabled: bool
    groups: list[str] = field(default_factory=list)
    # HAPROXY_{n}_GROUP; when set it replaces the app's HAPROXY_GROUP for this port.
    port_groups: list[str] = field(default_factory=list)
    mode: str | None = None
    hostname: str | None = None
    ssl_cert: str | None = None
    bind_options: str | None = None
    bind_addr: str = "*"
    balance: str = "roundrobin"
    sticky: bool = False
    backend_weight: int = 0
    healthcheck_port_index: int | None = None
    templates: dict[str, str] = field(default_factory=dict)
    backends: list[Backend] = field(default_factory=list)

    @property
    def backend_name(self) -> str:
        return self.app_id[1:].replace("/", "_") + "_" + str(self.service_port)


def resolve_host(host: str) -> str | None:
    """IPv4 of an agent host, as MLB resolves it inside its container (None: unresolvable)."""
    try:
        return socket.gethostbyname(host)
    except OSError:
        return None


# ----------------------------------------------------------------------------- labels


def _truthy(value: str) -> bool:
    return value.lower() in ("true", "t", "yes", "y")


def _set_auth(s: Service, v: str) -> None:
    # Not rendered, but MLB unpacks it into exactly three parts and fails otherwise.
    _realm, _user, _password = v.split(":")


def _set_vhost(s: Service, v: str) -> None:
    s.hostname = v.lower()


def _set_group(s: Service, v: str) -> None:
    s.port_groups = v.split(",")


def _set_path(s: Service, v: str) -> None:
    if s.backend_weight == 0:
        s.backend_weight = 1


def _set_sticky(s: Service, v: str) -> None:
    s.sticky = _truthy(v)


def _set_enabled(s: Service, v: str) -> None:
    s.enabled = _truthy(v)


def _set_ssl_cert(s: Service, v: str) -> None:
    s.ssl_cert = v


def _set_bind_options(s: Service, v: str) -> None:
    s.bind_options = v


def _set_bind_addr(s: Service, v: str) -> None:
    s.bind_addr = v


def _set_port(s: Service, v: str) -> None:
    s.service_port = int(v)


def _set_mode(s: Service, v: str) -> None:
    s.mode = v.lower()


def _set_balance(s: Service, v: str) -> None:
    s.balance = v


def _set_weight(s: Service, v: str) -> None:
    s.backend_weight = int(v)


def _set_healthcheck_port_index(s: Service, v: str) -> None:
    s.healthcheck_port_index = int(v)


def _ignore(s: Service, v: str) -> None:
    """Accepted by MLB, feature not emulated (redirects, HSTS, proxy paths, network ACLs)."""


_SETTERS: dict[str, Callable[[Service, str], None]] = {
    "AUTH": _set_auth,
    "VHOST": _set_vhost,
    "GROUP": _set_group,
    "PATH": _set_path,
    "STICKY": _set_sticky,
    "ENABLED": _set_enabled,
    "REDIRECT_TO_HTTPS": _ignore,
    "USE_HSTS": _ignore,
    "SSL_CERT": _set_ssl_cert,
    "BIND_OPTIONS": _set_bind_options,
    "BIND_ADDR": _set_bind_addr,
    "PORT": _set_port,
    "MODE": _set_mode,
    "BALANCE": _set_balance,
    "HTTP_BACKEND_PROXYPASS_PATH": _ignore,
    "HTTP_BACKEND_REVPROXY_PATH": _ignore,
    "HTTP_BACKEND_REDIR": _ignore,
    "BACKEND_WEIGHT": _set_weight,
    "BACKEND_NETWORK_ALLOWED_ACL": _ignore,
    "BACKEND_HEALTHCHECK_PORT_INDEX": _set_healthcheck_port_index,
}
# MLB applies labels in label-name order; it decides which of two bad values raises first.
_LABEL_ORDER = sorted({*_SETTERS, *TEMPLATE_LABELS})


def apply_labels(service: Service, labels: dict[str, str]) -> None:
    for name in _LABEL_ORDER:
        value = labels.get(f"HAPROXY_{service.index}_{name}")
        if value is None:
            continue
        setter = _SETTERS.get(name)
        if setter is None:
            service.templates[name] = value
        else:
            setter(service, value)


# ----------------------------------------------------------------------------- ports and tasks


def _container_network(app: dict[str, Any]) -> bool:
    networks = app.get("networks") or []
    return bool(networks) and networks[0].get("mode") == "container"


def _port_mappings(app: dict[str, Any]) -> list[dict[str, Any]]:
    container = app.get("container") or {}
    mappings = container.get("portMappings") or (container.get("docker") or {}).get("portMappings")
    return list(mappings or [])


def service_ports(app: dict[str, Any]) -> list[int]:
    if app.get("portDefinitions"):
        return [p["port"] for p in app["portDefinitions"] if p.get("port") is not None]
    mapped = [p["servicePort"] for p in _port_mappings(app) if p.get("servicePort") is not None]
    return mapped or list(app.get("ports") or [])


def _task_ip_and_ports(
    app: dict[str, Any], task: dict[str, Any], resolve: Resolver
) -> tuple[str | None, list[int]]:
    if _container_network(app):
        # IP-per-task: the task's own address and the container side of the mappings.
        addresses = task.get("ipAddresses") or []
        if not addresses:
            return None, []
        ports = [p["containerPort"] for p in _port_mappings(app) if p.get("containerPort") is not None]
        return addresses[0].get("ipAddress"), ports
    return resolve(task["host"]), list(task.get("ports") or [])


def health_check_for(app: dict[str, Any], index: int) -> dict[str, Any] | None:
    # As MLB: a check with a fixed `port` applies to every index.
    for check in app.get("healthChecks") or []:
        if check.get("port") or check.get("portIndex") == index:
            return dict(check)
    return None


def _healthy(task: dict[str, Any]) -> bool:
    # MLB 1.14's rule: one alive result is enough. Without results MLB falls back to a cache of
    # earlier answers; a stateless emulation has none, so such a task is left out.
    results = task.get("healthCheckResults")
    if results is None:
        return False
    return any(r.get("alive") for r in results)


def collect_services(
    apps: Iterable[dict[str, Any]],
    *,
    strict_mode: bool,
    health_check: bool,
    excluded_states: frozenset[str],
    framework_name: str | None,
    resolve: Resolver,
    log: list[str],
) -> list[Service]:
    """Services with at least one usable task, app by app in input order, ports in index order."""
    result: list[Service] = []
    for app in apps:
        app_id: str = app["id"]
        if framework_name is not None and app_id[1:] == framework_name:
            continue
        labels: dict[str, str] = app.get("labels") or {}
        groups = labels["HAPROXY_GROUP"].split(",") if "HAPROXY_GROUP" in labels else []
        ports = service_ports(app)
        by_port: dict[int, Service] = {}
        for index, port in enumerate(ports):
            service = Service(app_id, port, index, health_check_for(app, index), enabled=not strict_mode)
            service.groups = groups
            # The port's own health check picks the default mode; a MODE label still wins.
            if service.health_check and service.health_check.get("protocol") == "HTTP":
                service.mode = "http"
            apply_labels(service, labels)
            if service.health_check is None and service.healthcheck_port_index is not None:
                service.health_check = health_check_for(app, service.healthcheck_port_index)
                if service.health_check and service.health_check.get("protocol") in _HTTP_CHECKS:
                    service.mode = "http"
            by_port[port] = service
        for task in app.get("tasks") or []:
            task_id = task.get("id", "?")
            if not task.get("host"):
                log.append(f"Ignoring Marathon task without host {task_id}")
                continue
            if task.get("state") in excluded_states:
                log.append(f"Ignoring non-running task {task_id} with state {task['state']}")
                continue
            if health_check and app.get("healthChecks") and not _healthy(task):
                continue
            ip, task_ports = _task_ip_and_ports(app, task, resolve)
            if not ip:
                log.append(f"Task {task_id} has no resolvable IP address - skip")
                continue
            # Different app versions may differ in port count: pair up as many as possible.
            for task_port, port in zip(task_ports, ports, strict=False):
                if port in by_port:
                    by_port[port].backends.append(
                        Backend(task["host"], ip, task_port, bool(task.get("draining")))
                    )
        result += [s for s in by_port.values() if s.backends]
    return result
