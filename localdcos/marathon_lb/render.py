"""Marathon-LB's haproxy.cfg generation (MLB 1.12.1-1.15.0): services (services.py) through the
templates (templates.py) into the text MLB writes, with the map files of `--haproxy-map`.

A Python-side error while generating (unknown template placeholder, `int()` of a bad label, ...)
raises, as it does in MLB; build.py turns that into MLB's "keep the previous config".
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from localdcos.marathon_lb import templates as tpl
from localdcos.marathon_lb.options import MarathonLBOptions
from localdcos.marathon_lb.services import (
    EXCLUDED_STATES_1_12,
    EXCLUDED_STATES_1_14,
    Backend,
    Resolver,
    Service,
    collect_services,
    resolve_host,
)

DEFAULT_BUFSIZE = 16384  # HAProxy's tune.bufsize default


@dataclass
class Rendered:
    text: str
    app_map: list[tuple[str, str]]
    domain_map: list[tuple[str, str]]

    def files(self, options: MarathonLBOptions) -> dict[str, str]:
        if not options.haproxy_map:
            return {}
        app_path, domain_path = options.map_paths()
        return {
            app_path: "".join(f"{k} {v}\n" for k, v in self.app_map),
            domain_path: "".join(f"{k} {v}\n" for k, v in self.domain_map),
        }


def _clean(text: str) -> str:
    return re.sub(r"[^a-zA-Z0-9\-]", "_", text)


def _template(service: Service, name: str, options: MarathonLBOptions) -> str:
    # Presence wins, as in MLB: even an empty label replaces the default.
    if name in service.templates:
        return service.templates[name]
    if name == "BACKEND_SERVER_OPTIONS":
        with_id = options.version_tuple >= (1, 12, 2)
        return tpl.SERVER_OPTIONS_WITH_ID if with_id else tpl.SERVER_OPTIONS_OLD
    return tpl.DEFAULTS[name]


def _server_id(name: str, taken: set[int]) -> int:
    """Stable id in 1..32767 from a SHA-256 of the server name; collisions rehash (MLB 1.12.2+)."""
    while True:
        digest = hashlib.sha256(name.encode()).hexdigest()
        candidate = int(digest, 16) % 32767
        if candidate > 0 and candidate not in taken:
            taken.add(candidate)
            return candidate
        name = f"{name} {digest}"


def _server_name(backend: Backend) -> str:
    if backend.host != backend.ip:
        return _clean(f"{backend.host}_{backend.ip}_{backend.port}")
    return _clean(f"{backend.ip}_{backend.port}")


def _ordered(service: Service) -> list[Backend]:
    return sorted(service.backends, key=lambda b: (b.host, b.port))


def _check_port(services: list[Service], service: Service, idx: int) -> int:
    """Port HAProxy health-checks for the idx-th server (HAPROXY_{n}_BACKEND_HEALTHCHECK_PORT_INDEX)."""
    siblings = [s for s in services if s.app_id == service.app_id]
    index = service.healthcheck_port_index
    if index is None or abs(index) > len(siblings):
        return _ordered(service)[idx].port
    siblings.sort(key=lambda s: (s.app_id, s.service_port))
    return _ordered(siblings[index])[idx].port


def _format_check(template: str, check: dict[str, Any], port: int | None) -> str:
    return template.format(
        healthCheck=check,
        healthCheckPortIndex=check.get("portIndex"),
        healthCheckPort=port,
        healthCheckProtocol=check["protocol"],
        healthCheckPath=check.get("path", "/"),
        healthCheckTimeoutSeconds=check["timeoutSeconds"],
        healthCheckIntervalSeconds=check["intervalSeconds"],
        healthCheckIgnoreHttp1xx=check.get("ignoreHttp1xx"),
        healthCheckGracePeriodSeconds=check["gracePeriodSeconds"],
        healthCheckMaxConsecutiveFailures=check["maxConsecutiveFailures"],
        healthCheckFalls=check["maxConsecutiveFailures"] + 1,
        healthCheckPortOptions=f" port {port}" if port else "",
    )


def _check_kind(service: Service) -> str | None:
    """Which health-check template family (TCP or HTTP) applies; None: no check options at all."""
    check = service.health_check
    if not check:
        return None
    if service.mode == "tcp" or check.get("protocol") in ("TCP", "MESOS_TCP"):
        return "TCP"
    return "HTTP" if service.mode == "http" else None


def _servers(service: Service, services: list[Service], options: MarathonLBOptions) -> str:
    out = ""
    kind = _check_kind(service)
    check = service.health_check or {}
    taken: set[int] = set()
    for idx, backend in enumerate(_ordered(service)):
        if idx == 0 and kind:
            head = _template(service, f"BACKEND_{kind}_HEALTHCHECK_OPTIONS", options)
            if head:
                out += _format_check(head, check, _check_port(services, service, idx))
        name = _server_name(backend)
        server_id = _server_id(name, taken)
        check_options = ""
        if kind:
            per_server = _template(service, f"BACKEND_SERVER_{kind}_HEALTHCHECK_OPTIONS", options).strip()
            if per_server:
                port = (
                    _check_port(services, service, idx)
                    if service.healthcheck_port_index is not None
                    else check.get("port")
                )
                check_options = _format_check(" " + per_server, check, port)
        values: dict[str, Any] = {
            "host": backend.host,
            "host_ipv4": backend.ip,
            "port": backend.port,
            "serverName": name,
            "cookieOptions": " check cookie " + _sha1(name)[:10] if service.sticky else "",
            "healthCheckOptions": check_options,
            "otherOptions": " disabled" if backend.draining else "",
        }
        if options.version_tuple >= (1, 12, 2):
            values["serverId"] = server_id
        # Once per task: a label with a literal `server <name>` line repeats that name.
        out += _template(service, "BACKEND_SERVER_OPTIONS", options).format(**values)
    return out


def _sha1(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()  # noqa: S324 - a cookie value, not security


@dataclass
class _Vhosts:
    """Accumulates the shared 80/443 frontends' ACLs and the domain map."""

    options: MarathonLBOptions
    http: list[tuple[int, str]] = field(default_factory=list)
    https: list[tuple[int, str]] = field(default_factory=list)
    domain_map: list[tuple[str, str]] = field(default_factory=list)
    emitted: set[str] = field(default_factory=set)

    def _once(self, key: str) -> bool:
        first = key not in self.emitted
        self.emitted.add(key)
        return first

    def _map(self, host: str, backend: str) -> None:
        if (host, backend) not in self.domain_map:
            self.domain_map.append((host, backend))

    def add(self, s: Service, backend: str) -> None:
        assert s.hostname is not None
        o, hdir = self.options, self.options.haproxy_dir
        hosts = s.hostname.split(",")
        multi = len(hosts) > 1
        acl = _clean(hosts[0]) + "_" + s.app_id[1:].replace("/", "_")
        weight, http, https = s.backend_weight, "", ""
        for host in hosts:
            common = {"cleanedUpHostname": acl, "hostname": host, "appId": s.app_id, "backend": backend}
            if o.haproxy_map:
                if self._once("http"):
                    weight = -1
                    name = "MAP_HTTP_FRONTEND_ACL_ONLY" if multi else "MAP_HTTP_FRONTEND_ACL"
                    http += _template(s, name, o).format(haproxy_dir=hdir)
                if self._once("https"):
                    weight = -1
                    https += _template(s, "MAP_HTTPS_FRONTEND_ACL", o).format(hostname=host, haproxy_dir=hdir)
                self._map(host, backend)
                continue
            http += _template(s, "HTTP_FRONTEND_ACL_ONLY" if multi else "HTTP_FRONTEND_ACL", o).format(
                **common
            )
            https += _template(s, "HTTPS_FRONTEND_ACL", o).format(**common)
        if multi and not o.haproxy_map:
            http += _template(s, "HTTP_FRONTEND_ROUTING_ONLY", o).format(
                cleanedUpHostname=acl, backend=backend
            )
        self.http.append((weight, http))
        self.https.append((weight, https))


