"""Input validation for exposures: refuse what DC/OS would refuse, and anything HAProxy would read as syntax.

Marathon-LB copies label values verbatim into haproxy.cfg and runs template labels through
`str.format` (dcos-api.md §2.6); Edge-LB pastes `miscStrs` as raw lines. So every user value that
reaches a label or a pool field is matched against a whitelist pattern here, which is what makes a
newline, CR, brace, `#`, quote or stray whitespace impossible in the derived documents (recipe
defect (d)). All checks are pure; every refusal is one `ExposureInputError` naming field and rule.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from typing import Final

from . import names
from .spec import (
    AUTOCERT,
    BACKEND_TLS_MODES,
    SECRETS_PREFIX,
    SPEC_FIELDS,
    VIA_EDGE_LB,
    VIA_MARATHON_LB,
    VIAS,
    BackendTls,
    ExposureSpec,
    Via,
)


class ExposureInputError(ValueError):
    """A refused exposure input; `field` is the Args field name (snake_case)."""

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}")
        self.field = field
        self.rule = rule


# Marathon path-id segment (dcos-api.md §1.7), without the relative forms "." and "..".
_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
_SEGMENT_RE: Final = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_RESERVED_LAST_SEGMENTS: Final = frozenset({"restart", "tasks", "versions"})
# SDK ServiceNameCannotBreakDNS: the name without slashes must fit one DNS label.
MAX_NAME_WITHOUT_SLASHES: Final = 63
_POOL_NAME_RE: Final = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
# The pool scheduler is SDK service dcos-edgelb/pools/<name>: 63 - len("dcos-edgelb/pools/") + slack.
MAX_POOL_NAME: Final = 47
# Ports Marathon-LB reserves on its agents (dcos-api.md §2.1).
MARATHON_LB_RESERVED_PORTS: Final = frozenset({80, 443, 9090, 9091, *range(10000, 10151)})
# MLB splits HAPROXY_GROUP on "," without trimming, so whitespace would silently change the group.
_GROUP_LIST_RE: Final = re.compile(r"[A-Za-z0-9_.-]+(?:,[A-Za-z0-9_.-]+)*")
_ABSOLUTE_PATH_RE: Final = re.compile(r"(?:/[A-Za-z0-9_.-]+)+")
_TIMEOUT_RE: Final = re.compile(r"[0-9]+(?:us|ms|s|m|h|d)?")
_DNS_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_DNS_NAME_RE: Final = re.compile(rf"{_DNS_LABEL}(?:\.{_DNS_LABEL})*")
_IPV4_LIKE_RE: Final = re.compile(r"[0-9.]+")
# Edge-LB: secret `file` (dcos-api.md §3.4) and the certificates pattern (§3.4 frontends).
_SECRET_FILE_RE: Final = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_-]*")
_CERTIFICATE_RE: Final = re.compile(r"\$AUTOCERT|\$(?:ENVFILE|SECRETS)/[a-zA-Z0-9_-]+")
_SECRET_PATH_RE: Final = re.compile(r"[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*")
_TOKEN_RE: Final = re.compile(r"[A-Za-z0-9._~+/=:-]+")
_PEM_MARKER: Final = "-----BEGIN CERTIFICATE-----"
_TIMEOUT_FIELDS: Final = ("connect_timeout", "client_timeout", "server_timeout", "tunnel_timeout")


# --- typed reading of a raw mapping -------------------------------------------------------------


def _str(values: Mapping[str, object], field: str, default: str) -> str:
    value = values.get(field)
    if value is None:
        return default
    if not isinstance(value, str):
        raise ExposureInputError(field, f"must be a string; got {type(value).__name__} {value!r}")
    return value


def _opt_str(values: Mapping[str, object], field: str) -> str | None:
    return _str(values, field, "") if values.get(field) is not None else None


def _int(values: Mapping[str, object], field: str, default: int) -> int:
    value = values.get(field)
    if value is None:
        return default
    # bool is an int subclass; `port: true` is a config mistake, not port 1.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ExposureInputError(field, f"must be an integer; got {type(value).__name__} {value!r}")
    return value


def _str_tuple(values: Mapping[str, object], field: str) -> tuple[str, ...] | None:
    value = values.get(field)
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ExposureInputError(field, f"must be a list of strings; got {value!r}")
    items: list[str] = []
    for item in value:
        if not isinstance(item, str):
            raise ExposureInputError(field, f"must be a list of strings; got item {item!r}")
        items.append(item)
    return tuple(items)


def parse_via(value: object) -> Via:
    if value == VIA_MARATHON_LB:
        return VIA_MARATHON_LB
    if value == VIA_EDGE_LB:
        return VIA_EDGE_LB
    raise ExposureInputError("via", f"must be one of {', '.join(VIAS)}; got {value!r}")


def _choice_backend_tls(value: str) -> BackendTls:
    if value == "none":
        return "none"
    if value == "verify":
        return "verify"
    raise ExposureInputError("backend_tls", f"must be one of {', '.join(BACKEND_TLS_MODES)}; got {value!r}")


def validate_exposure(values: Mapping[str, object]) -> ExposureSpec:
    """Check types and rules of one exposure's plain inputs (None = default) and return the spec."""
    unknown = sorted(set(values) - SPEC_FIELDS)
    if unknown:
        raise ExposureInputError(unknown[0], "is not an exposure input")
    if values.get("cluster_name") is None:
        raise ExposureInputError("cluster_name", "is required")
    d = ExposureSpec(cluster_name="")
    spec = ExposureSpec(
        cluster_name=_str(values, "cluster_name", d.cluster_name),
        via=parse_via(_str(values, "via", d.via)),
        port=_int(values, "port", d.port),
        haproxy_group=_str(values, "haproxy_group", d.haproxy_group),
        ssl_cert=_str(values, "ssl_cert", d.ssl_cert),
        backend_tls=_choice_backend_tls(_str(values, "backend_tls", d.backend_tls)),
        ca_file=_str(values, "ca_file", d.ca_file),
        connect_timeout=_str(values, "connect_timeout", d.connect_timeout),
        client_timeout=_str(values, "client_timeout", d.client_timeout),
        server_timeout=_str(values, "server_timeout", d.server_timeout),
        tunnel_timeout=_str(values, "tunnel_timeout", d.tunnel_timeout),
        pool_name=_opt_str(values, "pool_name"),
        count=_int(values, "count", d.count),
        certificates=_str_tuple(values, "certificates"),
        certificate_secret=_opt_str(values, "certificate_secret"),
        certificate_secret_file=_str(values, "certificate_secret_file", d.certificate_secret_file),
        stats_port=_int(values, "stats_port", d.stats_port),
        stats_bind_address=_str(values, "stats_bind_address", d.stats_bind_address),
        apiserver_address=_opt_str(values, "apiserver_address"),
        public_host=_opt_str(values, "public_host"),
    )
    check_exposure(spec)
    return spec


