"""Default templates of the Marathon-LB emulation (behaviour of MLB 1.12.1-1.15.0).

Two kinds, as in MLB:

* global pieces (the head and the three shared frontends) that labels cannot change; MLB
  hardcodes their ports and paths, the sandbox passes them in;
* per-port templates that a label ``HAPROXY_{n}_<NAME>`` replaces for service port index n. They
  are Python ``str.format`` templates and their placeholder names are MLB's public contract: users
  write labels against them, so an unknown name must raise ``KeyError`` exactly where MLB's would.
  BACKEND_HTTP_OPTIONS and BACKEND_STICKY_OPTIONS are the exception: MLB appends them unformatted,
  so their braces are HAProxy anonymous ACLs and stay single.
"""

from __future__ import annotations

from localdcos.haproxy import tls

GETCONFIG_PATH = "/_haproxy_getconfig"


def render_head(
    *,
    stats_port: int,
    maxconn: int,
    stats_socket: str,
    pidfile: str | None,
    log_target: str | None,
    client_timeout: str,
    config_path: str,
    bufsize: int | None = None,
) -> str:
    """global + defaults + the stats listener, as MLB's HAPROXY_HEAD but sandbox-friendly.

    Left out on purpose: `daemon`, chroot and user/group (the runner supervises HAProxy
    unprivileged), the Lua helpers and the server-state file (both need files of the MLB image).
    `expose-fd listeners` stays: it is what makes MLB's reloads seamless (`-x`), and MLB refuses a
    head without it.
    """
    glob = ["global"]
    if log_target:
        glob += [f"  log {log_target} local0", f"  log {log_target} local1 notice"]
    glob += [
        "  spread-checks 5",
        "  max-spread-checks 15000",
        f"  maxconn {maxconn}",
        "  tune.ssl.default-dh-param 2048",
        f"  ssl-default-bind-ciphers {tls.CIPHERS}",
        f"  ssl-default-bind-options {tls.OPTIONS}",
        f"  ssl-default-server-ciphers {tls.CIPHERS}",
        f"  ssl-default-server-options {tls.OPTIONS}",
        f"  stats socket {stats_socket} expose-fd listeners",
    ]
    if pidfile:
        glob.append(f"  pidfile {pidfile}")
    if bufsize:
        # Only to let the getconfig file below fit into one buffer (see render_config).
        glob.append(f"  tune.bufsize {bufsize}")
    defaults = [
        "defaults",
        "  log global",
        "  retries 3",
        "  backlog 10000",
        "  maxconn 10000",
        "  timeout connect 3s",
        f"  timeout client {client_timeout}",
        "  timeout server 30s",
        "  timeout tunnel 3600s",
        "  timeout http-keep-alive 1s",
        "  timeout http-request 15s",
        "  timeout queue 30s",
        "  timeout tarpit 60s",
        "  option dontlognull",
        "  option http-server-close",
        "  option redispatch",
    ]
    stats = [
        "listen stats",
        f"  bind 0.0.0.0:{stats_port}",
        "  balance",
        "  mode http",
        "  stats enable",
        "  monitor-uri /_haproxy_health_check",
        # The one deliberate difference from MLB: MLB answers getconfig from a Lua service that
        # reads its haproxy.cfg per request. HAProxy 2.6 can serve a file natively; it loads it when
        # the config is parsed, i.e. at every (re)load, which is exactly when the file changes.
        f"  acl getconfig path {GETCONFIG_PATH}",
        f"  http-request return status 200 content-type text/plain file {config_path} if getconfig",
    ]
    return "\n".join([*glob, *defaults, *stats]) + "\n"


def http_frontend_head(port: int) -> str:
    return f"\nfrontend marathon_http_in\n  bind *:{port}\n  mode http\n"


def http_appid_frontend_head(port: int) -> str:
    return f"\nfrontend marathon_http_appid_in\n  bind *:{port}\n  mode http\n"


def https_frontend_head(port: int, certs: list[str]) -> str:
    crts = " ".join(f"crt {c}" for c in certs)
    return f"\nfrontend marathon_https_in\n  bind *:{port} ssl {crts}\n  mode http\n"


def _lines(*lines: str) -> str:
    return "".join(f"  {line}\n" for line in lines)


# Server line before/after MLB 1.12.2, which added stable numeric ids (`{serverId}`).
SERVER_OPTIONS_OLD = _lines(
    "server {serverName} {host_ipv4}:{port}{cookieOptions}{healthCheckOptions}{otherOptions}"
)
SERVER_OPTIONS_WITH_ID = _lines(
    "server {serverName} {host_ipv4}:{port}{cookieOptions}{healthCheckOptions}{otherOptions} id {serverId}"
)

_SERVER_CHECK = "check inter {healthCheckIntervalSeconds}s fall {healthCheckFalls}{healthCheckPortOptions}"