def _check_custom_head(head: str) -> None:
    # MLB >= 1.12 refuses an old-style head: it would break master-worker reloads.
    if "daemon" in head.split() or "expose-fd listeners" not in head:
        raise ValueError(
            'Error in custom HAPROXY_HEAD template: remove "daemon" and add '
            '"stats socket <path> expose-fd listeners" (required since Marathon-LB 1.12)'
        )


def _head(options: MarathonLBOptions, body_length: int) -> str:
    if options.head_template is not None:
        _check_custom_head(options.head_template)
        return options.head_template

    def build(bufsize: int | None) -> str:
        return tpl.render_head(
            stats_port=options.stats_port,
            maxconn=options.maxconn,
            stats_socket=options.stats_socket,
            pidfile=options.pidfile,
            log_target=options.log_target,
            client_timeout=options.default_client_timeout,
            config_path=options.config_path,
            bufsize=bufsize,
        )

    # getconfig serves the config file from one buffer: HAProxy refuses a file larger than
    # tune.bufsize, and the response also needs room for headers and the rewrite reserve.
    needed = len(build(DEFAULT_BUFSIZE)) + body_length + 4096
    if needed <= DEFAULT_BUFSIZE:
        return build(None)
    return build(-(-needed // 4096) * 4096)


def _has_group(groups: set[str], wanted: list[str]) -> bool:
    return "*" in groups or bool(groups.intersection(wanted))


def render(
    apps: Sequence[dict[str, Any]], options: MarathonLBOptions, resolve: Resolver, log: list[str]
) -> Rendered:
    o = options
    services = collect_services(
        apps,
        strict_mode=o.strict_mode,
        health_check=o.health_check,
        excluded_states=EXCLUDED_STATES_1_14 if o.version_tuple >= (1, 14, 0) else EXCLUDED_STATES_1_12,
        framework_name=o.framework_name,
        resolve=resolve,
        log=log,
    )
    groups = set(o.groups)
    vhosts = _Vhosts(o)
    appid = tpl.http_appid_frontend_head(o.appid_port)
    registered: set[str] = set()
    app_map: list[tuple[str, str]] = []
    frontends = backends = ""
    for s in sorted(services, key=lambda s: (s.app_id, s.service_port)):
        # HAPROXY_{n}_GROUP replaces HAPROXY_GROUP; "a, b" keeps " b" (no trimming).
        if not _has_group(groups, s.port_groups or s.groups) or not s.enabled:
            continue
        backend = s.backend_name
        if s.mode is None:
            s.mode = "http" if s.hostname else "tcp"
        frontends += _template(s, "FRONTEND_HEAD", o).format(
            bindAddr=s.bind_addr,
            backend=backend,
            servicePort=s.service_port,
            mode=s.mode,
            sslCert=" ssl crt " + s.ssl_cert if s.ssl_cert else "",
            bindOptions=" " + s.bind_options if s.bind_options else "",
        )
        backends += _template(s, "BACKEND_HEAD", o).format(backend=backend, balance=s.balance, mode=s.mode)
        if o.bind_http_https and s.hostname:
            vhosts.add(s, backend)
        # Only the app's first http port answers on 9091; tcp ports never do.
        if s.mode == "http" and s.app_id not in registered:
            registered.add(s.app_id)
            if o.haproxy_map:
                if not app_map:
                    # MLB reads the non-MAP label name here.
                    label = s.templates.get("HTTP_FRONTEND_APPID_ACL")
                    acl = label if label is not None else tpl.DEFAULTS["MAP_HTTP_FRONTEND_APPID_ACL"]
                    appid += acl.format(haproxy_dir=o.haproxy_dir)
                app_map.append((s.app_id, backend))
            else:
                appid += _template(s, "HTTP_FRONTEND_APPID_ACL", o).format(
                    cleanedUpAppId=_clean(s.app_id), hostname=s.hostname, appId=s.app_id, backend=backend
                )
        if s.mode == "http":
            backends += _template(s, "BACKEND_HTTP_OPTIONS", o)
        if s.sticky:
            backends += _template(s, "BACKEND_STICKY_OPTIONS", o)
        frontends += _template(s, "FRONTEND_BACKEND_GLUE", o).format(backend=backend)
        backends += _servers(s, services, o)

    body = ""
    if o.bind_http_https:
        body += tpl.http_frontend_head(o.http_port)
        body += "".join(text for _, text in sorted(vhosts.http, key=lambda x: x[0], reverse=True))
    body += appid
    if o.bind_http_https:
        body += tpl.https_frontend_head(o.https_port, (o.ssl_certs or "/etc/ssl/cert.pem").split(","))
        body += "".join(text for _, text in sorted(vhosts.https, key=lambda x: x[0], reverse=True))
    body += frontends + backends
    return Rendered(_head(o, len(body)) + body, app_map, vhosts.domain_map)


def render_config(
    apps: list[dict[str, Any]], options: MarathonLBOptions, *, resolve: Resolver = resolve_host
) -> str:
    """The haproxy.cfg MLB generates for `apps` (pure; raises on MLB's Python-side errors)."""
    return render(apps, options, resolve, []).text