# --- rules ----------------------------------------------------------------------------------------


def check_cluster_name(name: str, field: str = "cluster_name") -> None:
    """Marathon id segment rules (§1.7) plus the SDK's service-name rules (§5)."""
    if not name:
        raise ExposureInputError(field, "must not be empty")
    if name.startswith("/") or name.endswith("/"):
        raise ExposureInputError(
            field,
            f"must be the DC/OS service name without a leading or trailing '/' "
            f"(Edge-LB matches the framework name exactly); got {name!r}",
        )
    if name != name.lower():
        raise ExposureInputError(field, f"must be lowercase (Marathon ids refuse uppercase); got {name!r}")
    if "__" in name:
        raise ExposureInputError(
            field, f"must not contain '__' (the DC/OS SDK's task-id delimiter); got {name!r}"
        )
    if "_" in name:
        raise ExposureInputError(field, f"must not contain '_' (Marathon ids refuse it); got {name!r}")
    if re.fullmatch(r"[a-z0-9./-]+", name) is None:
        raise ExposureInputError(field, f"may only contain a-z, 0-9, '-', '.' and '/'; got {name!r}")
    segments = name.split("/")
    if "" in segments:
        raise ExposureInputError(field, f"must not have an empty folder segment ('//'); got {name!r}")
    for segment in segments:
        if _SEGMENT_RE.fullmatch(segment) is None:
            raise ExposureInputError(
                field,
                f"segment {segment!r} breaks the Marathon id rule: letters and digits, '-' only inside "
                f"a label, '.' only between labels; got {name!r}",
            )
    if segments[-1] in _RESERVED_LAST_SEGMENTS:
        raise ExposureInputError(
            field, f"must not end with a reserved Marathon keyword (restart, tasks, versions); got {name!r}"
        )
    if len(name.replace("/", "")) > MAX_NAME_WITHOUT_SLASHES:
        raise ExposureInputError(
            field, f"must be at most {MAX_NAME_WITHOUT_SLASHES} characters without slashes (DC/OS SDK rule)"
        )


