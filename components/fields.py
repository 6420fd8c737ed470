"""The value types of exposure settings: each rule written once, as an annotated type.

Marathon-LB copies label values verbatim into haproxy.cfg and runs template labels through
`str.format` (dcos-api.md §2.6); Edge-LB pastes `miscStrs` as raw lines. So every user value that
reaches a label or a pool field has a whitelist type here, which is what makes a newline, CR,
brace, `#`, quote or stray whitespace impossible in the derived documents (recipe defect (d)).
The Marathon id and Edge-LB name patterns are the provider's: one definition of each DC/OS rule.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sequence
from typing import Annotated, Final, TypeVar

from pydantic import AfterValidator, BeforeValidator
from pydantic_core import PydanticCustomError

from provider.edgelb_model import CERTIFICATE, MAX_POOL_NAME, NAME, SECRET_FILE
from provider.marathon_model import ID_SEGMENT, RESERVED_LAST_SEGMENTS

T = TypeVar("T")

# SDK ServiceNameCannotBreakDNS: the name without slashes must fit one DNS label.
MAX_NAME_WITHOUT_SLASHES: Final = 63
# MLB splits HAPROXY_GROUP on "," without trimming, so whitespace would silently change the group.
_GROUP_LIST_RE: Final = re.compile(r"[A-Za-z0-9_.-]+(?:,[A-Za-z0-9_.-]+)*")
_ABSOLUTE_PATH_RE: Final = re.compile(r"(?:/[A-Za-z0-9_.-]+)+")
_TIMEOUT_RE: Final = re.compile(r"[0-9]+(?:us|ms|s|m|h|d)?")
_DNS_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_DNS_NAME_RE: Final = re.compile(rf"{_DNS_LABEL}(?:\.{_DNS_LABEL})*")
_IPV4_LIKE_RE: Final = re.compile(r"[0-9.]+")
_PORT_DIGITS_RE: Final = re.compile(r"[0-9]{1,5}")
_SECRET_PATH_RE: Final = re.compile(r"[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*")


RULE_ERROR: Final = "exposure_rule"


def refuse(message: str) -> PydanticCustomError:
    """The error a validator raises; the message goes in as context, never as the template (braces)."""
    return PydanticCustomError(RULE_ERROR, "{rule}", {"rule": message})


def rule(problem: Callable[[T], str | None]) -> AfterValidator:
    """A validator from a function that returns what is wrong with a value (None when it is fine)."""

    def check(value: T) -> T:
        message = problem(value)
        if message is not None:
            raise refuse(message)
        return value

    return AfterValidator(check)


def matches(pattern: re.Pattern[str], rule_text: str) -> AfterValidator:
    """A rule that the whole value matches `pattern`; otherwise `<rule_text>; got '<value>'`."""

    def problem(value: str) -> str | None:
        return None if pattern.fullmatch(value) else f"{rule_text}; got {value!r}"

    return rule(problem)


def _not_bool(value: object) -> object:
    # pydantic's lax mode reads `port: true` as 1; that is a config mistake, not port 1.
    if isinstance(value, bool):
        raise refuse(f"must be an integer; got bool {value}")
    return value


def _string_list(value: object) -> object:
    # Any sequence of strings (Outputs resolve lists to lists, users may pass tuples), kept as a tuple.
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise refuse(f"must be a list of strings; got {value!r}")
    for item in value:
        if not isinstance(item, str):
            raise refuse(f"must be a list of strings; got item {item!r}")
    return tuple(value)


# --- rules ------------------------------------------------------------------------------------------


def cluster_name_problem(name: str) -> str | None:
    """Marathon id segment rules (§1.7) plus the SDK's service-name rules (§5)."""
    if not name:
        return "must not be empty"
    if name.startswith("/") or name.endswith("/"):
        return (
            "must be the DC/OS service name without a leading or trailing '/' "
            f"(Edge-LB matches the framework name exactly); got {name!r}"
        )
    if name != name.lower():
        return f"must be lowercase (Marathon ids refuse uppercase); got {name!r}"
    if "__" in name:
        return f"must not contain '__' (the DC/OS SDK's task-id delimiter); got {name!r}"
    if "_" in name:
        return f"must not contain '_' (Marathon ids refuse it); got {name!r}"
    if re.fullmatch(r"[a-z0-9./-]+", name) is None:
        return f"may only contain a-z, 0-9, '-', '.' and '/'; got {name!r}"
    segments = name.split("/")
    if "" in segments:
        return f"must not have an empty folder segment ('//'); got {name!r}"
    for segment in segments:
        if ID_SEGMENT.fullmatch(segment) is None:
            return (
                f"segment {segment!r} breaks the Marathon id rule: letters and digits, '-' only inside "
                f"a label, '.' only between labels; got {name!r}"
            )
    if segments[-1] in RESERVED_LAST_SEGMENTS:
        return f"must not end with a reserved Marathon keyword ({', '.join(RESERVED_LAST_SEGMENTS)}); got {name!r}"
    if len(name.replace("/", "")) > MAX_NAME_WITHOUT_SLASHES:
        return f"must be at most {MAX_NAME_WITHOUT_SLASHES} characters without slashes (DC/OS SDK rule)"
    return None