# Name -> default of the per-port templates (label HAPROXY_{n}_<NAME> overrides).
DEFAULTS: dict[str, str] = {
    "FRONTEND_HEAD": "\nfrontend {backend}\n  bind {bindAddr}:{servicePort}{sslCert}{bindOptions}\n  mode {mode}\n",
    "BACKEND_HEAD": "\nbackend {backend}\n  balance {balance}\n  mode {mode}\n",
    "FRONTEND_BACKEND_GLUE": _lines("use_backend {backend}"),
    "BACKEND_HTTP_OPTIONS": _lines(
        "option forwardfor",
        "http-request set-header X-Forwarded-Port %[dst_port]",
        "http-request add-header X-Forwarded-Proto https if { ssl_fc }",
    ),
    "BACKEND_STICKY_OPTIONS": _lines("cookie mesosphere_server_id insert indirect nocache"),
    "BACKEND_HTTP_HEALTHCHECK_OPTIONS": _lines(
        "option  httpchk GET {healthCheckPath}", "timeout check {healthCheckTimeoutSeconds}s"
    ),
    "BACKEND_TCP_HEALTHCHECK_OPTIONS": "",
    "BACKEND_SERVER_HTTP_HEALTHCHECK_OPTIONS": _lines(_SERVER_CHECK),
    "BACKEND_SERVER_TCP_HEALTHCHECK_OPTIONS": _lines(_SERVER_CHECK),
    "HTTP_FRONTEND_APPID_ACL": _lines(
        "acl app_{cleanedUpAppId} hdr(x-marathon-app-id) -i {appId}",
        "use_backend {backend} if app_{cleanedUpAppId}",
    ),
    "MAP_HTTP_FRONTEND_APPID_ACL": _lines(
        "use_backend %[req.hdr(x-marathon-app-id),lower,map({haproxy_dir}/app2backend.map)]"
    ),
    "HTTP_FRONTEND_ACL": _lines(
        "acl host_{cleanedUpHostname} hdr(host) -i {hostname}",
        "use_backend {backend} if host_{cleanedUpHostname}",
    ),
    "HTTP_FRONTEND_ACL_ONLY": _lines("acl host_{cleanedUpHostname} hdr(host) -i {hostname}"),
    "HTTP_FRONTEND_ROUTING_ONLY": _lines("use_backend {backend} if host_{cleanedUpHostname}"),
    "HTTPS_FRONTEND_ACL": _lines("use_backend {backend} if {{ ssl_fc_sni {hostname} }}"),
    "MAP_HTTP_FRONTEND_ACL": _lines(
        "use_backend %[req.hdr(host),lower,regsub(:.*$,,),map({haproxy_dir}/domain2backend.map)]"
    ),
    "MAP_HTTP_FRONTEND_ACL_ONLY": _lines(
        "use_backend %[req.hdr(host),lower,regsub(:.*$,,),map({haproxy_dir}/domain2backend.map)]"
    ),
    "MAP_HTTPS_FRONTEND_ACL": _lines("use_backend %[ssl_fc_sni,lower,map({haproxy_dir}/domain2backend.map)]"),
}

# MLB accepts these template labels too; their features (auth, paths, redirects, HSTS, network
# ACLs) are not emulated, so the labels are stored and never rendered.
NOT_RENDERED = frozenset(
    {
        "USERLIST_HEAD",
        "BACKEND_REDIRECT_HTTP_TO_HTTPS",
        "BACKEND_REDIRECT_HTTP_TO_HTTPS_WITH_PATH",
        "HTTP_FRONTEND_ACL_WITH_AUTH",
        "HTTP_FRONTEND_ACL_WITH_PATH",
        "HTTP_FRONTEND_ACL_WITH_AUTH_AND_PATH",
        "HTTP_FRONTEND_ACL_ONLY_WITH_PATH",
        "HTTP_FRONTEND_ACL_ONLY_WITH_PATH_AND_AUTH",
        "HTTPS_FRONTEND_ACL_ONLY_WITH_PATH",
        "HTTP_FRONTEND_ROUTING_ONLY_WITH_AUTH",
        "HTTP_FRONTEND_ROUTING_ONLY_WITH_PATH",
        "HTTP_FRONTEND_ROUTING_ONLY_WITH_PATH_AND_AUTH",
        "HTTPS_FRONTEND_ACL_WITH_AUTH",
        "HTTPS_FRONTEND_ACL_WITH_PATH",
        "HTTPS_FRONTEND_ACL_WITH_AUTH_AND_PATH",
        "HTTP_BACKEND_PROXYPASS_GLUE",
        "HTTP_BACKEND_REVPROXY_GLUE",
        "HTTP_BACKEND_REDIR",
        "BACKEND_HSTS_OPTIONS",
        "HTTP_BACKEND_NETWORK_ALLOWED_ACL",
        "TCP_BACKEND_NETWORK_ALLOWED_ACL",
    }
)

TEMPLATE_LABELS = frozenset({*DEFAULTS, "BACKEND_SERVER_OPTIONS", *NOT_RENDERED})
