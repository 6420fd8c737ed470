"""Render a pool's haproxy.cfg from the pool and the Mesos tasks its services select.

Selection follows Edge-LB (1.0.2+, where the `*Pattern` selectors work): only TASK_RUNNING tasks,
`*Pattern` fields are unanchored regex searches, plain fields are string equality, tasks are
taken in task-id order and DiscoveryInfo ports are picked by name (or all, or overridden by a
fixed port). The output follows the structure of Edge-LB's default template but is written for
HAProxy 2.x: every line must pass `haproxy -c`, so 1.x-only directives (reqirep/rspirep) become
their 2.x equivalents and things that need files of the pool container (Lua helpers, the stats
socket, the server-state file) are left out.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from localdcos.edgelb_models import Backend, Frontend, LinkBackendMapItem, Service, V2Pool
from localdcos.mesos import NETWORK_SCOPE_LABEL, TaskView

STICKY_COOKIE = "DCOS_SERVER_ID_FOR_THE_STICKY"
_HTTP_PROTOCOLS = ("HTTP", "HTTPS")


@dataclass(frozen=True)
class Server:
    kind: str  # "agentip" | "containerip" | "address"
    host: str
    port: int

    @property
    def name(self) -> str:
        return f"{self.kind}_{self.host}_{self.port}"

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


# ----------------------------------------------------------------------------- selection


def _matches(value: str, exact: str, pattern: str) -> bool:
    """A selector field pair: the pattern wins when set; an unset pair matches everything."""
    if pattern:
        try:
            return re.search(pattern, value) is not None
        except re.error:
            # Go would fail the whole render; matching nothing keeps the rest of the pool usable.
            return False
    if exact:
        return value == exact
    return True


def marathon_ids(task_id: str) -> tuple[str, str]:
    """(Marathon service id, pod container name) encoded in a Marathon task id.

    Apps: "group_app.<uuid>" -> "/group/app"; pods: "group_pod.instance-<uuid>.<container>".
    """
    parts = task_id.split(".")
    if len(parts) < 2:
        return "", ""
    container = parts[2] if len(parts) == 3 else ""
    return "/" + "/".join(parts[0].split("_")), container


def select_tasks(service: Service, tasks: Iterable[TaskView]) -> list[TaskView]:
    """The RUNNING tasks a service selector picks, in task-id order."""
    m, s = service.marathon, service.mesos
    # A Marathon selector implies the framework named "marathon".
    framework_name = "marathon" if (m.service_id or m.service_id_pattern) else s.framework_name
    picked: list[TaskView] = []
    for t in tasks:
        service_id, container = marathon_ids(t.task_id)
        if not (
            _matches(service_id, m.service_id, m.service_id_pattern)
            and _matches(container, m.container_name, m.container_name_pattern)
            and _matches(t.name, s.task_name, s.task_name_pattern)
            and _matches(t.task_id, s.task_id, s.task_id_pattern)
            and _matches(t.framework_name, framework_name, s.framework_name_pattern)
            and _matches(t.framework_id, s.framework_id, s.framework_id_pattern)
        ):
            continue
        if t.state == "TASK_RUNNING":
            picked.append(t)
    return sorted(picked, key=lambda t: t.task_id)


def select_servers(service: Service, tasks: Iterable[TaskView]) -> list[Server]:
    ep = service.endpoint
    if ep.type == "ADDRESS":
        return [Server("address", ep.address, ep.port)]
    servers: list[Server] = []
    for t in select_tasks(service, tasks):
        for port in t.ports:
            if ep.port > 0:
                number = ep.port
            elif ep.all_ports or port.name == ep.port_name:
                number = port.number
            else:
                continue
            scope = port.label(NETWORK_SCOPE_LABEL) or "host"
            # Host scope wins over the requested type, as in Edge-LB.
            if scope == "host" or ep.type == "AGENT_IP":
                servers.append(Server("agentip", t.agent_hostname, number))
            elif scope == "container" or ep.type == "CONTAINER_IP":
                servers.extend(Server("containerip", ip, number) for ip in t.container_ips)
    return servers


# ----------------------------------------------------------------------------- rendering

_GLOBAL = """\
global
  log /dev/log local0
  maxconn 50000
  spread-checks 5
  tune.ssl.default-dh-param 2048
  ssl-default-bind-options no-sslv3 no-tlsv10 no-tls-tickets
  ssl-default-bind-ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:\
ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384
  ssl-default-server-options no-sslv3 no-tlsv10 no-tls-tickets

