"""Emulation of Marathon-LB's haproxy.cfg generation (MLB 1.12.1-1.15.0) and its `haproxy -c` loop.

Input is what Marathon answers for `GET /v2/apps?embed=apps.tasks`; output is the text MLB would
write, plus MLB's two failure classes (see `build_config`):

* a Python-side error while generating (unknown template placeholder, `int()` of a bad label, ...)
  freezes the LB: no config at all, the previous one stays;
* a config HAProxy rejects is rebuilt app by app, and each app whose addition breaks `haproxy -c`
  is excluded while the rest is used.

Emulated: groups (incl. per-port), strict mode / ENABLED, the MLB app skipped, one service per
service-port index, PORT/MODE/SSL_CERT/BIND_ADDR/BIND_OPTIONS/BALANCE/STICKY, per-port template
labels, health-check templates, the 9091 X-Marathon-App-Id frontend (optionally via map file),
simple VHOST routing on the shared 80/443 frontends, task selection by state (per version) and
health, stable server ids from 1.12.2. Not emulated (labels accepted, nothing rendered): AUTH, PATH,
REDIRECT_TO_HTTPS, USE_HSTS, proxy/redirect paths, network ACLs, zero-downtime deployment groups,
grouping HTTPS by vhost, service-port auto-assignment for IP-per-task apps.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from localdcos import marathon_lb_templates as tpl
from localdcos.marathon_lb_services import (
    EXCLUDED_STATES_1_12,
    EXCLUDED_STATES_1_14,
    Backend,
    Resolver,
    Service,
    collect_services,
    resolve_host,
)

__all__ = [
    "BuildResult",
    "MarathonLBOptions",
    "build_config",
    "check_config",
    "render_config",
    "resolve_host",
]

DEFAULT_BUFSIZE = 16384  # HAProxy's tune.bufsize default


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version)[:3])


@dataclass
class MarathonLBOptions:
    # MLB command line (DC/OS package defaults).
    groups: list[str] = field(default_factory=lambda: ["external"])
    strict_mode: bool = False
    ssl_certs: str = "/etc/ssl/cert.pem"
    bind_http_https: bool = True
    health_check: bool = True
    haproxy_map: bool = False
    version: str = "1.14.2"
    framework_name: str | None = "marathon-lb"  # FRAMEWORK_NAME: the app MLB never exposes
    config_path: str = "/etc/haproxy/haproxy.cfg"  # --haproxy-config; also served by getconfig
    # What MLB hardcodes in HAPROXY_HEAD and the shared frontends; the sandbox may move it.
    head_template: str | None = None  # used verbatim instead of the head built from the fields below
    stats_socket: str = "/var/run/haproxy/socket"
    maxconn: int = 50000  # HAProxy then needs ~100k file descriptors: lower it under a small ulimit
    pidfile: str | None = None
    log_target: str | None = None  # e.g. "/dev/log" as MLB; None keeps a sandbox HAProxy quiet
    http_port: int = 80
    https_port: int = 443
    stats_port: int = 9090
    appid_port: int = 9091
    default_client_timeout: str = "30s"

    def __post_init__(self) -> None:
        if not self.groups:
            raise ValueError("argument --group is required")
        if self.version_tuple < (1, 12, 1):
            raise ValueError(f"Marathon-LB {self.version} is not emulated (1.12.1 or later)")

    @property
    def version_tuple(self) -> tuple[int, ...]:
        return _version_tuple(self.version)

    @property
    def haproxy_dir(self) -> str:
        return posixpath.dirname(self.config_path)

    def map_paths(self) -> tuple[str, str]:
        return (
            posixpath.join(self.haproxy_dir, "app2backend.map"),
            posixpath.join(self.haproxy_dir, "domain2backend.map"),
        )


@dataclass
class BuildResult:
    config: str | None  # None: generation failed, MLB keeps the previous config
    excluded: list[tuple[str, str]] = field(default_factory=list)  # (app id, haproxy's complaint)
    log: list[str] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # map files to write next to the config


@dataclass
class _Rendered:
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


# ----------------------------------------------------------------------------- rendering


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


def _render(
    apps: Sequence[dict[str, Any]], options: MarathonLBOptions, resolve: Resolver, log: list[str]
) -> _Rendered:
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
    return _Rendered(_head(o, len(body)) + body, app_map, vhosts.domain_map)


def render_config(
    apps: list[dict[str, Any]], options: MarathonLBOptions, *, resolve: Resolver = resolve_host
) -> str:
    """The haproxy.cfg MLB generates for `apps` (pure; raises on MLB's Python-side errors)."""
    return _render(apps, options, resolve, []).text


# ----------------------------------------------------------------------------- checking


def check_config(
    text: str,
    haproxy_command: Sequence[str] = ("haproxy",),
    *,
    workdir: Path,
    files: Mapping[str, str] | None = None,
    timeout: float = 10.0,
) -> tuple[bool, str]:
    """Run `<haproxy_command> -c -f <file>` on `text`; (valid, HAProxy's output).

    `files` maps paths the config refers to (map files, the getconfig file) to their future
    content: they are staged in `workdir` and the config is pointed at the staged copies, as MLB
    does for its map files, so a check never depends on what is installed yet.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=workdir, prefix="mlb-check-") as tmp:
        staged = text
        # Longest first, so a path that prefixes another cannot clobber it.
        for i, (path, content) in enumerate(sorted((files or {}).items(), key=lambda kv: -len(kv[0]))):
            copy = Path(tmp) / f"{i}-{PurePosixPath(path).name}"
            copy.write_text(content)
            staged = staged.replace(path, str(copy))
        config = Path(tmp) / "haproxy.cfg"
        config.write_text(staged)
        command = [*haproxy_command, "-c", "-f", str(config)]
        try:
            proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            return False, f"{' '.join(command)} timed out after {timeout:g}s"
        except OSError as exc:
            return False, f"cannot run {command[0]}: {exc}"
        return proc.returncode == 0, (proc.stdout + proc.stderr).strip()


def _complaint(output: str) -> str:
    alerts = [line for line in output.splitlines() if "[ALERT]" in line and "Fatal errors" not in line]
    return "\n".join(alerts) or output


def build_config(
    apps: list[dict[str, Any]],
    options: MarathonLBOptions,
    *,
    workdir: Path,
    haproxy_command: Sequence[str] = ("haproxy",),
    timeout: float = 10.0,
    resolve: Resolver = resolve_host,
) -> BuildResult:
    """One MLB reset: generate, `haproxy -c`, and on failure rebuild app by app.

    `config` is None when MLB would write nothing (Python-side error, or no app left once the
    offending ones are excluded); the caller then keeps serving the previous config.
    """
    log: list[str] = []

    def check(rendered: _Rendered) -> tuple[bool, str]:
        staged = {options.config_path: rendered.text, **rendered.files(options)}
        return check_config(rendered.text, haproxy_command, workdir=workdir, files=staged, timeout=timeout)

    try:
        full = _render(apps, options, resolve, log)
        ok, output = check(full)
        if ok:
            return BuildResult(full.text, [], log, full.files(options))
        log += ["haproxy returned non-zero when checking config", output]
        kept: list[dict[str, Any]] = []
        excluded: list[tuple[str, str]] = []
        last_valid: _Rendered | None = None
        for app in apps:
            kept.append(app)
            candidate = _render(kept, options, resolve, [])
            ok, output = check(candidate)
            if ok:
                last_valid = candidate
                continue
            log.append(f"invalid configuration caused by app {app['id']}; it will be excluded")
            kept.pop()
            excluded.append((app["id"], _complaint(output)))
        if not kept or last_valid is None:
            log.append("A valid config file could not be generated after excluding all apps! skipping reload")
            return BuildResult(None, excluded, log)
        return BuildResult(last_valid.text, excluded, log, last_valid.files(options))
    except Exception as exc:  # MLB catches everything at this level and keeps the old config.
        log.append(f"Unexpected error! {type(exc).__name__}: {exc}")
        return BuildResult(None, [], log)