def port_problem(port: int) -> str | None:
    return None if 1 <= port <= 65535 else f"must be a port in 1..65535; got {port}"


def host_problem(host: str) -> str | None:
    """A DNS name or a dotted IPv4 address (no IPv6: it would need brackets in URLs and binds)."""
    if _IPV4_LIKE_RE.fullmatch(host) is not None:
        return ipv4_problem(host, "is not a valid IPv4 address")
    if len(host) > 253 or _DNS_NAME_RE.fullmatch(host) is None:
        return f"must be a DNS name or an IPv4 address; got {host!r}"
    if any(len(label) > 63 for label in host.split(".")):
        return f"has a DNS label longer than 63 characters; got {host!r}"
    return None


def host_port_problem(value: str) -> str | None:
    host, sep, port = value.rpartition(":")
    # ASCII digits only: str.isdigit() also takes fullwidth and superscript digits, which int() misreads.
    if not sep or not host or _PORT_DIGITS_RE.fullmatch(port) is None:
        return f"must be 'host:port'; got {value!r}"
    return host_problem(host) or port_problem(int(port))


def ipv4_problem(address: str, rule_text: str = "must be an IPv4 address") -> str | None:
    try:
        ipaddress.IPv4Address(address)
    except ValueError:
        return f"{rule_text}; got {address!r}"
    return None


def _absolute_path_problem(path: str) -> str | None:
    if _ABSOLUTE_PATH_RE.fullmatch(path) is None or any(p in {".", ".."} for p in path.split("/")):
        return f"must be an absolute path of letters, digits, '.', '_', '-' and '/'; got {path!r}"
    return None


def pool_name_problem(name: str) -> str | None:
    if NAME.fullmatch(name) is None:
        return f"Edge-LB pool names must match {NAME.pattern}; got {name!r}"
    if len(name) > MAX_POOL_NAME:
        return f"must be at most {MAX_POOL_NAME} characters (SDK service-name limit); got {len(name)}"
    return None


def _at_least_one(count: int) -> str | None:
    return None if count >= 1 else f"must be at least 1; got {count}"


def _certificates_problem(certificates: tuple[str, ...]) -> str | None:
    if not certificates:
        return "must not be empty (the HTTPS frontend needs one)"
    if len(set(certificates)) != len(certificates):
        return f"must not repeat an entry; got {list(certificates)!r}"
    for cert in certificates:
        if CERTIFICATE.fullmatch(cert) is None:
            return f"each entry must be $AUTOCERT, $SECRETS/<file> or $ENVFILE/<file>; got {cert!r}"
    return None


# --- the types ------------------------------------------------------------------------------------

ClusterName = Annotated[str, rule(cluster_name_problem)]
Port = Annotated[int, BeforeValidator(_not_bool), rule(port_problem)]
Count = Annotated[int, BeforeValidator(_not_bool), rule(_at_least_one)]
HaproxyTime = Annotated[
    str, matches(_TIMEOUT_RE, "must be an HAProxy time like '86400s' or '10s' (digits, unit us|ms|s|m|h|d)")
]
AbsolutePath = Annotated[str, rule(_absolute_path_problem)]
Host = Annotated[str, rule(host_problem)]
HostPort = Annotated[str, rule(host_port_problem)]
IPv4 = Annotated[str, rule(ipv4_problem)]
GroupList = Annotated[
    str,
    matches(
        _GROUP_LIST_RE, "must be a comma-separated list of names (letters, digits, '_', '.', '-'), no spaces"
    ),
]
PoolName = Annotated[str, rule(pool_name_problem)]
SecretPath = Annotated[
    str, matches(_SECRET_PATH_RE, "must be a DC/OS secret path (letters, digits, '_', '.', '-', '/')")
]
SecretFile = Annotated[str, matches(SECRET_FILE, f"must match {SECRET_FILE.pattern} (Edge-LB secret file)")]
Certificates = Annotated[tuple[str, ...], BeforeValidator(_string_list), rule(_certificates_problem)]