defaults
  log global
  retries 3
  backlog 10000
  maxconn 10000
  timeout connect 3s
  timeout client 30s
  timeout server 30s
  timeout tunnel 3600s
  timeout http-keep-alive 1s
  timeout http-request 15s
  timeout queue 30s
  timeout tarpit 60s
  option dontlognull
  option redispatch
  default-server init-addr last,libc,none
"""


def _host_cond(host: str) -> str:
    # The Host header may carry a port; match the name with or without one.
    return f"{{ req.hdr(host) -i -m reg ^{host}(:.*$)? }}"


def _link_conditions(protocol: str, item: LinkBackendMapItem) -> list[str]:
    conds: list[str] = []
    if protocol == "HTTP":
        if item.host_eq:
            conds.append(_host_cond(item.host_eq))
        if item.host_reg:
            conds.append(f"{{ req.hdr(host) -i -m reg {item.host_reg} }}")
    elif protocol == "HTTPS":
        if item.host_eq:
            conds.append(f"{{ ssl_fc_sni {item.host_eq} }}")
        if item.host_reg:
            conds.append(f"{{ ssl_fc_sni -m reg {item.host_reg} }}")
    elif protocol == "TLS":
        return [f"{{ req.ssl_sni -i {item.host_eq} }}"] if item.host_eq else []
    else:
        return []
    if item.path_beg:
        conds.append(f"{{ path_beg {item.path_beg} }}")
    if item.path_reg:
        conds.append(f"{{ path_reg {item.path_reg} }}")
    if item.path_end:
        conds.append(f"{{ path_end {item.path_end} }}")
    return conds


def _frontend_lines(fe: Frontend) -> list[str]:
    bind = f"bind {fe.bind_address}:{fe.bind_port}"
    if fe.protocol == "HTTPS":
        bind += " ssl" + "".join(f' crt "$MESOS_SANDBOX/{cert}"' for cert in fe.certificates)
    if fe.bind_modifier:
        bind += f" {fe.bind_modifier}"
    lines = [f"frontend {fe.effective_name()}", bind]
    if fe.protocol in _HTTP_PROTOCOLS:
        lines += ["mode http", "option httplog"]
    elif fe.protocol in ("TCP", "TLS"):
        lines += ["mode tcp", "option tcplog"]
    if fe.protocol == "TLS":
        lines += ["tcp-request inspect-delay 5s", "tcp-request content accept if { req_ssl_hello_type 1 }"]
    if fe.redirect_to_https is not None:
        redirect = "redirect scheme https code 307"
        groups = []
        for exc in fe.redirect_to_https.except_:
            conds = ([_host_cond(exc.host)] if exc.host else []) + (
                [f"{{ path_beg {exc.path_beg} }}"] if exc.path_beg else []
            )
            groups.append(" ".join(conds) or "TRUE")
        if groups:
            redirect += " unless " + " || ".join(groups)
        lines.append(redirect)
    lines += fe.misc_strs
    for item in fe.link_backend.map_:
        conds = _link_conditions(fe.protocol, item)
        lines.append(f"use_backend {item.backend}" + (f" if {' '.join(conds)}" if conds else ""))
    if fe.link_backend.default_backend:
        lines.append(f"default_backend {fe.link_backend.default_backend}")
    return lines


def _rewrite_lines(be: Backend) -> list[str]:
    rw = be.rewrite_http
    lines: list[str] = []
    if rw.sticky is not None and rw.sticky.enabled:
        lines.append(rw.sticky.custom_str or f"cookie {STICKY_COOKIE} insert indirect nocache")
    req = rw.request
    if req.forwardfor:
        lines.append("option forwardfor")
    if req.x_forwarded_port:
        lines.append("http-request set-header X-Forwarded-Port %[dst_port]")
    if req.x_forwarded_proto_https_if_tls:
        lines.append("http-request add-header X-Forwarded-Proto https if { ssl_fc }")
    if req.set_host_header and rw.host:
        lines.append(f"http-request set-header Host {rw.host}")
    if rw.path is not None:
        src, dst = rw.path.from_path, rw.path.to_path
        if req.rewrite_path:
            lines.append(f"http-request replace-path ^{src}(.*)$ {dst}\\1")
        if rw.response.rewrite_location:
            lines.append(f"http-response replace-header Location ^(https?://[^/]*)?{dst}(.*)$ {src}\\2")
    return lines


def _server_line(be: Backend, service: Service, server: Server) -> str:
    line = f"server {server.name} {server.address}"
    check = service.endpoint.check
    if check.enabled:
        line += " check" + (f" {check.custom_str}" if check.custom_str else "")
    if be.protocol == "HTTPS":
        line += " ssl verify none"
    if be.protocol in _HTTP_PROTOCOLS and be.rewrite_http.sticky is not None:
        line += " cookie " + base64.b64encode(server.name.encode()).decode()
    if service.endpoint.misc_str:
        line += f" {service.endpoint.misc_str}"
    return line


def _backend_lines(be: Backend, tasks: Sequence[TaskView]) -> list[str]:
    lines = [f"backend {be.name}"]
    if be.balance:
        lines.append(f"balance {be.balance}")
    if be.protocol in _HTTP_PROTOCOLS:
        lines.append("mode http")
    elif be.protocol in ("TCP", "TLS"):
        lines.append("mode tcp")
    cc = be.custom_check
    if cc is not None:
        if cc.httpchk:
            lines.append("option httpchk" + (f" {cc.httpchk_misc_str}" if cc.httpchk_misc_str else ""))
        if cc.ssl_hello_chk:
            lines.append("option ssl-hello-chk")
        if cc.misc_str:
            lines.append(cc.misc_str)
    if be.protocol in _HTTP_PROTOCOLS:
        lines += _rewrite_lines(be)
    lines += be.misc_strs
    # HAProxy 2.x refuses duplicate server names in a backend; Edge-LB would emit one line per
    # (service, port) hit, so a task selected twice is listed once here.
    seen: set[str] = set()
    for service in be.services:
        for server in select_servers(service, tasks):
            if server.name not in seen:
                seen.add(server.name)
                lines.append(_server_line(be, service, server))
    return lines


def _section(lines: list[str]) -> str:
    head, *body = lines
    return "\n".join([head, *(f"  {line}" for line in body)]) + "\n"


def render_pool_config(pool: V2Pool, tasks: Sequence[TaskView]) -> str:
    """The haproxy.cfg Edge-LB would render for `pool` given the cluster's `tasks` (pure)."""
    stats = pool.haproxy.stats
    parts = [
        f"# haproxy.cfg for Edge-LB pool {pool.name} (namespace {pool.namespace}), rendered by localdcos\n",
        _GLOBAL,
    ]
    # Port 0 asks the pool scheduler for a dynamic stats port, which is not emulated: no listener.
    if stats.bind_port:
        parts.append(
            _section(
                [
                    "listen stats",
                    f"bind {stats.bind_address}:{stats.bind_port}",
                    "mode http",
                    "stats enable",
                    "monitor-uri /_haproxy_health_check",
                ]
            )
        )
    parts += [_section(_frontend_lines(fe)) for fe in pool.haproxy.frontends]
    parts += [_section(_backend_lines(be, tasks)) for be in pool.haproxy.backends]
    return "\n".join(parts)


# A summary of what render_pool_config does, served by GET /v2/lbtemplate. Edge-LB serves its
# consul-template source there; this emulation renders in Python, so it describes instead.
DEFAULT_TEMPLATE = """\
{{/* localdcos Edge-LB emulation: default pool template (rendered natively, not by dcos-template) */}}
global / defaults: timeout client 30s, timeout server 30s, timeout tunnel 3600s,
  default-server init-addr last,libc,none
listen stats: bind {{ .haproxy.stats.bindAddress }}:{{ .haproxy.stats.bindPort }}
{{ range .haproxy.frontends }}frontend {{ .name | default "frontend_<bindAddress>_<bindPort>" }}
  bind <bindAddress>:<bindPort> [ssl crt "$MESOS_SANDBOX/<certificate>"...] [<bindModifier>]
  mode http|tcp, redirectToHttps, miscStrs, use_backend per linkBackend.map, default_backend
{{ end }}{{ range .haproxy.backends }}backend {{ .name }}
  balance, mode, customCheck, rewriteHttp (HTTP/HTTPS), miscStrs
  server <agentip|containerip|address>_<host>_<port> <host>:<port> [check] [ssl verify none] [<miscStr>]
{{ end }}"""