def check_port(port: int, field: str) -> None:
    if not 1 <= port <= 65535:
        raise ExposureInputError(field, f"must be a port in 1..65535; got {port}")


def check_pool_name(name: str, field: str = "pool_name") -> None:
    if _POOL_NAME_RE.fullmatch(name) is None:
        raise ExposureInputError(
            field,
            f"Edge-LB pool names must match ^[a-z0-9]([a-z0-9-]*[a-z0-9])?$; got {name!r} "
            "(set pool_name explicitly when the cluster name contains '.')",
        )
    if len(name) > MAX_POOL_NAME:
        raise ExposureInputError(
            field, f"must be at most {MAX_POOL_NAME} characters (SDK service-name limit); got {len(name)}"
        )


def check_absolute_path(path: str, field: str) -> None:
    if _ABSOLUTE_PATH_RE.fullmatch(path) is None or any(p in {".", ".."} for p in path.split("/")):
        raise ExposureInputError(
            field, f"must be an absolute path of letters, digits, '.', '_', '-' and '/'; got {path!r}"
        )


def check_timeout(value: str, field: str) -> None:
    if _TIMEOUT_RE.fullmatch(value) is None:
        raise ExposureInputError(
            field,
            f"must be an HAProxy time like '86400s' or '10s' (digits, unit us|ms|s|m|h|d); got {value!r}",
        )


def check_host(host: str, field: str) -> None:
    """A DNS name or a dotted IPv4 address (no IPv6: it would need brackets in URLs and binds)."""
    if _IPV4_LIKE_RE.fullmatch(host) is not None:
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            raise ExposureInputError(field, f"is not a valid IPv4 address; got {host!r}") from None
        return
    if len(host) > 253 or _DNS_NAME_RE.fullmatch(host) is None:
        raise ExposureInputError(field, f"must be a DNS name or an IPv4 address; got {host!r}")
    if any(len(label) > 63 for label in host.split(".")):
        raise ExposureInputError(field, f"has a DNS label longer than 63 characters; got {host!r}")


def check_host_port(value: str, field: str) -> None:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or len(port) > 5:
        raise ExposureInputError(field, f"must be 'host:port'; got {value!r}")
    check_host(host, field)
    check_port(int(port), field)


def _check_marathon_lb(spec: ExposureSpec) -> None:
    if spec.port in MARATHON_LB_RESERVED_PORTS:
        raise ExposureInputError(
            "port",
            f"{spec.port} is reserved by Marathon-LB (80, 443, 9090, 9091, 10000-10150); pick another port",
        )
    if _GROUP_LIST_RE.fullmatch(spec.haproxy_group) is None:
        raise ExposureInputError(
            "haproxy_group",
            f"must be a comma-separated list of names (letters, digits, '_', '.', '-'), "
            f"no spaces; got {spec.haproxy_group!r}",
        )


def _check_certificates(spec: ExposureSpec) -> None:
    if spec.certificate_secret is not None and _SECRET_PATH_RE.fullmatch(spec.certificate_secret) is None:
        raise ExposureInputError(
            "certificate_secret",
            f"must be a DC/OS secret path (letters, digits, '_', '.', '-', '/'); got {spec.certificate_secret!r}",
        )
    if _SECRET_FILE_RE.fullmatch(spec.certificate_secret_file) is None:
        raise ExposureInputError(
            "certificate_secret_file",
            f"must match ^[a-zA-Z0-9][a-zA-Z0-9_-]*$ (Edge-LB secret file); got {spec.certificate_secret_file!r}",
        )
    if spec.certificates is None:
        return
    if not spec.certificates:
        raise ExposureInputError("certificates", "must not be empty (the HTTPS frontend needs one)")
    if len(set(spec.certificates)) != len(spec.certificates):
        raise ExposureInputError("certificates", f"must not repeat an entry; got {list(spec.certificates)!r}")
    for cert in spec.certificates:
        if _CERTIFICATE_RE.fullmatch(cert) is None:
            raise ExposureInputError(
                "certificates",
                f"each entry must be {AUTOCERT}, $SECRETS/<file> or $ENVFILE/<file>; got {cert!r}",
            )
        if cert.startswith(SECRETS_PREFIX) and (
            spec.certificate_secret is None or cert != SECRETS_PREFIX + spec.certificate_secret_file
        ):
            raise ExposureInputError(
                "certificates",
                f"{cert!r} needs certificate_secret with certificate_secret_file "
                f"{cert.removeprefix(SECRETS_PREFIX)!r}",
            )


