"""Render a pool's haproxy.cfg from the pool and the Mesos tasks its services select (selection.py).

The output follows Edge-LB's default template (haproxy.cfg.ctmpl): its global and defaults
sections as real pools carry them (the full cipher lists, the stats socket, the server-state file,
`option http-server-close`, `resolve-prefer ipv4`), then the stats listener, the frontends and
the backends. It is written for HAProxy 2.x: every line must pass `haproxy -c`, so 1.x-only
directives (reqirep/rspirep) become their 2.x equivalents. Left out is what needs files of the pool
container that are not emulated (the Lua helpers and the routes they serve on the stats port), the
`daemon` line (the sandbox supervises HAProxy in the foreground) and the resolvers section of
Edge-LB V1's VIP servers, which V2 pools never use.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from localdcos.edgelb.model import Backend, Frontend, LinkBackendMapItem, Service, V2Pool
from localdcos.edgelb.selection import Server, select_servers
from localdcos.haproxy import tls
from localdcos.mesos import TaskView

STICKY_COOKIE = "DCOS_SERVER_ID_FOR_THE_STICKY"
_HTTP_PROTOCOLS = ("HTTP", "HTTPS")
#: Where a pool's HAProxy keeps its runtime API and, across reloads, its servers' state.
STATS_SOCKET = "/var/run/haproxy/socket"
SERVER_STATE_BASE = "/var/state/haproxy/"

_GLOBAL = f"""\
global
  log /dev/log local0
  spread-checks 5
  max-spread-checks 15000
  maxconn 50000
  tune.ssl.default-dh-param 2048
  ssl-default-bind-ciphers {tls.CIPHERS}
  ssl-default-bind-options {tls.OPTIONS}
  ssl-default-server-ciphers {tls.CIPHERS}
  ssl-default-server-options {tls.OPTIONS}
  stats socket {STATS_SOCKET}
  server-state-file global
  server-state-base {SERVER_STATE_BASE}

defaults
  load-server-state-from-file global
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
  option http-server-close
  option redispatch
  default-server resolve-prefer ipv4
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
                    "balance",
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
global: the TLS policy, stats socket /var/run/haproxy/socket, server-state-file global
defaults: load-server-state-from-file global, timeout client 30s, timeout server 30s,
  timeout tunnel 3600s, option http-server-close, default-server resolve-prefer ipv4,
  default-server init-addr last,libc,none
listen stats: bind {{ .haproxy.stats.bindAddress }}:{{ .haproxy.stats.bindPort }}
{{ range .haproxy.frontends }}frontend {{ .name | default "frontend_<bindAddress>_<bindPort>" }}
  bind <bindAddress>:<bindPort> [ssl crt "$MESOS_SANDBOX/<certificate>"...] [<bindModifier>]
  mode http|tcp, redirectToHttps, miscStrs, use_backend per linkBackend.map, default_backend
{{ end }}{{ range .haproxy.backends }}backend {{ .name }}
  balance, mode, customCheck, rewriteHttp (HTTP/HTTPS), miscStrs
  server <agentip|containerip|address>_<host>_<port> <host>:<port> [check] [ssl verify none] [<miscStr>]
{{ end }}"""