def _check_edge_lb(spec: ExposureSpec) -> None:
    if spec.backend_tls != "none":
        raise ExposureInputError(
            "backend_tls", "only 'none' with via=edge-lb: an HTTPS backend always renders 'ssl verify none'"
        )
    if spec.apiserver_address is not None:
        raise ExposureInputError(
            "apiserver_address",
            "is only used with via=marathon-lb; Edge-LB selects the kube-control-plane tasks by framework name",
        )
    check_pool_name(names.pool_name(spec))
    if spec.count < 1:
        raise ExposureInputError("count", f"must be at least 1; got {spec.count}")
    _check_certificates(spec)
    check_port(spec.stats_port, "stats_port")
    if spec.stats_port == spec.port:
        raise ExposureInputError("stats_port", f"must differ from port: both are {spec.port}")
    try:
        ipaddress.IPv4Address(spec.stats_bind_address)
    except ValueError:
        raise ExposureInputError(
            "stats_bind_address", f"must be an IPv4 address; got {spec.stats_bind_address!r}"
        ) from None


def check_exposure(spec: ExposureSpec) -> None:
    check_cluster_name(spec.cluster_name)
    parse_via(spec.via)
    _choice_backend_tls(spec.backend_tls)
    check_port(spec.port, "port")
    # Checked whatever `via` is: cheap, and a later switch of `via` must not surface old mistakes.
    check_absolute_path(spec.ssl_cert, "ssl_cert")
    check_absolute_path(spec.ca_file, "ca_file")
    for field in _TIMEOUT_FIELDS:
        check_timeout(getattr(spec, field), field)
    if spec.apiserver_address is not None:
        check_host_port(spec.apiserver_address, "apiserver_address")
    if spec.public_host is not None:
        check_host(spec.public_host, "public_host")
    if spec.via == VIA_MARATHON_LB:
        _check_marathon_lb(spec)
    else:
        _check_edge_lb(spec)


def check_kubeconfig_token(token: object) -> str | None:
    # Never echo the value: it is a credential.
    if token is None:
        return None
    if not isinstance(token, str) or _TOKEN_RE.fullmatch(token) is None:
        raise ExposureInputError("kubeconfig_token", "must be a single token without whitespace or quotes")
    return token


def check_frontend_ca_pem(pem: object) -> str | None:
    if pem is None:
        return None
    if not isinstance(pem, str) or _PEM_MARKER not in pem:
        raise ExposureInputError("frontend_ca_pem", f"must be PEM text containing {_PEM_MARKER!r}")
    return pem


# --- list level -------------------------------------------------------------------------------------


def _claimed_ports(spec: ExposureSpec) -> list[tuple[int, str]]:
    ports = [(spec.port, "port")]
    if spec.via == VIA_EDGE_LB:
        # Edge-LB reserves the stats port as a Mesos resource on the agent, even when bound to 127.0.0.1.
        ports.append((spec.stats_port, "stats_port"))
    return ports


def _refuse_duplicates(keyed: Sequence[tuple[str, str, str]], field: str, what: str) -> None:
    """keyed: (key, cluster, detail); the first repeated key is refused naming both clusters."""
    seen: dict[str, tuple[str, str]] = {}
    for key, cluster, detail in keyed:
        if key in seen:
            other, other_detail = seen[key]
            raise ExposureInputError(
                field,
                f"{what} {key!r} is used by both {other!r} ({other_detail}) and {cluster!r} ({detail})",
            )
        seen[key] = (cluster, detail)


def validate_exposure_list(specs: Sequence[ExposureSpec]) -> None:
    """Refuse exposures of one stack that would collide on DC/OS or on the public agents."""
    _refuse_duplicates([(s.cluster_name, s.cluster_name, "entry") for s in specs], "cluster_name", "cluster")
    _refuse_duplicates(
        [(names.vip_host(s.cluster_name), s.cluster_name, "VIP host") for s in specs],
        "cluster_name",
        "apiserver VIP",
    )
    # dev/k01 and dev-k01 share the app id, default pool name and resource name.
    _refuse_duplicates(
        [(names.flat_name(s.cluster_name), s.cluster_name, "derived name") for s in specs],
        "cluster_name",
        "derived app/pool/resource name",
    )
    _refuse_duplicates(
        [(names.pool_name(s), s.cluster_name, "pool") for s in specs if s.via == VIA_EDGE_LB],
        "pool_name",
        "Edge-LB pool name",
    )
    _refuse_duplicates(
        [(str(port), s.cluster_name, field) for s in specs for port, field in _claimed_ports(s)],
        "port",
        "public port",
    )
